#Requires -Version 7.6
# The PyPI endpoint driven by the real clients: twine uploads (sdists and wheels), pip installs from the simple API with
# dependencies, PEP 592 yanking through Unlisted, PEP 658 metadata, content negotiation, redirects and ranges.
# PyPI itself is not reachable: projects are built offline with Debian's python3-build, and pip only sees the endpoint.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../pester/TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'PypiClientHelpers.psm1') -Force
    Import-TestModule
    Assert-PypiClients
    Enable-IsolatedPip

    $script:StorePath = New-TestStore
    New-CaDomain -Name 'pydemo' | Out-Null
    New-CaRepository -Domain 'pydemo' -Name 'main' | Out-Null
    $script:Endpoint = Start-CaEndpoint -Port 0
    $script:Token = (Get-CaAuthorizationToken -Domain 'pydemo').AuthorizationToken
    $script:RepositoryUrl = Get-CaRepositoryEndpoint -Domain 'pydemo' -Repository 'main' -Format pypi
    $script:SimpleUrl = "$($script:RepositoryUrl)simple/"
    $script:IndexUrl = $script:SimpleUrl -replace '^http://', "http://aws:$($script:Token)@"
    $script:Pypi = @{ Domain = 'pydemo'; Repository = 'main'; Format = 'pypi' }

    # Two projects, B depending on A; A in two versions, and a rebuild of A 1.1 with other content under the same names.
    $work = Join-Path $TestDrive 'projects'
    $script:Alpha10 = New-PythonProject -Path "$work/alpha-1.0" -Name 'Ca_Test.Alpha' -Version '1.0' -Module 'ca_test_alpha'
    $script:Alpha11 = New-PythonProject -Path "$work/alpha-1.1" -Name 'Ca_Test.Alpha' -Version '1.1' -Module 'ca_test_alpha'
    $script:Beta = New-PythonProject -Path "$work/beta-2.0" -Name 'ca-test-beta' -Version '2.0' -Module 'ca_test_beta' -Dependencies 'ca-test-alpha>=1.0'
    $script:Alpha11Changed = New-PythonProject -Path "$work/alpha-1.1-changed" -Name 'Ca_Test.Alpha' -Version '1.1' -Module 'ca_test_alpha' -Value 'changed'
    $script:AllFiles = @($script:Alpha10) + @($script:Alpha11) + @($script:Beta)
    $script:AlphaWheel = $script:Alpha11 | Where-Object Extension -EQ '.whl'

    $script:PipPython = Get-PipPython -Scratch $TestDrive

    function Invoke-Twine([string[]] $Files, [switch] $SkipExisting) {
        $options = @('upload', '--non-interactive', '--disable-progress-bar', '--repository-url', $script:RepositoryUrl, '-u', 'aws', '-p', $script:Token)
        if ($SkipExisting) { $options += '--skip-existing' }
        Invoke-Client twine @options @Files
    }

    # pip from outside a fresh venv (--python), with an empty cache, so every file comes from the endpoint.
    function Invoke-PipInstall([string] $Venv, [string[]] $Requirements) {
        Invoke-Client $script:PipPython -m pip --python $Venv install --no-cache-dir --no-input --index-url $script:IndexUrl @Requirements
    }

    function Get-InstalledValue([string] $Venv, [string] $Module) {
        Invoke-Client $Venv -c "import $Module; print($Module.VALUE)"
    }

    function Get-Page([string] $Uri, [string] $Accept) {
        $headers = if ($Accept) { @{ Accept = $Accept } } else { @{} }
        Invoke-RawHttp -Uri $Uri -Headers $headers -Token $script:Token
    }

    # The first upload is the fixture of every later test; the first test asserts it.
    $script:FirstUpload = Invoke-Twine ($script:AllFiles.FullName)
}

AfterAll {
    if (Test-Path variable:script:Endpoint) { $script:Endpoint | Stop-CaEndpoint }
    Remove-TestStore
    Restore-ClientEnvironment
}

