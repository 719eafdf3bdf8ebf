#Requires -Version 7.6
# The NuGet v3 feed driven by the real dotnet CLI against an endpoint hosted in this pwsh: dotnet pack two libraries (Beta
# depends on Alpha and has a SemVer 2.0.0 version), dotnet nuget push (201, 409, --skip-duplicate), a console app that
# restores them with empty caches from the endpoint only and runs, dotnet package search, dotnet nuget delete (unlist) and
# relist; then the HTTP details clients rely on and bad pushes that leave the store unchanged. The Its of the first
# Describe build on each other, in order.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../pester/TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'NugetClientHelpers.psm1') -Force
    Import-TestModule

    $script:Domain = 'nugetdemo'
    $script:Nuget = @{ Domain = $Domain; Repository = 'main'; Format = 'nuget' }
    $script:StorePath = New-TestStore
    New-CaDomain -Name $Domain | Out-Null
    New-CaRepository -Domain $Domain -Name 'main' | Out-Null
    New-CaDomain -Name 'elsewhere' | Out-Null
    $script:Endpoint = Start-CaEndpoint -Port 0
    $script:Token = (Get-CaAuthorizationToken -Domain $Domain).AuthorizationToken
    $script:Feed = Get-CaRepositoryEndpoint -Domain $Domain -Repository 'main' -Format nuget
    $script:Source = "$($Feed)v3/index.json"
    $script:Headers = @{ Authorization = "Bearer $Token" }
    # Not under TestDrive: Pester empties what a Describe added to it when the Describe ends, and later ones need the packages.
    $script:Work = Join-Path ([IO.Path]::GetTempPath()) ('psca-nuget-' + [guid]::NewGuid().ToString('N'))
    $script:Sandbox = New-NugetSandbox -Folder $Work -Source $Source -Token $Token
    $script:Packed = Join-Path $Work 'packed'

    $script:Alpha = 'Ca.Test.Alpha'
    $script:Beta = 'Ca.Test.Beta'
    $script:BetaVersion = '2.0.0-beta.1+build.5'
    $alphaProject = New-DotnetProject -Folder (Join-Path $Work 'alpha') -Id $Alpha -Version '1.0.0' -Tags 'psca-test', 'alpha' `
        -Description 'Alpha: the library at the bottom.' -Code 'namespace Ca.Test.Alpha; public static class Greeting { public static string Text => "hello from alpha"; }'
    $script:BetaProject = New-DotnetProject -Folder (Join-Path $Work 'beta') -Id $Beta -Version $BetaVersion -Tags 'psca-test', 'beta' `
        -References @{ $Alpha = '1.0.0' } -Description 'Beta: relays what Alpha says.' `
        -Code 'namespace Ca.Test.Beta; public static class Relay { public static string Text => "beta relays: " + Ca.Test.Alpha.Greeting.Text; }'
    $script:AppProject = New-DotnetProject -Folder (Join-Path $Work 'app') -Id 'Ca.Test.App' -Console -References @{ $Beta = '2.0.0-beta.1' } `
        -Code 'System.Console.WriteLine(Ca.Test.Beta.Relay.Text);'

    # Alpha has no dependencies, so packing it needs no feed; Beta is packed in a test, restoring Alpha from the endpoint.
    Invoke-Dotnet $Sandbox 'pack', $alphaProject, '-c', 'Release', '-o', $Packed, '--disable-build-servers', '-p:NuGetAudit=false' | Out-Null
    $script:AlphaNupkg = Join-Path $Packed "$Alpha.1.0.0.nupkg"
    $script:BetaNupkg = Join-Path $Packed "$Beta.2.0.0-beta.1.nupkg"

    function Push-Nupkg([string] $Path, [string[]] $Extra = @(), [string] $ApiKey = $script:Token) {
        Invoke-Dotnet $script:Sandbox (@('nuget', 'push', $Path, '--source', 'ca', '--api-key', $ApiKey, '--configfile', $script:Sandbox.Config) + $Extra) -AllowFailure
    }

    function Search-Feed([string] $Term, [switch] $Prerelease) {
        $arguments = @('package', 'search', $Term, '--source', 'ca', '--configfile', $script:Sandbox.Config, '--format', 'json')
        if ($Prerelease) { $arguments += '--prerelease' }
        $search = Invoke-Dotnet $script:Sandbox $arguments
        # Restore prints nothing before the JSON, but the CLI may; the document starts at the first brace.
        $json = $search.Output.Substring($search.Output.IndexOf('{'))
        @(($json | ConvertFrom-Json).searchResult | Where-Object sourceName -EQ 'ca' | ForEach-Object packages)
    }

    # A cold restore every time: no obj/ or bin/ from an earlier run, and (from Invoke-Dotnet) new empty NuGet caches.
    function Invoke-App {
        $folder = Split-Path $script:AppProject
        Remove-Item (Join-Path $folder 'obj'), (Join-Path $folder 'bin') -Recurse -Force -ErrorAction SilentlyContinue
        Invoke-Dotnet $script:Sandbox 'run', '--project', $script:AppProject, '--disable-build-servers' -AllowFailure
    }

    function Invoke-Feed([string] $Path, [string] $Method = 'GET', [hashtable] $Headers = $script:Headers, $Body, [string] $ContentType) {
        $parameters = @{ Uri = $script:Feed + $Path; Method = $Method; Headers = $Headers; SkipHttpErrorCheck = $true }
        if ($null -ne $Body) { $parameters.Body = $Body }
        if ($ContentType) { $parameters.ContentType = $ContentType }
        Invoke-WebRequest @parameters
    }

    function Get-FeedJson([string] $Path) {
        $response = Invoke-Feed $Path
        $response.StatusCode | Should -Be 200 -Because "GET $Path answered $($response.Content)"
        $response.Content | ConvertFrom-Json -AsHashtable
    }

    function Get-FileCount([string] $Folder) { @(Get-ChildItem (Join-Path $script:StorePath $Folder) -Recurse -File -ErrorAction SilentlyContinue).Count }
}

