#Requires -Version 7.6
# The endpoint: Start-CaEndpoint, Get-CaEndpoint, Stop-CaEndpoint (HTTP and HTTPS, -Wait, Remove-Module), the URLs of
# Get-CaRepositoryEndpoint, and the tokens of Get-CaAuthorizationToken as the endpoint checks them.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-TestModule

    $script:StartCommand = 'PSCodeArtifact.PowerShell.Commands.StartCaEndpointCommand'
    $script:RepositoryEndpointCommand = 'PSCodeArtifact.PowerShell.Commands.GetCaRepositoryEndpointCommand'
    $script:TokenCommand = 'PSCodeArtifact.PowerShell.Commands.GetCaAuthorizationTokenCommand'

    # Whether something accepts TCP connections on the loopback port.
    function Test-PortOpen([int] $Port) {
        $client = [Net.Sockets.TcpClient]::new()
        try {
            $client.ConnectAsync([Net.IPAddress]::Loopback, $Port).Wait(3000) -and $client.Connected
        }
        catch { $false }
        finally { $client.Dispose() }
    }

    # A port that was free a moment ago.
    function Get-FreePort {
        $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
        $listener.Start()
        try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
    }

    function Invoke-Endpoint([string] $Url, [hashtable] $Headers = @{}, [string] $Method = 'GET') {
        Invoke-WebRequest -Uri $Url -Method $Method -Headers $Headers -SkipHttpErrorCheck -SkipCertificateCheck -ErrorAction Stop
    }

    function ConvertTo-Base64Url([byte[]] $Bytes) {
        [Convert]::ToBase64String($Bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_')
    }

    function ConvertFrom-Base64Url([string] $Text) {
        $s = $Text.Replace('-', '+').Replace('_', '/')
        [Convert]::FromBase64String($s.PadRight($s.Length + ((4 - $s.Length % 4) % 4), '='))
    }

    # The payload of a token (Domain, Created, Exp, Id), as TokenService writes it.
    function Get-TokenPayload([string] $Token) {
        [Text.Encoding]::UTF8.GetString((ConvertFrom-Base64Url ($Token -split '\.')[1])) | ConvertFrom-Json
    }

    # A token signed with the store's signing key, in TokenService's format: pca1.<payload>.<HMAC-SHA256 of the rest>.
    function New-SignedToken([string] $StorePath, [string] $Domain, [long] $Created, [long] $Exp) {
        $key = [IO.File]::ReadAllBytes((Join-Path $StorePath 'keys/token-signing.key'))
        $payload = [ordered]@{ Domain = $Domain; Created = $Created; Exp = $Exp; Id = '00112233aabbccdd' } | ConvertTo-Json -Compress
        $body = 'pca1.' + (ConvertTo-Base64Url ([Text.Encoding]::UTF8.GetBytes($payload)))
        $body + '.' + (ConvertTo-Base64Url ([Security.Cryptography.HMACSHA256]::HashData($key, [Text.Encoding]::ASCII.GetBytes($body))))
    }

    # A self-signed certificate for 127.0.0.1 and localhost in a password-protected .pfx.
    function New-TestCertificate([string] $Path, [string] $Password) {
        $rsa = [Security.Cryptography.RSA]::Create(2048)
        try {
            $request = [Security.Cryptography.X509Certificates.CertificateRequest]::new('CN=localhost', $rsa,
                [Security.Cryptography.HashAlgorithmName]::SHA256, [Security.Cryptography.RSASignaturePadding]::Pkcs1)
            $names = [Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder]::new()
            $names.AddIpAddress([Net.IPAddress]::Loopback)
            $names.AddDnsName('localhost')
            $request.CertificateExtensions.Add($names.Build())
            $serverAuth = [Security.Cryptography.OidCollection]::new()
            [void] $serverAuth.Add([Security.Cryptography.Oid]::new('1.3.6.1.5.5.7.3.1'))
            $request.CertificateExtensions.Add([Security.Cryptography.X509Certificates.X509EnhancedKeyUsageExtension]::new($serverAuth, $false))
            $certificate = $request.CreateSelfSigned([DateTimeOffset]::UtcNow.AddDays(-1), [DateTimeOffset]::UtcNow.AddDays(30))
            try {
                [IO.File]::WriteAllBytes($Path, $certificate.Export([Security.Cryptography.X509Certificates.X509ContentType]::Pfx, $Password))
            }
            finally { $certificate.Dispose() }
        }
        finally { $rsa.Dispose() }
    }

    # The routes of a running endpoint (pattern and HTTP methods), read from its WebApplication.
    function Get-EndpointRoute($Endpoint) {
        $flags = [Reflection.BindingFlags]'NonPublic, Instance'
        $caEndpoint = $Endpoint.GetType().GetProperty('Endpoint', $flags).GetValue($Endpoint)
        $app = $caEndpoint.GetType().GetField('_app', $flags).GetValue($caEndpoint)
        foreach ($route in $app.Services.GetService([Microsoft.AspNetCore.Routing.EndpointDataSource]).Endpoints) {
            if ($route -isnot [Microsoft.AspNetCore.Routing.RouteEndpoint]) { continue }
            $methods = @($route.Metadata | Where-Object { $_ -is [Microsoft.AspNetCore.Routing.HttpMethodMetadata] } | Select-Object -Last 1 | ForEach-Object HttpMethods)
            [pscustomobject]@{ Pattern = $route.RoutePattern.RawText.TrimStart('/'); Methods = $methods }
        }
    }

    <#
        A GET path of a repository route, to check tokens against: the PyPI simple index or the npm ping when they exist,
        else the first GET route under /{domain}/{format}/{repository}/ without other parameters (or with a catch-all).
        $null when the endpoint has no repository route yet (then only the fallback answers, which knows no domain).
    #>
    function Get-RepositoryProbePath($Endpoint, [string] $Domain, [string] $Repository) {
        $routes = @(Get-EndpointRoute $Endpoint | Where-Object { $_.Methods -contains 'GET' -and $_.Pattern -match '^\{domain\}/[a-z]+/\{repository\}' })
        $preferred = '{domain}/pypi/{repository}/simple', '{domain}/pypi/{repository}/simple/', '{domain}/npm/{repository}/-/ping'
        $chosen = @($routes | Where-Object Pattern -In $preferred | Select-Object -First 1)
        if (-not $chosen) { $chosen = @($routes | Where-Object { ($_.Pattern -replace '\{domain\}|\{repository\}|\{\*\*?[^}]+\}', '') -notmatch '\{' } | Select-Object -First 1) }
        if (-not $chosen) { return $null }
        $path = $chosen[0].Pattern -replace '\{domain\}', $Domain -replace '\{repository\}', $Repository -replace '\{\*\*?[^}]+\}', 'x/y'
        if ($chosen[0].Pattern -match 'pypi/\{repository\}/simple$') { $path += '/' }
        $path
    }
}