Describe 'PyPI endpoint with twine and pip' {
    Context 'twine upload' {
        It 'uploads the wheels and sdists of two projects' {
            $FirstUpload.ExitCode | Should -Be 0 -Because $FirstUpload.Output
            foreach ($file in $AllFiles) { $FirstUpload.Output | Should -Match ([regex]::Escape("Uploading $($file.Name)")) }

            @(Get-CaPackageVersion @Pypi -Package 'ca-test-alpha' | ForEach-Object { "$($_.Version)=$($_.Status)" }) | Should -Be @('1.0=Published', '1.1=Published')
            @(Get-CaPackageVersion @Pypi -Package 'CA_TEST_BETA' | ForEach-Object { "$($_.Version)=$($_.Status)" }) | Should -Be @('2.0=Published')
            (Get-CaPackage @Pypi -Package 'ca-test-alpha').Package | Should -BeExactly 'Ca-Test.Alpha'
        }

        It 'stores each file with the SHA-256 twine sent for it' {
            foreach ($file in $AllFiles) {
                $package, $version = if ($file.Name -like 'ca*beta*') { 'ca-test-beta', '2.0' } else { 'ca-test-alpha', ($file.Name -replace '^.*?-(1\.[01])[-.].*$', '$1') }
                $asset = Get-CaPackageVersionAsset @Pypi -Package $package -Version $version -Name $file.Name
                $asset.Size | Should -Be $file.Length
                $asset.Hashes['SHA-256'] | Should -BeExactly (Get-Digest -Path $file.FullName)
            }
        }

        It 'accepts the same files again, plainly and with --skip-existing' {
            $again = Invoke-Twine ($AllFiles.FullName)
            $again.ExitCode | Should -Be 0 -Because $again.Output
            $skipping = Invoke-Twine ($AllFiles.FullName) -SkipExisting
            $skipping.ExitCode | Should -Be 0 -Because $skipping.Output

            @(Get-CaPackageVersionAsset @Pypi -Package 'ca-test-alpha' -Version '1.1').Count | Should -Be 2
        }

        It 'refuses another file under an existing name with 409 and says why, which --skip-existing skips' {
            $changedWheel = $Alpha11Changed | Where-Object Extension -EQ '.whl'
            $changedWheel.Name | Should -BeExactly $AlphaWheel.Name

            $refused = Invoke-Twine $changedWheel.FullName
            $refused.ExitCode | Should -Not -Be 0 -Because $refused.Output
            $refused.Output | Should -Match '409'
            $refused.Output | Should -Match 'other content'

            $skipped = Invoke-Twine $changedWheel.FullName -SkipExisting
            $skipped.ExitCode | Should -Be 0 -Because $skipped.Output
            $skipped.Output | Should -Match 'Skipping'

            (Get-CaPackageVersionAsset @Pypi -Package 'ca-test-alpha' -Version '1.1' -Name $AlphaWheel.Name).Hashes['SHA-256'] |
                Should -BeExactly (Get-Digest -Path $AlphaWheel.FullName)
        }

        It 'refuses a bad upload with 400 and the reason, and stores nothing' {
            $bytes = [IO.File]::ReadAllBytes(($Alpha10 | Where-Object Extension -EQ '.whl').FullName)
            $fields = @{ ':action' = 'file_upload'; protocol_version = '1'; name = 'ca-test-alpha'; version = '9.0'; filetype = 'bdist_wheel' }
            $fields.sha256_digest = Get-Digest -Bytes $bytes

            $wrongDigest = Invoke-RawHttp -Uri $RepositoryUrl -Method POST -Token $Token `
                -Content (New-UploadContent -Fields ($fields + @{}) -FileName 'ca_test_alpha-9.0-py3-none-any.whl' -Bytes ([byte[]] ($bytes + 0)))
            $corrupt = [Text.Encoding]::ASCII.GetBytes('not a zip')
            $fields.sha256_digest = Get-Digest -Bytes $corrupt
            $notAWheel = Invoke-RawHttp -Uri "$($RepositoryUrl)legacy/" -Method POST -Token $Token `
                -Content (New-UploadContent -Fields $fields -FileName 'ca_test_alpha-9.0-py3-none-any.whl' -Bytes $corrupt)

            $wrongDigest.StatusCode | Should -Be 400 -Because $wrongDigest.Text
            ($wrongDigest.Text | ConvertFrom-Json).code | Should -Be 'DigestMismatch'
            $wrongDigest.Reason | Should -Match 'SHA-256'
            $notAWheel.StatusCode | Should -Be 400 -Because $notAWheel.Text
            ($notAWheel.Text | ConvertFrom-Json).code | Should -Be 'InvalidPackageFile'
            @(Get-CaPackageVersion @Pypi -Package 'ca-test-alpha').Version | Should -Be @('1.0', '1.1')
            @(Get-ChildItem (Join-Path $StorePath 'tmp') -File -ErrorAction SilentlyContinue).Count | Should -Be 0
        }
    }

    Context 'pip install' {
        It 'challenges an anonymous request with 401 and a Basic realm, as pip needs' {
            $anonymous = Invoke-RawHttp -Uri "$($SimpleUrl)ca-test-alpha/"

            $anonymous.StatusCode | Should -Be 401
            $anonymous.Headers['WWW-Authenticate'] | Should -Match '^Basic realm='
        }

        It 'installs B into a fresh venv and resolves A from the endpoint' {
            $venv = New-Venv -PipPython $PipPython -Path (Join-Path $TestDrive 'venv-beta')

            $installed = Invoke-PipInstall $venv 'ca-test-beta'

            $installed.ExitCode | Should -Be 0 -Because $installed.Output
            $installed.Output | Should -Match 'Successfully installed ca-test-alpha-1\.1 ca-test-beta-2\.0'
            $installed.Output | Should -Match ([regex]::Escape("$($RepositoryUrl)files/ca-test-beta/2.0/"))
            $imported = Invoke-Client $venv -c 'import ca_test_beta, ca_test_alpha; print(ca_test_alpha.VALUE)'
            $imported.ExitCode | Should -Be 0 -Because $imported.Output
            $imported.Output | Should -Match '(?m)^1\.1\s*$'
        }

        It 'skips an Unlisted version (PEP 592 yanked) unless it is pinned' {
            Set-CaPackageVersionStatus @Pypi -Package 'ca-test-alpha' -Version '1.1' -Status Unlisted -Confirm:$false | Out-Null
            $latest = New-Venv -PipPython $PipPython -Path (Join-Path $TestDrive 'venv-latest')
            $pinned = New-Venv -PipPython $PipPython -Path (Join-Path $TestDrive 'venv-pinned')

            $unpinnedInstall = Invoke-PipInstall $latest 'Ca_Test.Alpha'
            $pinnedInstall = Invoke-PipInstall $pinned 'ca-test-alpha==1.1'

            $unpinnedInstall.ExitCode | Should -Be 0 -Because $unpinnedInstall.Output
            (Get-InstalledValue $latest 'ca_test_alpha').Output | Should -Match '(?m)^1\.0\s*$'
            $pinnedInstall.ExitCode | Should -Be 0 -Because $pinnedInstall.Output
            $pinnedInstall.Output | Should -Match 'yanked'
            (Get-InstalledValue $pinned 'ca_test_alpha').Output | Should -Match '(?m)^1\.1\s*$'
        }
    }

    Context 'simple API' {
        BeforeAll {
            # The state the pip tests leave, made explicit: A 1.1 is Unlisted.
            Set-CaPackageVersionStatus @Pypi -Package 'ca-test-alpha' -Version '1.1' -Status Unlisted -Confirm:$false | Out-Null
            $script:AlphaPage = "$($SimpleUrl)ca-test-alpha/"
        }

        It 'serves a project page as PEP 503 HTML when no Accept is sent' {
            $page = Get-Page $AlphaPage

            $page.StatusCode | Should -Be 200 -Because $page.Text
            $page.Headers['Content-Type'] | Should -Match '^text/html'
            $page.Headers['Vary'] | Should -Match 'Accept'
            $page.Text | Should -Match '<meta name="pypi:repository-version" content="1\.1">'
            $anchors = [regex]::Matches($page.Text, '<a href="(?<href>[^"#]+)#sha256=(?<sha>[0-9a-f]{64})"(?<attributes>[^>]*)>(?<text>[^<]+)</a>')
            $anchors.Count | Should -Be 4
            foreach ($anchor in $anchors) {
                $file = $AllFiles | Where-Object Name -EQ $anchor.Groups['text'].Value
                $file | Should -Not -BeNullOrEmpty -Because "every anchor's text is a file name ($($anchor.Value))"
                $anchor.Groups['sha'].Value | Should -BeExactly (Get-Digest -Path $file.FullName)
                $anchor.Groups['href'].Value | Should -BeExactly "../../files/ca-test-alpha/$(if ($file.Name -match '-1\.1[-.]') { '1.1' } else { '1.0' })/$($file.Name)"
                $attributes = $anchor.Groups['attributes'].Value
                $attributes | Should -Match 'data-requires-python="&gt;=3\.7"'
                ($attributes -match 'data-yanked=""') | Should -Be ($file.Name -match '-1\.1[-.]') -Because $anchor.Value
                if ($file.Extension -eq '.whl') {
                    $attributes | Should -Match 'data-core-metadata="sha256=[0-9a-f]{64}"'
                    $attributes | Should -Match 'data-dist-info-metadata="sha256=[0-9a-f]{64}"'
                }
                else {
                    $attributes | Should -Not -Match 'metadata'
                }
            }
        }

        It 'serves a project page as PEP 691 JSON to what pip asks for' {
            $page = Get-Page $AlphaPage 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01'

            $page.StatusCode | Should -Be 200 -Because $page.Text
            $page.Headers['Content-Type'] | Should -BeExactly 'application/vnd.pypi.simple.v1+json'
            $page.Headers['Vary'] | Should -Match 'Accept'
            # As strings: ConvertFrom-Json would turn upload-time into a DateTime.
            $json = $page.Text | ConvertFrom-Json -AsHashtable -DateKind String
            $json.meta.'api-version' | Should -BeExactly '1.1'
            $json.name | Should -BeExactly 'ca-test-alpha'
            $json.versions | Should -Be @('1.0', '1.1')
            $json.files.Count | Should -Be 4
            foreach ($entry in $json.files) {
                $file = $AllFiles | Where-Object Name -EQ $entry.filename
                $entry.url | Should -BeLike "../../files/ca-test-alpha/*/$($file.Name)"
                $entry.hashes.sha256 | Should -BeExactly (Get-Digest -Path $file.FullName)
                $entry.size | Should -Be $file.Length
                $entry.'upload-time' | Should -Match '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$'
                $entry.'requires-python' | Should -BeExactly '>=3.7'
                $entry.yanked | Should -Be ($file.Name -match '-1\.1[-.]')
                if ($file.Extension -eq '.whl') {
                    $entry.'core-metadata'.sha256 | Should -Match '^[0-9a-f]{64}$'
                    $entry.'dist-info-metadata'.sha256 | Should -BeExactly $entry.'core-metadata'.sha256
                }
                else {
                    $entry.'core-metadata' | Should -BeFalse
                }
            }
        }

        It 'lists the projects at simple/ in HTML and JSON' {
            $html = Get-Page $SimpleUrl 'text/html'
            $json = Get-Page $SimpleUrl 'application/vnd.pypi.simple.latest+json'

            $html.StatusCode | Should -Be 200 -Because $html.Text
            $html.Text | Should -Match '<a href="ca-test-alpha/">Ca-Test.Alpha</a>'
            $html.Text | Should -Match '<a href="ca-test-beta/">ca-test-beta</a>'
            $json.Headers['Content-Type'] | Should -BeExactly 'application/vnd.pypi.simple.v1+json'
            ($json.Text | ConvertFrom-Json).projects.name | Should -Be @('Ca-Test.Alpha', 'ca-test-beta')
        }

        It 'answers 406 with a reason for an Accept it cannot serve' {
            $page = Get-Page $AlphaPage 'application/xml'

            $page.StatusCode | Should -Be 406
            ($page.Text | ConvertFrom-Json).error | Should -Match 'application/vnd\.pypi\.simple\.v1\+json'
        }

        It 'redirects other spellings of a name, and a missing slash, to the normalised URL' {
            foreach ($path in 'Ca_Test.Alpha/', 'CA-TEST-ALPHA', 'ca-test-alpha') {
                $page = Get-Page "$SimpleUrl$path"
                $page.StatusCode | Should -Be 301 -Because $path
                $page.Headers['Location'] | Should -BeExactly '/pydemo/pypi/main/simple/ca-test-alpha/'
            }
        }

        It 'answers 404 with a reason for an unknown project' {
            $page = Get-Page "$($SimpleUrl)no-such-project/"

            $page.StatusCode | Should -Be 404
            ($page.Text | ConvertFrom-Json).error | Should -Match 'no-such-project'
        }

        It 'serves PEP 658 metadata: the wheel''s exact METADATA, with the advertised SHA-256' {
            $json = (Get-Page $AlphaPage 'application/vnd.pypi.simple.v1+json').Text | ConvertFrom-Json -AsHashtable
            $entry = $json.files | Where-Object { $_.filename -eq $AlphaWheel.Name }
            $metadataUrl = [Uri]::new([Uri] $AlphaPage, $entry.url + '.metadata').AbsoluteUri

            $metadata = Invoke-RawHttp -Uri $metadataUrl -Token $Token

            $metadata.StatusCode | Should -Be 200 -Because $metadata.Text
            $expected = Get-WheelMetadata -Path $AlphaWheel.FullName
            [Convert]::ToBase64String($metadata.Bytes) | Should -BeExactly ([Convert]::ToBase64String($expected))
            Get-Digest -Bytes $metadata.Bytes | Should -BeExactly $entry.'core-metadata'.sha256
        }

        It 'answers a Range request with 206 and exactly the bytes asked for, and HEAD like GET' {
            $fileUrl = "$($RepositoryUrl)files/ca-test-alpha/1.1/$($AlphaWheel.Name)"
            $bytes = [IO.File]::ReadAllBytes($AlphaWheel.FullName)

            $range = Invoke-RawHttp -Uri $fileUrl -Token $Token -Headers @{ Range = 'bytes=10-29' }
            $head = Invoke-RawHttp -Uri $fileUrl -Token $Token -Method HEAD

            $range.StatusCode | Should -Be 206
            $range.Headers['Content-Range'] | Should -BeExactly "bytes 10-29/$($bytes.Length)"
            [Convert]::ToBase64String($range.Bytes) | Should -BeExactly ([Convert]::ToBase64String($bytes[10..29]))
            $head.StatusCode | Should -Be 200
            [long] $head.Headers['Content-Length'] | Should -Be $bytes.Length
            $head.Headers['Content-Type'] | Should -BeExactly 'application/octet-stream'
            $head.Headers.ContainsKey('Content-Encoding') | Should -BeFalse
        }

        It 'neither lists nor serves an Archived version' {
            Set-CaPackageVersionStatus @Pypi -Package 'ca-test-alpha' -Version '1.0' -Status Archived -Confirm:$false | Out-Null
            $wheel = $Alpha10 | Where-Object Extension -EQ '.whl'

            $page = Get-Page $AlphaPage 'application/vnd.pypi.simple.v1+json'
            $download = Invoke-RawHttp -Uri "$($RepositoryUrl)files/ca-test-alpha/1.0/$($wheel.Name)" -Token $Token

            @(($page.Text | ConvertFrom-Json).versions) -join ',' | Should -BeExactly '1.1'
            $download.StatusCode | Should -Be 404
        }

        It 'answers 405 with a reason for other methods on its routes' {
            $get = Invoke-RawHttp -Uri $RepositoryUrl -Token $Token
            $delete = Invoke-RawHttp -Uri $AlphaPage -Method DELETE -Token $Token

            $get.StatusCode | Should -Be 405
            $get.Headers['Allow'] | Should -Be 'POST'
            ($get.Text | ConvertFrom-Json).error | Should -Match 'simple/'
            $delete.StatusCode | Should -Be 405
            $delete.Headers['Allow'] | Should -Be 'GET, HEAD'
        }
    }
}

