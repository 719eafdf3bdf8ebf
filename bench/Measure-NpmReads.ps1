<#
.SYNOPSIS
    Benchmarks npm reads (packument, abbreviated packument, tarball) of the PSCodeArtifact endpoint side by side with
    Verdaccio 6.8.0, with wrk on loopback.

.DESCRIPTION
    1. Verdaccio: installs Verdaccio 6.8.0 into <ScratchPath>/verdaccio-6.8.0 unless it is already there (a package.json
       with "dependencies": {"verdaccio": "6.8.0"} and "overrides": {"node-fetch": "2.7.0"}, then 'npm install' with
       the machine's npm settings as they are). The install is kept for the next run unless -Clean is given. A run
       writes a config with 'uplinks: {}', storage and htpasswd in the run folder, packages '**' readable by $all and
       publishable by $authenticated, log level warn (no line per request) and JWT API tokens (see
       -VerdaccioTokenKind). It starts Verdaccio with 'node .../verdaccio --listen 127.0.0.1:<free port>' and
       NODE_ENV=production, then waits until /-/ping answers.
    2. PSCodeArtifact: imports a private copy of -ModulePath (a concurrent rebuild of out/ cannot swap the assemblies
       under the run), points $env:PSCODEARTIFACT_STORE at a throwaway store, creates domain 'bench' and npm
       repository 'npm', runs 'Start-CaEndpoint -Port 0' in this process and gets a token.
    3. The package: -Versions versions (1.0.0, 1.0.1, ...) of 'bench-reads', each with a ~4 KB README, the usual
       package.json fields and an incompressible file of -TarballKB KiB. Each version is packed once with 'npm pack'
       and the same .tgz is published to both servers with 'npm publish' (auth from an npmrc in the run folder;
       Verdaccio's user is created with curl through PUT /-/user/org.couchdb.user:<name>).
    4. Checks, per server: both packuments answer 200 with the right Content-Type and all versions, and the tarball
       named by the latest version's dist.tarball answers 200 with exactly the bytes that were packed.
    5. wrk, with the same settings for both servers and only against 127.0.0.1, on three targets:
         packument   GET /bench-reads, Accept: application/json
         abbreviated GET /bench-reads, Accept: what npm install sends (application/vnd.npm.install-v1+json;
                     q=1.0, application/json; q=0.8, */*)
         tarball     GET <dist.tarball of the latest version>, Accept: */*
       Every request carries 'Authorization: Bearer <that server's token>' and, unless -AcceptEncoding is given, no
       Accept-Encoding, so both servers send uncompressed bodies. Each measurement is preceded by an unmeasured
       -WarmupSeconds run, and starts once the server answers a cheap request again (/-/ping, /health), so requests a
       server still works through from the previous run do not count against the next. The rounds go target by
       target, server after server, so drift on the machine hits both alike.
    6. Prints a table per target and server: requests/s, p50/p99/max latency, response size, and the server's CPU
       time per request (Verdaccio's node process; for PSCodeArtifact, this pwsh process, which hosts the endpoint
       and otherwise only waits for wrk). The PSCodeArtifact row carries the ratio of its requests/s to Verdaccio's.
       The closing lines say whether the goal (-TargetRatio, 5x Verdaccio) is met on each target.
    7. Stops both servers and removes the run folder (store, Verdaccio storage, packages, npm cache, module copy), also
       when a step fails or the run is stopped.

    wrk, the servers and this script share the machine's cores: compare the two servers only within one run. The
    commit printed is the repository's HEAD when the run starts; the module is whatever -ModulePath was built from.

.PARAMETER ModulePath
    The PSCodeArtifact manifest to benchmark. Default: out/PSCodeArtifact/PSCodeArtifact.psd1 under the repository root.
    A relative path is taken from the repository root.

.PARAMETER ScratchPath
    The folder for the cached Verdaccio install and the run folder. Default: PSCodeArtifact-npmbench under
    [IO.Path]::GetTempPath().

.PARAMETER Versions
    How many versions of the package to publish (the packument lists them all). Default: 20.

.PARAMETER TarballKB
    The size of the incompressible file in each tarball, in KiB. Default: 100.

.PARAMETER Threads
    wrk threads (-t). Default: 2.

.PARAMETER Connections
    wrk connections (-c). Default: 32. Use 1 to see the latency of one request at a time.

.PARAMETER DurationSeconds
    Length of each measured wrk run (-d). Default: 10.

.PARAMETER WarmupSeconds
    Length of the unmeasured wrk run before each measured one. Default: 2. 0 skips it.

.PARAMETER Repeat
    Rounds over all targets and servers; the table shows each one's median round by requests/s. Default: 1.

.PARAMETER Target
    Which targets to measure. Default: all three (Packument, Abbreviated, Tarball).

.PARAMETER TargetRatio
    The goal for PSCodeArtifact requests/s divided by Verdaccio's. Default: 5.

.PARAMETER AcceptEncoding
    An Accept-Encoding header for every measured request (npm itself sends 'gzip, deflate'). Default: none, so both
    servers send every body uncompressed. With gzip, a server may compress the packuments; the Bytes column then shows
    the compressed size and encoding. Tarballs must never be compressed.

.PARAMETER VerdaccioTokenKind
    The kind of token Verdaccio issues for the bench user. Jwt (the default) configures 'security: api: jwt', so
    Verdaccio checks each request's token with an HMAC, as PSCodeArtifact does. Legacy is Verdaccio's out-of-the-box
    token: an encrypted user:password that Verdaccio checks against the htpasswd bcrypt hash on every request (about
    60 ms of CPU each on this machine), which makes Verdaccio about two orders of magnitude slower on every target.

.PARAMETER Clean
    Also removes the cached Verdaccio install at the end (and the scratch folder if it is then empty).

.PARAMETER PassThru
    Also writes the result rows (with every round's wrk summary in Runs) to the pipeline.

.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Build; dotnet pwsh ./bench/Measure-NpmReads.ps1

.EXAMPLE
    dotnet pwsh ./bench/Measure-NpmReads.ps1 -Connections 1 -Threads 1 -Target Packument -Repeat 3

.NOTES
    A benchmark, not a test: it fails only when an operation fails (an install, a publish, a check, a non-2xx answer
    under load), never on the numbers. Needs node, npm, curl and wrk; when wrk is missing and this runs as root it
    installs it with apt-get.
#>
[CmdletBinding()]
param(
    [string] $ModulePath = 'out/PSCodeArtifact/PSCodeArtifact.psd1',

    [string] $ScratchPath = (Join-Path ([System.IO.Path]::GetTempPath()) 'PSCodeArtifact-npmbench'),

    [ValidateRange(1, 1000)]
    [int] $Versions = 20,

    [ValidateRange(1, 102400)]
    [int] $TarballKB = 100,

    [ValidateRange(1, 64)]
    [int] $Threads = 2,

    [ValidateRange(1, 10000)]
    [int] $Connections = 32,

    [ValidateRange(1, 600)]
    [int] $DurationSeconds = 10,

    [ValidateRange(0, 600)]
    [int] $WarmupSeconds = 2,

    [ValidateRange(1, 20)]
    [int] $Repeat = 1,

    [ValidateSet('Packument', 'Abbreviated', 'Tarball')]
    [string[]] $Target = @('Packument', 'Abbreviated', 'Tarball'),

    [ValidateRange(0.01, 1000)]
    [double] $TargetRatio = 5,

    [ValidateSet('', 'gzip', 'br', 'gzip, deflate')]
    [string] $AcceptEncoding = '',

    [ValidateSet('Jwt', 'Legacy')]
    [string] $VerdaccioTokenKind = 'Jwt',

    [switch] $Clean,

    [switch] $PassThru
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

Import-Module (Join-Path $PSScriptRoot 'BenchCommon.psm1') -Force

$RepoRoot = Split-Path -Parent $PSScriptRoot
$VerdaccioVersion = '6.8.0'
$Domain = 'bench'
$Repository = 'npm'
$PackageName = 'bench-reads'
$VerdaccioUser = 'bench'
$CorgiAccept = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*'
$TargetInfo = [ordered]@{
    Packument   = @{ Accept = 'application/json'; ContentType = 'application/json' }
    Abbreviated = @{ Accept = $CorgiAccept; ContentType = 'application/vnd.npm.install-v1+json' }
    Tarball     = @{ Accept = '*/*'; ContentType = $null }
}

function Assert-Tool {
    param([string] $Name, [string] $Hint)
    if (-not (Get-Command -Name $Name -CommandType Application -ErrorAction SilentlyContinue)) { throw "'$Name' is not on PATH. $Hint" }
}

function Install-Verdaccio {
    # Installs Verdaccio into $Folder unless the wanted version is already there; returns its bin script.
    param([string] $Folder)
    $bin = Join-Path $Folder 'node_modules/verdaccio/bin/verdaccio'
    $installed = Join-Path $Folder 'node_modules/verdaccio/package.json'
    if ((Test-Path -LiteralPath $bin) -and (Test-Path -LiteralPath $installed) -and
        (Get-Content -LiteralPath $installed -Raw | ConvertFrom-Json).version -eq $VerdaccioVersion) {
        Write-Host "Verdaccio ${VerdaccioVersion}: cached in $Folder"
        return $bin
    }
    Write-Host "Verdaccio ${VerdaccioVersion}: installing into $Folder (npm install with the machine's npm settings)"
    New-Item -ItemType Directory -Path $Folder -Force | Out-Null
    Remove-Item -LiteralPath (Join-Path $Folder 'node_modules') -Recurse -Force -ErrorAction SilentlyContinue
    $manifest = [ordered]@{
        name         = 'pscodeartifact-npmbench-verdaccio'
        private      = $true
        dependencies = [ordered]@{ verdaccio = $VerdaccioVersion }
        overrides    = [ordered]@{ 'node-fetch' = '2.7.0' }
    }
    Set-Content -LiteralPath (Join-Path $Folder 'package.json') -Value ($manifest | ConvertTo-Json) -Encoding utf8NoBOM
    Push-Location -LiteralPath $Folder
    try {
        try { Invoke-Native -FilePath npm -ArgumentList @('install', '--no-audit', '--no-fund') -What 'npm install verdaccio' | Out-Null }
        catch {
            # A half-finished node_modules must not pass for a cached install next time.
            Remove-Item -LiteralPath (Join-Path $Folder 'node_modules') -Recurse -Force -ErrorAction SilentlyContinue
            throw
        }
    }
    finally { Pop-Location }
    if (-not (Test-Path -LiteralPath $bin)) { throw "npm install finished but '$bin' does not exist." }
    $bin
}

function ConvertTo-YamlString {
    param([string] $Value)
    "'" + $Value.Replace("'", "''") + "'"
}

function Start-Verdaccio {
    # Starts node on Verdaccio's bin script (so the process we stop is Verdaccio itself) and waits until it answers.
    param([string] $Bin, [string] $Config, [int] $Port, [string] $LogPath)
    $info = [System.Diagnostics.ProcessStartInfo]::new('node')
    foreach ($argument in @($Bin, '--config', $Config, '--listen', "127.0.0.1:$Port")) { $info.ArgumentList.Add($argument) }
    $info.UseShellExecute = $false
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $info.WorkingDirectory = Split-Path -Parent $Config
    $info.Environment['NODE_ENV'] = 'production'
    $process = [System.Diagnostics.Process]::Start($info)
    # Drain both pipes so a chatty Verdaccio never blocks; the text is only read when it fails.
    $script:VerdaccioOutput = $process.StandardOutput.ReadToEndAsync()
    $script:VerdaccioErrors = $process.StandardError.ReadToEndAsync()
    $script:VerdaccioProcess = $process
    $deadline = [DateTime]::UtcNow.AddSeconds(60)
    while ($true) {
        if ($process.HasExited) {
            $process.WaitForExit()
            throw "Verdaccio exited with code $($process.ExitCode) before answering:`n$($script:VerdaccioOutput.Result)`n$($script:VerdaccioErrors.Result)"
        }
        try {
            $response = $script:Http.GetAsync("http://127.0.0.1:$Port/-/ping").GetAwaiter().GetResult()
            $ok = $response.IsSuccessStatusCode
            $response.Dispose()
            if ($ok) { return }
        }
        catch [System.Net.Http.HttpRequestException] { }
        if ([DateTime]::UtcNow -gt $deadline) { throw "Verdaccio did not answer on 127.0.0.1:$Port within 60 s." }
        Start-Sleep -Milliseconds 200
    }
}

function Stop-Verdaccio {
    $process = $script:VerdaccioProcess
    if ($null -eq $process) { return }
    $script:VerdaccioProcess = $null
    if (-not $process.HasExited) {
        $process.Kill($true)
        if (-not $process.WaitForExit(10000)) { Write-Warning "Verdaccio (pid $($process.Id)) did not exit within 10 s." }
    }
    $process.Dispose()
}

function New-VerdaccioUser {
    # npm adduser is interactive: create the user through the couchdb user API, which answers with a token.
    param([int] $Port, [string] $Folder)
    $password = [Convert]::ToHexString([System.Security.Cryptography.RandomNumberGenerator]::GetBytes(16))
    $body = Join-Path $Folder 'verdaccio-user.json'
    $user = [ordered]@{ _id = "org.couchdb.user:$VerdaccioUser"; name = $VerdaccioUser; password = $password; type = 'user'; roles = @(); date = [DateTime]::UtcNow.ToString('o') }
    Set-Content -LiteralPath $body -Value ($user | ConvertTo-Json -Compress) -Encoding utf8NoBOM
    $lines = Invoke-Native -FilePath curl -What 'Creating the Verdaccio user' -ArgumentList @(
        '--silent', '--show-error', '--fail-with-body', '--max-time', '30', '-X', 'PUT',
        '-H', 'Content-Type: application/json', '--data-binary', "@$body",
        "http://127.0.0.1:$Port/-/user/org.couchdb.user:$VerdaccioUser")
    Remove-Item -LiteralPath $body
    $answer = ($lines -join "`n") | ConvertFrom-Json
    if (-not ($answer.PSObject.Properties.Name -contains 'token') -or -not $answer.token) {
        throw "Verdaccio created no token for '$VerdaccioUser': $($lines -join ' ')"
    }
    $answer.token
}

function New-BenchPackages {
    # Packs -Versions versions of the package once; both servers get the very same .tgz files.
    param([string] $Folder, [string] $NpmRc, [string] $Cache)
    $source = Join-Path $Folder 'package'
    $out = Join-Path $Folder 'tarballs'
    New-Item -ItemType Directory -Path $source, $out | Out-Null
    $random = [byte[]]::new($TarballKB * 1KB)
    [System.Security.Cryptography.RandomNumberGenerator]::Fill($random)
    [System.IO.File]::WriteAllBytes((Join-Path $source 'data.bin'), $random)
    Set-Content -LiteralPath (Join-Path $source 'index.js') -Encoding utf8NoBOM -Value @'
'use strict';
const fs = require('fs');
const path = require('path');
module.exports = () => fs.readFileSync(path.join(__dirname, 'data.bin'));
'@
    $readme = [System.Text.StringBuilder]::new()
    [void]$readme.AppendLine("# $PackageName").AppendLine().AppendLine('A package for the PSCodeArtifact npm read benchmark.').AppendLine()
    for ($section = 1; $section -le 12; $section++) {
        [void]$readme.AppendLine("## Section $section").AppendLine()
        [void]$readme.AppendLine('Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris.').AppendLine()
        [void]$readme.AppendLine("``````js`nconst data = require('$PackageName')();`nconsole.log(data.length);`n``````").AppendLine()
    }
    Set-Content -LiteralPath (Join-Path $source 'README.md') -Value $readme.ToString() -Encoding utf8NoBOM
    $tarballs = [System.Collections.Generic.List[object]]::new()
    for ($i = 0; $i -lt $Versions; $i++) {
        $version = "1.0.$i"
        $manifest = [ordered]@{
            name            = $PackageName
            version         = $version
            description     = 'A package for the PSCodeArtifact npm read benchmark'
            keywords        = @('bench', 'npm', 'registry', 'pscodeartifact')
            homepage        = 'https://git.example.invalid/bench/bench-reads#readme'
            bugs            = [ordered]@{ url = 'https://git.example.invalid/bench/bench-reads/issues' }
            repository      = [ordered]@{ type = 'git'; url = 'git+https://git.example.invalid/bench/bench-reads.git' }
            license         = 'MIT'
            author          = 'Bench Author <bench@example.invalid>'
            main            = 'index.js'
            files           = @('index.js', 'data.bin')
            scripts         = [ordered]@{ test = 'node -e "require(''./'')()"' }
            engines         = [ordered]@{ node = '>=18' }
            dependencies    = [ordered]@{ 'debug' = '^4.3.4'; 'ms' = '^2.1.3'; 'semver' = '^7.6.0'; 'lru-cache' = '^10.2.0' }
            devDependencies = [ordered]@{ 'mocha' = '^10.4.0'; 'eslint' = '^8.57.0' }
        }
        Set-Content -LiteralPath (Join-Path $source 'package.json') -Value ($manifest | ConvertTo-Json -Depth 5) -Encoding utf8NoBOM
        Push-Location -LiteralPath $source
        try {
            $lines = Invoke-Native -FilePath npm -What "npm pack $version" -ArgumentList @(
                'pack', '--json', '--pack-destination', $out, '--userconfig', $NpmRc, '--cache', $Cache)
        }
        finally { Pop-Location }
        $packed = @(($lines -join "`n") | ConvertFrom-Json)[0]
        $path = Join-Path $out $packed.filename
        $tarballs.Add([pscustomobject]@{ Version = $version; Path = $path; Bytes = (Get-Item -LiteralPath $path).Length; Integrity = $packed.integrity })
    }
    $tarballs
}

function Publish-BenchPackages {
    param([object[]] $Tarballs, [string] $Registry, [string] $NpmRc, [string] $Cache, [string] $ServerName)
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    foreach ($tarball in $Tarballs) {
        Invoke-Native -FilePath npm -What "npm publish $($tarball.Version) to $ServerName" -ArgumentList @(
            'publish', $tarball.Path, '--registry', $Registry, '--userconfig', $NpmRc, '--cache', $Cache, '--tag', 'latest') | Out-Null
    }
    Write-Host ("Published {0} versions to {1} with npm publish in {2:N1} s" -f $Tarballs.Count, $ServerName, $clock.Elapsed.TotalSeconds)
}

function Get-Http {
    # One GET with the given headers; returns status, content type, content encoding and the body bytes as sent.
    param([string] $Uri, [string] $Accept, [string] $Token, [string] $Encoding)
    $request = [System.Net.Http.HttpRequestMessage]::new([System.Net.Http.HttpMethod]::Get, $Uri)
    try {
        [void]$request.Headers.TryAddWithoutValidation('Accept', $Accept)
        [void]$request.Headers.TryAddWithoutValidation('Authorization', "Bearer $Token")
        if ($Encoding) { [void]$request.Headers.TryAddWithoutValidation('Accept-Encoding', $Encoding) }
        $response = $script:Http.SendAsync($request).GetAwaiter().GetResult()
        try {
            [pscustomobject]@{
                Status      = [int]$response.StatusCode
                ContentType = if ($response.Content.Headers.ContentType) { $response.Content.Headers.ContentType.MediaType } else { '' }
                Encoding    = $response.Content.Headers.ContentEncoding -join ','
                Body        = $response.Content.ReadAsByteArrayAsync().GetAwaiter().GetResult()
            }
        }
        finally { $response.Dispose() }
    }
    finally { $request.Dispose() }
}

function Test-Server {
    # Checks one server answers every target correctly before it is loaded; returns the URLs and response sizes.
    param([string] $ServerName, [string] $Registry, [string] $Token, [object[]] $Tarballs)
    $latest = $Tarballs[-1]
    $packumentUri = $Registry.TrimEnd('/') + '/' + $PackageName
    $sizes = @{}
    $encodings = @{ Packument = ''; Abbreviated = ''; Tarball = '' }
    $tarballUri = $null
    foreach ($name in @('Packument', 'Abbreviated')) {
        $answer = Get-Http -Uri $packumentUri -Accept $TargetInfo[$name].Accept -Token $Token
        $text = [System.Text.Encoding]::UTF8.GetString($answer.Body)
        if ($answer.Status -ne 200) { throw "$ServerName $name`: GET $packumentUri answered $($answer.Status): $text" }
        if ($answer.ContentType -ne $TargetInfo[$name].ContentType) {
            throw "$ServerName $name`: Content-Type is '$($answer.ContentType)', not '$($TargetInfo[$name].ContentType)'."
        }
        $document = $text | ConvertFrom-Json -AsHashtable
        $count = $document['versions'].Count
        if ($count -ne $Tarballs.Count) { throw "$ServerName $name lists $count versions, not $($Tarballs.Count)." }
        if ($document['dist-tags']['latest'] -ne $latest.Version) { throw "$ServerName $name`: latest is '$($document['dist-tags']['latest'])', not $($latest.Version)." }
        $dist = $document['versions'][$latest.Version]['dist']
        if ($dist['integrity'] -ne $latest.Integrity) { throw "$ServerName $name`: integrity of $($latest.Version) is '$($dist['integrity'])', not '$($latest.Integrity)'." }
        $tarballUri = $dist['tarball']
        $sizes[$name] = $answer.Body.Length
    }
    if (-not ([Uri]$tarballUri).IsLoopback) { throw "$ServerName`: dist.tarball '$tarballUri' is not on loopback; the bench only loads 127.0.0.1." }
    $answer = Get-Http -Uri $tarballUri -Accept $TargetInfo.Tarball.Accept -Token $Token
    if ($answer.Status -ne 200) { throw "$ServerName Tarball: GET $tarballUri answered $($answer.Status)." }
    $expected = [System.IO.File]::ReadAllBytes($latest.Path)
    $same = [Convert]::ToHexString([System.Security.Cryptography.SHA512]::HashData([byte[]]$answer.Body)) -eq
        [Convert]::ToHexString([System.Security.Cryptography.SHA512]::HashData($expected))
    if (-not $same) {
        throw "$ServerName Tarball: GET $tarballUri did not return the bytes that were published ($($answer.Body.Length) bytes, expected $($expected.Length))."
    }
    $sizes['Tarball'] = $answer.Body.Length
    if ($AcceptEncoding) {
        # What the load sees: the same requests with the Accept-Encoding wrk sends.
        foreach ($name in @('Packument', 'Abbreviated', 'Tarball')) {
            $uri = if ($name -eq 'Tarball') { $tarballUri } else { $packumentUri }
            $answer = Get-Http -Uri $uri -Accept $TargetInfo[$name].Accept -Token $Token -Encoding $AcceptEncoding
            if ($answer.Status -ne 200) { throw "$ServerName $name with Accept-Encoding '$AcceptEncoding' answered $($answer.Status)." }
            if ($name -eq 'Tarball' -and $answer.Encoding) { Write-Warning "$ServerName compresses the tarball again (Content-Encoding: $($answer.Encoding))." }
            $sizes[$name] = $answer.Body.Length
            $encodings[$name] = $answer.Encoding
        }
    }
    [pscustomobject]@{
        Uris  = @{ Packument = $packumentUri; Abbreviated = $packumentUri; Tarball = $tarballUri }
        Sizes = $sizes
        Encodings = $encodings
    }
}

function Get-ServerCpu {
    # CPU time of the process that serves: Verdaccio's node, or this pwsh for the in-process endpoint.
    param([string] $ServerName)
    if ($ServerName -eq 'Verdaccio') {
        $script:VerdaccioProcess.Refresh()
        return $script:VerdaccioProcess.TotalProcessorTime
    }
    $self = [System.Diagnostics.Process]::GetCurrentProcess()
    try { $self.TotalProcessorTime } finally { $self.Dispose() }
}

function Wait-Idle {
    # Waits until the server answers a cheap request, so requests still queued from the last wrk run (wrk drops its
    # connections, the server may still be working through them) do not count against the next one.
    param([string] $ServerName)
    $uri = $script:IdleUris[$ServerName]
    $deadline = [DateTime]::UtcNow.AddSeconds(120)
    while ($true) {
        try {
            $response = $script:Http.GetAsync($uri).GetAwaiter().GetResult()
            $ok = $response.IsSuccessStatusCode
            $response.Dispose()
            if ($ok) { return }
        }
        catch [System.Net.Http.HttpRequestException], [System.Threading.Tasks.TaskCanceledException] { }
        if ([DateTime]::UtcNow -gt $deadline) { throw "$ServerName did not answer $uri within 120 s after a wrk run." }
        Start-Sleep -Milliseconds 200
    }
}

function Invoke-Wrk {
    param([string] $Uri, [string] $Accept, [string] $Token, [int] $Seconds, [string] $ServerName)
    $arguments = @("-t$Threads", "-c$Connections", "-d$($Seconds)s", '--timeout', '10s', '-s', $script:WrkScript,
        '-H', "Accept: $Accept", '-H', "Authorization: Bearer $Token")
    if ($AcceptEncoding) { $arguments += @('-H', "Accept-Encoding: $AcceptEncoding") }
    $arguments += $Uri
    Wait-Idle -ServerName $ServerName
    $cpuBefore = Get-ServerCpu -ServerName $ServerName
    $lines = Invoke-Native -FilePath $script:Wrk -ArgumentList $arguments -What "wrk $Uri"
    $cpu = (Get-ServerCpu -ServerName $ServerName) - $cpuBefore
    $json = @($lines | Where-Object { $_.StartsWith('WRKJSON ') })
    if ($json.Count -ne 1) { throw "wrk printed no summary for $Uri`:`n$($lines -join "`n")" }
    $summary = $json[0].Substring(8) | ConvertFrom-Json
    if ($summary.requests -eq 0) { throw "wrk completed no request on $Uri`:`n$($lines -join "`n")" }
    if ($summary.status_errors -gt 0) { throw "$ServerName answered $($summary.status_errors) of $($summary.requests) requests on $Uri with a non-2xx/3xx status." }
    $socketErrors = $summary.connect_errors + $summary.read_errors + $summary.write_errors + $summary.timeouts
    if ($socketErrors -gt 0) {
        Write-Warning ("{0} on {1}: {2} socket errors (connect {3}, read {4}, write {5}, timeout {6})." -f $ServerName, $Uri,
            $socketErrors, $summary.connect_errors, $summary.read_errors, $summary.write_errors, $summary.timeouts)
    }
    $summary | Add-Member -NotePropertyName RequestsPerSecond -NotePropertyValue ($summary.requests / ($summary.duration_us / 1e6))
    $summary | Add-Member -NotePropertyName CpuMicrosecondsPerRequest -NotePropertyValue ($cpu.TotalMilliseconds * 1000 / $summary.requests)
    $summary
}

# ------------------------------------------------------------------ checks

if (-not [System.IO.Path]::IsPathRooted($ModulePath)) { $ModulePath = Join-Path $RepoRoot $ModulePath }
if (-not (Test-Path -LiteralPath $ModulePath -PathType Leaf)) {
    throw "No module at '$ModulePath'; build it first: dotnet pwsh ./build.ps1 -Task Build"
}
$ModulePath = (Resolve-Path -LiteralPath $ModulePath).ProviderPath
$ScratchPath = [System.IO.Path]::GetFullPath($ScratchPath, (Get-Location -PSProvider FileSystem).ProviderPath)
Assert-Tool -Name node -Hint 'Install Node.js 20 or later.'
Assert-Tool -Name npm -Hint 'Install npm.'
Assert-Tool -Name curl -Hint 'Install curl.'
$script:Wrk = Install-AptTool -Name wrk

# ------------------------------------------------------------------ run

$createdScratch = $false
$run = $null
$endpoint = $null
$moduleInfo = $null
$script:VerdaccioProcess = $null
$script:Http = $null
$previousStore = $env:PSCODEARTIFACT_STORE
$verdaccioFolder = $null
try {
    if (-not (Test-Path -LiteralPath $ScratchPath)) {
        New-Item -ItemType Directory -Path $ScratchPath | Out-Null
        $createdScratch = $true
    }
    $verdaccioFolder = Join-Path $ScratchPath "verdaccio-$VerdaccioVersion"
    $run = Join-Path $ScratchPath ('run-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory -Path $run | Out-Null
    $script:Http = [System.Net.Http.HttpClient]::new()
    $script:Http.Timeout = [TimeSpan]::FromSeconds(30)
    $script:WrkScript = Join-Path $run 'report.lua'
    New-WrkReportScript -Path $script:WrkScript | Out-Null

    $commit = 'unknown'
    if (Get-Command -Name git -CommandType Application -ErrorAction SilentlyContinue) {
        $head = & git -C $RepoRoot rev-parse --short HEAD 2>$null
        if ($LASTEXITCODE -eq 0 -and $head) { $commit = "$head" }
    }
    Write-Host ("PSCodeArtifact npm read bench against Verdaccio {0} ({10} tokens): {1} versions, {2} KiB tarball payload; wrk -t{3} -c{4} -d{5}s, Accept-Encoding '{11}', {6} round(s); commit {7}, {8} cores, {9:yyyy-MM-dd HH:mm} UTC" -f
        $VerdaccioVersion, $Versions, $TarballKB, $Threads, $Connections, $DurationSeconds, $Repeat, $commit, [Environment]::ProcessorCount, [DateTime]::UtcNow, $VerdaccioTokenKind, $AcceptEncoding)
    Write-Host "Run folder: $run"
    Write-Host "Module: $ModulePath"

    # --- Verdaccio
    $verdaccioBin = Install-Verdaccio -Folder $verdaccioFolder
    $verdaccioPort = Get-FreePort
    $verdaccioConfig = Join-Path $run 'verdaccio.yaml'
    $yaml = @(
        "storage: $(ConvertTo-YamlString (Join-Path $run 'verdaccio-storage'))"
        'auth:'
        '  htpasswd:'
        "    file: $(ConvertTo-YamlString (Join-Path $run 'verdaccio-htpasswd'))"
        'uplinks: {}'
        'packages:'
        "  '**':"
        '    access: $all'
        '    publish: $authenticated'
        'log:'
        '  type: stdout'
        '  format: json'
        '  level: warn'
    )
    if ($VerdaccioTokenKind -eq 'Jwt') {
        # Signed API tokens: checking one is an HMAC, as for PSCodeArtifact's tokens. Verdaccio's default (legacy)
        # token makes it run bcrypt on the password inside for every request that carries it.
        $yaml += @('security:', '  api:', '    jwt:', '      sign:', '        expiresIn: 7d')
    }
    $yaml = $yaml -join "`n"
    Set-Content -LiteralPath $verdaccioConfig -Value $yaml -Encoding utf8NoBOM
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    Start-Verdaccio -Bin $verdaccioBin -Config $verdaccioConfig -Port $verdaccioPort
    Write-Host ("Verdaccio: http://127.0.0.1:{0}/ (pid {1}), answering after {2:N1} s" -f $verdaccioPort, $script:VerdaccioProcess.Id, $clock.Elapsed.TotalSeconds)
    $verdaccioToken = New-VerdaccioUser -Port $verdaccioPort -Folder $run
    $verdaccioRegistry = "http://127.0.0.1:$verdaccioPort/"

    # --- PSCodeArtifact, from a private copy of the module
    $moduleFolder = Split-Path -Parent $ModulePath
    $copyRoot = Join-Path $run 'module'
    New-Item -ItemType Directory -Path $copyRoot | Out-Null
    Copy-Item -LiteralPath $moduleFolder -Destination $copyRoot -Recurse
    $moduleCopy = Join-Path (Join-Path $copyRoot (Split-Path -Leaf $moduleFolder)) (Split-Path -Leaf $ModulePath)
    $moduleInfo = Import-Module -Name $moduleCopy -PassThru -Force
    $env:PSCODEARTIFACT_STORE = Join-Path $run 'store'
    New-CaDomain -Name $Domain | Out-Null
    New-CaRepository -Domain $Domain -Name $Repository | Out-Null
    $endpoint = Start-CaEndpoint -Port 0
    $caRegistry = Get-CaRepositoryEndpoint -Domain $Domain -Repository $Repository -Format npm -Endpoint $endpoint
    $caToken = (Get-CaAuthorizationToken -Domain $Domain).AuthorizationToken
    Write-Host "PSCodeArtifact: $caRegistry (in this process, pid $PID)"

    # --- The package, published to both with the real npm
    $npmRc = Join-Path $run 'npmrc'
    $caAuthKey = $caRegistry -replace '^https?:', ''
    Set-Content -LiteralPath $npmRc -Encoding utf8NoBOM -Value @(
        "//127.0.0.1:$verdaccioPort/:_authToken=$verdaccioToken"
        "$($caAuthKey):_authToken=$caToken"
    )
    $npmCache = Join-Path $run 'npm-cache'
    $tarballs = @(New-BenchPackages -Folder $run -NpmRc $npmRc -Cache $npmCache)
    Write-Host ("Packed {0} versions of {1}; the latest tarball is {2:N0} bytes" -f $tarballs.Count, $PackageName, $tarballs[-1].Bytes)
    Publish-BenchPackages -Tarballs $tarballs -Registry $verdaccioRegistry -NpmRc $npmRc -Cache $npmCache -ServerName 'Verdaccio'
    Publish-BenchPackages -Tarballs $tarballs -Registry $caRegistry -NpmRc $npmRc -Cache $npmCache -ServerName 'PSCodeArtifact'

    $servers = [ordered]@{
        PSCodeArtifact = [pscustomobject]@{ Token = $caToken; Checked = (Test-Server -ServerName 'PSCodeArtifact' -Registry $caRegistry -Token $caToken -Tarballs $tarballs) }
        Verdaccio      = [pscustomobject]@{ Token = $verdaccioToken; Checked = (Test-Server -ServerName 'Verdaccio' -Registry $verdaccioRegistry -Token $verdaccioToken -Tarballs $tarballs) }
    }
    Write-Host 'Both servers answer every target with the published content.'

    # --- Load
    $script:IdleUris = @{ PSCodeArtifact = "$($endpoint.Uri.ToString().TrimEnd('/'))/health"; Verdaccio = "$($verdaccioRegistry)-/ping" }
    $runs = @{}
    foreach ($name in $Target) { foreach ($server in $servers.Keys) { $runs["$name/$server"] = [System.Collections.Generic.List[object]]::new() } }
    for ($round = 1; $round -le $Repeat; $round++) {
        foreach ($name in $Target) {
            foreach ($server in $servers.Keys) {
                $uri = $servers[$server].Checked.Uris[$name]
                Write-Host "Round $round/$Repeat`: $name on $server ($uri)"
                if ($WarmupSeconds -gt 0) {
                    Invoke-Wrk -Uri $uri -Accept $TargetInfo[$name].Accept -Token $servers[$server].Token -Seconds $WarmupSeconds -ServerName $server | Out-Null
                }
                $runs["$name/$server"].Add((Invoke-Wrk -Uri $uri -Accept $TargetInfo[$name].Accept -Token $servers[$server].Token -Seconds $DurationSeconds -ServerName $server))
            }
        }
    }

    # --- Report
    $rows = foreach ($name in $Target) {
        $medians = @{}
        foreach ($server in $servers.Keys) {
            $sorted = @($runs["$name/$server"] | Sort-Object -Property RequestsPerSecond)
            $medians[$server] = $sorted[[int][Math]::Floor(($sorted.Count - 1) / 2)]
        }
        foreach ($server in $servers.Keys) {
            $median = $medians[$server]
            [pscustomobject]@{
                Target            = $name
                Server            = $server
                RequestsPerSecond = $median.RequestsPerSecond
                P50Ms             = $median.p50_us / 1000
                P99Ms             = $median.p99_us / 1000
                MaxMs             = $median.max_us / 1000
                ResponseBytes     = $servers[$server].Checked.Sizes[$name]
                ContentEncoding   = $servers[$server].Checked.Encodings[$name]
                CpuUsPerRequest   = $median.CpuMicrosecondsPerRequest
                Ratio             = if ($server -eq 'PSCodeArtifact') { $median.RequestsPerSecond / $medians['Verdaccio'].RequestsPerSecond } else { $null }
                Runs              = @($runs["$name/$server"])
            }
        }
    }
    $rows | Format-Table -AutoSize -Property Target, Server,
        @{ Name = 'Req/s'; Expression = { $_.RequestsPerSecond }; FormatString = 'N0'; Alignment = 'Right' },
        @{ Name = 'p50 ms'; Expression = { $_.P50Ms }; FormatString = 'N2'; Alignment = 'Right' },
        @{ Name = 'p99 ms'; Expression = { $_.P99Ms }; FormatString = 'N2'; Alignment = 'Right' },
        @{ Name = 'max ms'; Expression = { $_.MaxMs }; FormatString = 'N1'; Alignment = 'Right' },
        @{ Name = 'Bytes'; Expression = { '{0:N0}{1}' -f $_.ResponseBytes, $(if ($_.ContentEncoding) { " $($_.ContentEncoding)" }) }; Alignment = 'Right' },
        @{ Name = 'CPU us/req'; Expression = { $_.CpuUsPerRequest }; FormatString = 'N0'; Alignment = 'Right' },
        @{ Name = 'x Verdaccio'; Expression = { if ($null -ne $_.Ratio) { '{0:N2}' -f $_.Ratio } else { '' } }; Alignment = 'Right' } |
        Out-String -Width 200 | ForEach-Object { Write-Host $_.TrimEnd() }
    Write-Host ''
    Write-Host ("Median of {0} round(s) by requests/s. 'x Verdaccio' = PSCodeArtifact requests/s / Verdaccio requests/s. CPU us/req = CPU time of the serving process per request (Verdaccio: node; PSCodeArtifact: this pwsh)." -f $Repeat)
    $met = $true
    foreach ($row in @($rows | Where-Object { $null -ne $_.Ratio })) {
        $ok = $row.Ratio -ge $TargetRatio
        $met = $met -and $ok
        Write-Host ("{0}: {1:N2}x Verdaccio - goal of {2}x {3}" -f $row.Target, $row.Ratio, $TargetRatio, $(if ($ok) { 'met' } else { 'NOT met' }))
    }
    Write-Host ("Goal of {0}x Verdaccio on {1}: {2}" -f $TargetRatio, ($Target -join ', '), $(if ($met) { 'met' } else { 'NOT met' }))

    if ($PassThru) { $rows }
}
finally {
    if ($null -ne $endpoint) {
        try { Stop-CaEndpoint -Endpoint $endpoint -Confirm:$false } catch { Write-Warning "Stopping the endpoint failed: $_" }
    }
    try { Stop-Verdaccio } catch { Write-Warning "Stopping Verdaccio failed: $_" }
    if ($null -ne $script:Http) { $script:Http.Dispose() }
    if ($null -ne $moduleInfo) { Remove-Module -ModuleInfo $moduleInfo -Force -ErrorAction SilentlyContinue }
    # Pooled SQLite connections keep the catalog open; release them so the store can go.
    $connectionType = 'Microsoft.Data.Sqlite.SqliteConnection' -as [type]
    if ($connectionType) { $connectionType::ClearAllPools() }
    if ($null -eq $previousStore) { Remove-Item -Path Env:PSCODEARTIFACT_STORE -ErrorAction SilentlyContinue }
    else { $env:PSCODEARTIFACT_STORE = $previousStore }
    if ($run -and (Test-Path -LiteralPath $run)) { Remove-Item -LiteralPath $run -Recurse -Force }
    if ($Clean -and $verdaccioFolder -and (Test-Path -LiteralPath $verdaccioFolder)) { Remove-Item -LiteralPath $verdaccioFolder -Recurse -Force }
    if (($createdScratch -or $Clean) -and (Test-Path -LiteralPath $ScratchPath) -and -not (Get-ChildItem -LiteralPath $ScratchPath -Force)) {
        Remove-Item -LiteralPath $ScratchPath -Force
    }
}
