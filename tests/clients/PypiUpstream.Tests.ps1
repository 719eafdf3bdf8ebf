#Requires -Version 7.6
# PyPI through upstream repositories and an external connection, driven by the real pip and twine. Two endpoints: the
# remote one plays a public index over its own store; the local store has app -> team -> store, and store's external
# connection points at the remote. The Its build on each other, in order.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../pester/TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'PypiClientHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'UpstreamRig.psm1') -Force
    Import-TestModule
    Assert-PypiClients
    Enable-IsolatedPip

    $script:Rig = New-UpstreamRig -Format pypi
    $script:JsonAccept = 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01'
    $script:PipPython = Get-PipPython -Scratch $TestDrive

    # Not under TestDrive: Pester empties what a Context adds there when it ends, and later Its need the files.
    $script:Work = Join-Path ([IO.Path]::GetTempPath()) ('psca-pypi-up-' + [guid]::NewGuid().ToString('N'))
    function New-Project([string] $Name, [string] $Version, [string] $Value = $Version, [string[]] $Dependencies = @()) {
        $module = $Name -replace '-', '_'
        New-PythonProject -Path (Join-Path $Work "$Name-$Version-$Value") -Name $Name -Version $Version -Module $module -Value $Value -Dependencies $Dependencies
    }

    # On the remote only: the package to install (it needs ca-up-team, which only team has), a yanked older version, and
    # packages for the outage, coalescing, dependency-confusion and upstream-BLOCK tests.
    $script:Remote10 = New-Project 'ca-up-remote' '1.0' -Dependencies 'ca-up-team>=1.0'
    $script:Remote09 = New-Project 'ca-up-remote' '0.9' -Dependencies 'ca-up-team>=1.0'
    $script:RemoteFiles = @($Remote09) + @($Remote10)
    $remoteOnly = @($RemoteFiles) + @(New-Project 'ca-up-never' '1.0') + @(New-Project 'ca-up-coalesce' '1.0') +
        @(New-Project 'ca-up-confused' '1.0') + @(New-Project 'ca-up-hidden' '1.0')
    Use-Store $Rig.RemoteStore {
        Publish-CaPackage -Domain $Rig.RemoteDomain -Repository $Rig.RemoteRepository -Path $remoteOnly.FullName | Out-Null
        Set-CaPackageVersionStatus -Domain $Rig.RemoteDomain -Repository $Rig.RemoteRepository -Format pypi -Package 'ca-up-remote' -Version '0.9' `
            -Status Unlisted -Confirm:$false | Out-Null
    }

    # In team only: the dependency; and one version in two upstreams with different content.
    $script:TeamFiles = New-Project 'ca-up-team' '1.0'
    $script:OrderTeam = New-Project 'ca-up-order' '1.0' -Value 'from-team'
    $script:OrderTeam2 = New-Project 'ca-up-order' '1.0' -Value 'from-team2'
    $script:Confused90 = New-Project 'ca-up-confused' '9.0'
    Publish-CaPackage -Domain corp -Repository team -Path (@($TeamFiles) + @($OrderTeam)).FullName | Out-Null
    New-CaRepository -Domain corp -Name 'team2' | Out-Null
    Publish-CaPackage -Domain corp -Repository team2 -Path $OrderTeam2.FullName | Out-Null

    $script:AppSimple = "$($Rig.appUrl)simple/"
    $script:AppIndex = $AppSimple -replace '^http://', "http://aws:$($Rig.Token)@"

    # pip from outside a fresh venv, with no cache: every file comes from the endpoint.
    function Invoke-PipInstall([string] $Name, [string[]] $Requirements) {
        $venv = New-Venv -PipPython $PipPython -Path (Join-Path $Work "venv-$Name")
        $result = Invoke-Client $PipPython -m pip --python $venv install --no-cache-dir --no-input --index-url $AppIndex @Requirements
        $result | Add-Member -NotePropertyName Venv -NotePropertyValue $venv -PassThru
    }

    function Invoke-Twine([string] $RepositoryUrl, [string[]] $Files) {
        Invoke-Client twine upload --non-interactive --disable-progress-bar --repository-url $RepositoryUrl -u aws -p $Rig.Token @Files
    }

    function Get-Page([string] $Project, [string] $Accept = $JsonAccept) {
        Invoke-RawHttp -Uri "$AppSimple$Project/" -Headers @{ Accept = $Accept } -Token $Rig.Token
    }

    function Get-Versions([string] $Repository, [string] $Package) {
        @(Get-CaPackageVersion -Domain corp -Repository $Repository -Format pypi -Package $Package -ErrorAction SilentlyContinue)
    }
}

AfterAll {
    Remove-UpstreamRig $Rig
    Restore-ClientEnvironment
    if (Test-Path variable:script:Work) { Remove-Item -Recurse -Force $Work -ErrorAction SilentlyContinue }
}

Describe 'PyPI through upstreams and an external connection, with pip and twine' {
    It 'merges the remote''s files into app''s project page: URLs at app, exact hashes, yanked and requires-python kept' {
        $page = Get-Page 'ca-up-remote'
        $html = Get-Page 'ca-up-remote' 'text/html'

        $page.StatusCode | Should -Be 200 -Because $page.Text
        $json = $page.Text | ConvertFrom-Json -AsHashtable -DateKind String
        $json.versions | Should -Be @('0.9', '1.0')
        $json.files.Count | Should -Be 4
        foreach ($entry in $json.files) {
            $file = $RemoteFiles | Where-Object Name -EQ $entry.filename
            $version = if ($file.Name -match '-0\.9[-.]') { '0.9' } else { '1.0' }
            $entry.url | Should -BeExactly "../../files/ca-up-remote/$version/$($file.Name)"
            $entry.hashes.sha256 | Should -BeExactly (Get-Digest -Path $file.FullName)
            $entry.'requires-python' | Should -BeExactly '>=3.7'
            $entry.yanked | Should -Be ($version -eq '0.9')
            # Nothing is stored yet, so no PEP 658 metadata is offered.
            $entry.'core-metadata' | Should -BeFalse
        }
        $html.StatusCode | Should -Be 200
        $html.Text | Should -Match 'data-requires-python="&gt;=3\.7" data-yanked=""'
        Get-Versions 'app' 'ca-up-remote' | Should -BeNullOrEmpty -Because 'reading a page retains nothing'
    }

    It 'installs through app a package only the remote has, with its dependency that only team has' {
        $installed = Invoke-PipInstall 'first' 'ca-up-remote'

        $installed.ExitCode | Should -Be 0 -Because $installed.Output
        $installed.Output | Should -Match 'Successfully installed ca-up-remote-1\.0 ca-up-team-1\.0'
        $installed.Output | Should -Match ([regex]::Escape("$($Rig.appUrl)files/ca-up-remote/1.0/"))
        (Invoke-Client $installed.Venv -c 'import ca_up_remote, ca_up_team; print(ca_up_remote.VALUE)').Output | Should -Match '(?m)^1\.0\s*$'
    }

    It 'retains what it installed in app and store, not in team, with origin EXTERNAL in store' {
        $wheel = $Remote10 | Where-Object Extension -EQ '.whl'

        (Get-Versions 'app' 'ca-up-remote').Version | Should -Be @('1.0')
        (Get-Versions 'app' 'ca-up-team').Version | Should -Be @('1.0')
        $stored = Get-Versions 'store' 'ca-up-remote'
        $stored.Version | Should -Be @('1.0')
        $stored.Origin.OriginType | Should -Be 'EXTERNAL'
        $stored.Origin.DomainEntryPointExternalConnection | Should -Be $Rig.Connection
        Get-Versions 'team' 'ca-up-remote' | Should -BeNullOrEmpty
        Get-Versions 'store' 'ca-up-team' | Should -BeNullOrEmpty
        (Get-CaPackageVersionAsset -Domain corp -Repository store -Format pypi -Package 'ca-up-remote' -Version '1.0' -Name $wheel.Name).Hashes['SHA-256'] |
            Should -BeExactly (Get-Digest -Path $wheel.FullName)
    }

    It 'still lists the sdist only the remote holds next to the retained wheel, now with PEP 658 metadata for the wheel' {
        $json = (Get-Page 'ca-up-remote').Text | ConvertFrom-Json -AsHashtable
        $wheel = $json.files | Where-Object filename -EQ ($Remote10 | Where-Object Extension -EQ '.whl').Name
        $sdist = $json.files | Where-Object filename -EQ ($Remote10 | Where-Object Extension -EQ '.gz').Name

        $json.files.Count | Should -Be 4
        $wheel.'core-metadata'.sha256 | Should -Match '^[0-9a-f]{64}$'
        $sdist.'core-metadata' | Should -BeFalse
        $metadata = Invoke-RawHttp -Uri ([Uri]::new([Uri] "$($AppSimple)ca-up-remote/", $wheel.url + '.metadata').AbsoluteUri) -Token $Rig.Token
        $metadata.StatusCode | Should -Be 200 -Because $metadata.Text
        Get-Digest -Bytes $metadata.Bytes | Should -BeExactly $wheel.'core-metadata'.sha256
    }

    It 'lists at simple/ the projects of app and of the repositories it searches, not the remote''s' {
        $listed = ((Invoke-RawHttp -Uri $AppSimple -Headers @{ Accept = 'application/vnd.pypi.simple.v1+json' } -Token $Rig.Token).Text | ConvertFrom-Json).projects.name

        $listed | Should -Contain 'ca-up-remote'
        $listed | Should -Contain 'ca-up-team'
        $listed | Should -Contain 'ca-up-order'
        $listed | Should -Not -Contain 'ca-up-never'
    }

    Context 'while the remote is down' {
        BeforeAll { Stop-RemoteEndpoint $Rig }
        AfterAll { Start-RemoteEndpoint $Rig }

        It 'installs the retained versions again from empty caches' {
            $installed = Invoke-PipInstall 'remote-down' 'ca-up-remote==1.0'

            $installed.ExitCode | Should -Be 0 -Because $installed.Output
            $installed.Output | Should -Match 'Successfully installed ca-up-remote-1\.0 ca-up-team-1\.0'
        }

        It 'answers 502 with the reason for a remote-only package nothing has cached, never 404' {
            $page = Get-Page 'ca-up-never'
            $file = Invoke-RawHttp -Uri "$($Rig.appUrl)files/ca-up-never/1.0/ca_up_never-1.0-py3-none-any.whl" -Token $Rig.Token

            $page.StatusCode | Should -Be 502 -Because $page.Text
            ($page.Text | ConvertFrom-Json).error | Should -Match ([regex]::Escape($Rig.Connection))
            ($page.Text | ConvertFrom-Json).error | Should -Match 'unavailable'
            $file.StatusCode | Should -Be 502 -Because $file.Text
        }
    }

    It 'sends 20 concurrent first requests for a package''s page to the remote as one request' {
        $client = [System.Net.Http.HttpClient]::new()
        try {
            $basic = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("aws:$($Rig.Token)"))
            $client.DefaultRequestHeaders.Authorization = [System.Net.Http.Headers.AuthenticationHeaderValue]::new('Basic', $basic)
            $client.DefaultRequestHeaders.Accept.ParseAdd('application/vnd.pypi.simple.v1+json')
            $before = Get-RemoteRequestCount $Rig

            $tasks = [System.Threading.Tasks.Task[]] @(1..20 | ForEach-Object { $client.GetAsync("$($AppSimple)ca-up-coalesce/") })
            [System.Threading.Tasks.Task]::WaitAll($tasks)

            $after = Get-RemoteRequestCount $Rig
            @($tasks | ForEach-Object { [int] $_.Result.StatusCode } | Sort-Object -Unique) | Should -Be @(200)
            $after - $before | Should -Be 1
        }
        finally { $client.Dispose() }
    }

    It 'serves a version that two upstreams hold from the first of them' {
        Set-CaRepository -Domain corp -Name app -Upstream 'team', 'team2' | Out-Null
        $teamWheel = $OrderTeam | Where-Object Extension -EQ '.whl'
        (Get-Digest -Path $teamWheel.FullName) | Should -Not -Be (Get-Digest -Path ($OrderTeam2 | Where-Object Extension -EQ '.whl').FullName)

        $installed = Invoke-PipInstall 'order' 'ca-up-order'
        $json = (Get-Page 'ca-up-order').Text | ConvertFrom-Json -AsHashtable

        $installed.ExitCode | Should -Be 0 -Because $installed.Output
        (Invoke-Client $installed.Venv -c 'import ca_up_order; print(ca_up_order.VALUE)').Output | Should -Match '(?m)^from-team\s*$'
        ($json.files | Where-Object filename -EQ $teamWheel.Name).hashes.sha256 | Should -BeExactly (Get-Digest -Path $teamWheel.FullName)
    }

    It 'refuses a twine upload to app of a name the remote has (409, saying why) until the origin configuration allows it' {
        (Get-Page 'ca-up-confused').Text | ConvertFrom-Json | ForEach-Object versions | Should -Be @('1.0')

        $refused = Invoke-Twine $Rig.appUrl $Confused90.FullName

        $refused.ExitCode | Should -Not -Be 0 -Because $refused.Output
        $refused.Output | Should -Match '409'
        $refused.Output | Should -Match 'dependency confusion'
        $refused.Output | Should -Match 'Set-CaPackageOriginConfiguration'
        Get-Versions 'app' 'ca-up-confused' | Should -BeNullOrEmpty

        Set-CaPackageOriginConfiguration -Domain corp -Repository app -Format pypi -Package 'ca-up-confused' -Publish ALLOW -Upstream BLOCK | Out-Null
        $allowed = Invoke-Twine $Rig.appUrl $Confused90.FullName

        $allowed.ExitCode | Should -Be 0 -Because $allowed.Output
        (Get-Versions 'app' 'ca-up-confused').Version | Should -Be @('9.0')
        (Get-Page 'ca-up-confused').Text | ConvertFrom-Json | ForEach-Object versions | Should -Be @('9.0') -Because 'upstream=BLOCK hides the remote''s versions'
    }

    It 'hides what lies behind a repository whose package blocks upstreams, and shows it again when it allows them' {
        $before = Get-Page 'ca-up-hidden'
        Set-CaPackageOriginConfiguration -Domain corp -Repository team -Format pypi -Package 'ca-up-hidden' -Publish ALLOW -Upstream BLOCK | Out-Null
        $blocked = Get-Page 'ca-up-hidden'
        Set-CaPackageOriginConfiguration -Domain corp -Repository team -Format pypi -Package 'ca-up-hidden' -Publish ALLOW -Upstream ALLOW | Out-Null
        $allowed = Get-Page 'ca-up-hidden'

        $before.StatusCode | Should -Be 200 -Because $before.Text
        $blocked.StatusCode | Should -Be 404 -Because $blocked.Text
        $allowed.StatusCode | Should -Be 200 -Because $allowed.Text
        ($allowed.Text | ConvertFrom-Json).versions | Should -Be @('1.0')
    }

    It 'keeps a retained version installable after the upstream link is removed' {
        Set-CaRepository -Domain corp -Name app -Upstream @() | Out-Null
        try {
            $installed = Invoke-PipInstall 'unlinked' 'ca-up-remote'
            $json = (Get-Page 'ca-up-remote').Text | ConvertFrom-Json

            $installed.ExitCode | Should -Be 0 -Because $installed.Output
            $installed.Output | Should -Match 'Successfully installed ca-up-remote-1\.0 ca-up-team-1\.0'
            $json.versions | Should -Be @('1.0')
            $json.files.filename | Should -Be @(($Remote10 | Where-Object Extension -EQ '.whl').Name)
        }
        finally { Set-CaRepository -Domain corp -Name app -Upstream 'team' | Out-Null }
    }
}
