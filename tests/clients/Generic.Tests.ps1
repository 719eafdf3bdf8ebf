#Requires -Version 7.6
# Generic packages over plain HTTP driven by the real curl: PUT with the X-Checksum-Sha256 header and GET back (whole,
# HEAD and ranges), unfinished versions that take several assets, wrong or missing checksums, paths that try to climb,
# and anonymous requests. curl runs with --path-as-is, so the endpoint sees every path exactly as written here.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../pester/TestHelpers.psm1') -Force
    Import-TestModule
    if (-not (Get-Command curl -CommandType Application -ErrorAction SilentlyContinue)) {
        throw 'The generic client tests need curl: apt-get install -y --no-install-recommends curl'
    }

    $script:StorePath = New-TestStore
    New-CaDomain -Name 'gdemo' | Out-Null
    New-CaRepository -Domain 'gdemo' -Name 'main' | Out-Null
    $script:Endpoint = Start-CaEndpoint -Port 0
    $script:Token = (Get-CaAuthorizationToken -Domain 'gdemo').AuthorizationToken
    $script:RepositoryUrl = Get-CaRepositoryEndpoint -Domain 'gdemo' -Repository 'main' -Format generic
    $script:Generic = @{ Domain = 'gdemo'; Repository = 'main'; Format = 'generic' }

    function New-TestFile([string] $Name, [int] $Size) {
        $path = Join-Path $TestDrive $Name
        $bytes = [byte[]]::new($Size)
        [Random]::new($Size).NextBytes($bytes)
        [IO.File]::WriteAllBytes($path, $bytes)
        Get-Item $path
    }

    function Get-Sha256([string] $Path) { (Get-FileHash -Path $Path -Algorithm SHA256).Hash.ToLowerInvariant() }

    <#
        Runs curl against the endpoint and returns its exit code, the HTTP status, the response headers, the body as text
        (and parsed, when it is JSON) and the file holding the body. -UploadFile PUTs a file as it is (--data-binary @file)
        with -Checksum in the X-Checksum-Sha256 header; -Anonymous sends no token.
    #>
    function Invoke-Curl {
        param(
            [Parameter(Mandatory)][string] $Url,
            [string] $Method = 'GET',
            [string] $UploadFile,
            [string] $Checksum,
            [string[]] $Extra = @(),
            [switch] $Anonymous
        )
        $out = Join-Path $TestDrive ('curl-' + [guid]::NewGuid().ToString('N'))
        $arguments = @('--silent', '--show-error', '--path-as-is', '--output', "$out.body", '--dump-header', "$out.headers", '--write-out', '%{http_code}')
        $arguments += if ($Method -eq 'HEAD') { '--head' } else { '--request', $Method }
        if (-not $Anonymous) { $arguments += '--header', "Authorization: Bearer $script:Token" }
        if ($UploadFile) { $arguments += '--data-binary', "@$UploadFile", '--header', 'Content-Type: application/octet-stream' }
        if ($Checksum) { $arguments += '--header', "X-Checksum-Sha256: $Checksum" }
        $output = & curl @arguments @Extra $Url 2>&1 | Out-String
        $exitCode = $LASTEXITCODE
        $headers = @{}
        if (Test-Path "$out.headers") {
            foreach ($line in Get-Content "$out.headers") {
                if ($line -match '^([^:\s]+):\s*(.*)$') { $headers[$Matches[1]] = $Matches[2].Trim() }
            }
        }
        $text = if (Test-Path "$out.body") { Get-Content "$out.body" -Raw } else { '' }
        $json = $null
        if ($headers['Content-Type'] -like 'application/json*' -and $text) { $json = $text | ConvertFrom-Json }
        [pscustomobject]@{
            ExitCode   = $exitCode
            StatusCode = [int] ($output.Trim() -replace '^.*?(\d{3})$', '$1')
            Headers    = $headers
            Text       = $text
            Json       = $json
            BodyFile   = "$out.body"
            # Tokens are throwaway, but still kept out of logs.
            Output     = ("curl $Method $Url`n$output`n$text" -replace 'pca1\.[A-Za-z0-9_.-]+', 'pca1.***')
        }
    }

    function Get-BlobFileCount { @(Get-ChildItem (Join-Path $script:StorePath 'blobs') -Recurse -File -ErrorAction SilentlyContinue).Count }

    function Get-TempFileCount { @(Get-ChildItem (Join-Path $script:StorePath 'tmp') -Recurse -File -ErrorAction SilentlyContinue).Count }

    function Get-GenericVersionList {
        @(Get-CaPackage -Domain 'gdemo' -Repository 'main' -Format generic -ErrorAction SilentlyContinue |
                ForEach-Object { Get-CaPackageVersion -Domain 'gdemo' -Repository 'main' -Format generic -Namespace $_.Namespace -Package $_.Package } |
                ForEach-Object { "$($_.Namespace)/$($_.Package)/$($_.Version)=$($_.Status)" })
    }

    # Over 1 MiB, so curl sends 'Expect: 100-continue' and waits for the endpoint's go-ahead (or its early refusal).
    $script:Tool = New-TestFile -Name 'tool.bin' -Size 1500000
    $script:ToolUrl = "$($script:RepositoryUrl)tools/cli/1.0.0/tool.bin"
    # The first upload is the fixture of the later tests; the first test asserts it.
    $script:FirstPut = Invoke-Curl -Method PUT -Url $script:ToolUrl -UploadFile $script:Tool.FullName -Checksum (Get-Sha256 $script:Tool.FullName)
}

