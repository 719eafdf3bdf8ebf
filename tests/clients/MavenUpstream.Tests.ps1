#Requires -Version 7.6
# Maven through upstream repositories and an external connection, driven by the real mvn 3.8.7 with Debian's plugins.
# Two endpoints: the remote one plays a public Maven repository (domain 'public', repository 'registry'); the local store has
# app -> team -> store, and store holds the external connection to the remote. team-util exists only in team; remote-lib
# exists only on the remote and depends on team-util. A consumer built through app with an empty local repository needs both.
# mvn is slow to start, so the library builds run once in BeforeAll; other artifacts are put in place over raw HTTP.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../pester/TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'MavenClientHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'UpstreamRig.psm1') -Force
    Import-TestModule
    Assert-MavenClients

    $script:Rig = New-UpstreamRig -Format maven
    $script:TeamGroup = 'org.example.team'
    $script:RemoteGroup = 'org.example.remote'
    $script:Work = Join-Path $TestDrive 'maven-upstream'
    New-Item -ItemType Directory -Path $Work -Force | Out-Null
    $script:BuildRepository = Join-Path $Work 'm2-build'
    $script:AppSettings = New-MavenSettings -Path (Join-Path $Work 'app-settings.xml') -RepositoryUrl $Rig.appUrl -Token $Rig.Token

    function Get-ArtifactPath([string] $Group, [string] $Artifact) { "$($Group.Replace('.', '/'))/$Artifact" }

    function Get-Versions([string] $Repository, [string] $Group, [string] $Artifact) {
        @(Get-CaPackageVersion -Domain $script:Rig.Domain -Repository $Repository -Format maven -Namespace $Group -Package $Artifact -ErrorAction SilentlyContinue)
    }

    function Invoke-App([string] $Path, [string] $Method = 'GET') {
        Invoke-RawHttp -Uri ($script:Rig.appUrl + $Path) -Method $Method -Token $script:Rig.Token
    }

    # Puts a release in place over HTTP as a deploy does: POM, jar, then the artifact-level metadata that publishes it.
    function Publish-MavenFiles([string] $RepositoryUrl, [string] $Token, [string] $Group, [string] $Artifact, [string] $Version, [byte[]] $Jar) {
        $folder = "$RepositoryUrl$(Get-ArtifactPath $Group $Artifact)"
        $pom = "<project xmlns=`"http://maven.apache.org/POM/4.0.0`"><modelVersion>4.0.0</modelVersion><groupId>$Group</groupId>" +
            "<artifactId>$Artifact</artifactId><version>$Version</version></project>"
        $metadata = "<metadata><groupId>$Group</groupId><artifactId>$Artifact</artifactId><versioning><versions><version>$Version</version></versions></versioning></metadata>"
        foreach ($put in @(
                @("$folder/$Version/$Artifact-$Version.pom", [Text.Encoding]::UTF8.GetBytes($pom)),
                @("$folder/$Version/$Artifact-$Version.jar", $Jar),
                @("$folder/maven-metadata.xml", [Text.Encoding]::UTF8.GetBytes($metadata)))) {
            $response = Invoke-RawHttp -Uri $put[0] -Method PUT -Token $Token -Body $put[1]
            if ($response.StatusCode -ne 201) { throw "PUT $($put[0]) answered $($response.StatusCode): $($response.Text)" }
        }
    }

    function Publish-Remote([string] $Group, [string] $Artifact, [string] $Version) {
        Publish-MavenFiles $script:Rig.RemoteUrl $script:Rig.RemoteToken $Group $Artifact $Version ([IO.File]::ReadAllBytes($script:TeamJar))
    }

    function New-LocalRepository { Join-Path $script:Work ('m2-' + [guid]::NewGuid().ToString('N')) }

    # team-util 1.0: only in team (deployed by mvn through team's URL).
    $teamLibrary = Join-Path $Work 'team-util'
    Set-MavenLibrary -Path $teamLibrary -GroupId $TeamGroup -ArtifactId 'team-util' -Version '1.0' -Message 'Team' -RepositoryUrl $Rig.teamUrl
    $teamSettings = New-MavenSettings -Path (Join-Path $Work 'team-settings.xml') -RepositoryUrl $Rig.teamUrl -Token $Rig.Token
    $script:TeamDeploy = Invoke-Mvn -Settings $teamSettings -LocalRepository $BuildRepository -WorkingDirectory $teamLibrary -Arguments 'deploy'
    $script:TeamJar = Join-Path $teamLibrary 'target/team-util-1.0.jar'

    # remote-lib 1.0: only on the remote, depending on team-util 1.0 (which the build takes from its local repository).
    $remoteLibrary = Join-Path $Work 'remote-lib'
    Set-MavenLibrary -Path $remoteLibrary -GroupId $RemoteGroup -ArtifactId 'remote-lib' -Version '1.0' -Message 'Remote' -RepositoryUrl $Rig.RemoteUrl `
        -Dependency @{ GroupId = $TeamGroup; ArtifactId = 'team-util'; Version = '1.0' }
    $remoteSettings = New-MavenSettings -Path (Join-Path $Work 'remote-settings.xml') -RepositoryUrl $Rig.RemoteUrl -Token $Rig.RemoteToken
    $script:RemoteDeploy = Invoke-Mvn -Settings $remoteSettings -LocalRepository $BuildRepository -WorkingDirectory $remoteLibrary -Arguments 'deploy'
    $script:RemoteJar = Join-Path $remoteLibrary 'target/remote-lib-1.0.jar'

    if ($TeamDeploy.ExitCode -eq 0 -and $RemoteDeploy.ExitCode -eq 0) {
        Publish-Remote $RemoteGroup 'uncached-lib' '1.0'
        Publish-Remote $RemoteGroup 'burst-lib' '1.0'
        Publish-Remote $RemoteGroup 'confuse-lib' '1.0'
        Publish-Remote $RemoteGroup 'shared-lib' '1.0'
        Publish-Remote $RemoteGroup 'shared-lib' '2.0'
        Publish-Remote $RemoteGroup 'hidden-lib' '1.0'
    }

    # A project whose test passes only with remote-lib and team-util both resolved (built twice: remote up, then down).
    $script:Consumer = Join-Path $Work 'consumer'
    New-MavenConsumer -Path $Consumer -GroupId $RemoteGroup -ArtifactId 'remote-lib' -Version '1.0' -Expected 'Remote, Team'
}

AfterAll {
    Remove-UpstreamRig $script:Rig
}

Describe 'Maven through upstreams and an external connection with mvn' {
    It 'has team-util deployed to team and remote-lib (depending on it) deployed to the remote' {
        $TeamDeploy.ExitCode | Should -Be 0 -Because $TeamDeploy.Output
        $RemoteDeploy.ExitCode | Should -Be 0 -Because $RemoteDeploy.Output
        Get-Versions 'team' $TeamGroup 'team-util' | Should -HaveCount 1
        Use-Store $Rig.RemoteStore {
            (Get-CaPackageVersion -Domain $Rig.RemoteDomain -Repository $Rig.RemoteRepository -Format maven -Namespace $RemoteGroup -Package 'remote-lib').Version |
                Should -Be '1.0'
        }
    }

    Context 'a package only the remote has, with a dependency only team has' {
        BeforeAll {
            $script:Install = Invoke-Mvn -Settings $AppSettings -LocalRepository (New-LocalRepository) -WorkingDirectory $Consumer -Arguments 'verify'
        }

        It 'builds and tests a consumer through app with an empty local repository' {
            $Install.ExitCode | Should -Be 0 -Because $Install.Output
            $Install.Output | Should -Match 'Tests run: 1, Failures: 0, Errors: 0'
            $Install.Output | Should -Match ([regex]::Escape("Downloaded from ca: $($Rig.appUrl)$(Get-ArtifactPath $RemoteGroup 'remote-lib')/1.0/remote-lib-1.0.jar"))
            $Install.Output | Should -Match ([regex]::Escape("Downloaded from ca: $($Rig.appUrl)$(Get-ArtifactPath $TeamGroup 'team-util')/1.0/team-util-1.0.jar"))
        }

        It 'retains remote-lib in app and in store (EXTERNAL), not in team' {
            $app = Get-Versions 'app' $RemoteGroup 'remote-lib'
            $store = Get-Versions 'store' $RemoteGroup 'remote-lib'

            $app.Version | Should -Be '1.0'
            $store.Version | Should -Be '1.0'
            $store.Origin.OriginType | Should -BeExactly 'EXTERNAL'
            $store.Origin.DomainEntryPointExternalConnection | Should -BeExactly $Rig.Connection
            Get-Versions 'team' $RemoteGroup 'remote-lib' | Should -BeNullOrEmpty
            (Get-CaPackageVersionAsset -Domain $Rig.Domain -Repository 'store' -Format maven -Namespace $RemoteGroup -Package 'remote-lib' -Version '1.0' |
                Where-Object Name -EQ 'remote-lib-1.0.jar').Hashes['SHA-256'] | Should -BeExactly (Get-Digest -Path $RemoteJar)
        }

        It 'retains team-util in app, not in store' {
            (Get-Versions 'app' $TeamGroup 'team-util').Version | Should -Be '1.0'
            Get-Versions 'store' $TeamGroup 'team-util' | Should -BeNullOrEmpty
        }

        It 'serves the files with the remote''s bytes and their checksums' {
            $path = "$(Get-ArtifactPath $RemoteGroup 'remote-lib')/1.0/remote-lib-1.0.jar"
            $jar = Invoke-App $path

            $jar.StatusCode | Should -Be 200
            Get-Digest -Bytes $jar.Bytes | Should -BeExactly (Get-Digest -Path $RemoteJar)
            foreach ($algorithm in 'MD5', 'SHA1', 'SHA256', 'SHA512') {
                (Invoke-App "$path.$($algorithm.ToLowerInvariant())").Text | Should -BeExactly (Get-Digest -Path $RemoteJar -Algorithm $algorithm)
            }
        }

        It 'ingests a remote file asked for by its checksum only, with the digest of the remote''s bytes' {
            $path = "$(Get-ArtifactPath $RemoteGroup 'remote-lib')/1.0/remote-lib-1.0-sources.jar"
            $remote = Invoke-RawHttp -Uri ($Rig.RemoteUrl + $path) -Token $Rig.RemoteToken

            $sha1 = Invoke-App "$path.sha1"

            $sha1.StatusCode | Should -Be 200 -Because $sha1.Text
            $sha1.Text | Should -BeExactly (Get-Digest -Bytes $remote.Bytes -Algorithm SHA1)
            (Get-CaPackageVersionAsset -Domain $Rig.Domain -Repository 'app' -Format maven -Namespace $RemoteGroup -Package 'remote-lib' -Version '1.0').Name |
                Should -Contain 'remote-lib-1.0-sources.jar'
        }
    }

    Context 'merged maven-metadata.xml' {
        BeforeAll {
            # team takes shared-lib as its own for a version the remote lacks (ALLOW/ALLOW refuses only versions present upstream).
            Set-CaPackageOriginConfiguration -Domain $Rig.Domain -Repository 'team' -Format maven -Namespace $RemoteGroup -Package 'shared-lib' -Publish ALLOW -Upstream ALLOW
            Publish-MavenFiles $Rig.teamUrl $Rig.Token $RemoteGroup 'shared-lib' '1.5' ([IO.File]::ReadAllBytes($TeamJar))
            $script:SharedPath = "$(Get-ArtifactPath $RemoteGroup 'shared-lib')/maven-metadata.xml"
        }

        It 'lists the union of team and the remote with latest, release and lastUpdated recomputed, and checksums of the merged bytes' {
            $merged = Invoke-App $SharedPath
            $remote = ([xml] (Invoke-RawHttp -Uri ($Rig.RemoteUrl + $SharedPath) -Token $Rig.RemoteToken).Text).metadata.versioning
            $team = (Get-Versions 'team' $RemoteGroup 'shared-lib' | Where-Object Version -EQ '1.5').PublishedTime.UtcDateTime.ToString('yyyyMMddHHmmss')

            $merged.StatusCode | Should -Be 200 -Because $merged.Text
            $versioning = ([xml] $merged.Text).metadata.versioning
            @($versioning.versions.version) | Should -Be @('1.0', '1.5', '2.0')
            $versioning.release | Should -BeExactly '2.0'
            $versioning.latest | Should -BeExactly '2.0'
            $versioning.lastUpdated | Should -BeExactly (@($remote.lastUpdated, $team) | Sort-Object | Select-Object -Last 1)
            foreach ($algorithm in 'MD5', 'SHA1', 'SHA256', 'SHA512') {
                (Invoke-App "$SharedPath.$($algorithm.ToLowerInvariant())").Text | Should -BeExactly (Get-Digest -Bytes $merged.Bytes -Algorithm $algorithm)
            }
        }

        It 'lets mvn resolve a version range against the merged metadata, with checksums verified' {
            $project = Join-Path $Work 'range'
            New-Item -ItemType Directory -Path $project -Force | Out-Null
            Set-Content -Path (Join-Path $project 'pom.xml') -Value @"
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>consumer</groupId><artifactId>range</artifactId><version>1.0</version>
  <dependencies><dependency><groupId>$RemoteGroup</groupId><artifactId>shared-lib</artifactId><version>[1.0,)</version></dependency></dependencies>
</project>
"@
            $resolved = Invoke-Mvn -Settings $AppSettings -LocalRepository (New-LocalRepository) -WorkingDirectory $project -Arguments @(
                'org.apache.maven.plugins:maven-dependency-plugin:3.5.0:resolve')

            $resolved.ExitCode | Should -Be 0 -Because $resolved.Output
            $resolved.Output | Should -Match ([regex]::Escape("$($RemoteGroup):shared-lib:jar:2.0:compile"))
            # The resolver reads the POM of every version in the range: the remote's are ingested, team's 1.5 is not copied to store.
            @((Get-Versions 'store' $RemoteGroup 'shared-lib').Version | Sort-Object) | Should -Be @('1.0', '2.0')
            @((Get-Versions 'app' $RemoteGroup 'shared-lib').Version | Sort-Object) | Should -Be @('1.0', '1.5', '2.0')
        }

        It 'hides the upstream versions once app''s package says upstream BLOCK' {
            $path = "$(Get-ArtifactPath $RemoteGroup 'hidden-lib')/maven-metadata.xml"
            $before = Invoke-App $path

            Set-CaPackageOriginConfiguration -Domain $Rig.Domain -Repository 'app' -Format maven -Namespace $RemoteGroup -Package 'hidden-lib' -Publish ALLOW -Upstream BLOCK
            $after = Invoke-App $path
            $pom = Invoke-App "$(Get-ArtifactPath $RemoteGroup 'hidden-lib')/1.0/hidden-lib-1.0.pom"

            $before.StatusCode | Should -Be 200 -Because $before.Text
            @(([xml] $before.Text).metadata.versioning.versions.version) | Should -Be @('1.0')
            $after.StatusCode | Should -Be 404
            $pom.StatusCode | Should -Be 404
            Get-Versions 'store' $RemoteGroup 'hidden-lib' | Should -BeNullOrEmpty
        }
    }

    Context 'coalescing' {
        It 'sends one remote request for 20 concurrent first requests of one package''s metadata' {
            $url = $Rig.appUrl + "$(Get-ArtifactPath $RemoteGroup 'burst-lib')/maven-metadata.xml"
            $basic = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("aws:$($Rig.Token)"))
            $client = [System.Net.Http.HttpClient]::new()
            $before = Get-RemoteRequestCount -Rig $Rig
            try {
                $tasks = foreach ($i in 1..20) {
                    $request = [System.Net.Http.HttpRequestMessage]::new([System.Net.Http.HttpMethod]::Get, $url)
                    $request.Headers.Authorization = [System.Net.Http.Headers.AuthenticationHeaderValue]::new('Basic', $basic)
                    $client.SendAsync($request)
                }
                [Threading.Tasks.Task]::WaitAll([Threading.Tasks.Task[]] @($tasks))
                $statuses = @($tasks | ForEach-Object { [int] $_.Result.StatusCode })
            }
            finally { $client.Dispose() }
            $after = Get-RemoteRequestCount -Rig $Rig

            $statuses | Should -HaveCount 20
            $statuses | ForEach-Object { $_ | Should -Be 200 }
            $after - $before | Should -Be 1
        }
    }

    Context 'the remote is down' {
        BeforeAll {
            Stop-RemoteEndpoint -Rig $Rig
        }

        AfterAll {
            Start-RemoteEndpoint -Rig $Rig
        }

        It 'builds the consumer again from an empty local repository with the retained versions' {
            $again = Invoke-Mvn -Settings $AppSettings -LocalRepository (New-LocalRepository) -WorkingDirectory $Consumer -Arguments 'verify'

            $again.ExitCode | Should -Be 0 -Because $again.Output
            $again.Output | Should -Match 'Tests run: 1, Failures: 0, Errors: 0'
        }

        It 'answers 502 with the reason for a remote-only package nothing has cached' {
            $pom = Invoke-App "$(Get-ArtifactPath $RemoteGroup 'uncached-lib')/1.0/uncached-lib-1.0.pom"
            $metadata = Invoke-App "$(Get-ArtifactPath $RemoteGroup 'uncached-lib')/maven-metadata.xml"

            $pom.StatusCode | Should -Be 502
            $pom.Text | Should -Match 'UpstreamUnavailable'
            $pom.Text | Should -Match ([regex]::Escape($Rig.Connection))
            $metadata.StatusCode | Should -Be 502
        }

        It 'still serves the merged metadata of what the repositories hold' {
            $merged = Invoke-App "$(Get-ArtifactPath $RemoteGroup 'remote-lib')/maven-metadata.xml"

            $merged.StatusCode | Should -Be 200 -Because $merged.Text
            @(([xml] $merged.Text).metadata.versioning.versions.version) | Should -Be @('1.0')
        }
    }

    Context 'upstream order' {
        BeforeAll {
            New-CaRepository -Domain $Rig.Domain -Name 'other' | Out-Null
            $otherUrl = Get-CaRepositoryEndpoint -Domain $Rig.Domain -Repository 'other' -Format maven -Endpoint $Rig.Endpoint
            Set-CaRepository -Domain $Rig.Domain -Name 'app' -Upstream 'other', 'team'
            Publish-MavenFiles $Rig.teamUrl $Rig.Token 'org.example.order' 'order-lib' '1.0' ([IO.File]::ReadAllBytes($TeamJar))
            Publish-MavenFiles $otherUrl $Rig.Token 'org.example.order' 'order-lib' '1.0' ([IO.File]::ReadAllBytes($RemoteJar))
        }

        AfterAll {
            Set-CaRepository -Domain $Rig.Domain -Name 'app' -Upstream 'team'
        }

        It 'serves the same version from the first upstream that has it' {
            $folder = Join-Path $Work 'get-order'
            New-Item -ItemType Directory -Path $folder -Force | Out-Null
            $repository = New-LocalRepository

            $got = Invoke-Mvn -Settings $AppSettings -LocalRepository $repository -WorkingDirectory $folder -Arguments @(
                'org.apache.maven.plugins:maven-dependency-plugin:3.5.0:get', '-Dartifact=org.example.order:order-lib:1.0', '-Dtransitive=false')

            $got.ExitCode | Should -Be 0 -Because $got.Output
            Get-Digest -Path (Join-Path $repository 'org/example/order/order-lib/1.0/order-lib-1.0.jar') | Should -BeExactly (Get-Digest -Path $RemoteJar)
            @(([xml] (Invoke-App 'org/example/order/order-lib/maven-metadata.xml').Text).metadata.versioning.versions.version) | Should -Be @('1.0')
        }
    }

    Context 'dependency confusion' {
        BeforeAll {
            $script:Confused = Join-Path $Work 'confuse-lib'
            Set-MavenLibrary -Path $Confused -GroupId $RemoteGroup -ArtifactId 'confuse-lib' -Version '9.0' -Message 'Mine' -RepositoryUrl $Rig.appUrl
        }

        It 'refuses mvn deploy to app of an artifact the remote has, with 409 and the reason' {
            $refused = Invoke-Mvn -Settings $AppSettings -LocalRepository $BuildRepository -WorkingDirectory $Confused -Arguments 'deploy'

            $refused.ExitCode | Should -Not -Be 0 -Because $refused.Output
            $refused.Output | Should -Match '409'
            $refused.Output | Should -Match 'dependency confusion'
            $refused.Output | Should -Match 'Set-CaPackageOriginConfiguration -Publish ALLOW -Upstream BLOCK'
            Get-Versions 'app' $RemoteGroup 'confuse-lib' | Should -BeNullOrEmpty
        }

        It 'deploys once the origin configuration allows it, and hides the remote versions from app' {
            Set-CaPackageOriginConfiguration -Domain $Rig.Domain -Repository 'app' -Format maven -Namespace $RemoteGroup -Package 'confuse-lib' -Publish ALLOW -Upstream BLOCK

            $deployed = Invoke-Mvn -Settings $AppSettings -LocalRepository $BuildRepository -WorkingDirectory $Confused -Arguments 'deploy'

            $deployed.ExitCode | Should -Be 0 -Because $deployed.Output
            (Get-Versions 'app' $RemoteGroup 'confuse-lib').Version | Should -Be '9.0'
            @(([xml] (Invoke-App "$(Get-ArtifactPath $RemoteGroup 'confuse-lib')/maven-metadata.xml").Text).metadata.versioning.versions.version) | Should -Be @('9.0')
            (Invoke-App "$(Get-ArtifactPath $RemoteGroup 'confuse-lib')/1.0/confuse-lib-1.0.pom").StatusCode | Should -Be 404
        }
    }

    Context 'retention' {
        AfterAll {
            Set-CaRepository -Domain $Rig.Domain -Name 'app' -Upstream 'team'
        }

        It 'keeps serving retained versions after the upstream link is removed' {
            Set-CaRepository -Domain $Rig.Domain -Name 'app' -Upstream @()

            $fromRemote = Invoke-App "$(Get-ArtifactPath $RemoteGroup 'remote-lib')/1.0/remote-lib-1.0.jar"
            $fromTeam = Invoke-App "$(Get-ArtifactPath $TeamGroup 'team-util')/1.0/team-util-1.0.jar"
            $notRetained = Invoke-App "$(Get-ArtifactPath $RemoteGroup 'burst-lib')/1.0/burst-lib-1.0.jar"

            $fromRemote.StatusCode | Should -Be 200
            Get-Digest -Bytes $fromRemote.Bytes | Should -BeExactly (Get-Digest -Path $RemoteJar)
            $fromTeam.StatusCode | Should -Be 200
            Get-Digest -Bytes $fromTeam.Bytes | Should -BeExactly (Get-Digest -Path $TeamJar)
            $notRetained.StatusCode | Should -Be 404
        }
    }
}