Describe 'PyPI upload and the store''s disk' {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'StoreWatch.psm1') -Force

        # A wheel made by hand, stored (not deflated) so its bytes are the plaintext: 20 MiB of random bytes and a random
        # marker as its Summary.
        $script:SecretText = 'psca-plaintext-marker-' + [guid]::NewGuid().ToString('N') + [guid]::NewGuid().ToString('N')
        $buffer = [IO.MemoryStream]::new()
        $zip = [IO.Compression.ZipArchive]::new($buffer, [IO.Compression.ZipArchiveMode]::Create, $true)
        $entries = [ordered]@{
            'ca_test_secret/__init__.py'               = [Text.Encoding]::UTF8.GetBytes("VALUE = '1.0'`n")
            'ca_test_secret/payload.bin'               = [Security.Cryptography.RandomNumberGenerator]::GetBytes(20MB)
            'ca_test_secret-1.0.dist-info/METADATA'    = [Text.Encoding]::UTF8.GetBytes("Metadata-Version: 2.1`nName: ca-test-secret`nVersion: 1.0`nSummary: $SecretText`n")
            'ca_test_secret-1.0.dist-info/WHEEL'       = [Text.Encoding]::UTF8.GetBytes("Wheel-Version: 1.0`nGenerator: hand`nRoot-Is-Purelib: true`nTag: py3-none-any`n")
        }
        foreach ($name in $entries.Keys) {
            $stream = $zip.CreateEntry($name, [IO.Compression.CompressionLevel]::NoCompression).Open()
            try { $stream.Write($entries[$name], 0, $entries[$name].Length) } finally { $stream.Dispose() }
        }
        $zip.Dispose()
        $script:SecretWheel = $buffer.ToArray()
        $script:SecretMarkers = @(Get-UploadMarker $SecretText $SecretWheel)
    }

    It 'holds an upload whose file comes before its fields only encrypted, during the request and after it' {
        # twine and uv send the fields first; a form with the file first makes the endpoint spool the file.
        $form = [System.Net.Http.MultipartFormDataContent]::new()
        $file = [System.Net.Http.ByteArrayContent]::new($SecretWheel)
        $file.Headers.ContentType = [System.Net.Http.Headers.MediaTypeHeaderValue]::new('application/octet-stream')
        $form.Add($file, 'content', 'ca_test_secret-1.0-py3-none-any.whl')
        $fields = [ordered]@{ ':action' = 'file_upload'; protocol_version = '1'; name = 'ca-test-secret'; version = '1.0'; filetype = 'bdist_wheel'
            sha256_digest = Get-Digest -Bytes $SecretWheel }
        foreach ($name in $fields.Keys) { $form.Add([System.Net.Http.StringContent]::new($fields[$name]), $name) }

        $watch = Start-StoreWatch -StorePath $StorePath -WorkFolder $TestDrive -Markers $SecretMarkers
        try { $uploaded = Invoke-RawHttp -Uri $RepositoryUrl -Method POST -Token $Token -Content $form }
        finally { $seen = Stop-StoreWatch $watch }

        $uploaded.StatusCode | Should -Be 200 -Because $uploaded.Text
        (Get-CaPackageVersionAsset @Pypi -Package 'ca-test-secret' -Version '1.0').Hashes['SHA-256'] | Should -BeExactly (Get-Digest -Bytes $SecretWheel)
        $seen.Unreadable | Should -BeNullOrEmpty
        # Proof that the watch read the spool while it was there (20 MB), not only before or after.
        @($seen.Sizes.Keys | Where-Object { $_ -like 'tmp*' -and $seen.Sizes[$_] -gt 1MB }) | Should -Not -BeNullOrEmpty -Because "the watch read $($seen.Passes) times: $($seen.Sizes | ConvertTo-Json -Compress)"
        $seen.Hits | Should -BeNullOrEmpty -Because 'no file under the store may hold an upload in plaintext, not even for a moment'
        Find-Marker $StorePath $SecretMarkers | Should -BeNullOrEmpty
        @(Get-ChildItem (Join-Path $StorePath 'tmp') -File -ErrorAction SilentlyContinue).Count | Should -Be 0
    }
}
