#Requires -Version 7.6
# npm through upstream repositories and an external connection, driven by the real npm CLI: two endpoints, the second
# playing a public registry over its own store, and the chain app -> team -> store(external connection). Installs through
# app merge the chain; what is served through it is retained in app (and, from the remote, in store); a remote that is down
# leaves retained versions working and gives a 502 for what it alone could have given; concurrent first requests reach the
# remote once; the first upstream serves a version two have; origin controls stop dependency confusion and hide upstream
# versions. The Its build on each other, in order.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../pester/TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'ClientTestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'NpmClientHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'UpstreamRig.psm1') -Force
    Import-TestModule

    $script:Rig = New-UpstreamRig -Format npm
    $script:Work = Join-Path $TestDrive 'npm-upstream'
    $script:Remote = New-NpmSandbox -Folder (Join-Path $Work 'remote-client') -Registry $Rig.RemoteUrl -Token $Rig.RemoteToken
    $script:Team = New-NpmSandbox -Folder (Join-Path $Work 'team-client') -Registry $Rig.teamUrl -Token $Rig.Token
    $script:App = New-NpmSandbox -Folder (Join-Path $Work 'app-client') -Registry $Rig.appUrl -Token $Rig.Token

    # Only the remote has the scoped package, which needs a package only team has.
    $script:Greeter = '@psca-pub/greeter'
    $script:Util = 'psca-team-util'

    function Publish-Package([object] $Sandbox, [string] $Name, [string] $Version, [hashtable] $Dependencies = @{}, [string] $Code, [switch] $AllowFailure) {
        $folder = Join-Path $script:Work ('pkg-' + [guid]::NewGuid().ToString('N'))
        $parameters = @{ Folder = $folder; Name = $Name; Version = $Version; Dependencies = $Dependencies }
        if ($Code) { $parameters.Code = $Code }
        New-NpmPackageFolder @parameters | Out-Null
        Invoke-Npm $Sandbox 'publish' -WorkingDirectory $folder -AllowFailure:$AllowFailure
    }

    function Install-Into([object] $Sandbox, [string] $Spec) {
        $project = New-NpmProject (Join-Path $script:Work ('project-' + [guid]::NewGuid().ToString('N')))
        Invoke-Npm $Sandbox 'install', $Spec -WorkingDirectory $project -AllowFailure | Add-Member -NotePropertyName Project -NotePropertyValue $project -PassThru
    }

    function Get-Packument([string] $RepositoryUrl, [string] $Name) {
        Invoke-RawHttp -Uri ($RepositoryUrl + ($Name -replace '/', '%2f')) -Token $script:Rig.Token -Headers @{ Accept = 'application/json' }
    }

    function Get-Versions([string] $Repository, [string] $Name) {
        $namespace, $package = if ($Name.StartsWith('@')) { $Name.Substring(1) -split '/', 2 } else { $null, $Name }
        @(Get-CaPackageVersion -Domain corp -Repository $Repository -Format npm -Namespace $namespace -Package $package -ErrorAction SilentlyContinue)
    }
}

AfterAll {
    Remove-UpstreamRig $script:Rig
}

