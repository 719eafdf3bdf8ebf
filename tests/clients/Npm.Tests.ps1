#Requires -Version 7.6
# The npm registry API, driven by the real npm CLI against an endpoint hosted in this pwsh: publish, install (cold cache),
# view, dist-tag, deprecate, unpublish, search, auth refusals, conflicts and version statuses; then the HTTP details npm
# relies on (scoped-name spellings, abbreviated documents, ETags, tarball routes) and bad publish bodies that leave the
# store unchanged. The Its of the first Describe build on each other, in order.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../pester/TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'NpmClientHelpers.psm1') -Force
    Import-TestModule

    $script:Domain = 'npmdemo'
    $script:Base = 'psca-npm-base'
    $script:Scope = 'psca-scope'
    $script:App = "@$Scope/app"

    $script:StorePath = New-TestStore
    New-CaDomain -Name $Domain | Out-Null
    New-CaRepository -Domain $Domain -Name 'main' | Out-Null
    New-CaDomain -Name 'elsewhere' | Out-Null
    $script:NpmEndpoint = Start-CaEndpoint -Port 0
    $script:Registry = Get-CaRepositoryEndpoint -Domain $Domain -Repository 'main' -Format npm
    $script:Token = (Get-CaAuthorizationToken -Domain $Domain).AuthorizationToken
    $script:Work = Join-Path $TestDrive 'npm'
    $script:Npm = New-NpmSandbox -Folder (Join-Path $Work 'client') -Registry $Registry -Token $Token
    $script:Headers = @{ Authorization = "Bearer $Token" }

    $script:BaseFolder = New-NpmPackageFolder -Folder (Join-Path $Work 'base') -Name $Base -Version '1.0.0' -Keywords 'psca-test', 'base'
    $script:AppFolder = New-NpmPackageFolder -Folder (Join-Path $Work 'app') -Name $App -Version '1.0.0' -Dependencies @{ $Base = '^1.0.0' } `
        -Code "module.exports = 'app+' + require('$Base')();"

    function Invoke-Registry([string] $Path, [string] $Method = 'GET', [hashtable] $Headers = $script:Headers, $Body, [string] $ContentType = 'application/json') {
        $parameters = @{ Uri = $script:Registry + $Path; Method = $Method; Headers = $Headers; SkipHttpErrorCheck = $true }
        if ($null -ne $Body) { $parameters.Body = $Body; $parameters.ContentType = $ContentType }
        Invoke-WebRequest @parameters
    }

    function Get-Packument([string] $Name, [string] $Accept = 'application/json') {
        $response = Invoke-Registry ($Name -replace '/', '%2f') -Headers ($script:Headers + @{ Accept = $Accept })
        $response.StatusCode | Should -Be 200 -Because $response.Content
        $response.Content | ConvertFrom-Json -AsHashtable
    }

    function Publish-Folder([string] $Folder, [string[]] $Extra = @()) {
        $published = Invoke-Npm $script:Npm (@('publish') + $Extra) -WorkingDirectory $Folder -Json
        # npm 11 keys its report by package name.
        @($published.PSObject.Properties)[0].Value
    }

    function Install-Into([string] $Spec) {
        $project = New-NpmProject (Join-Path $script:Work ('project-' + [guid]::NewGuid().ToString('N')))
        Invoke-Npm $script:Npm 'install', $Spec -WorkingDirectory $project -AllowFailure | Add-Member -NotePropertyName Project -NotePropertyValue $project -PassThru
    }

    function Get-BlobFileCount { @(Get-ChildItem (Join-Path $script:StorePath 'blobs') -Recurse -File -ErrorAction SilentlyContinue).Count }

    function Get-TempFileCount { @(Get-ChildItem (Join-Path $script:StorePath 'tmp') -Recurse -File -ErrorAction SilentlyContinue).Count }
}

AfterAll {
    Stop-CaEndpoint -Endpoint $script:NpmEndpoint
    Remove-TestStore
}

Describe 'npm against the endpoint' {
    It 'publishes an unscoped package and a scoped one that depends on it, with the SHA-512 npm computed' {
        # (PowerShell names are case-insensitive: these must not be called $base and $app.)
        $baseReport = Publish-Folder $BaseFolder
        $appReport = Publish-Folder $AppFolder

        $versions = @(Get-CaPackageVersion -Domain $Domain -Repository 'main' -Format npm -Package $Base)
        $versions.Version | Should -Be '1.0.0'
        $versions.Status | Should -Be 'Published'
        Get-CaPackageVersion -Domain $Domain -Repository 'main' -Format npm -Namespace $Scope -Package 'app' | ForEach-Object Version | Should -Be '1.0.0'
        foreach ($case in @(@{ Report = $baseReport; Namespace = $null; Package = $Base }, @{ Report = $appReport; Namespace = $Scope; Package = 'app' })) {
            $asset = Get-CaPackageVersionAsset -Domain $Domain -Repository 'main' -Format npm -Namespace $case.Namespace -Package $case.Package -Version '1.0.0'
            $asset.Name | Should -Be "$($case.Package)-1.0.0.tgz"
            $npmSha512 = [Convert]::ToHexStringLower([Convert]::FromBase64String(($case.Report.integrity -replace '^sha512-', '')))
            $asset.Hashes['SHA-512'] | Should -Be $npmSha512
            $asset.Hashes['SHA-1'] | Should -Be $case.Report.shasum
        }
        Get-TempFileCount | Should -Be 0
    }

    It 'installs the scoped package and its dependency into an empty project with an empty cache' {
        $install = Install-Into $App

        $install.ExitCode | Should -Be 0 -Because $install.Output
        Get-InstalledNpmVersion $install.Project $App | Should -Be '1.0.0'
        Get-InstalledNpmVersion $install.Project $Base | Should -Be '1.0.0'
        Push-Location $install.Project
        try { $loaded = & node -e "console.log(require('$App'))" 2>&1 | Out-String } finally { Pop-Location }
        $LASTEXITCODE | Should -Be 0 -Because $loaded
        $loaded.Trim() | Should -Be "app+$Base"
    }

    It 'shows versions and dist-tags in npm view' {
        Set-NpmPackageVersion $BaseFolder '1.1.0'
        Publish-Folder $BaseFolder | Out-Null

        $view = Invoke-Npm $Npm 'view', $Base, 'versions', 'dist-tags' -Json

        $view.versions | Should -Be '1.0.0', '1.1.0'
        $view.'dist-tags'.latest | Should -Be '1.1.0'
    }

    It 'adds, lists and removes dist-tags' {
        Invoke-Npm $Npm 'dist-tag', 'add', "$Base@1.0.0", 'stable' | Out-Null
        (Invoke-Npm $Npm 'dist-tag', 'ls', $Base).Output | Should -Match 'stable: 1\.0\.0'
        (Get-Packument $Base).'dist-tags'.stable | Should -Be '1.0.0'

        Invoke-Npm $Npm 'dist-tag', 'rm', $Base, 'stable' | Out-Null

        $tags = (Invoke-Npm $Npm 'dist-tag', 'ls', $Base).Output
        $tags | Should -Not -Match 'stable'
        $tags | Should -Match 'latest: 1\.1\.0'
    }

    It 'deprecates a version, which changes its revision, and undeprecates it' {
        $before = (Get-CaPackageVersion -Domain $Domain -Repository 'main' -Format npm -Package $Base | Where-Object Version -EQ '1.0.0').Revision

        Invoke-Npm $Npm 'deprecate', "$Base@1.0.0", 'Use 1.1 instead' | Out-Null

        (Invoke-Npm $Npm 'view', "$Base@1.0.0", 'deprecated').Output | Should -Match 'Use 1\.1 instead'
        (Get-Packument $Base).versions.'1.0.0'.deprecated | Should -Be 'Use 1.1 instead'
        (Get-Packument $Base).versions.'1.1.0'.ContainsKey('deprecated') | Should -BeFalse
        (Get-CaPackageVersion -Domain $Domain -Repository 'main' -Format npm -Package $Base | Where-Object Version -EQ '1.0.0').Revision | Should -Not -Be $before

        Invoke-Npm $Npm 'deprecate', "$Base@1.0.0", '' | Out-Null
        (Get-Packument $Base).versions.'1.0.0'.ContainsKey('deprecated') | Should -BeFalse
    }

    It 'finds packages with npm search by name and by keyword' {
        $byName = @(Invoke-Npm $Npm 'search', 'psca' -Json)
        $byKeyword = @(Invoke-Npm $Npm 'search', 'keywords:psca-test' -Json)

        $byName.name | Sort-Object | Should -Be $App, $Base
        ($byName | Where-Object name -EQ $Base).version | Should -Be '1.1.0'
        $byKeyword.name | Should -Be $Base
        $byKeyword[0].keywords | Should -Be 'psca-test', 'base'
    }

    It 'refuses a publish with an invalid token (E401) or with a token of another domain (E403), storing nothing' {
        Set-NpmPackageVersion $BaseFolder '1.5.0'
        $invalid = New-NpmSandbox -Folder (Join-Path $Work 'invalid') -Registry $Registry -Token 'not-a-token'
        $foreign = New-NpmSandbox -Folder (Join-Path $Work 'foreign') -Registry $Registry -Token (Get-CaAuthorizationToken -Domain 'elsewhere').AuthorizationToken

        $badToken = Invoke-Npm $invalid 'publish' -WorkingDirectory $BaseFolder -AllowFailure
        $otherDomain = Invoke-Npm $foreign 'publish' -WorkingDirectory $BaseFolder -AllowFailure

        $badToken.ExitCode | Should -Not -Be 0
        $badToken.Output | Should -Match 'E401'
        $otherDomain.ExitCode | Should -Not -Be 0
        $otherDomain.Output | Should -Match 'E403'
        Get-CaPackageVersion -Domain $Domain -Repository 'main' -Format npm -Package $Base | ForEach-Object Version | Should -Not -Contain '1.5.0'
    }

    It 'refuses a publish without a token with a 401 challenge (npm itself stops at ENEEDAUTH)' {
        $anonymous = New-NpmSandbox -Folder (Join-Path $Work 'anonymous') -Registry $Registry

        $npm = Invoke-Npm $anonymous 'publish' -WorkingDirectory $BaseFolder -AllowFailure
        $http = Invoke-Registry $Base -Method PUT -Headers @{} -Body '{}'

        $npm.ExitCode | Should -Not -Be 0
        $npm.Output | Should -Match 'ENEEDAUTH|E401'
        $http.StatusCode | Should -Be 401
        "$($http.Headers['WWW-Authenticate'])" | Should -Match '^Basic realm='
    }

    It 'refuses to publish a version again with other content (409), and accepts the same bytes again' {
        # --force skips npm's own check of the packument, so the registry decides.
        Set-NpmPackageVersion $BaseFolder '1.1.0'
        Publish-Folder $BaseFolder '--force' | Out-Null

        Set-NpmPackageVersion $BaseFolder '1.1.0' -Code "module.exports = () => 'changed';"
        $conflict = Invoke-Npm $Npm 'publish', '--force' -WorkingDirectory $BaseFolder -AllowFailure
        $refusedByNpm = Invoke-Npm $Npm 'publish' -WorkingDirectory $BaseFolder -AllowFailure

        $conflict.ExitCode | Should -Not -Be 0
        $conflict.Output | Should -Match '409'
        $conflict.Output | Should -Match 'already exists with other content'
        $refusedByNpm.ExitCode | Should -Not -Be 0
        $refusedByNpm.Output | Should -Match 'cannot publish over the previously published versions'
        Set-NpmPackageVersion $BaseFolder '1.1.0' -Code "module.exports = () => '$Base';"
    }

    It 'installs the previous version when the newest is Unlisted, and the Unlisted one when it is pinned' {
        Set-NpmPackageVersion $BaseFolder '1.2.0'
        Publish-Folder $BaseFolder | Out-Null
        Set-CaPackageVersionStatus -Domain $Domain -Repository 'main' -Format npm -Package $Base -Version '1.2.0' -Status Unlisted | Out-Null

        $latest = Install-Into $Base
        $pinned = Install-Into "$Base@1.2.0"

        $latest.ExitCode | Should -Be 0 -Because $latest.Output
        Get-InstalledNpmVersion $latest.Project $Base | Should -Be '1.1.0'
        $pinned.ExitCode | Should -Be 0 -Because $pinned.Output
        Get-InstalledNpmVersion $pinned.Project $Base | Should -Be '1.2.0'
        (Invoke-Npm $Npm 'view', $Base, 'dist-tags' -Json).latest | Should -Be '1.1.0'
    }

    It 'does not install an Archived version' {
        Set-CaPackageVersionStatus -Domain $Domain -Repository 'main' -Format npm -Package $Base -Version '1.2.0' -Status Archived | Out-Null

        $archived = Install-Into "$Base@1.2.0"

        $archived.ExitCode | Should -Not -Be 0
        $archived.Output | Should -Match 'ETARGET|No matching version'
        (Invoke-Registry "$Base/-/$Base-1.2.0.tgz").StatusCode | Should -Be 404
    }

    It 'unpublishes one version with npm unpublish pkg@version' {
        Invoke-Npm $Npm 'unpublish', "$Base@1.1.0", '--force' | Out-Null

        $view = Invoke-Npm $Npm 'view', $Base, 'versions', 'dist-tags' -Json
        $view.versions | Should -Be '1.0.0'
        $view.'dist-tags'.latest | Should -Be '1.0.0'
        Get-CaPackageVersion -Domain $Domain -Repository 'main' -Format npm -Package $Base | ForEach-Object Version | Should -Not -Contain '1.1.0'
    }

    It 'unpublishes a whole package with npm unpublish pkg' {
        Invoke-Npm $Npm 'unpublish', $App, '--force' | Out-Null

        (Invoke-Npm $Npm 'view', $App -AllowFailure).Output | Should -Match 'E404|404'
        Get-CaPackage -Domain $Domain -Repository 'main' -Format npm | ForEach-Object Package | Should -Not -Contain 'app'
        Get-TempFileCount | Should -Be 0
    }
}

Describe 'npm registry HTTP details' {
    BeforeAll {
        $script:Scoped = "@$Scope/widget"
        $folder = New-NpmPackageFolder -Folder (Join-Path $Work 'widget') -Name $Scoped -Version '2.0.0'
        Publish-Folder $folder | Out-Null
    }

    It 'serves the packument of a scoped package for <Spelling>' -ForEach @(
        @{ Spelling = '@psca-scope%2fwidget' }
        @{ Spelling = '@psca-scope%2Fwidget' }
        @{ Spelling = '@psca-scope/widget' }
    ) {
        $response = Invoke-Registry $Spelling

        $response.StatusCode | Should -Be 200
        $document = $response.Content | ConvertFrom-Json -AsHashtable
        $document.name | Should -Be $Scoped
        $document._rev | Should -Not -BeNullOrEmpty
        $document.versions.'2.0.0'.dist.tarball | Should -Be "$($Registry)$Scoped/-/widget-2.0.0.tgz"
    }

    It 'answers an unknown package with a JSON 404' {
        $response = Invoke-Registry 'no-such-package'

        $response.StatusCode | Should -Be 404
        ($response.Content | ConvertFrom-Json).error | Should -Be 'Not found'
    }

    It 'serves the abbreviated document to the installer, varying by Accept, and revalidates with its ETag' {
        $corgi = Invoke-Registry '@psca-scope%2fwidget' -Headers ($Headers + @{ Accept = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*' })
        $full = Invoke-Registry '@psca-scope%2fwidget' -Headers ($Headers + @{ Accept = 'application/json' })

        $corgi.Headers['Content-Type'] | Should -Be 'application/vnd.npm.install-v1+json'
        "$($corgi.Headers['Vary'])" | Should -Match 'Accept'
        # Invoke-WebRequest reads a content type it does not know as bytes.
        $abbreviated = [Text.Encoding]::UTF8.GetString($corgi.Content) | ConvertFrom-Json -AsHashtable
        $abbreviated.Keys | Sort-Object | Should -Be 'dist-tags', 'modified', 'name', 'versions'
        $abbreviated.versions.'2.0.0'.Keys | Should -Not -Contain 'description'
        $full.Headers['ETag'] | Should -Not -Be $corgi.Headers['ETag']
        $revalidated = Invoke-Registry '@psca-scope%2fwidget' -Headers ($Headers + @{ Accept = 'application/json'; 'If-None-Match' = "$($full.Headers['ETag'])" })
        $revalidated.StatusCode | Should -Be 304
    }

    It 'changes the ETag and _rev when a dist-tag changes' {
        $before = Get-Packument $Scoped
        Invoke-Npm $Npm 'dist-tag', 'add', "$Scoped@2.0.0", 'beta' | Out-Null

        $after = Get-Packument $Scoped

        $after._rev | Should -Not -Be $before._rev
        $after.'dist-tags'.beta | Should -Be '2.0.0'
    }

    It 'serves the tarball at <Path>, and HEAD like GET' -ForEach @(
        @{ Path = '@psca-scope/widget/-/widget-2.0.0.tgz' }
        @{ Path = '@psca-scope%2fwidget/-/widget-2.0.0.tgz' }
        @{ Path = '@psca-scope/widget/-/@psca-scope/widget-2.0.0.tgz' }
    ) {
        $get = Invoke-Registry $Path
        $head = Invoke-Registry $Path -Method HEAD

        $get.StatusCode | Should -Be 200
        $get.Headers['Content-Type'] | Should -Be 'application/octet-stream'
        $get.Headers.ContainsKey('Content-Encoding') | Should -BeFalse
        $head.StatusCode | Should -Be 200
        "$($head.Headers['Content-Length'])" | Should -Be "$($get.RawContentLength)"
        $asset = Get-CaPackageVersionAsset -Domain $Domain -Repository 'main' -Format npm -Namespace $Scope -Package 'widget' -Version '2.0.0'
        [Convert]::ToHexStringLower([Security.Cryptography.SHA256]::HashData($get.Content)) | Should -Be $asset.Hashes['SHA-256']
    }

    It 'answers whoami and ping, and other methods with a JSON 405' {
        (Invoke-Registry '-/whoami').Content | ConvertFrom-Json | ForEach-Object username | Should -Be $Domain
        (Invoke-Registry '-/ping').StatusCode | Should -Be 200
        $post = Invoke-Registry $Base -Method POST -Body '{}'
        $post.StatusCode | Should -Be 405
        ($post.Content | ConvertFrom-Json).error | Should -Match 'not supported'
    }

    Context 'bad publish bodies' {
        BeforeAll {
            # A real tarball of a new version, and a publish document for it that each case then breaks.
            $folder = New-NpmPackageFolder -Folder (Join-Path $Work 'bad') -Name 'psca-npm-bad' -Version '1.0.0'
            $packed = Invoke-Npm $Npm 'pack', '--pack-destination', $folder -WorkingDirectory $folder -Json
            $script:Tarball = [IO.File]::ReadAllBytes((Join-Path $folder $packed[0].filename))
            $script:Integrity = 'sha512-' + [Convert]::ToBase64String([Security.Cryptography.SHA512]::HashData($Tarball))
            $script:Shasum = [Convert]::ToHexStringLower([Security.Cryptography.SHA1]::HashData($Tarball))

            function New-PublishBody([long] $Length = $script:Tarball.Length, [string] $Integrity = $script:Integrity, [string] $Shasum = $script:Shasum,
                [string] $Data = [Convert]::ToBase64String($script:Tarball), [switch] $NoAttachment) {
                $body = [ordered]@{
                    _id         = 'psca-npm-bad'
                    name        = 'psca-npm-bad'
                    'dist-tags' = @{ latest = '1.0.0' }
                    versions    = @{ '1.0.0' = @{ name = 'psca-npm-bad'; version = '1.0.0'; dist = @{ integrity = $Integrity; shasum = $Shasum } } }
                }
                if (-not $NoAttachment) {
                    $body._attachments = @{ 'psca-npm-bad-1.0.0.tgz' = @{ content_type = 'application/octet-stream'; data = $Data; length = $Length } }
                }
                $body | ConvertTo-Json -Depth 6 -Compress
            }
        }

        It 'refuses <Case> with a 400 that says why, and stores nothing' -ForEach @(
            @{ Case = 'invalid JSON'; Make = { '{"name": "psca-npm-bad", "versions": {' }; Reason = 'not valid JSON' }
            @{ Case = 'no attachment'; Make = { New-PublishBody -NoAttachment }; Reason = 'no tarball' }
            @{ Case = 'a wrong length'; Make = { New-PublishBody -Length 3 }; Reason = "'length' is 3" }
            @{ Case = 'a wrong integrity'; Make = { New-PublishBody -Integrity ('sha512-' + [Convert]::ToBase64String([byte[]]::new(64))) }; Reason = 'dist.integrity' }
            @{ Case = 'a wrong shasum'; Make = { New-PublishBody -Shasum ('0' * 40) }; Reason = 'dist.shasum' }
            @{ Case = 'data that is not base64'; Make = { New-PublishBody -Data '***' }; Reason = 'not valid base64' }
            @{ Case = 'a tarball that is not gzip'; Make = { New-PublishBody -Data ([Convert]::ToBase64String([byte[]](1..64))) -Length 64 -Integrity '' -Shasum ([Convert]::ToHexStringLower([Security.Cryptography.SHA1]::HashData([byte[]](1..64)))) }; Reason = 'gzip' }
        ) {
            $blobs = Get-BlobFileCount

            $response = Invoke-Registry 'psca-npm-bad' -Method PUT -Body (& $Make)

            $response.StatusCode | Should -Be 400 -Because $response.Content
            ($response.Content | ConvertFrom-Json).error | Should -BeLike "*$Reason*"
            Get-BlobFileCount | Should -Be $blobs
            Get-TempFileCount | Should -Be 0
            (Invoke-Registry 'psca-npm-bad').StatusCode | Should -Be 404
        }

        It 'accepts the same document when it is right, also with the slashes of its base64 escaped' {
            $response = Invoke-Registry 'psca-npm-bad' -Method PUT -Body (New-PublishBody).Replace('/', '\/')

            $response.StatusCode | Should -Be 201 -Because $response.Content
            (Get-Packument 'psca-npm-bad').versions.'1.0.0'.dist.integrity | Should -Be $Integrity
            Get-TempFileCount | Should -Be 0
        }
    }
}

Describe 'npm publish and the store''s disk' {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'StoreWatch.psm1') -Force

        # A package with 20 MiB of random bytes (its tarball does not compress), and a random marker as its description,
        # which the publish body carries as is.
        $folder = New-NpmPackageFolder -Folder (Join-Path $Work 'secret') -Name 'psca-npm-secret' -Version '1.0.0'
        $script:SecretText = 'psca-plaintext-marker-' + [guid]::NewGuid().ToString('N') + [guid]::NewGuid().ToString('N')
        $manifest = Get-Content (Join-Path $folder 'package.json') -Raw | ConvertFrom-Json -AsHashtable
        $manifest.description = $SecretText
        Set-Content -Path (Join-Path $folder 'package.json') -Value ($manifest | ConvertTo-Json -Depth 5)
        [IO.File]::WriteAllBytes((Join-Path $folder 'payload.bin'), [Security.Cryptography.RandomNumberGenerator]::GetBytes(20MB))
        $packed = Invoke-Npm $Npm 'pack', '--pack-destination', $folder -WorkingDirectory $folder -Json
        $script:SecretTarball = Join-Path $folder $packed[0].filename
        $tarball = [IO.File]::ReadAllBytes($SecretTarball)
        $base64 = [Convert]::ToBase64String($tarball)
        # The body's base64 and the decoded tarball: either in a file would be the upload in plaintext.
        $script:SecretMarkers = @(Get-UploadMarker $SecretText $tarball) + [Convert]::ToHexString([Text.Encoding]::ASCII.GetBytes($base64.Substring([int] ($base64.Length * 0.4) -band -4, 64)))
        $script:SecretSha256 = [Convert]::ToHexStringLower([Security.Cryptography.SHA256]::HashData($tarball))
    }

    It 'holds neither the publish body nor the decoded tarball in plaintext, during the request or after it' {
        $watch = Start-StoreWatch -StorePath $StorePath -WorkFolder $TestDrive -Markers $SecretMarkers
        try { $published = Invoke-Npm $Npm 'publish', $SecretTarball -AllowFailure }
        finally { $seen = Stop-StoreWatch $watch }

        $published.ExitCode | Should -Be 0 -Because $published.Output
        (Get-CaPackageVersionAsset -Domain $Domain -Repository 'main' -Format npm -Package 'psca-npm-secret' -Version '1.0.0').Hashes['SHA-256'] | Should -Be $SecretSha256
        $seen.Unreadable | Should -BeNullOrEmpty
        # Proof that the watch read the spools while they were there (a body of 27 MB), not only before or after.
        @($seen.Sizes.Keys | Where-Object { $_ -like 'tmp*' -and $seen.Sizes[$_] -gt 1MB }) | Should -Not -BeNullOrEmpty -Because "the watch read $($seen.Passes) times: $($seen.Sizes | ConvertTo-Json -Compress)"
        $seen.Hits | Should -BeNullOrEmpty -Because 'no file under the store may hold an upload in plaintext, not even for a moment'
        Find-Marker $StorePath $SecretMarkers | Should -BeNullOrEmpty
        Get-TempFileCount | Should -Be 0
    }
}