AfterAll {
    if (Test-Path variable:script:Endpoint) { $script:Endpoint | Stop-CaEndpoint }
    Remove-TestStore
}

Describe 'Generic endpoint with curl' {
    Context 'PUT and GET' {
        It 'publishes a file with curl PUT and its checksum (201 with the version), and GET returns the same bytes' {
            $FirstPut.ExitCode | Should -Be 0 -Because $FirstPut.Output
            $FirstPut.StatusCode | Should -Be 201 -Because $FirstPut.Output
            $FirstPut.Headers['Location'] | Should -BeExactly $ToolUrl
            $FirstPut.Json.format | Should -BeExactly 'generic'
            $FirstPut.Json.namespace | Should -BeExactly 'tools'
            $FirstPut.Json.package | Should -BeExactly 'cli'
            $FirstPut.Json.version | Should -BeExactly '1.0.0'
            $FirstPut.Json.status | Should -BeExactly 'Published'
            $FirstPut.Json.asset | Should -BeExactly 'tool.bin'
            $FirstPut.Json.sha256 | Should -BeExactly (Get-Sha256 $Tool.FullName)

            $got = Invoke-Curl -Url $ToolUrl
            $got.StatusCode | Should -Be 200 -Because $got.Output
            $got.Headers['ETag'] | Should -BeExactly "`"$(Get-Sha256 $Tool.FullName)`""
            $got.Headers.ContainsKey('Content-Encoding') | Should -BeFalse
            Get-Sha256 $got.BodyFile | Should -BeExactly (Get-Sha256 $Tool.FullName)
            [Linq.Enumerable]::SequenceEqual([IO.File]::ReadAllBytes($got.BodyFile), [IO.File]::ReadAllBytes($Tool.FullName)) | Should -BeTrue
        }

        It 'reports the version and hashes that Get-CaPackageVersion and Get-CaPackageVersionAsset see, matching Get-FileHash' {
            $version = Get-CaPackageVersion @Generic -Namespace 'tools' -Package 'cli' -Version '1.0.0'
            $version.Status | Should -BeExactly 'Published'
            $version.Revision | Should -BeExactly $FirstPut.Json.revision

            $asset = Get-CaPackageVersionAsset @Generic -Namespace 'tools' -Package 'cli' -Version '1.0.0' -Name 'tool.bin'
            $asset.Size | Should -Be $Tool.Length
            foreach ($pair in @(@('MD5', 'MD5'), @('SHA-1', 'SHA1'), @('SHA-256', 'SHA256'), @('SHA-512', 'SHA512'))) {
                $asset.Hashes[$pair[0]] | Should -BeExactly (Get-FileHash -Path $Tool.FullName -Algorithm $pair[1]).Hash.ToLowerInvariant() -Because $pair[0]
            }
        }

        It 'answers curl -r with 206 and exactly those bytes' {
            $range = Invoke-Curl -Url $ToolUrl -Extra '-r', '1000-4999'

            $range.StatusCode | Should -Be 206 -Because $range.Output
            $range.Headers['Content-Range'] | Should -BeExactly "bytes 1000-4999/$($Tool.Length)"
            $expected = [byte[]] ([IO.File]::ReadAllBytes($Tool.FullName)[1000..4999])
            [Linq.Enumerable]::SequenceEqual([IO.File]::ReadAllBytes($range.BodyFile), $expected) | Should -BeTrue
        }

        It 'answers HEAD like GET, without a body' {
            $head = Invoke-Curl -Method HEAD -Url $ToolUrl

            $head.StatusCode | Should -Be 200 -Because $head.Output
            $head.Headers['Content-Length'] | Should -Be $Tool.Length
            $head.Headers['ETag'] | Should -BeExactly "`"$(Get-Sha256 $Tool.FullName)`""
            $head.Headers['Accept-Ranges'] | Should -BeExactly 'bytes'
        }

        It 'takes the same file again with 200, and refuses other bytes under its name with 409' {
            $again = Invoke-Curl -Method PUT -Url $ToolUrl -UploadFile $Tool.FullName -Checksum (Get-Sha256 $Tool.FullName)
            $other = New-TestFile -Name 'other.bin' -Size 1000
            $conflict = Invoke-Curl -Method PUT -Url $ToolUrl -UploadFile $other.FullName -Checksum (Get-Sha256 $other.FullName)

            $again.StatusCode | Should -Be 200 -Because $again.Output
            $again.Json.revision | Should -BeExactly $FirstPut.Json.revision
            $conflict.StatusCode | Should -Be 409 -Because $conflict.Output
            $conflict.Json.code | Should -BeExactly 'AssetConflict'
            (Get-CaPackageVersionAsset @Generic -Namespace 'tools' -Package 'cli' -Version '1.0.0' -Name 'tool.bin').Hashes['SHA-256'] |
                Should -BeExactly (Get-Sha256 $Tool.FullName)
        }

        It 'lists a version''s assets as JSON with the hashes Get-FileHash computes' {
            $list = Invoke-Curl -Url "$($RepositoryUrl)tools/cli/1.0.0/"

            $list.StatusCode | Should -Be 200 -Because $list.Output
            $list.Json.status | Should -BeExactly 'Published'
            @($list.Json.assets).Count | Should -Be 1
            $list.Json.assets[0].name | Should -BeExactly 'tool.bin'
            $list.Json.assets[0].size | Should -Be $Tool.Length
            $list.Json.assets[0].hashes.'SHA-256' | Should -BeExactly (Get-Sha256 $Tool.FullName)
            $list.Json.assets[0].url | Should -BeExactly $ToolUrl
        }
    }

    Context 'checksums' {
        It 'refuses a wrong checksum with 400 and stores nothing' {
            $blobs = Get-BlobFileCount
            $file = New-TestFile -Name 'wrong.bin' -Size 200000
            $wrong = (Get-FileHash -Path $Tool.FullName -Algorithm SHA256).Hash.ToLowerInvariant()

            $refused = Invoke-Curl -Method PUT -Url "$($RepositoryUrl)tools/cli/2.0.0/wrong.bin" -UploadFile $file.FullName -Checksum $wrong

            $refused.StatusCode | Should -Be 400 -Because $refused.Output
            $refused.Json.code | Should -BeExactly 'DigestMismatch'
            $refused.Json.error | Should -Match 'nothing was stored'
            Get-BlobFileCount | Should -Be $blobs
            Get-TempFileCount | Should -Be 0
            Get-GenericVersionList | Should -Be @('tools/cli/1.0.0=Published')
        }

        It 'refuses a PUT without the checksum header with 400 and says how to send it' {
            $blobs = Get-BlobFileCount

            $refused = Invoke-Curl -Method PUT -Url "$($RepositoryUrl)tools/cli/2.0.0/tool.bin" -UploadFile $Tool.FullName

            $refused.StatusCode | Should -Be 400 -Because $refused.Output
            $refused.Json.code | Should -BeExactly 'ChecksumRequired'
            $refused.Json.error | Should -Match 'X-Checksum-Sha256'
            Get-BlobFileCount | Should -Be $blobs
            Get-GenericVersionList | Should -Be @('tools/cli/1.0.0=Published')
        }
    }

    Context 'unfinished versions' {
        It 'keeps a version Unfinished through two PUTs with ?unfinished=true and publishes it with the last one' {
            $names = 'part1.bin', 'part2.bin', 'manifest.json'
            $files = @(New-TestFile -Name 'bundle-1' -Size 1000; New-TestFile -Name 'bundle-2' -Size 2000; New-TestFile -Name 'bundle-3' -Size 3000)
            $base = "$($RepositoryUrl)bundles/app/5.0.0"

            $first = Invoke-Curl -Method PUT -Url "$base/$($names[0])?unfinished=true" -UploadFile $files[0].FullName -Checksum (Get-Sha256 $files[0].FullName)
            $second = Invoke-Curl -Method PUT -Url "$base/$($names[1])?unfinished=true" -UploadFile $files[1].FullName -Checksum (Get-Sha256 $files[1].FullName)
            $whileOpen = Invoke-Curl -Url "$base/$($names[0])"
            (Get-CaPackageVersion @Generic -Namespace 'bundles' -Package 'app' -Version '5.0.0').Status | Should -BeExactly 'Unfinished'
            $last = Invoke-Curl -Method PUT -Url "$base/$($names[2])" -UploadFile $files[2].FullName -Checksum (Get-Sha256 $files[2].FullName)

            $first.StatusCode | Should -Be 201 -Because $first.Output
            $first.Json.status | Should -BeExactly 'Unfinished'
            $second.StatusCode | Should -Be 201 -Because $second.Output
            $second.Json.status | Should -BeExactly 'Unfinished'
            $whileOpen.StatusCode | Should -Be 409 -Because $whileOpen.Output
            $whileOpen.Json.code | Should -BeExactly 'AssetNotAvailable'
            $last.StatusCode | Should -Be 201 -Because $last.Output
            $last.Json.status | Should -BeExactly 'Published'

            (Get-CaPackageVersion @Generic -Namespace 'bundles' -Package 'app' -Version '5.0.0').Status | Should -BeExactly 'Published'
            $assets = @(Get-CaPackageVersionAsset @Generic -Namespace 'bundles' -Package 'app' -Version '5.0.0')
            $assets.Count | Should -Be 3
            foreach ($i in 0..2) {
                $asset = $assets | Where-Object Name -EQ $names[$i]
                $asset.Hashes['SHA-256'] | Should -BeExactly (Get-Sha256 $files[$i].FullName)
                $got = Invoke-Curl -Url "$base/$($names[$i])"
                Get-Sha256 $got.BodyFile | Should -BeExactly (Get-Sha256 $files[$i].FullName)
            }
        }

        It 'refuses a new asset in a Published version with 409' {
            $late = New-TestFile -Name 'late.bin' -Size 10

            $refused = Invoke-Curl -Method PUT -Url "$($RepositoryUrl)bundles/app/5.0.0/late.bin?unfinished=true" -UploadFile $late.FullName -Checksum (Get-Sha256 $late.FullName)

            $refused.StatusCode | Should -Be 409 -Because $refused.Output
            $refused.Json.code | Should -BeExactly 'VersionAlreadyExists'
            @(Get-CaPackageVersionAsset @Generic -Namespace 'bundles' -Package 'app' -Version '5.0.0').Count | Should -Be 3
        }

        It 'withholds the assets of an Archived version with 409 and a reason' {
            Set-CaPackageVersionStatus @Generic -Namespace 'bundles' -Package 'app' -Version '5.0.0' -Status Archived | Out-Null

            $archived = Invoke-Curl -Url "$($RepositoryUrl)bundles/app/5.0.0/part1.bin"

            $archived.StatusCode | Should -Be 409 -Because $archived.Output
            $archived.Json.error | Should -Match 'Archived'
        }
    }

    Context 'paths and auth' {
        It 'refuses <Name> with 400 or 404 and stores nothing' -ForEach @(
            @{ Name = 'a .. segment'; Path = 'tools/cli/1.0.0/../evil.bin' }
            @{ Name = 'a %2e%2e segment'; Path = 'tools/cli/%2e%2e/1.0.0/evil.bin' }
            @{ Name = '%2e%2e segments that climb out of the repository'; Path = 'tools/%2e%2e/%2e%2e/%2e%2e/%2e%2e/evil.bin' }
            @{ Name = 'an encoded slash'; Path = 'tools/cli/1.0.0/..%2Fevil.bin' }
            @{ Name = 'an encoded lower-case slash'; Path = 'tools/cli/1.0.0/sub%2fevil.bin' }
            @{ Name = 'an encoded backslash'; Path = 'tools/cli/1.0.0/..%5Cevil.bin' }
        ) {
            $blobs = Get-BlobFileCount
            $versions = Get-GenericVersionList

            $refused = Invoke-Curl -Method PUT -Url "$RepositoryUrl$Path" -UploadFile $Tool.FullName -Checksum (Get-Sha256 $Tool.FullName)

            $refused.StatusCode | Should -BeIn @(400, 404) -Because $refused.Output
            $refused.Json.error | Should -Not -BeNullOrEmpty
            Get-BlobFileCount | Should -Be $blobs
            Get-TempFileCount | Should -Be 0
            Get-GenericVersionList | Should -Be $versions
        }

        It 'says why a path with a dot segment is refused' {
            $refused = Invoke-Curl -Url "$($RepositoryUrl)tools/cli/1.0.0/%2e%2e"

            $refused.StatusCode | Should -Be 400 -Because $refused.Output
            $refused.Json.code | Should -BeExactly 'InvalidPath'
        }

        It 'challenges an anonymous <Method> with 401 and a Basic realm, and stores nothing' -ForEach @(
            @{ Method = 'GET' }, @{ Method = 'PUT' }
        ) {
            $blobs = Get-BlobFileCount
            $upload = if ($Method -eq 'PUT') { @{ UploadFile = $Tool.FullName; Checksum = Get-Sha256 $Tool.FullName } } else { @{} }

            $anonymous = Invoke-Curl -Method $Method -Url "$($RepositoryUrl)tools/cli/9.0.0/tool.bin" -Anonymous @upload

            $anonymous.StatusCode | Should -Be 401 -Because $anonymous.Output
            $anonymous.Headers['WWW-Authenticate'] | Should -Match '^Basic realm='
            Get-BlobFileCount | Should -Be $blobs
            @(Get-CaPackageVersion @Generic -Namespace 'tools' -Package 'cli').Version | Should -Not -Contain '9.0.0'
        }

        It 'takes the token as the password of Basic auth (curl -u)' {
            $file = New-TestFile -Name 'basic.bin' -Size 64
            $put = Invoke-Curl -Method PUT -Url "$($RepositoryUrl)tools/cli/1.1.0/basic.bin" -Anonymous -UploadFile $file.FullName `
                -Checksum (Get-Sha256 $file.FullName) -Extra '--user', "aws:$Token"

            $put.StatusCode | Should -Be 201 -Because $put.Output
        }
    }
}