AfterAll {
    if (Test-Path variable:script:Endpoint) { $script:Endpoint | Stop-CaEndpoint }
    Remove-TestStore
    if ((Test-Path variable:script:Work) -and (Split-Path $script:Work -Leaf) -like 'psca-nuget-*') { Remove-Item $script:Work -Recurse -Force -ErrorAction SilentlyContinue }
}

Describe 'dotnet against the NuGet endpoint' {
    It 'pushes a library with dotnet nuget push, refuses it again with 409, and skips it with --skip-duplicate' {
        $pushed = Push-Nupkg $AlphaNupkg
        $again = Push-Nupkg $AlphaNupkg
        $skipped = Push-Nupkg $AlphaNupkg '--skip-duplicate'

        $pushed.ExitCode | Should -Be 0 -Because $pushed.Output
        $pushed.Output | Should -Match 'Created'
        $again.ExitCode | Should -Not -Be 0
        $again.Output | Should -Match '409 \(Version 1\.0\.0 of .Ca\.Test\.Alpha. already exists'
        $skipped.ExitCode | Should -Be 0 -Because $skipped.Output
        $skipped.Output | Should -Match 'already exists at feed'
    }

    It 'packs a library that depends on it, restoring it from the endpoint, and pushes its SemVer 2.0.0 version' {
        $pack = Invoke-Dotnet $Sandbox 'pack', $BetaProject, '-c', 'Release', '-o', $Packed, '--disable-build-servers', '-p:NuGetAudit=false'
        $pushed = Push-Nupkg $BetaNupkg

        Get-ChildItem $pack.Packages -Directory | ForEach-Object Name | Should -Be 'ca.test.alpha'
        $pushed.ExitCode | Should -Be 0 -Because $pushed.Output
    }

    It 'records both versions with the hashes of the pushed nupkgs' {
        foreach ($case in @(@{ Id = $Alpha; Version = '1.0.0'; File = $AlphaNupkg }, @{ Id = $Beta; Version = $BetaVersion; File = $BetaNupkg })) {
            $version = Get-CaPackageVersion @Nuget -Package $case.Id
            $version.Version | Should -Be $case.Version
            $version.Status | Should -Be 'Published'
            $asset = Get-CaPackageVersionAsset @Nuget -Package $case.Id -Version $case.Version
            $asset.Name | Should -Be (Split-Path $case.File -Leaf).ToLowerInvariant()
            $asset.Size | Should -Be (Get-Item $case.File).Length
            $asset.Hashes['SHA-256'] | Should -Be (Get-FileSha256 $case.File)
        }
        Get-FileCount 'tmp' | Should -Be 0
    }

    It 'restores, builds and runs a console app from the endpoint alone, with empty package and HTTP caches' {
        $run = Invoke-App

        $run.ExitCode | Should -Be 0 -Because $run.Output
        $run.Output | Should -Match 'beta relays: hello from alpha'
        Get-ChildItem $run.Packages -Directory | ForEach-Object Name | Sort-Object | Should -Be 'ca.test.alpha', 'ca.test.beta'
        Get-ChildItem (Join-Path $run.Packages 'ca.test.beta') -Directory | ForEach-Object Name | Should -Be '2.0.0-beta.1'
    }

    It 'finds the packages with dotnet package search, the prerelease one only with --prerelease' {
        $all = Search-Feed 'psca-test' -Prerelease
        $releases = Search-Feed 'psca-test'

        $all.id | Sort-Object | Should -Be $Alpha, $Beta
        ($all | Where-Object id -EQ $Beta).latestVersion | Should -Be '2.0.0-beta.1'
        $releases.id | Should -Be $Alpha
    }

    It 'unlists with dotnet nuget delete: out of search, still in the flat container and restorable when pinned' {
        $delete = Invoke-Dotnet $Sandbox 'nuget', 'delete', $Beta, '2.0.0-beta.1', '--source', 'ca', '--api-key', $Token, '--non-interactive'

        $delete.Output | Should -Match 'deleted successfully'
        (Get-CaPackageVersion @Nuget -Package $Beta).Status | Should -Be 'Unlisted'
        (Search-Feed 'psca-test' -Prerelease).id | Should -Be $Alpha
        (Get-FeedJson 'v3/flatcontainer/ca.test.beta/index.json').versions | Should -Be '2.0.0-beta.1'
        $leaf = (Get-FeedJson 'v3/registration-semver2/ca.test.beta/index.json').items[0].items[0].catalogEntry
        $leaf.listed | Should -BeFalse
        $run = Invoke-App
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $run.Output | Should -Match 'beta relays: hello from alpha'
    }

    It 'relists with POST on the publish resource' {
        $relist = Invoke-Feed "api/v2/package/$Beta/2.0.0-BETA.1" -Method POST -Headers @{ 'X-NuGet-ApiKey' = $Token }

        $relist.StatusCode | Should -Be 200 -Because $relist.Content
        (Get-CaPackageVersion @Nuget -Package $Beta).Status | Should -Be 'Published'
        (Search-Feed 'psca-test' -Prerelease).id | Sort-Object | Should -Be $Alpha, $Beta
    }

    It 'refuses a push with an invalid token (401) or a token of another domain (403), storing nothing' {
        $before = (Get-CaPackageVersion @Nuget -Package $Alpha).Revision
        $foreignToken = (Get-CaAuthorizationToken -Domain 'elsewhere').AuthorizationToken

        $invalid = Push-Nupkg $AlphaNupkg -ApiKey 'not-a-token'
        $foreign = Push-Nupkg $AlphaNupkg -ApiKey $foreignToken

        $invalid.ExitCode | Should -Not -Be 0
        $invalid.Output | Should -Match '401'
        $foreign.ExitCode | Should -Not -Be 0
        $foreign.Output | Should -Match '403'
        (Get-CaPackageVersion @Nuget -Package $Alpha).Revision | Should -Be $before
    }

    It 'fails a delete of a version that does not exist with 404' {
        $delete = Invoke-Dotnet $Sandbox 'nuget', 'delete', $Beta, '9.9.9', '--source', 'ca', '--api-key', $Token, '--non-interactive' -AllowFailure

        $delete.ExitCode | Should -Not -Be 0
        $delete.Output | Should -Match '404'
    }
}

