<#
    Helpers for driving the real mvn (3.8.7 with Debian's plugins) against an endpoint: settings.xml with the token,
    small library and consumer projects, mvn runs with their output captured, and raw HTTP requests.

    Maven Central is not reachable: settings.xml overrides the 'central' id with Debian's file repository
    (/usr/share/maven-repo), so plugins and junit come from there and everything else only from the endpoint.
#>

Set-StrictMode -Version Latest

Import-Module (Join-Path $PSScriptRoot 'ClientTestHelpers.psm1')

$script:DebianRepository = '/usr/share/maven-repo'

# Plugin versions Debian ships (Maven's built-in defaults are older ones it does not have for every plugin).
$script:Plugins = [ordered]@{
    'maven-clean-plugin'     = '3.2.0'
    'maven-resources-plugin' = '3.3.0'
    'maven-compiler-plugin'  = '3.10.1'
    'maven-surefire-plugin'  = '2.22.3'
    'maven-jar-plugin'       = '3.3.0'
    'maven-source-plugin'    = '3.2.1'
    'maven-install-plugin'   = '3.1.0'
    'maven-deploy-plugin'    = '3.0.0'
    'maven-dependency-plugin' = '3.5.0'
}

$script:AptPackages = 'maven-debian-helper libmaven-deploy-plugin-java libmaven-install-plugin-java libmaven-resources-plugin-java ' +
    'libmaven-compiler-plugin-java libmaven-jar-plugin-java libsurefire-java libmaven-dependency-plugin-java libmaven-clean-plugin-java ' +
    'libwagon-http-java libmaven-resolver-transport-http-java junit4'

function Assert-MavenClients {
    <# Fails with the install command when mvn, a JDK or one of Debian's plugins is missing (.ci/run installs them). #>
    $missing = @()
    foreach ($command in 'mvn', 'javac') {
        if (-not (Get-Command $command -ErrorAction SilentlyContinue)) { $missing += $command }
    }
    foreach ($plugin in $script:Plugins.Keys) {
        $folder = Join-Path $script:DebianRepository "org/apache/maven/plugins/$plugin/$($script:Plugins[$plugin])"
        if (-not (Test-Path $folder)) { $missing += "$plugin $($script:Plugins[$plugin])" }
    }
    if (-not (Test-Path (Join-Path $script:DebianRepository 'junit/junit/4.x'))) { $missing += 'junit 4.x' }
    if (-not (Test-Path (Join-Path $script:DebianRepository 'org/apache/maven/wagon/wagon-http'))) { $missing += 'wagon-http' }
    if ($missing) {
        throw "The Maven client tests need $($missing -join ', '): apt-get install -y --no-install-recommends $script:AptPackages"
    }
}

function New-MavenSettings {
    <#
        Writes a settings.xml: the local repository from $env:M2_LOCAL (Invoke-Mvn sets it per run), 'central' overridden
        by Debian's file repository (it has no checksums), and the endpoint as 'ca' with the token as its password.
        Checksums from the endpoint must be right (checksumPolicy fail).
    #>
    param([Parameter(Mandatory)][string] $Path, [Parameter(Mandatory)][string] $RepositoryUrl, [Parameter(Mandatory)][string] $Token)
    Set-Content -Path $Path -Value @"
<settings>
  <localRepository>`${env.M2_LOCAL}</localRepository>
  <servers><server><id>ca</id><username>aws</username><password>$([Security.SecurityElement]::Escape($Token))</password></server></servers>
  <profiles><profile><id>ca</id>
    <repositories>
      <repository><id>central</id><url>file://$script:DebianRepository</url>
        <releases><checksumPolicy>ignore</checksumPolicy></releases><snapshots><enabled>false</enabled></snapshots></repository>
      <repository><id>ca</id><url>$RepositoryUrl</url>
        <releases><enabled>true</enabled><checksumPolicy>fail</checksumPolicy></releases>
        <snapshots><enabled>true</enabled><updatePolicy>always</updatePolicy><checksumPolicy>fail</checksumPolicy></snapshots></repository>
    </repositories>
    <pluginRepositories>
      <pluginRepository><id>central</id><url>file://$script:DebianRepository</url>
        <releases><checksumPolicy>ignore</checksumPolicy></releases><snapshots><enabled>false</enabled></snapshots></pluginRepository>
    </pluginRepositories>
  </profile></profiles>
  <activeProfiles><activeProfile>ca</activeProfile></activeProfiles>
</settings>
"@
    $Path
}

function Get-PluginManagement {
    $plugins = foreach ($name in $script:Plugins.Keys) {
        "      <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>$name</artifactId><version>$($script:Plugins[$name])</version></plugin>"
    }
    "    <pluginManagement><plugins>`n$($plugins -join "`n")`n    </plugins></pluginManagement>"
}

function Set-MavenLibrary {
    <#
        Writes (or rewrites) a one-class library whose Greeter.greet() answers "<Message>, <who>", with a sources jar
        (the 'sources' classifier) and distributionManagement pointing at the endpoint.
        -Dependency @{ GroupId; ArtifactId; Version } makes it depend on another such library: greet() then answers
        "<Message>, " + that library's greet(who), so a consumer's test fails unless both were resolved.
    #>
    param(
        [Parameter(Mandatory)][string] $Path,
        [Parameter(Mandatory)][string] $GroupId,
        [Parameter(Mandatory)][string] $ArtifactId,
        [Parameter(Mandatory)][string] $Version,
        [Parameter(Mandatory)][string] $Message,
        [Parameter(Mandatory)][string] $RepositoryUrl,
        [hashtable] $Dependency
    )
    $package = "$GroupId".Replace('-', '_')
    $dependencies = ''
    $greeting = '"' + $Message + ', " + who'
    if ($Dependency) {
        $dependencies = "`n  <dependencies><dependency><groupId>$($Dependency.GroupId)</groupId><artifactId>$($Dependency.ArtifactId)</artifactId>" +
            "<version>$($Dependency.Version)</version></dependency></dependencies>"
        $greeting = '"' + $Message + ', " + ' + "$("$($Dependency.GroupId)".Replace('-', '_')).Greeter.greet(who)"
    }
    $source = Join-Path $Path ("src/main/java/" + $package.Replace('.', '/'))
    New-Item -ItemType Directory -Path $source -Force | Out-Null
    Set-Content -Path (Join-Path $Path 'pom.xml') -Value @"
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>$GroupId</groupId>
  <artifactId>$ArtifactId</artifactId>
  <version>$Version</version>
  <name>PSCodeArtifact Maven test library</name>
  <properties>
    <maven.compiler.release>17</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <distributionManagement>
    <repository><id>ca</id><url>$RepositoryUrl</url></repository>
    <snapshotRepository><id>ca</id><url>$RepositoryUrl</url></snapshotRepository>
  </distributionManagement>$dependencies
  <build>
$(Get-PluginManagement)
    <plugins>
      <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-source-plugin</artifactId>
        <executions><execution><id>sources</id><goals><goal>jar-no-fork</goal></goals></execution></executions></plugin>
    </plugins>
  </build>
</project>
"@
    Set-Content -Path (Join-Path $source 'Greeter.java') -Value @"
package $package;

public final class Greeter {
    private Greeter() { }

    public static String greet(String who) { return $greeting; }
}
"@
}