Describe 'Start-CaEndpoint, Get-CaEndpoint and Stop-CaEndpoint' {
    BeforeEach {
        $script:Store = New-TestStore
    }

    AfterEach {
        Stop-CaEndpoint
        Remove-TestStore
    }

    It 'starts on a free port with -Port 0 and serves /health anonymously' {
        $before = [DateTimeOffset]::Now.AddSeconds(-2)
        $endpoint = Start-CaEndpoint -Port 0

        $endpoint | Should -BeOfType ([PSCodeArtifact.PowerShell.EndpointInfo])
        $endpoint.Port | Should -BeGreaterThan 0
        $endpoint.Uri | Should -Be ([uri] "http://127.0.0.1:$($endpoint.Port)/")
        $endpoint.ListenAddress | Should -BeExactly '127.0.0.1'
        $endpoint.StorePath | Should -BeExactly ([IO.Path]::GetFullPath($script:Store))
        $endpoint.StartTime | Should -BeGreaterOrEqual $before
        $endpoint.StartTime | Should -BeLessOrEqual ([DateTimeOffset]::Now.AddSeconds(2))
        $endpoint.IsRunning | Should -BeTrue
        "$endpoint" | Should -BeExactly "http://127.0.0.1:$($endpoint.Port)/"

        $health = Invoke-RestMethod -Uri "$($endpoint.Uri)health"
        $health.status | Should -BeExactly 'Healthy'
        $health.schemaVersion | Should -BeGreaterThan 0
        (Invoke-Endpoint "$($endpoint.Uri)health" -Method HEAD).StatusCode | Should -Be 200
    }

    It 'refuses a request body larger than -MaxRequestBodySize with 413 and stores nothing' {
        New-CaDomain -Name 'limits' | Out-Null
        New-CaRepository -Domain 'limits' -Name 'main' | Out-Null
        $endpoint = Start-CaEndpoint -Port 0 -MaxRequestBodySize 1024
        $token = (Get-CaAuthorizationToken -Domain 'limits').AuthorizationToken
        $body = [byte[]]::new(4096)
        [Random]::new(7).NextBytes($body)
        $sha = [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData($body)).ToLowerInvariant()
        $client = [Net.Http.HttpClient]::new()
        try {
            $request = [Net.Http.HttpRequestMessage]::new('PUT', "$($endpoint.Uri)limits/generic/main/team/tool/1.0/big.bin")
            $request.Headers.Authorization = [Net.Http.Headers.AuthenticationHeaderValue]::new('Bearer', $token)
            $request.Headers.Add('X-Checksum-Sha256', $sha)
            $request.Content = [Net.Http.ByteArrayContent]::new($body)
            $response = $client.Send($request)
            [int] $response.StatusCode | Should -Be 413
        }
        finally { $client.Dispose() }
        Get-CaPackage -Domain 'limits' -Repository 'main' | Should -BeNullOrEmpty
    }

    It 'starts on a fixed free port' {
        $port = Get-FreePort
        $endpoint = Start-CaEndpoint -Port $port
        $endpoint.Port | Should -Be $port
        $endpoint.Uri | Should -Be ([uri] "http://127.0.0.1:$port/")
        (Invoke-RestMethod -Uri "http://127.0.0.1:$port/health").status | Should -BeExactly 'Healthy'
    }

    It 'runs two endpoints at once and Get-CaEndpoint lists them' {
        $first = Start-CaEndpoint
        $second = Start-CaEndpoint
        $second.Port | Should -Not -Be $first.Port
        $second.Id | Should -Not -Be $first.Id

        $listed = @(Get-CaEndpoint)
        $listed.Count | Should -Be 2
        @($listed.Port | Sort-Object) | Should -Be @(@($first.Port, $second.Port) | Sort-Object)
        foreach ($endpoint in $first, $second) {
            (Invoke-RestMethod -Uri "$($endpoint.Uri)health").status | Should -BeExactly 'Healthy'
        }
    }

    It 'lists nothing when no endpoint runs' {
        @(Get-CaEndpoint).Count | Should -Be 0
    }

    It 'stops the endpoints piped to Stop-CaEndpoint and leaves the others running' {
        $first = Start-CaEndpoint
        $second = Start-CaEndpoint

        $first | Stop-CaEndpoint

        $first.IsRunning | Should -BeFalse
        Test-PortOpen $first.Port | Should -BeFalse -Because 'a stopped endpoint refuses connections'
        @(Get-CaEndpoint).Port | Should -Be @($second.Port)
        (Invoke-RestMethod -Uri "$($second.Uri)health").status | Should -BeExactly 'Healthy'
    }

    It 'stops the endpoints Get-CaEndpoint pipes in' {
        $endpoint = Start-CaEndpoint
        Get-CaEndpoint | Stop-CaEndpoint
        @(Get-CaEndpoint).Count | Should -Be 0
        Test-PortOpen $endpoint.Port | Should -BeFalse
    }

    It 'stops all endpoints when none is given' {
        $endpoints = @(Start-CaEndpoint; Start-CaEndpoint)
        Stop-CaEndpoint
        @(Get-CaEndpoint).Count | Should -Be 0
        foreach ($endpoint in $endpoints) {
            $endpoint.IsRunning | Should -BeFalse
            Test-PortOpen $endpoint.Port | Should -BeFalse
        }
    }

    It 'stops nothing when -Endpoint is <Case>' -ForEach @(
        @{ Case = 'a lookup that found nothing'; Stop = { $none = Get-CaEndpoint | Where-Object Port -EQ 1; Stop-CaEndpoint -Endpoint $none -ErrorAction SilentlyContinue } }
        @{ Case = '$null from the pipeline'; Stop = { $null | Stop-CaEndpoint -ErrorAction SilentlyContinue } }
        @{ Case = 'an empty list'; Stop = { Stop-CaEndpoint -Endpoint @() -ErrorAction SilentlyContinue } }
    ) {
        $endpoint = Start-CaEndpoint
        & $Stop
        $endpoint.IsRunning | Should -BeTrue -Because 'only Stop-CaEndpoint without -Endpoint stops every endpoint'
        @(Get-CaEndpoint).Count | Should -Be 1
    }

    It 'ignores an endpoint that is already stopped' {
        $endpoint = Start-CaEndpoint
        $endpoint | Stop-CaEndpoint
        { $endpoint | Stop-CaEndpoint -ErrorAction Stop } | Should -Not -Throw
    }

    It 'keeps the endpoint running with -WhatIf' {
        $endpoint = Start-CaEndpoint
        $endpoint | Stop-CaEndpoint -WhatIf
        $endpoint.IsRunning | Should -BeTrue
        Test-PortOpen $endpoint.Port | Should -BeTrue
    }

    It 'starts nothing with -WhatIf' {
        Start-CaEndpoint -WhatIf | Should -BeNullOrEmpty
        @(Get-CaEndpoint).Count | Should -Be 0
    }

    It 'can start again on the port of an endpoint it stopped' {
        $endpoint = Start-CaEndpoint
        $port = $endpoint.Port
        $endpoint | Stop-CaEndpoint
        $again = Start-CaEndpoint -Port $port
        $again.Port | Should -Be $port
        (Invoke-RestMethod -Uri "$($again.Uri)health").status | Should -BeExactly 'Healthy'
    }

    It 'serves HTTPS with a .pfx certificate and its password' {
        $pfx = Join-Path $TestDrive 'endpoint.pfx'
        New-TestCertificate -Path $pfx -Password 'pfx-secret'
        $endpoint = Start-CaEndpoint -CertificatePath $pfx -CertificatePassword (ConvertTo-SecureString 'pfx-secret' -AsPlainText -Force)

        $endpoint.Uri.Scheme | Should -BeExactly 'https'
        $endpoint.Uri | Should -Be ([uri] "https://127.0.0.1:$($endpoint.Port)/")
        (Invoke-RestMethod -Uri "$($endpoint.Uri)health" -SkipCertificateCheck).status | Should -BeExactly 'Healthy'
        { Invoke-RestMethod -Uri "http://127.0.0.1:$($endpoint.Port)/health" -TimeoutSec 5 } | Should -Throw -Because 'an HTTPS endpoint does not speak plain HTTP'
    }

    It 'refuses a listen address that is not an IP address with InvalidListenAddress' {
        $failure = { Start-CaEndpoint -ListenAddress 'localhost' } | Should -Throw -PassThru
        $failure.FullyQualifiedErrorId | Should -BeExactly "InvalidListenAddress,$script:StartCommand"
        $failure.CategoryInfo.Category | Should -Be 'InvalidArgument'
        @(Get-CaEndpoint).Count | Should -Be 0
    }

    It 'refuses a certificate file that does not exist with CertificateNotFound' {
        $missing = Join-Path $TestDrive 'missing.pfx'
        $failure = { Start-CaEndpoint -CertificatePath $missing } | Should -Throw -PassThru
        $failure.FullyQualifiedErrorId | Should -BeExactly "CertificateNotFound,$script:StartCommand"
        $failure.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        @(Get-CaEndpoint).Count | Should -Be 0
    }

    It 'fails with EndpointStartFailed for a certificate with a wrong password' {
        $pfx = Join-Path $TestDrive 'wrong-password.pfx'
        New-TestCertificate -Path $pfx -Password 'right'
        $failure = { Start-CaEndpoint -CertificatePath $pfx -CertificatePassword (ConvertTo-SecureString 'wrong' -AsPlainText -Force) } | Should -Throw -PassThru
        $failure.FullyQualifiedErrorId | Should -BeExactly "EndpointStartFailed,$script:StartCommand"
        @(Get-CaEndpoint).Count | Should -Be 0
    }

    It 'fails with EndpointStartFailed for a port in use by <Case>' -ForEach @(
        @{ Case = 'another endpoint' }
        @{ Case = 'another program' }
    ) {
        if ($Case -eq 'another endpoint') {
            $busy = Start-CaEndpoint
            $port = $busy.Port
        }
        else {
            $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
            $listener.Start()
            $port = $listener.LocalEndpoint.Port
        }
        try {
            $failure = { Start-CaEndpoint -Port $port } | Should -Throw -PassThru
            $failure.FullyQualifiedErrorId | Should -BeExactly "EndpointStartFailed,$script:StartCommand"
            $failure.CategoryInfo.Category | Should -Be 'OpenError'
            @(Get-CaEndpoint | Where-Object Port -EQ $port).Count | Should -BeLessOrEqual 1
        }
        finally {
            if ($listener) { $listener.Stop() }
        }
        if ($busy) { (Invoke-RestMethod -Uri "$($busy.Uri)health").status | Should -BeExactly 'Healthy' -Because 'the endpoint on the port is unharmed' }
    }

    It 'stops every endpoint when the module is removed' {
        $folder = Join-Path $TestDrive 'remove-module'
        New-Item -ItemType Directory -Path $folder | Out-Null
        $script = Join-Path $folder 'child.ps1'
        Set-Content -Path $script -Value @'
param([string] $Folder)
$ErrorActionPreference = 'Stop'
Import-Module $env:PSCODEARTIFACT_MODULE
$endpoints = @(Start-CaEndpoint; Start-CaEndpoint)
Set-Content -Path (Join-Path $Folder 'ports') -Value ($endpoints.Port -join ',')
Remove-Module PSCodeArtifact
Set-Content -Path (Join-Path $Folder 'removed') -Value 'removed'
# Stay alive, so the parent sees the ports closed by Remove-Module and not by the process exiting.
$deadline = [DateTime]::UtcNow.AddSeconds(60)
while (-not (Test-Path (Join-Path $Folder 'done')) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
'@
        $process = Start-TestPwsh -ScriptPath $script -StorePath $script:Store -ArgumentList $folder
        try {
            Wait-TestFile -Path (Join-Path $folder 'removed') -TimeoutSeconds 120 -Process $process
            $ports = @((Get-Content (Join-Path $folder 'ports')) -split ',' | ForEach-Object { [int] $_ })
            $ports.Count | Should -Be 2
            $process.HasExited | Should -BeFalse
            foreach ($port in $ports) { Test-PortOpen $port | Should -BeFalse -Because "Remove-Module stops the endpoint on port $port" }
        }
        finally {
            Set-Content -Path (Join-Path $folder 'done') -Value 'done'
            $result = Wait-TestPwsh -Process $process -TimeoutSeconds 60
        }
        $result.ExitCode | Should -Be 0 -Because $result.ErrorOutput
    }

    It 'serves with -Wait until SIGTERM, then stops and lets the process exit 0' -Skip:$IsWindows {
        $folder = Join-Path $TestDrive 'wait'
        New-Item -ItemType Directory -Path $folder | Out-Null
        $script = Join-Path $folder 'child.ps1'
        Set-Content -Path $script -Value @'
param([string] $Folder)
$ErrorActionPreference = 'Stop'
Import-Module $env:PSCODEARTIFACT_MODULE
Set-Content -Path (Join-Path $Folder 'pid') -Value $PID
Start-CaEndpoint -Wait | ForEach-Object {
    Set-Content -Path (Join-Path $Folder 'port.tmp') -Value $_.Port
    Move-Item (Join-Path $Folder 'port.tmp') (Join-Path $Folder 'port')
}
"running after -Wait: $(@(Get-CaEndpoint).Count)"
'@
        $process = Start-TestPwsh -ScriptPath $script -StorePath $script:Store -ArgumentList $folder
        try {
            Wait-TestFile -Path (Join-Path $folder 'port') -TimeoutSeconds 120 -Process $process
            $port = [int] (Get-Content (Join-Path $folder 'port'))
            $childPid = [int] (Get-Content (Join-Path $folder 'pid'))
            (Invoke-RestMethod -Uri "http://127.0.0.1:$port/health").status | Should -BeExactly 'Healthy'
            Start-Sleep -Milliseconds 500
            $process.HasExited | Should -BeFalse -Because '-Wait keeps serving'
            (Invoke-RestMethod -Uri "http://127.0.0.1:$port/health").status | Should -BeExactly 'Healthy'

            $clock = [Diagnostics.Stopwatch]::StartNew()
            & /bin/kill -TERM $childPid
            $LASTEXITCODE | Should -Be 0
            $process.WaitForExit(10000) | Should -BeTrue -Because 'SIGTERM ends -Wait'
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 5
        }
        finally {
            $result = Wait-TestPwsh -Process $process -TimeoutSeconds 30
        }
        $result.ExitCode | Should -Be 0 -Because $result.ErrorOutput
        $result.Output | Should -Match 'running after -Wait: 0' -Because 'the script goes on after -Wait, with the endpoint stopped'
        Test-PortOpen $port | Should -BeFalse
    }
}

Describe 'Get-CaRepositoryEndpoint' {
    BeforeAll {
        $script:Store = New-TestStore
        New-CaDomain -Name 'demo' | Out-Null
        New-CaRepository -Domain 'demo' -Name 'Main' | Out-Null
    }

    AfterAll {
        Stop-CaEndpoint
        Remove-TestStore
    }

    AfterEach {
        Stop-CaEndpoint
    }

    It 'returns {base}/{domain}/<_>/{repository}/ for the format <_>' -ForEach @('npm', 'pypi', 'maven', 'nuget', 'generic') {
        $endpoint = Start-CaEndpoint
        $url = Get-CaRepositoryEndpoint -Domain 'demo' -Repository 'Main' -Format $_
        $url | Should -BeOfType ([string])
        $url | Should -BeExactly "http://127.0.0.1:$($endpoint.Port)/demo/$_/Main/"
    }

    It 'writes the format in lower case and the repository as it was created' {
        $endpoint = Start-CaEndpoint
        Get-CaRepositoryEndpoint demo main NPM | Should -BeExactly "$($endpoint.Uri)demo/npm/Main/"
    }

    It 'takes repositories from the pipeline' {
        $endpoint = Start-CaEndpoint
        Get-CaRepository -Domain 'demo' -Name 'Main' | Get-CaRepositoryEndpoint -Format pypi | Should -BeExactly "$($endpoint.Uri)demo/pypi/Main/"
    }

    It 'uses the base URL of the HTTPS endpoint' {
        $pfx = Join-Path $TestDrive 'url.pfx'
        New-TestCertificate -Path $pfx -Password 'p'
        $endpoint = Start-CaEndpoint -CertificatePath $pfx -CertificatePassword (ConvertTo-SecureString 'p' -AsPlainText -Force)
        Get-CaRepositoryEndpoint demo Main npm | Should -BeExactly "https://127.0.0.1:$($endpoint.Port)/demo/npm/Main/"
    }

    It 'fails with NoEndpointRunning when no endpoint runs' {
        $failure = { Get-CaRepositoryEndpoint demo Main npm } | Should -Throw -PassThru
        $failure.FullyQualifiedErrorId | Should -BeExactly "NoEndpointRunning,$script:RepositoryEndpointCommand"
        $failure.CategoryInfo.Category | Should -Be 'InvalidOperation'
    }

    It 'fails with EndpointAmbiguous when several run, and -Endpoint picks one' {
        $first = Start-CaEndpoint
        $second = Start-CaEndpoint
        $failure = { Get-CaRepositoryEndpoint demo Main npm } | Should -Throw -PassThru
        $failure.FullyQualifiedErrorId | Should -BeExactly "EndpointAmbiguous,$script:RepositoryEndpointCommand"

        Get-CaRepositoryEndpoint demo Main npm -Endpoint $first | Should -BeExactly "$($first.Uri)demo/npm/Main/"
        Get-CaRepositoryEndpoint demo Main npm -Endpoint $second | Should -BeExactly "$($second.Uri)demo/npm/Main/"
    }

    It 'fails with <Id> for a <Case> that does not exist' -ForEach @(
        @{ Case = 'repository'; Domain = 'demo'; Repository = 'missing'; Id = 'RepositoryNotFound' }
        @{ Case = 'domain'; Domain = 'nodomain'; Repository = 'Main'; Id = 'DomainNotFound' }
    ) {
        Start-CaEndpoint | Out-Null
        $url = Get-CaRepositoryEndpoint -Domain $Domain -Repository $Repository -Format npm -ErrorAction SilentlyContinue -ErrorVariable failures
        $url | Should -BeNullOrEmpty
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeExactly "$Id,$script:RepositoryEndpointCommand"
    }

    It 'returns the URL of a repository created while the endpoint runs' {
        $endpoint = Start-CaEndpoint
        New-CaRepository -Domain 'demo' -Name 'later' | Out-Null
        Get-CaRepositoryEndpoint demo later pypi | Should -BeExactly "$($endpoint.Uri)demo/pypi/later/"
    }
}

Describe 'Get-CaAuthorizationToken' {
    BeforeAll {
        $script:Store = New-TestStore
        New-CaDomain -Name 'demo' | Out-Null
    }

    AfterAll {
        Remove-TestStore
    }

    It 'issues a token for 12 hours by default and with -DurationSeconds 0' {
        foreach ($token in (Get-CaAuthorizationToken -Domain 'demo'), (Get-CaAuthorizationToken -Domain 'demo' -DurationSeconds 0)) {
            $token | Should -BeOfType ([PSCodeArtifact.Core.Services.DomainToken])
            $token.Domain | Should -BeExactly 'demo'
            $token.AuthorizationToken | Should -Match '^pca1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$'
            $token.Expiration | Should -BeGreaterThan ([DateTimeOffset]::UtcNow.AddHours(12).AddSeconds(-30))
            $token.Expiration | Should -BeLessOrEqual ([DateTimeOffset]::UtcNow.AddHours(12).AddSeconds(1))
            "$token" | Should -BeExactly $token.AuthorizationToken
        }
    }

    It 'issues a token for <_> seconds' -ForEach @(900, 43200) {
        $token = Get-CaAuthorizationToken -Domain 'demo' -DurationSeconds $_
        $token.Expiration | Should -BeGreaterThan ([DateTimeOffset]::UtcNow.AddSeconds($_ - 30))
        $token.Expiration | Should -BeLessOrEqual ([DateTimeOffset]::UtcNow.AddSeconds($_ + 1))
    }

    It 'issues a different token each time' {
        (Get-CaAuthorizationToken demo).AuthorizationToken | Should -Not -BeExactly (Get-CaAuthorizationToken demo).AuthorizationToken
    }

    It 'takes domain names and domains from the pipeline' {
        New-CaDomain -Name 'second' | Out-Null
        $tokens = @('demo', 'second' | Get-CaAuthorizationToken)
        $tokens.Domain | Should -Be @('demo', 'second')
        @(Get-CaDomain -Name 'second' | Get-CaAuthorizationToken).Domain | Should -Be @('second')
    }

    It 'refuses the duration <_> with InvalidDuration' -ForEach @(1, 899, 43201, 50000, -1) {
        $token = Get-CaAuthorizationToken -Domain 'demo' -DurationSeconds $_ -ErrorAction SilentlyContinue -ErrorVariable failures
        $token | Should -BeNullOrEmpty
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeExactly "InvalidDuration,$script:TokenCommand"
        $failures[0].Exception.Message | Should -Match "$_ was given"
    }

    It 'refuses a domain that does not exist with DomainNotFound' {
        $token = Get-CaAuthorizationToken -Domain 'nodomain' -ErrorAction SilentlyContinue -ErrorVariable failures
        $token | Should -BeNullOrEmpty
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeExactly "DomainNotFound,$script:TokenCommand"
    }
}

Describe 'Tokens on the endpoint' {
    BeforeAll {
        $script:Store = New-TestStore
        New-CaDomain -Name 'demo' | Out-Null
        New-CaDomain -Name 'other' | Out-Null
        New-CaRepository -Domain 'demo' -Name 'main' | Out-Null
        New-CaRepository -Domain 'other' -Name 'main' | Out-Null
        $script:Endpoint = Start-CaEndpoint
        $script:Base = "$($script:Endpoint.Uri)"
        $script:Token = (Get-CaAuthorizationToken -Domain 'demo').AuthorizationToken
        # A repository route checks tokens for its domain; without one (the format routes are not there yet) only the
        # fallback answers, which checks a token only for the domain it was issued for.
        $script:ProbePath = Get-RepositoryProbePath $script:Endpoint 'demo' 'main'
        $script:AnyPath = if ($script:ProbePath) { $script:ProbePath } else { 'demo/npm/main/x' }

        function Assert-RepositoryRoute {
            if (-not $script:ProbePath) {
                Set-ItResult -Skipped -Because 'the endpoint has no repository route yet (only /health and the fallback)'
                return $false
            }
            $true
        }

        # A request that the token let through: neither 401 nor 403 (a route may still say 404 for what is missing).
        function Assert-Accepted($Response, [string] $Because) {
            $Response.StatusCode | Should -Not -BeIn @(401, 403) -Because "$Because ($($Response.Content))"
            $Response.StatusCode | Should -BeLessThan 500 -Because "$Because ($($Response.Content))"
        }

        function Assert-Challenged($Response, [string] $Code) {
            $Response.StatusCode | Should -Be 401 -Because $Response.Content
            "$($Response.Headers['WWW-Authenticate'])" | Should -BeExactly 'Basic realm="PSCodeArtifact"'
            $body = $Response.Content | ConvertFrom-Json
            $body.error | Should -Not -BeNullOrEmpty
            if ($Code) { $body.code | Should -BeExactly $Code }
        }

        function Get-BasicHeader([string] $User, [string] $Password) {
            @{ Authorization = 'Basic ' + [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("${User}:$Password")) }
        }
    }

    AfterAll {
        Stop-CaEndpoint
        Remove-TestStore
    }

    It 'challenges an anonymous request with 401 and WWW-Authenticate: Basic realm="PSCodeArtifact"' {
        Assert-Challenged (Invoke-Endpoint "$script:Base$script:AnyPath") -Code 'MissingToken'
    }

    It 'accepts the token as <Case>' -ForEach @(
        @{ Case = 'a Bearer token'; Kind = 'Bearer' }
        @{ Case = 'the password of Basic auth with the user name aws'; Kind = 'Basic'; User = 'aws' }
        @{ Case = 'the password of Basic auth with the user name __token__'; Kind = 'Basic'; User = '__token__' }
        @{ Case = 'the password of Basic auth with any user name'; Kind = 'Basic'; User = 'any-name' }
        @{ Case = 'the password of Basic auth with an empty user name'; Kind = 'Basic'; User = '' }
        @{ Case = 'X-NuGet-ApiKey'; Kind = 'ApiKey' }
    ) {
        $headers = switch ($Kind) {
            'Bearer' { @{ Authorization = "Bearer $script:Token" } }
            'Basic' { Get-BasicHeader $User $script:Token }
            'ApiKey' { @{ 'X-NuGet-ApiKey' = $script:Token } }
        }
        Assert-Accepted (Invoke-Endpoint "$script:Base$script:AnyPath" -Headers $headers) -Because "the token is sent as $Case"
    }

    It 'answers 200 for the repository route with a token' {
        if (-not (Assert-RepositoryRoute)) { return }
        if ($script:ProbePath -notmatch '/simple/$|/-/ping$') {
            Set-ItResult -Skipped -Because "neither the PyPI simple index nor the npm ping exists yet (probe: $script:ProbePath)"
            return
        }
        (Invoke-Endpoint "$script:Base$script:ProbePath" -Headers @{ Authorization = "Bearer $script:Token" }).StatusCode | Should -Be 200
    }

    It 'answers 403 to a token of another domain' {
        if (-not (Assert-RepositoryRoute)) { return }
        $otherToken = (Get-CaAuthorizationToken -Domain 'other').AuthorizationToken
        $response = Invoke-Endpoint "$script:Base$script:ProbePath" -Headers @{ Authorization = "Bearer $otherToken" }
        $response.StatusCode | Should -Be 403 -Because $response.Content
        ($response.Content | ConvertFrom-Json).code | Should -BeExactly 'TokenDomainMismatch'
        $otherPath = $script:ProbePath -replace '^demo/', 'other/'
        Assert-Accepted (Invoke-Endpoint "$script:Base$otherPath" -Headers @{ Authorization = "Bearer $otherToken" }) -Because 'the token works for its own domain'
    }

    It 'challenges a token that was <Case> with 401' -ForEach @(
        @{ Case = 'changed in its signature'; Change = { param($t) $t.Substring(0, $t.Length - 2) + ($(if ($t[-2] -eq 'A') { 'B' } else { 'A' })) + $t[-1] } }
        @{ Case = 'changed in its payload'; Change = { param($t) $p = $t -split '\.'; $p[1] = ConvertTo-Base64Url ([Text.Encoding]::UTF8.GetBytes(([Text.Encoding]::UTF8.GetString((ConvertFrom-Base64Url $p[1])) -replace '"Exp":\d+', '"Exp":4102444800'))); $p -join '.' } }
        @{ Case = 'cut short'; Change = { param($t) $t.Substring(0, $t.LastIndexOf('.')) } }
        @{ Case = 'replaced by garbage'; Change = { param($t) 'not-a-token' } }
        @{ Case = 'signed with another key'; Change = { param($t) $p = $t -split '\.'; $p[2] = ConvertTo-Base64Url ([Security.Cryptography.HMACSHA256]::HashData([byte[]]::new(32), [Text.Encoding]::ASCII.GetBytes("$($p[0]).$($p[1])"))); $p -join '.' } }
    ) {
        if (-not (Assert-RepositoryRoute)) { return }
        $bad = & $Change $script:Token
        $bad | Should -Not -BeExactly $script:Token
        foreach ($headers in @{ Authorization = "Bearer $bad" }, (Get-BasicHeader 'aws' $bad), @{ 'X-NuGet-ApiKey' = $bad }) {
            Assert-Challenged (Invoke-Endpoint "$script:Base$script:ProbePath" -Headers $headers) -Code 'InvalidToken'
        }
    }

    It 'challenges an expired token with 401' {
        if (-not (Assert-RepositoryRoute)) { return }
        $created = (Get-TokenPayload $script:Token).Created
        $now = [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
        # The same signing, still valid: proves the test builds tokens as the store does.
        $valid = New-SignedToken -StorePath $script:Store -Domain 'demo' -Created $created -Exp ($now + 600)
        Assert-Accepted (Invoke-Endpoint "$script:Base$script:ProbePath" -Headers @{ Authorization = "Bearer $valid" }) -Because 'a token signed with the store key that has not expired works'

        $expired = New-SignedToken -StorePath $script:Store -Domain 'demo' -Created $created -Exp ($now - 1)
        Assert-Challenged (Invoke-Endpoint "$script:Base$script:ProbePath" -Headers @{ Authorization = "Bearer $expired" }) -Code 'TokenExpired'
        Assert-Challenged (Invoke-Endpoint "$script:Base$script:ProbePath" -Headers (Get-BasicHeader 'aws' $expired)) -Code 'TokenExpired'
    }

    It 'refuses a token of a domain that was removed and created again with the same name' {
        if (-not (Assert-RepositoryRoute)) { return }
        New-CaDomain -Name 'reborn' | Out-Null
        New-CaRepository -Domain 'reborn' -Name 'main' | Out-Null
        $old = (Get-CaAuthorizationToken -Domain 'reborn').AuthorizationToken
        $path = $script:ProbePath -replace '^demo/', 'reborn/'
        Assert-Accepted (Invoke-Endpoint "$script:Base$path" -Headers @{ Authorization = "Bearer $old" }) -Because 'the token works before the domain is removed'

        Remove-CaDomain -Name 'reborn' -Force -Confirm:$false
        Start-Sleep -Milliseconds 5
        New-CaDomain -Name 'reborn' | Out-Null
        New-CaRepository -Domain 'reborn' -Name 'main' | Out-Null

        $response = Invoke-Endpoint "$script:Base$path" -Headers @{ Authorization = "Bearer $old" }
        $response.StatusCode | Should -Not -Be 200
        $response.StatusCode | Should -Be 403 -Because $response.Content
        ($response.Content | ConvertFrom-Json).code | Should -BeExactly 'TokenDomainMismatch'

        $new = (Get-CaAuthorizationToken -Domain 'reborn').AuthorizationToken
        Assert-Accepted (Invoke-Endpoint "$script:Base$path" -Headers @{ Authorization = "Bearer $new" }) -Because 'a token of the new domain works'
    }

    It 'accepts tokens of a domain created while the endpoint runs' {
        if (-not (Assert-RepositoryRoute)) { return }
        New-CaDomain -Name 'fresh' | Out-Null
        New-CaRepository -Domain 'fresh' -Name 'main' | Out-Null
        $token = (Get-CaAuthorizationToken -Domain 'fresh').AuthorizationToken
        Assert-Accepted (Invoke-Endpoint "$script:Base$($script:ProbePath -replace '^demo/', 'fresh/')" -Headers @{ Authorization = "Bearer $token" }) -Because 'the endpoint reads domains from the store on each request'
    }

    It 'serves a repository created while the endpoint runs' {
        if (-not (Assert-RepositoryRoute)) { return }
        if ($script:ProbePath -notmatch '/simple/$|/-/ping$') {
            Set-ItResult -Skipped -Because "neither the PyPI simple index nor the npm ping exists yet (probe: $script:ProbePath)"
            return
        }
        $headers = @{ Authorization = "Bearer $script:Token" }
        $path = $script:ProbePath -replace '^demo/main/', 'demo/created-later/' -replace '^demo/([a-z]+)/main/', 'demo/$1/created-later/'
        (Invoke-Endpoint "$script:Base$path" -Headers $headers).StatusCode | Should -Not -Be 200 -Because 'the repository does not exist yet'
        New-CaRepository -Domain 'demo' -Name 'created-later' | Out-Null
        (Invoke-Endpoint "$script:Base$path" -Headers $headers).StatusCode | Should -Be 200
    }

    It 'accepts a token on another endpoint of the same store' {
        $second = Start-CaEndpoint
        try {
            $headers = @{ Authorization = "Bearer $script:Token" }
            Assert-Accepted (Invoke-Endpoint "$($second.Uri)$script:AnyPath" -Headers $headers) -Because 'tokens are signed with the store key, not an endpoint key'
            Assert-Challenged (Invoke-Endpoint "$($second.Uri)$script:AnyPath")
        }
        finally { $second | Stop-CaEndpoint }
    }
}