Describe 'npm through upstream repositories and an external connection' {
    It 'installs through app a package only the remote has, with a dependency only team has' {
        Publish-Package $Remote $Greeter '1.0.0' -Dependencies @{ $Util = '^1.0.0' } -Code "module.exports = 'greeter+' + require('$Util');" | Out-Null
        Publish-Package $Team $Util '1.0.0' -Code "module.exports = 'util';" | Out-Null

        $install = Install-Into $App $Greeter

        $install.ExitCode | Should -Be 0 -Because $install.Output
        Get-InstalledNpmVersion $install.Project $Greeter | Should -Be '1.0.0'
        Get-InstalledNpmVersion $install.Project $Util | Should -Be '1.0.0'
        Push-Location $install.Project
        try { $loaded = & node -e "console.log(require('$Greeter'))" 2>&1 | Out-String } finally { Pop-Location }
        $loaded.Trim() | Should -Be 'greeter+util'
    }

    It 'retains the remote package in app and in store (EXTERNAL there), not in team' {
        (Get-Versions 'app' $Greeter).Version | Should -Be '1.0.0'
        $stored = Get-Versions 'store' $Greeter
        $stored.Version | Should -Be '1.0.0'
        $stored.Origin.OriginType | Should -Be 'EXTERNAL'
        $stored.Origin.DomainEntryPointExternalConnection | Should -Be $Rig.Connection
        Get-Versions 'team' $Greeter | Should -BeNullOrEmpty
        (Get-Versions 'app' $Util).Version | Should -Be '1.0.0'
        (Get-Versions 'team' $Util).Version | Should -Be '1.0.0'
    }

    It 'serves through app a merged packument whose tarball URLs point at app and whose integrity is the remote''s' {
        $remoteDocument = (Invoke-RawHttp -Uri ($Rig.RemoteUrl + '@psca-pub%2fgreeter') -Token $Rig.RemoteToken).Text | ConvertFrom-Json -AsHashtable

        $response = Get-Packument $Rig.storeUrl $Greeter

        $response.StatusCode | Should -Be 200 -Because $response.Text
        $document = $response.Text | ConvertFrom-Json -AsHashtable
        $document.versions.'1.0.0'.dist.tarball | Should -Be "$($Rig.storeUrl)$Greeter/-/greeter-1.0.0.tgz"
        $document.versions.'1.0.0'.dist.integrity | Should -BeExactly $remoteDocument.versions.'1.0.0'.dist.integrity
        $document.versions.'1.0.0'.dist.shasum | Should -BeExactly $remoteDocument.versions.'1.0.0'.dist.shasum
        $document._rev | Should -Not -BeNullOrEmpty
        $appDocument = (Get-Packument $Rig.appUrl $Greeter).Text | ConvertFrom-Json -AsHashtable
        $appDocument.versions.'1.0.0'.dist.tarball | Should -Be "$($Rig.appUrl)$Greeter/-/greeter-1.0.0.tgz"
    }

    It 'merges dist-tags across the chain, the upstream winning on the same tag' {
        $name = 'psca-tagged'
        Publish-Package $Remote $name '2.0.0' | Out-Null
        # team takes both its own versions and upstream ones of this package, so it may publish a version the remote lacks.
        Set-CaPackageOriginConfiguration -Domain corp -Repository team -Format npm -Package $name -Publish ALLOW -Upstream ALLOW
        Publish-Package $Team $name '3.0.0' | Out-Null
        Invoke-Npm $Team 'dist-tag', 'add', "$name@3.0.0", 'team-pick' | Out-Null
        (Get-CaPackageVersion -Domain corp -Repository team -Format npm -Package $name).Version | Should -Be '3.0.0'

        $view = Invoke-Npm $App 'view', $name, 'versions', 'dist-tags' -Json
        $tags = (Invoke-Npm $App 'dist-tag', 'ls', $name).Output

        # team's latest is 3.0.0, but the remote (further upstream) says 2.0.0: as in CodeArtifact, the upstream wins.
        $view.versions | Should -Be '2.0.0', '3.0.0'
        $view.'dist-tags'.latest | Should -Be '2.0.0'
        $view.'dist-tags'.'team-pick' | Should -Be '3.0.0'
        $tags | Should -Match 'latest: 2\.0\.0'
        $tags | Should -Match 'team-pick: 3\.0\.0'
    }

    It 'sends 20 concurrent first requests for a package to the remote once' {
        $name = 'psca-coalesced'
        Publish-Package $Remote $name '1.0.0' | Out-Null
        $before = Get-RemoteRequestCount $Rig

        $client = [System.Net.Http.HttpClient]::new()
        try {
            $client.DefaultRequestHeaders.Authorization = [System.Net.Http.Headers.AuthenticationHeaderValue]::new('Bearer', $Rig.Token)
            $tasks = 1..20 | ForEach-Object { $client.GetAsync("$($Rig.appUrl)$name") }
            [System.Threading.Tasks.Task]::WaitAll([System.Threading.Tasks.Task[]] $tasks)
            $statuses = $tasks | ForEach-Object { [int] $_.Result.StatusCode }
        }
        finally { $client.Dispose() }

        $statuses | Should -Be (@(200) * 20)
        (Get-RemoteRequestCount $Rig) - $before | Should -Be 1
    }

    It 'serves a version two upstreams have from the first of them' {
        $name = 'psca-ordered'
        New-CaRepository -Domain corp -Name 'second' | Out-Null
        Set-CaRepository -Domain corp -Name 'app' -Upstream 'team', 'second'
        $second = New-NpmSandbox -Folder (Join-Path $Work 'second-client') -Registry (Get-CaRepositoryEndpoint -Domain corp -Repository 'second' -Format npm -Endpoint $Rig.Endpoint) -Token $Rig.Token
        Publish-Package $second $name '1.0.0' -Code "module.exports = 'from second';" | Out-Null
        Publish-Package $Team $name '1.0.0' -Code "module.exports = 'from team';" | Out-Null
        $teamSha512 = (Get-CaPackageVersionAsset -Domain corp -Repository team -Format npm -Package $name -Version '1.0.0').Hashes['SHA-512']

        try {
            $document = (Get-Packument $Rig.appUrl $name).Text | ConvertFrom-Json -AsHashtable
            $install = Install-Into $App $name
        }
        finally { Set-CaRepository -Domain corp -Name 'app' -Upstream 'team' }

        $document.versions.'1.0.0'.dist.integrity | Should -Be ('sha512-' + [Convert]::ToBase64String([Convert]::FromHexString($teamSha512)))
        $install.ExitCode | Should -Be 0 -Because $install.Output
        Get-Content (Join-Path $install.Project "node_modules/$name/index.js") -Raw | Should -Match 'from team'
        (Get-CaPackageVersionAsset -Domain corp -Repository app -Format npm -Package $name -Version '1.0.0').Hashes['SHA-512'] | Should -Be $teamSha512
    }

    It 'refuses to publish to app a name the remote has, until its origin configuration allows it, and then hides the remote''s versions' {
        $name = 'psca-confusable'
        Publish-Package $Remote $name '1.0.0' | Out-Null

        $refused = Publish-Package $App $name '9.0.0' -AllowFailure

        $refused.ExitCode | Should -Not -Be 0
        $refused.Output | Should -Match 'E409'
        $refused.Output | Should -Match 'dependency confusion'
        Get-Versions 'app' $name | Should -BeNullOrEmpty

        Set-CaPackageOriginConfiguration -Domain corp -Repository app -Format npm -Package $name -Publish ALLOW -Upstream BLOCK
        $published = Publish-Package $App $name '9.0.0' -AllowFailure

        $published.ExitCode | Should -Be 0 -Because $published.Output
        (Invoke-Npm $App 'view', $name, 'versions' -Json) | Should -Be '9.0.0'
    }

    It 'hides upstream versions of a package that blocks upstreams in a repository of the chain' {
        $name = 'psca-blockable'
        Publish-Package $Remote $name '1.0.0' | Out-Null
        (Invoke-Npm $App 'view', $name, 'versions' -Json) | Should -Be '1.0.0'

        Set-CaPackageOriginConfiguration -Domain corp -Repository team -Format npm -Package $name -Publish ALLOW -Upstream BLOCK
        $view = Invoke-Npm $App 'view', $name, 'versions' -AllowFailure

        $view.ExitCode | Should -Not -Be 0
        $view.Output | Should -Match 'E404'
        (Get-Packument $Rig.storeUrl $name).StatusCode | Should -Be 200
    }

    It 'installs retained versions from empty caches while the remote is down, and gives a 502 for a package only the remote could give' {
        $name = 'psca-never-requested'
        Publish-Package $Remote $name '1.0.0' | Out-Null
        Stop-RemoteEndpoint $Rig
        try {
            $fresh = New-NpmSandbox -Folder (Join-Path $Work 'offline-client') -Registry $Rig.appUrl -Token $Rig.Token
            $install = Install-Into $fresh "$Greeter@1.0.0"
            $missing = Get-Packument $Rig.appUrl $name
        }
        finally { Start-RemoteEndpoint $Rig }

        $install.ExitCode | Should -Be 0 -Because $install.Output
        Get-InstalledNpmVersion $install.Project $Greeter | Should -Be '1.0.0'
        Get-InstalledNpmVersion $install.Project $Util | Should -Be '1.0.0'
        $missing.StatusCode | Should -Be 502 -Because $missing.Text
        ($missing.Text | ConvertFrom-Json).error | Should -Match 'unavailable'
    }

    It 'keeps a retained version installable after the upstream link is removed' {
        Publish-Package $Team $Util '1.1.0' | Out-Null
        Set-CaRepository -Domain corp -Name 'app' -Upstream @()
        try {
            $view = Invoke-Npm $App 'view', $Util, 'versions' -Json
            $install = Install-Into $App "$Util@^1.0.0"
        }
        finally { Set-CaRepository -Domain corp -Name 'app' -Upstream 'team' }

        $view | Should -Be '1.0.0'
        $install.ExitCode | Should -Be 0 -Because $install.Output
        Get-InstalledNpmVersion $install.Project $Util | Should -Be '1.0.0'
    }
}
