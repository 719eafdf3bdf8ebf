#Requires -Version 7.6
# NuGet through upstream repositories and an external connection, driven by the real dotnet CLI: the rig's chain
# app -> team -> store, where store's external connection points at a second endpoint playing a public feed. A console app
# restores through app a package only the remote has (built with dotnet pack) whose dependency only team has; then
# retention, merged flat container, registration and search documents, coalescing, a remote that is down, upstream order,
# dependency confusion on dotnet nuget push, upstream BLOCK, and retention after the upstream link is gone. The Its build on
# each other, in order.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../pester/TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'ClientTestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'NugetClientHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'UpstreamRig.psm1') -Force
    Import-TestModule

    $script:Rig = New-UpstreamRig -Format nuget
    $script:Corp = @{ Domain = $Rig.Domain; Format = 'nuget' }
    # Not under TestDrive: the packed files are needed across the whole file.
    $script:Work = Join-Path ([IO.Path]::GetTempPath()) ('psca-nuget-up-' + [guid]::NewGuid().ToString('N'))
    $script:App = New-NugetSandbox -Folder (Join-Path $Work 'app') -Source "$($Rig.appUrl)v3/index.json" -Token $Rig.Token
    $script:Team = New-NugetSandbox -Folder (Join-Path $Work 'team') -Source "$($Rig.teamUrl)v3/index.json" -Token $Rig.Token
    $script:Packed = Join-Path $Work 'packed'

    $script:TeamId = 'Ca.Up.Team'
    $script:RemoteId = 'Ca.Up.Remote'
    $teamProject = New-DotnetProject -Folder (Join-Path $Team.Folder 'src-team') -Id $TeamId -Version '1.0.0' `
        -Code 'namespace Ca.Up.Team; public static class Greeting { public static string Text => "hello from team"; }'
    $remoteProject = New-DotnetProject -Folder (Join-Path $Team.Folder 'src-remote') -Id $RemoteId -Version '1.0.0' -References @{ $TeamId = '1.0.0' } `
        -Code 'namespace Ca.Up.Remote; public static class Relay { public static string Text => "remote relays: " + Ca.Up.Team.Greeting.Text; }'
    $script:ConsumerProject = New-DotnetProject -Folder (Join-Path $App.Folder 'consumer') -Id 'Ca.Up.Consumer' -Console -References @{ $RemoteId = '1.0.0' } `
        -Code 'System.Console.WriteLine(Ca.Up.Remote.Relay.Text);'

    # Projects live in a sandbox folder, so its nuget.config is their only source. Team's library goes to team with dotnet nuget push; the remote's library restores it from team while it is packed.
    $pack = @('-c', 'Release', '-o', $Packed, '--disable-build-servers', '-p:NuGetAudit=false')
    Invoke-Dotnet $Team (@('pack', $teamProject) + $pack) | Out-Null
    $teamPush = Invoke-Dotnet $Team 'nuget', 'push', (Join-Path $Packed "$TeamId.1.0.0.nupkg"), '--source', 'ca', '--api-key', $Rig.Token, '--configfile', $Team.Config
    if ($teamPush.Output -notmatch 'Created') { throw "Pushing $TeamId to team failed: $($teamPush.Output)" }
    Invoke-Dotnet $Team (@('pack', $remoteProject) + $pack) | Out-Null
    $script:RemoteNupkg = Join-Path $Packed "$RemoteId.1.0.0.nupkg"
    $script:RemoteNupkg11 = New-TestNupkg -Path (Join-Path $Packed 'remote-1.1.0.nupkg') -Id $RemoteId -Version '1.1.0' -Dependencies @{ $TeamId = '1.0.0' }
    $script:LazyNupkg = New-TestNupkg -Path (Join-Path $Packed 'lazy.nupkg') -Id 'Ca.Up.Lazy' -Version '1.0.0'
    $script:UncachedNupkg = New-TestNupkg -Path (Join-Path $Packed 'uncached.nupkg') -Id 'Ca.Up.Uncached' -Version '1.0.0'
    $script:ConfusedNupkg = New-TestNupkg -Path (Join-Path $Packed 'confused-1.0.0.nupkg') -Id 'Ca.Up.Confused' -Version '1.0.0' -Description 'The public one.'
    Use-Store $Rig.RemoteStore {
        foreach ($file in $RemoteNupkg, $RemoteNupkg11, $LazyNupkg, $UncachedNupkg, $ConfusedNupkg) {
            Publish-CaPackage -Domain $Rig.RemoteDomain -Repository $Rig.RemoteRepository -Path $file | Out-Null
        }
    }

    # A cold restore and run of the consumer through app: no obj/ or bin/ from before, and new empty NuGet caches.
    function Invoke-Consumer {
        $folder = Split-Path $script:ConsumerProject
        Remove-Item (Join-Path $folder 'obj'), (Join-Path $folder 'bin') -Recurse -Force -ErrorAction SilentlyContinue
        Invoke-Dotnet $script:App 'run', '--project', $script:ConsumerProject, '--disable-build-servers', '-p:NuGetAudit=false' -AllowFailure
    }

    function Invoke-App([string] $Path) { Invoke-RawHttp -Uri ($script:Rig.appUrl + $Path) -Token $script:Rig.Token }

    function Get-AppJson([string] $Path) {
        $response = Invoke-App $Path
        $response.StatusCode | Should -Be 200 -Because "GET $Path answered $($response.Text)"
        $response.Text | ConvertFrom-Json -AsHashtable
    }

    function Get-Version([string] $Repository, [string] $Package) {
        Get-CaPackageVersion @script:Corp -Repository $Repository -Package $Package -ErrorAction SilentlyContinue
    }

    function Get-Base64Sha512([string] $Path) { [Convert]::ToBase64String([Security.Cryptography.SHA512]::HashData([IO.File]::ReadAllBytes($Path))) }
}

AfterAll {
    Remove-UpstreamRig $script:Rig
    if ((Test-Path variable:script:Work) -and (Split-Path $script:Work -Leaf) -like 'psca-nuget-up-*') { Remove-Item $script:Work -Recurse -Force -ErrorAction SilentlyContinue }
}

Describe 'dotnet through upstream repositories and an external connection' {
    It 'restores and runs through app a package only the remote has, whose dependency only team has' {
        $run = Invoke-Consumer

        $run.ExitCode | Should -Be 0 -Because $run.Output
        $run.Output | Should -Match 'remote relays: hello from team'
        Get-ChildItem $run.Packages -Directory | ForEach-Object Name | Sort-Object | Should -Be 'ca.up.remote', 'ca.up.team'
        (Get-FileHash (Join-Path $run.Packages 'ca.up.remote/1.0.0/ca.up.remote.1.0.0.nupkg') -Algorithm SHA256).Hash | Should -Be (Get-FileHash $RemoteNupkg -Algorithm SHA256).Hash
    }

    It 'retains the remote package in app and store (EXTERNAL there) but not in team, and the team package in app but not in store' {
        (Get-Version 'app' $RemoteId).Version | Should -Be '1.0.0'
        $stored = Get-Version 'store' $RemoteId
        $stored.Version | Should -Be '1.0.0'
        $stored.Origin.OriginType | Should -Be 'EXTERNAL'
        $stored.Origin.DomainEntryPointExternalConnection | Should -Be $Rig.Connection
        Get-Version 'team' $RemoteId | Should -BeNullOrEmpty
        (Get-Version 'app' $TeamId).Version | Should -Be '1.0.0'
        Get-Version 'store' $TeamId | Should -BeNullOrEmpty
        (Get-CaPackageVersionAsset @Corp -Repository 'store' -Package $RemoteId -Version '1.0.0').Hashes['SHA-256'] | Should -Be (Get-FileSha256 $RemoteNupkg)
    }

    It 'merges the flat container and the registration across app and the remote, with URLs at app and the remote''s exact hash' {
        (Get-AppJson 'v3/flatcontainer/ca.up.remote/index.json').versions | Should -Be '1.0.0', '1.1.0'

        $registration = Get-AppJson 'v3/registration-semver2/ca.up.remote/index.json'
        $registration.items.Count | Should -Be 1
        $page = $registration.items[0]
        $page.lower | Should -Be '1.0.0'
        $page.upper | Should -Be '1.1.0'
        $page.items.catalogEntry.version | Should -Be '1.0.0', '1.1.0'
        $remoteOnly = $page.items[1]
        $remoteOnly.packageContent | Should -Be "$($Rig.appUrl)v3/flatcontainer/ca.up.remote/1.1.0/ca.up.remote.1.1.0.nupkg"
        $remoteOnly.catalogEntry.packageContent | Should -Be $remoteOnly.packageContent
        $remoteOnly.'@id' | Should -BeLike "$($Rig.appUrl)*"
        $remoteOnly.catalogEntry.'@id' | Should -BeLike "$($Rig.appUrl)*"
        $remoteOnly.catalogEntry.packageHash | Should -Be (Get-Base64Sha512 $RemoteNupkg11)
        $remoteOnly.catalogEntry.dependencyGroups[0].dependencies[0].registration | Should -Be "$($Rig.appUrl)v3/registration-semver2/ca.up.team/index.json"
        $registration | ConvertTo-Json -Depth 20 | Should -Not -Match ([regex]::Escape("127.0.0.1:$($Rig.RemotePort)"))
    }

    It 'finds remote packages with dotnet package search through app, their URLs at app' {
        $search = Invoke-Dotnet $App 'package', 'search', 'Ca.Up', '--source', 'ca', '--configfile', $App.Config, '--format', 'json', '--prerelease'
        $found = @(($search.Output.Substring($search.Output.IndexOf('{')) | ConvertFrom-Json).searchResult | Where-Object sourceName -EQ 'ca' | ForEach-Object packages)
        $raw = Get-AppJson 'v3/query?q=Ca.Up.Remote&prerelease=true&semVerLevel=2.0.0'

        $found.id | Should -Contain $RemoteId
        $found.id | Should -Contain 'Ca.Up.Lazy'
        $found.id | Should -Contain $TeamId
        ($found | Where-Object id -EQ $RemoteId).latestVersion | Should -Be '1.1.0'
        $hit = $raw.data | Where-Object id -EQ $RemoteId
        $hit.registration | Should -Be "$($Rig.appUrl)v3/registration-semver2/ca.up.remote/index.json"
        $hit.versions.'@id' | ForEach-Object { $_ | Should -BeLike "$($Rig.appUrl)*" }
    }

    It 'turns 20 concurrent first requests for a package''s versions through app into one remote request' {
        # The service index is fetched (or still cached) first, so only the package's own document is left to fetch.
        (Invoke-App 'v3/flatcontainer/ca.up.warm.up/index.json').StatusCode | Should -Be 404
        $client = [System.Net.Http.HttpClient]::new()
        try {
            $basic = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("aws:$($Rig.Token)"))
            $client.DefaultRequestHeaders.Authorization = [System.Net.Http.Headers.AuthenticationHeaderValue]::new('Basic', $basic)
            $before = Get-RemoteRequestCount $Rig
            $tasks = 1..20 | ForEach-Object { $client.GetAsync("$($Rig.appUrl)v3/flatcontainer/ca.up.lazy/index.json") }
            [Threading.Tasks.Task]::WaitAll([Threading.Tasks.Task[]] $tasks)
            $after = Get-RemoteRequestCount $Rig
            $bodies = $tasks | ForEach-Object { $_.Result.Content.ReadAsStringAsync().GetAwaiter().GetResult() }
            $tasks | ForEach-Object { [int] $_.Result.StatusCode } | Should -Be (@(200) * 20)
        }
        finally { $client.Dispose() }

        $bodies | ForEach-Object { ($_ | ConvertFrom-Json).versions | Should -Be '1.0.0' }
        $after - $before | Should -Be 1
    }

    It 'serves the nuspec of a version only the remote has through app, storing the version in store' {
        $nuspec = Invoke-App 'v3/flatcontainer/ca.up.lazy/1.0.0/ca.up.lazy.nuspec'

        $nuspec.StatusCode | Should -Be 200 -Because $nuspec.Text
        ([xml] $nuspec.Text.TrimStart([char] 0xFEFF)).package.metadata.id | Should -Be 'Ca.Up.Lazy'
        (Get-Version 'store' 'Ca.Up.Lazy').Origin.OriginType | Should -Be 'EXTERNAL'
        (Get-Version 'app' 'Ca.Up.Lazy').Version | Should -Be '1.0.0'
    }

    It 'restores again from empty caches while the remote is down, and answers an uncached remote-only package with 502' {
        Stop-RemoteEndpoint $Rig
        try {
            $run = Invoke-Consumer
            $uncached = Invoke-App 'v3/flatcontainer/ca.up.uncached/index.json'
            $notStored = Invoke-App 'v3/flatcontainer/ca.up.remote/1.1.0/ca.up.remote.1.1.0.nupkg'
        }
        finally { Start-RemoteEndpoint $Rig }

        $run.ExitCode | Should -Be 0 -Because $run.Output
        $run.Output | Should -Match 'remote relays: hello from team'
        $uncached.StatusCode | Should -Be 502
        ($uncached.Text | ConvertFrom-Json).code | Should -Be 'UpstreamUnavailable'
        $uncached.Text | Should -Match 'unavailable'
        $notStored.StatusCode | Should -Be 502
        Get-Version 'store' 'Ca.Up.Uncached' | Should -BeNullOrEmpty
    }

    It 'serves a version that two upstreams hold from the first of them' {
        New-CaRepository -Domain $Rig.Domain -Name 'second' | Out-Null
        $fromTeam = New-TestNupkg -Path (Join-Path $Packed 'order-team.nupkg') -Id 'Ca.Up.Order' -Version '1.0.0' -Description 'Built by team.'
        $fromSecond = New-TestNupkg -Path (Join-Path $Packed 'order-second.nupkg') -Id 'Ca.Up.Order' -Version '1.0.0' -Description 'Built by second.'
        Publish-CaPackage -Domain $Rig.Domain -Repository 'team' -Path $fromTeam | Out-Null
        Publish-CaPackage -Domain $Rig.Domain -Repository 'second' -Path $fromSecond | Out-Null
        Set-CaRepository -Domain $Rig.Domain -Name 'app' -Upstream 'team', 'second'
        $project = New-DotnetProject -Folder (Join-Path $App.Folder 'order') -Id 'Ca.Up.OrderConsumer' -Console -References @{ 'Ca.Up.Order' = '1.0.0' } -Code 'System.Console.WriteLine("order");'

        $restore = Invoke-Dotnet $App 'restore', $project, '-p:NuGetAudit=false' -AllowFailure

        $restore.ExitCode | Should -Be 0 -Because $restore.Output
        Get-FileSha256 (Join-Path $restore.Packages 'ca.up.order/1.0.0/ca.up.order.1.0.0.nupkg') | Should -Be (Get-FileSha256 $fromTeam)
        (Get-AppJson 'v3/registration-semver2/ca.up.order/index.json').items[0].items[0].catalogEntry.description | Should -Be 'Built by team.'
        (Get-CaPackageVersionAsset @Corp -Repository 'app' -Package 'Ca.Up.Order' -Version '1.0.0').Hashes['SHA-256'] | Should -Be (Get-FileSha256 $fromTeam)
    }

    It 'refuses a dotnet nuget push to app of an id the remote has until the origin configuration allows it; then app hides the remote versions' {
        $ours = New-TestNupkg -Path (Join-Path $Packed 'Ca.Up.Confused.2.0.0.nupkg') -Id 'Ca.Up.Confused' -Version '2.0.0' -Description 'Our own.'
        $push = { Invoke-Dotnet $App 'nuget', 'push', $ours, '--source', 'ca', '--api-key', $Rig.Token, '--configfile', $App.Config -AllowFailure }

        $refused = & $push
        $refused.ExitCode | Should -Not -Be 0
        $refused.Output | Should -Match '409'
        $refused.Output | Should -Match "available to 'app' through the external connection"
        Get-Version 'app' 'Ca.Up.Confused' | Should -BeNullOrEmpty

        Set-CaPackageOriginConfiguration @Corp -Repository 'app' -Package 'Ca.Up.Confused' -Publish ALLOW -Upstream BLOCK | Out-Null
        $pushed = & $push

        $pushed.ExitCode | Should -Be 0 -Because $pushed.Output
        (Get-AppJson 'v3/flatcontainer/ca.up.confused/index.json').versions | Should -Be '2.0.0'
        (Invoke-App 'v3/flatcontainer/ca.up.confused/1.0.0/ca.up.confused.1.0.0.nupkg').StatusCode | Should -Be 404
    }

    It 'hides the upstream versions of a package whose origin configuration blocks upstreams in app' {
        Publish-CaPackage -Domain $Rig.Domain -Repository 'team' -Path (New-TestNupkg -Path (Join-Path $Packed 'team-2.0.0.nupkg') -Id $TeamId -Version '2.0.0') | Out-Null
        (Get-AppJson 'v3/flatcontainer/ca.up.team/index.json').versions | Should -Be '1.0.0', '2.0.0'

        Set-CaPackageOriginConfiguration @Corp -Repository 'app' -Package $TeamId -Publish BLOCK -Upstream BLOCK | Out-Null

        (Get-AppJson 'v3/flatcontainer/ca.up.team/index.json').versions | Should -Be '1.0.0'
        (Invoke-App 'v3/flatcontainer/ca.up.team/2.0.0/ca.up.team.2.0.0.nupkg').StatusCode | Should -Be 404
    }

    It 'still restores the retained versions after app loses its upstreams' {
        Set-CaRepository -Domain $Rig.Domain -Name 'app' -Upstream @()

        $run = Invoke-Consumer

        $run.ExitCode | Should -Be 0 -Because $run.Output
        $run.Output | Should -Match 'remote relays: hello from team'
        (Get-AppJson 'v3/flatcontainer/ca.up.remote/index.json').versions | Should -Be '1.0.0'
    }
}