Describe 'NuGet feed HTTP details' {
    It 'advertises exactly the implemented resources, with absolute URLs under the feed' {
        $index = Get-FeedJson 'v3/index.json'

        $index.version | Should -Be '3.0.0'
        $types = @($index.resources | ForEach-Object { $_.'@type' })
        $types | Sort-Object | Should -Be @(
            'PackageBaseAddress/3.0.0', 'PackagePublish/2.0.0',
            'RegistrationsBaseUrl', 'RegistrationsBaseUrl/3.0.0-beta', 'RegistrationsBaseUrl/3.0.0-rc', 'RegistrationsBaseUrl/3.4.0',
            'RegistrationsBaseUrl/3.6.0', 'RegistrationsBaseUrl/Versioned',
            'SearchAutocompleteService', 'SearchAutocompleteService/3.0.0-beta', 'SearchAutocompleteService/3.0.0-rc', 'SearchAutocompleteService/3.5.0',
            'SearchQueryService', 'SearchQueryService/3.0.0-beta', 'SearchQueryService/3.0.0-rc', 'SearchQueryService/3.4.0', 'SearchQueryService/3.5.0'
        ) | Sort-Object
        $types | Should -Not -Contain 'SymbolPackagePublish/4.9.0'
        $index.resources | ForEach-Object { $_.'@id' | Should -BeLike "$Feed*" }
        ($index.resources | Where-Object '@type' -EQ 'RegistrationsBaseUrl/Versioned').clientVersion | Should -Be '4.3.0-alpha'
    }

    It 'challenges anonymous requests with 401 and WWW-Authenticate: Basic' {
        $response = Invoke-Feed 'v3/index.json' -Headers @{}

        $response.StatusCode | Should -Be 401
        "$($response.Headers['WWW-Authenticate'])" | Should -Match '^Basic realm='
    }

    It 'serves the nupkg and nuspec by any case, HEAD like GET, and the nuspec as the exact manifest' {
        $get = Invoke-Feed 'v3/flatcontainer/CA.TEST.BETA/2.0.0-Beta.1/Ca.Test.Beta.2.0.0-beta.1.nupkg'
        $head = Invoke-Feed 'v3/flatcontainer/ca.test.beta/2.0.0-beta.1/ca.test.beta.2.0.0-beta.1.nupkg' -Method HEAD
        $nuspec = Invoke-Feed 'v3/flatcontainer/ca.test.beta/2.0.0-beta.1/ca.test.beta.nuspec'

        $get.StatusCode | Should -Be 200
        [Convert]::ToHexStringLower([Security.Cryptography.SHA256]::HashData($get.RawContentStream.ToArray())) | Should -Be (Get-FileSha256 $BetaNupkg)
        $head.StatusCode | Should -Be 200
        "$($head.Headers['Content-Length'])" | Should -Be "$((Get-Item $BetaNupkg).Length)"
        "$($head.Headers['ETag'])" | Should -Be "$($get.Headers['ETag'])"
        $zip = [IO.Compression.ZipFile]::OpenRead($BetaNupkg)
        try {
            $reader = [IO.StreamReader]::new($zip.GetEntry("$Beta.nuspec").Open())
            $expected = $reader.ReadToEnd()
            $reader.Dispose()
        }
        finally { $zip.Dispose() }
        $nuspec.StatusCode | Should -Be 200
        [Text.Encoding]::UTF8.GetString($nuspec.RawContentStream.ToArray()).TrimStart([char] 0xFEFF) | Should -BeExactly $expected.TrimStart([char] 0xFEFF)
    }

    It 'keeps SemVer 2.0.0 versions out of the legacy registration hive and inside the SemVer 2.0.0 one' {
        $legacy = Invoke-Feed 'v3/registration/ca.test.beta/index.json'
        $registration = Get-FeedJson 'v3/registration-semver2/ca.test.beta/index.json'

        $legacy.StatusCode | Should -Be 404
        $registration.items[0].lower | Should -Be '2.0.0-beta.1'
        $registration.items[0].upper | Should -Be '2.0.0-beta.1'
        $entry = $registration.items[0].items[0].catalogEntry
        $entry.version | Should -Be $BetaVersion
        $entry.dependencyGroups[0].targetFramework | Should -Be 'net10.0'
        $entry.dependencyGroups[0].dependencies[0].id | Should -Be $Alpha
        $entry.dependencyGroups[0].dependencies[0].range | Should -Be '[1.0.0, )'
        $entry.licenseExpression | Should -Be 'MIT'
        $entry.tags | Should -Be 'psca-test', 'beta'
        $registration.items[0].items[0].packageContent | Should -Be "$($Feed)v3/flatcontainer/ca.test.beta/2.0.0-beta.1/ca.test.beta.2.0.0-beta.1.nupkg"
        (Get-FeedJson 'v3/registration/ca.test.alpha/index.json').items[0].items[0].catalogEntry.version | Should -Be '1.0.0'
    }

    It 'answers an unknown package with a JSON 404 in the flat container and in registrations' {
        foreach ($path in 'v3/flatcontainer/no.such.package/index.json', 'v3/registration-semver2/no.such.package/index.json') {
            $response = Invoke-Feed $path
            $response.StatusCode | Should -Be 404
            ($response.Content | ConvertFrom-Json).code | Should -Be 'PackageNotFound'
        }
    }

    It 'answers ids with path traversal in them with a JSON 404: <Path>' -ForEach @(
        @{ Path = 'v3/flatcontainer/..%2f..%2fcatalog.db/index.json' }
        @{ Path = 'v3/flatcontainer/%2e%2e/1.0.0/%2e%2e.nuspec' }
        @{ Path = 'v3/registration/..%2F..%2Fkeys/index.json' }
    ) {
        $response = Invoke-Feed $Path

        $response.StatusCode | Should -Be 404
        $response.Headers['Content-Type'] | Should -BeLike 'application/json*'
    }

    It 'takes a push as a raw body too, and still refuses a duplicate with 409' {
        $response = Invoke-Feed 'api/v2/package' -Method PUT -Headers @{ 'X-NuGet-ApiKey' = $Token } -Body ([IO.File]::ReadAllBytes($AlphaNupkg)) -ContentType 'application/octet-stream'

        $response.StatusCode | Should -Be 409
        ($response.Content | ConvertFrom-Json).code | Should -Be 'VersionAlreadyExists'
    }

    It 'completes ids and the versions of one id' {
        (Get-FeedJson 'v3/autocomplete?q=test.al&prerelease=true&semVerLevel=2.0.0').data | Should -Be $Alpha
        (Get-FeedJson 'v3/autocomplete?id=ca.test.beta&prerelease=true&semVerLevel=2.0.0').data | Should -Be '2.0.0-beta.1'
        (Get-FeedJson 'v3/autocomplete?id=ca.test.beta&prerelease=true').data | Should -BeNullOrEmpty
    }

    It 'answers another method on a feed path with 405 and Allow' {
        $response = Invoke-Feed 'v3/index.json' -Method DELETE

        $response.StatusCode | Should -Be 405
        @($response.Headers['Allow']) -join ', ' | Should -Be 'GET, HEAD'
    }
}