function New-MavenConsumer {
    <# A project that depends on the library and whose JUnit test expects Greeter.greet("maven") to be "<Expected>, maven". #>
    param(
        [Parameter(Mandatory)][string] $Path,
        [Parameter(Mandatory)][string] $GroupId,
        [Parameter(Mandatory)][string] $ArtifactId,
        [Parameter(Mandatory)][string] $Version,
        [Parameter(Mandatory)][string] $Expected
    )
    $package = "$GroupId".Replace('-', '_')
    $test = Join-Path $Path 'src/test/java/consumer'
    New-Item -ItemType Directory -Path $test -Force | Out-Null
    Set-Content -Path (Join-Path $Path 'pom.xml') -Value @"
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>consumer</groupId>
  <artifactId>consumer</artifactId>
  <version>1.0</version>
  <properties>
    <maven.compiler.release>17</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <dependencies>
    <dependency><groupId>$GroupId</groupId><artifactId>$ArtifactId</artifactId><version>$Version</version></dependency>
    <dependency><groupId>junit</groupId><artifactId>junit</artifactId><version>4.x</version><scope>test</scope></dependency>
  </dependencies>
  <build>
$(Get-PluginManagement)
  </build>
</project>
"@
    Set-Content -Path (Join-Path $test 'GreeterTest.java') -Value @"
package consumer;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class GreeterTest {
    @Test
    public void greetsWithTheDeployedLibrary() {
        assertEquals("$Expected, maven", $package.Greeter.greet("maven"));
    }
}
"@
}

function Invoke-Mvn {
    <#
        Runs mvn in batch mode with the given settings and local repository (through $env:M2_LOCAL, as settings.xml
        reads it) in a working folder; returns Invoke-Client's result. The JVM flags only make start-up faster.
    #>
    param(
        [Parameter(Mandatory)][string] $Settings,
        [Parameter(Mandatory)][string] $LocalRepository,
        [Parameter(Mandatory)][string] $WorkingDirectory,
        [Parameter(Mandatory)][string[]] $Arguments
    )
    $saved = @{ M2_LOCAL = $env:M2_LOCAL; MAVEN_OPTS = $env:MAVEN_OPTS }
    $env:M2_LOCAL = $LocalRepository
    $env:MAVEN_OPTS = '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto'
    Push-Location $WorkingDirectory
    try {
        Invoke-Client mvn -B '-Dstyle.color=never' -s $Settings @Arguments
    }
    finally {
        Pop-Location
        foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
    }
}

Export-ModuleMember -Function Invoke-Client, Assert-MavenClients, New-MavenSettings, Set-MavenLibrary, New-MavenConsumer, Invoke-Mvn, Get-Digest, Invoke-RawHttp
