#Requires -Version 7.6
# The Maven repository endpoint driven by the real mvn 3.8.7 with Debian's plugins: deploy of a release with a sources
# jar and of two SNAPSHOT builds, a consumer that resolves the library from the endpoint with an empty local repository
# and runs its JUnit test, dependency:get of a classifier, a wrong token; then the deploy protocol over raw HTTP
# (Unfinished until maven-metadata.xml, checksum uploads, release immutability, bad input that leaves the store as it was).
# Maven Central is not reachable: plugins and junit come from Debian's file repository, the library only from the endpoint.
# mvn is slow to start, so BeforeAll runs the three deploys once and the Its check what they did.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../pester/TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'MavenClientHelpers.psm1') -Force
    Import-TestModule
    Assert-MavenClients

    $script:Domain = 'mvndemo'
    $script:Group = 'org.example.catest'
    $script:Artifact = 'ca-greeter'
    $script:StorePath = New-TestStore
    New-CaDomain -Name $Domain | Out-Null
    New-CaRepository -Domain $Domain -Name 'main' | Out-Null
    $script:Endpoint = Start-CaEndpoint -Port 0
    $script:Token = (Get-CaAuthorizationToken -Domain $Domain).AuthorizationToken
    $script:RepositoryUrl = Get-CaRepositoryEndpoint -Domain $Domain -Repository 'main' -Format maven
    $script:ArtifactUrl = "$($RepositoryUrl)$($Group.Replace('.', '/'))/$Artifact"
    $script:Coordinates = @{ Domain = $Domain; Repository = 'main'; Format = 'maven'; Namespace = $Group; Package = $Artifact }

    $script:Work = Join-Path $TestDrive 'maven'
    New-Item -ItemType Directory -Path $Work -Force | Out-Null
    $script:Settings = New-MavenSettings -Path (Join-Path $Work 'settings.xml') -RepositoryUrl $RepositoryUrl -Token $Token
    $script:DeployRepository = Join-Path $Work 'm2-deploy'
    $script:Library = Join-Path $Work 'library'

    # Deploys the library as it is now and keeps copies of the files mvn built (the next build replaces them).
    function Deploy-Library([string] $Version, [string] $Message) {
        Set-MavenLibrary -Path $script:Library -GroupId $script:Group -ArtifactId $script:Artifact -Version $Version -Message $Message `
            -RepositoryUrl $script:RepositoryUrl
        $result = Invoke-Mvn -Settings $script:Settings -LocalRepository $script:DeployRepository -WorkingDirectory $script:Library -Arguments 'deploy'
        $kept = Join-Path $script:Work ("built-" + [guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $kept | Out-Null
        $files = @{ Pom = Join-Path $kept 'pom.xml' }
        Copy-Item (Join-Path $script:Library 'pom.xml') $files.Pom
        foreach ($name in 'Jar', 'Sources') {
            $built = Join-Path $script:Library "target/$($script:Artifact)-$Version$(if ($name -eq 'Sources') { '-sources' }).jar"
            if (Test-Path $built) { $files[$name] = Join-Path $kept (Split-Path $built -Leaf); Copy-Item $built $files[$name] }
        }
        [pscustomobject]@{ Result = $result; Files = $files }
    }

    function Get-VersionStatus {
        @(Get-CaPackageVersion @script:Coordinates | ForEach-Object { "$($_.Version)=$($_.Status)" } | Sort-Object)
    }

    function Get-StoreState {
        [pscustomobject]@{
            Versions = @(Get-CaPackage -Domain $script:Domain -Repository 'main' -Format maven -ErrorAction SilentlyContinue |
                ForEach-Object { Get-CaPackageVersion -Domain $script:Domain -Repository 'main' -Format maven -Namespace $_.Namespace -Package $_.Package } |
                ForEach-Object { "$($_.DisplayName) $($_.Version)=$($_.Status) $($_.Revision)" } | Sort-Object)
            Blobs    = @(Get-ChildItem (Join-Path $script:StorePath 'blobs') -Recurse -File -ErrorAction SilentlyContinue).Count
            Tmp      = @(Get-ChildItem (Join-Path $script:StorePath 'tmp') -Recurse -File -ErrorAction SilentlyContinue).Count
        }
    }

    function Invoke-Repository([string] $Path, [string] $Method = 'GET', [byte[]] $Body, [switch] $Anonymous) {
        $parameters = @{ Uri = $script:RepositoryUrl + $Path; Method = $Method }
        if (-not $Anonymous) { $parameters.Token = $script:Token }
        if ($PSBoundParameters.ContainsKey('Body')) { $parameters.Body = $Body }
        Invoke-RawHttp @parameters
    }

    function Send-Text([string] $Path, [string] $Text) {
        Invoke-Repository $Path -Method PUT -Body ([Text.Encoding]::UTF8.GetBytes($Text))
    }

    $script:Release = Deploy-Library '1.0' 'Hello'
    $script:Build1 = Deploy-Library '2.0-SNAPSHOT' 'Hi from build 1'
    $script:Build2 = Deploy-Library '2.0-SNAPSHOT' 'Hi from build 2'
    $script:Build1Version = @(Get-CaPackageVersion @Coordinates | Where-Object Version -Match '^2\.0-\d{8}\.\d{6}-1$').Version | Select-Object -First 1
    $script:Build2Jar = @(Get-CaPackageVersionAsset @Coordinates -Version '2.0-SNAPSHOT' | Where-Object Name -Match '^ca-greeter-2\.0-\d{8}\.\d{6}-2\.jar$').Name |
        Select-Object -First 1
}

AfterAll {
    if (Test-Path variable:script:Endpoint) { $script:Endpoint | Stop-CaEndpoint }
    Remove-TestStore
}

Describe 'Maven endpoint with mvn' {
    Context 'mvn deploy' {
        It 'deploys a release with its sources jar: Published, with the hashes of the files mvn built and uploaded checksums for' {
            $Release.Result.ExitCode | Should -Be 0 -Because $Release.Result.Output
            $Release.Result.Output | Should -Match ([regex]::Escape("Uploaded to ca: $ArtifactUrl/1.0/ca-greeter-1.0-sources.jar"))

            (Get-CaPackageVersion @Coordinates -Version '1.0').Status | Should -BeExactly 'Published'
            $assets = @(Get-CaPackageVersionAsset @Coordinates -Version '1.0')
            $assets.Name | Should -Be @('ca-greeter-1.0-sources.jar', 'ca-greeter-1.0.jar', 'ca-greeter-1.0.pom')
            foreach ($pair in @(('ca-greeter-1.0.jar', $Release.Files.Jar), ('ca-greeter-1.0-sources.jar', $Release.Files.Sources), ('ca-greeter-1.0.pom', $Release.Files.Pom))) {
                $asset = $assets | Where-Object Name -EQ $pair[0]
                $asset.Hashes['SHA-1'] | Should -BeExactly (Get-Digest -Path $pair[1] -Algorithm SHA1)
                $asset.Hashes['MD5'] | Should -BeExactly (Get-Digest -Path $pair[1] -Algorithm MD5)
                $asset.Hashes['SHA-256'] | Should -BeExactly (Get-Digest -Path $pair[1])
            }
        }

        It 'deploys two SNAPSHOT builds: the newer is current, the older one becomes an Unlisted build version' {
            $Build1.Result.ExitCode | Should -Be 0 -Because $Build1.Result.Output
            $Build2.Result.ExitCode | Should -Be 0 -Because $Build2.Result.Output
            $Build1Version | Should -Not -BeNullOrEmpty
            $Build2Jar | Should -Not -BeNullOrEmpty

            Get-VersionStatus | Should -Be @('1.0=Published', "$Build1Version=Unlisted", '2.0-SNAPSHOT=Published')
            $current = @(Get-CaPackageVersionAsset @Coordinates -Version '2.0-SNAPSHOT')
            $current.Name | Should -HaveCount 3
            $current.Name | ForEach-Object { $_ | Should -Match '^ca-greeter-2\.0-\d{8}\.\d{6}-2(-sources)?\.(jar|pom)$' }
            ($current | Where-Object Name -EQ $Build2Jar).Hashes['SHA-1'] | Should -BeExactly (Get-Digest -Path $Build2.Files.Jar -Algorithm SHA1)
            $old = @(Get-CaPackageVersionAsset @Coordinates -Version $Build1Version)
            $old.Name | Should -Be @("ca-greeter-$Build1Version-sources.jar", "ca-greeter-$Build1Version.jar", "ca-greeter-$Build1Version.pom")
            ($old | Where-Object Name -EQ "ca-greeter-$Build1Version.jar").Hashes['SHA-1'] | Should -BeExactly (Get-Digest -Path $Build1.Files.Jar -Algorithm SHA1)
        }

        It 'renders the version-level maven-metadata.xml of the SNAPSHOT with its current build per classifier and extension' {
            $response = Invoke-Repository "$($Group.Replace('.', '/'))/$Artifact/2.0-SNAPSHOT/maven-metadata.xml"

            $response.StatusCode | Should -Be 200 -Because $response.Text
            $metadata = ([xml] $response.Text).metadata
            $metadata.version | Should -BeExactly '2.0-SNAPSHOT'
            $metadata.versioning.snapshot.buildNumber | Should -Be '2'
            $value = $Build2Jar -replace '^ca-greeter-(.+)\.jar$', '$1'
            $value | Should -BeExactly "2.0-$($metadata.versioning.snapshot.timestamp)-2"
            @($metadata.versioning.snapshotVersions.snapshotVersion | ForEach-Object {
                $classifier = $_.SelectSingleNode('classifier')
                "$(if ($classifier) { $classifier.InnerText }):$($_.extension)=$($_.value)"
            }) |
                Should -Be @(":jar=$value", "sources:jar=$value", ":pom=$value")
        }

        It 'renders the artifact-level maven-metadata.xml from the catalog, with checksums of the exact bytes served' {
            $path = "$($Group.Replace('.', '/'))/$Artifact/maven-metadata.xml"
            $response = Invoke-Repository $path
            $head = Invoke-Repository $path -Method HEAD

            $response.StatusCode | Should -Be 200
            $metadata = ([xml] $response.Text).metadata
            $metadata.groupId | Should -BeExactly $Group
            @($metadata.versioning.versions.version) | Should -Be @('1.0', '2.0-SNAPSHOT')
            $metadata.versioning.release | Should -BeExactly '1.0'
            $metadata.versioning.latest | Should -BeExactly '2.0-SNAPSHOT'
            $metadata.versioning.lastUpdated | Should -Match '^\d{14}$'
            foreach ($algorithm in 'MD5', 'SHA1', 'SHA256', 'SHA512') {
                (Invoke-Repository "$path.$($algorithm.ToLowerInvariant())").Text | Should -BeExactly (Get-Digest -Bytes $response.Bytes -Algorithm $algorithm)
            }
            $head.StatusCode | Should -Be 200
            $head.Bytes | Should -HaveCount 0
            $head.Headers['Content-Length'] | Should -Be $response.Bytes.Count
            $head.Headers['ETag'] | Should -BeExactly $response.Headers['ETag']
        }

        It 'fails a deploy with a wrong token with 401 and stores nothing' {
            $badSettings = New-MavenSettings -Path (Join-Path $Work 'bad-settings.xml') -RepositoryUrl $RepositoryUrl -Token 'pca1.not-a-token'
            $empty = Join-Path $Work 'deploy-file'
            New-Item -ItemType Directory -Path $empty -Force | Out-Null

            $refused = Invoke-Mvn -Settings $badSettings -LocalRepository $DeployRepository -WorkingDirectory $empty -Arguments @(
                'org.apache.maven.plugins:maven-deploy-plugin:3.0.0:deploy-file', "-Dfile=$($Release.Files.Jar)", "-DgroupId=$Group",
                '-DartifactId=ca-intruder', '-Dversion=1.0', '-Dpackaging=jar', '-DrepositoryId=ca', "-Durl=$RepositoryUrl")

            $refused.ExitCode | Should -Not -Be 0 -Because $refused.Output
            $refused.Output | Should -Match '401'
            @(Get-CaPackage -Domain $Domain -Repository 'main' -Format maven | Where-Object Package -EQ 'ca-intruder') | Should -BeNullOrEmpty
        }
    }

    Context 'resolving from the endpoint' {
        It 'builds and tests a project that depends on the SNAPSHOT, with an empty local repository' {
            $consumer = Join-Path $Work 'consumer'
            New-MavenConsumer -Path $consumer -GroupId $Group -ArtifactId $Artifact -Version '2.0-SNAPSHOT' -Expected 'Hi from build 2'
            $script:ConsumerRepository = Join-Path $Work 'm2-consumer'

            $verified = Invoke-Mvn -Settings $Settings -LocalRepository $ConsumerRepository -WorkingDirectory $consumer -Arguments 'verify'

            $verified.ExitCode | Should -Be 0 -Because $verified.Output
            $verified.Output | Should -Match 'Tests run: 1, Failures: 0, Errors: 0'
            $verified.Output | Should -Match ([regex]::Escape("Downloaded from ca: $ArtifactUrl/2.0-SNAPSHOT/$Build2Jar"))
            $resolved = Join-Path $ConsumerRepository "$($Group.Replace('.', '/'))/$Artifact/2.0-SNAPSHOT/$Build2Jar"
            Get-Digest -Path $resolved | Should -BeExactly (Get-Digest -Path $Build2.Files.Jar)
        }

        It 'gets a classifier artifact (the sources jar) with dependency:get' {
            $folder = Join-Path $Work 'get'
            New-Item -ItemType Directory -Path $folder -Force | Out-Null
            $repository = if (Test-Path variable:script:ConsumerRepository) { $ConsumerRepository } else { Join-Path $Work 'm2-get' }

            $got = Invoke-Mvn -Settings $Settings -LocalRepository $repository -WorkingDirectory $folder -Arguments @(
                'org.apache.maven.plugins:maven-dependency-plugin:3.5.0:get', "-Dartifact=$($Group):$($Artifact):1.0:jar:sources", '-Dtransitive=false')

            $got.ExitCode | Should -Be 0 -Because $got.Output
            $got.Output | Should -Match ([regex]::Escape("Downloaded from ca: $ArtifactUrl/1.0/ca-greeter-1.0-sources.jar"))
            $file = Join-Path $repository "$($Group.Replace('.', '/'))/$Artifact/1.0/ca-greeter-1.0-sources.jar"
            Get-Digest -Path $file | Should -BeExactly (Get-Digest -Path $Release.Files.Sources)
        }

        It 'challenges anonymous GET and HEAD with 401 and a Basic realm, as Maven needs before it sends credentials' {
            foreach ($method in 'GET', 'HEAD') {
                $anonymous = Invoke-Repository "$($Group.Replace('.', '/'))/$Artifact/1.0/ca-greeter-1.0.jar" -Method $method -Anonymous
                $anonymous.StatusCode | Should -Be 401
                $anonymous.Headers['WWW-Authenticate'] | Should -Match '^Basic realm='
            }
        }

        It 'serves a file and its four checksums, HEAD like GET, and an older SNAPSHOT build by its exact name' {
            $path = "$($Group.Replace('.', '/'))/$Artifact/1.0/ca-greeter-1.0.jar"
            $get = Invoke-Repository $path
            $head = Invoke-Repository $path -Method HEAD
            $old = Invoke-Repository "$($Group.Replace('.', '/'))/$Artifact/2.0-SNAPSHOT/ca-greeter-$Build1Version.jar"

            $get.StatusCode | Should -Be 200
            Get-Digest -Bytes $get.Bytes | Should -BeExactly (Get-Digest -Path $Release.Files.Jar)
            $get.Headers['X-Checksum-SHA1'] | Should -BeExactly (Get-Digest -Path $Release.Files.Jar -Algorithm SHA1)
            foreach ($algorithm in 'MD5', 'SHA1', 'SHA256', 'SHA512') {
                (Invoke-Repository "$path.$($algorithm.ToLowerInvariant())").Text | Should -BeExactly (Get-Digest -Path $Release.Files.Jar -Algorithm $algorithm)
            }
            $head.StatusCode | Should -Be 200
            $head.Headers['Content-Length'] | Should -Be $get.Bytes.Count
            $head.Headers['ETag'] | Should -BeExactly $get.Headers['ETag']
            $old.StatusCode | Should -Be 200
            Get-Digest -Bytes $old.Bytes | Should -BeExactly (Get-Digest -Path $Build1.Files.Jar)
        }
    }

    Context 'the deploy protocol over HTTP' {
        BeforeAll {
            $script:V3 = "$($Group.Replace('.', '/'))/$Artifact/3.0"
            $script:Pom3 = [IO.File]::ReadAllText($Release.Files.Pom).Replace('<version>1.0</version>', '<version>3.0</version>')
            $script:Jar3 = [IO.File]::ReadAllBytes($Release.Files.Jar)
        }

        It 'keeps a version Unfinished (not downloadable, not listed) until its maven-metadata.xml, then publishes it' {
            (Send-Text "$V3/ca-greeter-3.0.pom" $Pom3).StatusCode | Should -Be 201
            (Invoke-Repository "$V3/ca-greeter-3.0.jar" -Method PUT -Body $Jar3).StatusCode | Should -Be 201

            (Get-CaPackageVersion @Coordinates -Version '3.0').Status | Should -BeExactly 'Unfinished'
            (Invoke-Repository "$V3/ca-greeter-3.0.jar").StatusCode | Should -Be 404
            (Invoke-Repository "$V3/ca-greeter-3.0.jar.sha1").StatusCode | Should -Be 404
            $listed = ([xml] (Invoke-Repository "$($Group.Replace('.', '/'))/$Artifact/maven-metadata.xml").Text).metadata.versioning.versions.version
            @($listed) | Should -Not -Contain '3.0'

            $metadata = "<metadata><groupId>$Group</groupId><artifactId>$Artifact</artifactId><versioning><release>3.0</release>" +
                '<versions><version>1.0</version><version>3.0</version></versions></versioning></metadata>'
            $put = Send-Text "$($Group.Replace('.', '/'))/$Artifact/maven-metadata.xml" $metadata

            $put.StatusCode | Should -Be 201 -Because $put.Text
            (Get-CaPackageVersion @Coordinates -Version '3.0').Status | Should -BeExactly 'Published'
            $jar = Invoke-Repository "$V3/ca-greeter-3.0.jar"
            $jar.StatusCode | Should -Be 200
            Get-Digest -Bytes $jar.Bytes | Should -BeExactly (Get-Digest -Bytes $Jar3)
            # Metadata and its checksums may always be sent again; the client's checksum of its own document is not kept.
            (Send-Text "$($Group.Replace('.', '/'))/$Artifact/maven-metadata.xml" $metadata).StatusCode | Should -Be 201
            (Send-Text "$($Group.Replace('.', '/'))/$Artifact/maven-metadata.xml.sha1" (Get-Digest -Bytes ([Text.Encoding]::UTF8.GetBytes($metadata)) -Algorithm SHA1)).StatusCode |
                Should -Be 201
        }

        It 'verifies checksum uploads against the stored bytes: 201 when right, 400 on a mismatch, 404 before the file' {
            $sha1 = Get-Digest -Bytes $Jar3 -Algorithm SHA1

            (Send-Text "$V3/ca-greeter-3.0.jar.sha1" $sha1).StatusCode | Should -Be 201
            (Send-Text "$V3/ca-greeter-3.0.jar.sha512" (Get-Digest -Bytes $Jar3 -Algorithm SHA512)).StatusCode | Should -Be 201
            $mismatch = Send-Text "$V3/ca-greeter-3.0.jar.sha1" ('0' * 40)
            $upper = Send-Text "$V3/ca-greeter-3.0.jar.sha1" $sha1.ToUpperInvariant()
            $early = Send-Text "$V3/ca-greeter-3.0-javadoc.jar.md5" (Get-Digest -Bytes $Jar3 -Algorithm MD5)

            $mismatch.StatusCode | Should -Be 400
            ($mismatch.Text | ConvertFrom-Json).code | Should -BeExactly 'DigestMismatch'
            $mismatch.Reason | Should -Match 'SHA-1'
            $upper.StatusCode | Should -Be 400
            $early.StatusCode | Should -Be 404
            ($early.Text | ConvertFrom-Json).error | Should -Match 'before its checksum'
        }

        It 'refuses another file under a released name with 409 and takes the same bytes again' {
            $before = Get-StoreState
            $other = Invoke-Repository "$($Group.Replace('.', '/'))/$Artifact/1.0/ca-greeter-1.0.jar" -Method PUT -Body ([IO.File]::ReadAllBytes($Release.Files.Sources))
            $same = Invoke-Repository "$($Group.Replace('.', '/'))/$Artifact/1.0/ca-greeter-1.0.jar" -Method PUT -Body ([IO.File]::ReadAllBytes($Release.Files.Jar))

            $other.StatusCode | Should -Be 409
            ($other.Text | ConvertFrom-Json).code | Should -BeExactly 'AssetConflict'
            $same.StatusCode | Should -Be 201
            $after = Get-StoreState
            $after.Versions | Should -Be $before.Versions
            $after.Blobs | Should -Be $before.Blobs
        }

        It 'refuses <Case> with <Status> and a reason, and leaves the store unchanged' -ForEach @(
            @{ Case = 'a malformed POM'; Status = 400; Code = 'InvalidPackageFile'; Path = 'org/example/catest/bad/1.0/bad-1.0.pom'; Text = '<project><groupId>org.example' }
            @{ Case = 'a POM with a DTD and an external entity'; Status = 400; Code = 'InvalidPackageFile'; Path = 'org/example/catest/bad/1.0/bad-1.0.pom'
               Text = '<?xml version="1.0"?><!DOCTYPE project [<!ENTITY x SYSTEM "file:///etc/passwd">]><project><groupId>org.example.catest</groupId><artifactId>bad</artifactId><version>1.0</version><name>&x;</name></project>' }
            @{ Case = 'a POM for other coordinates'; Status = 400; Code = 'PackageFileMismatch'; Path = 'org/example/catest/bad/2.0/bad-2.0.pom'
               Text = '<project><groupId>org.example.catest</groupId><artifactId>bad</artifactId><version>1.0</version></project>' }
            @{ Case = 'a jar that is not a zip'; Status = 400; Code = 'InvalidPackageFile'; Path = 'org/example/catest/bad/1.0/bad-1.0.jar'; Text = 'not a zip' }
            @{ Case = 'metadata with a DTD'; Status = 400; Code = 'InvalidPackageFile'; Path = 'org/example/catest/ca-greeter/maven-metadata.xml'
               Text = '<!DOCTYPE metadata [<!ENTITY a "aaaa">]><metadata><groupId>&a;</groupId></metadata>' }
            @{ Case = 'metadata for another artifact'; Status = 400; Code = 'PackageFileMismatch'; Path = 'org/example/catest/ca-greeter/maven-metadata.xml'
               Text = '<metadata><groupId>org.example.catest</groupId><artifactId>other</artifactId></metadata>' }
            @{ Case = 'a path that climbs with ..'; Status = 400; Code = 'InvalidAssetName'; Path = 'org/example/../../x/bad/1.0/bad-1.0.jar'; Text = 'x' }
            @{ Case = 'a path that climbs with %2e%2e'; Status = 400; Code = 'InvalidAssetName'; Path = 'org/%2e%2e/%2E%2E/x/bad/1.0/bad-1.0.jar'; Text = 'x' }
            @{ Case = 'an encoded slash'; Status = 400; Code = 'InvalidAssetName'; Path = 'org%2Fexample/bad/1.0/bad-1.0.jar'; Text = 'x' }
            @{ Case = 'a wrong checksum'; Status = 400; Code = 'DigestMismatch'; Path = 'org/example/catest/ca-greeter/1.0/ca-greeter-1.0.pom.md5'; Text = 'd41d8cd98f00b204e9800998ecf8427e' }
        ) {
            $before = Get-StoreState

            $refused = Send-Text $Path $Text

            $refused.StatusCode | Should -Be $Status -Because $refused.Text
            ($refused.Text | ConvertFrom-Json).code | Should -BeExactly $Code
            ($refused.Text | ConvertFrom-Json).error | Should -Not -BeNullOrEmpty
            $after = Get-StoreState
            $after.Versions | Should -Be $before.Versions
            $after.Blobs | Should -Be $before.Blobs
            $after.Tmp | Should -Be 0
            (Invoke-Repository "$($Group.Replace('.', '/'))/$Artifact/maven-metadata.xml").StatusCode | Should -Be 200
        }

        It 'answers other methods with 405 and paths off the layout with 404' {
            $mkcol = Invoke-Repository 'org/example/' -Method MKCOL
            $mkcol.StatusCode | Should -Be 405
            $mkcol.Headers['Allow'] | Should -Match 'PUT'
            (Invoke-Repository 'org/example/catest/').StatusCode | Should -Be 404
            (Invoke-Repository "$($Group.Replace('.', '/'))/maven-metadata.xml").StatusCode | Should -Be 404
            (Invoke-Repository "$($Group.Replace('.', '/'))/$Artifact/9.9/ca-greeter-9.9.jar").StatusCode | Should -Be 404
        }
    }
}