Describe 'bad pushes' {
    It 'refuses <Case> with 400 and a reason, leaving the store unchanged' -ForEach @(
        @{ Case = 'a zip without a nuspec'; Entries = @{ 'lib/net10.0/x.dll' = 'MZ' }; Reason = 'no \.nuspec' }
        @{ Case = 'bytes that are no zip'; Raw = 'this is not a nupkg'; Reason = 'InvalidPackageFile|not a valid|zip' }
        @{ Case = 'a nuspec with an invalid id'; Entries = @{ 'bad.nuspec' = '<package><metadata><id>bad id</id><version>1.0.0</version><authors>a</authors><description>d</description></metadata></package>' }; Reason = 'not a valid NuGet id|NuGet id' }
        @{ Case = 'a zip bomb'; Entries = @{ 'bomb.nuspec' = ('<' * 32MB) }; Reason = 'decompression bomb|larger than' }
        @{ Case = 'a nuspec with a DTD'; Entries = @{ 'dtd.nuspec' = '<!DOCTYPE package [<!ENTITY x SYSTEM "file:///etc/passwd">]><package><metadata><id>Dtd</id><version>1.0.0</version><authors>&x;</authors><description>d</description></metadata></package>' }; Reason = 'DTD|DOCTYPE' }
    ) {
        $blobs = Get-FileCount 'blobs'
        if ($Raw) { $bytes = [Text.Encoding]::UTF8.GetBytes($Raw) }
        else {
            $buffer = [IO.MemoryStream]::new()
            $zip = [IO.Compression.ZipArchive]::new($buffer, [IO.Compression.ZipArchiveMode]::Create, $true)
            foreach ($entry in $Entries.GetEnumerator()) {
                $writer = [IO.StreamWriter]::new($zip.CreateEntry($entry.Key).Open())
                $writer.Write($entry.Value)
                $writer.Dispose()
            }
            $zip.Dispose()
            $bytes = $buffer.ToArray()
        }
        $file = Join-Path $Work 'bad.nupkg'
        [IO.File]::WriteAllBytes($file, $bytes)

        $push = Push-Nupkg $file

        $push.ExitCode | Should -Not -Be 0
        $push.Output | Should -Match '400'
        $push.Output | Should -Match $Reason
        Get-FileCount 'blobs' | Should -Be $blobs
        Get-FileCount 'tmp' | Should -Be 0
        (Get-CaPackage -Domain $Domain -Repository 'main' -Format nuget).Package | Sort-Object | Should -Be $Alpha, $Beta
        (Invoke-Feed 'v3/index.json').StatusCode | Should -Be 200
    }

    It 'refuses a multipart push without a part with 400' {
        $response = Invoke-Feed 'api/v2/package' -Method PUT -Headers @{ 'X-NuGet-ApiKey' = $Token } -Body "--b--`r`n" -ContentType 'multipart/form-data; boundary=b'

        $response.StatusCode | Should -Be 400
        ($response.Content | ConvertFrom-Json).error | Should -Match 'no part|malformed'
    }
}
