<#
.SYNOPSIS
    Benchmarks artifact downloads (a Maven jar and its .sha1, a 1 MiB Maven classifier jar, a NuGet package) from the PSCodeArtifact
    endpoint side by side with nginx serving the same bytes as static files, with wrk on loopback.

.DESCRIPTION
    nginx with sendfile is the practical ceiling for handing out a file over HTTP on this machine: it does nothing per
    request but open, fstat and sendfile. The endpoint does that job plus the token check, the catalog lookups and the
    decryption, so the ratio between the two says how much of that ceiling the product reaches.

    1. PSCodeArtifact: imports a private copy of -ModulePath (a concurrent rebuild of out/ cannot swap the assemblies under
       the run), points $env:PSCODEARTIFACT_STORE at a throwaway store, creates domain 'bench' and repository 'downloads',
       and publishes with Publish-CaPackage:
         - tests/fixtures/maven/demo-lib-1.0.0.pom and demo-lib-1.0.0.jar;
         - demo-lib-1.0.0-bench.jar, a jar-like file written by the script: a zip with a manifest and -LargeKB KiB of
           random bytes stored uncompressed, published as a classifier of the same Maven version;
         - tests/fixtures/nuget/Demo.Core.1.2.3.nupkg.
       It then runs 'Start-CaEndpoint -Port 0' in this process and gets a token.
    2. nginx: the script saves the three assets with Save-CaPackageVersionAsset into a root folder under the same paths as
       the endpoint's URLs (and writes the jar's .sha1 beside it), so the two servers differ only in host and port. It writes its own nginx.conf (worker_processes
       -NginxWorkers, daemon off, the pid file, error log and temp folders in the run folder, access_log off, sendfile on,
       tcp_nopush on, keepalive_requests 1000000 because Kestrel never closes a keep-alive connection either) and starts
       'nginx -p <run>/nginx -c <run>/nginx/nginx.conf' listening on a free 127.0.0.1 port. /health and the npm ping path
       answer with 'return 200' and the endpoint's own bodies.
    3. Checks, per server: every target answers 200 without Content-Encoding, each file answers exactly the bytes that
       were published, and the .sha1 exactly the digest the script computed (compared by SHA-256).
    4. wrk, with the same settings for both servers and only against 127.0.0.1, on six targets:
         Health  GET /health: no token check, no catalog (the endpoint's floor; nginx: return 200)
         Ping    GET /{domain}/npm/{repo}/-/ping: the token check and nothing else (nginx: return 200)
         Sha1    GET …/demo-lib-1.0.0.jar.sha1: the token check and the catalog lookup of the asset, no blob (the endpoint
                 computes nothing: the digest is in the catalog; nginx: a static file with the same 40 hex digits, which
                 the script computes and both servers must answer)
         Jar     GET /{domain}/maven/{repo}/{group path}/demo-lib/1.0.0/demo-lib-1.0.0.jar (2.9 KB; the group id is read
                 from the fixture POM)
         Large   GET /{domain}/maven/{repo}/{group path}/demo-lib/1.0.0/demo-lib-1.0.0-bench.jar (-LargeKB KiB)
         Nupkg   GET /{domain}/nuget/{repo}/v3/flatcontainer/demo.core/1.2.3/demo.core.1.2.3.nupkg (3.6 KB)
       Every request carries 'Authorization: Bearer <token>' (nginx ignores it) and no Accept-Encoding. Each measurement
       follows an unmeasured -WarmupSeconds run and starts once the server answers /health again, so requests a server
       still works through from the previous run do not count against the next. The rounds go target by target, server
       after server, so drift on the machine hits both alike.
    5. Prints a table per target and server: requests/s, MiB of body per second, p50/p99/max latency, the server's CPU
       time per request (nginx: its master and worker processes; PSCodeArtifact: this pwsh process, which hosts the
       endpoint and otherwise only waits for wrk), and on the PSCodeArtifact row the ratio of its requests/s to nginx's.
    6. Stops nginx and the endpoint and removes the run folder (store, nginx root and config, files, module copy), also
       when a step fails or the run is stopped.

    wrk, both servers and this script share the machine's cores: compare the two servers only within one run. The commit
    printed is the repository's HEAD when the run starts; the module is whatever -ModulePath was built from.

.PARAMETER ModulePath
    The PSCodeArtifact manifest to benchmark. Default: out/PSCodeArtifact/PSCodeArtifact.psd1 under the repository root.
    A relative path is taken from the repository root.

.PARAMETER ScratchPath
    The folder for the run folder. Default: PSCodeArtifact-dlbench under [IO.Path]::GetTempPath(). nginx's workers must be
    able to read it (when the script runs as root they run as nobody).

.PARAMETER LargeKB
    The size of the random payload of the large jar, in KiB. Default: 1024.

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
    Which targets to measure. Default: all six (Health, Ping, Sha1, Jar, Large, Nupkg).

.PARAMETER NginxWorkers
    nginx's worker_processes. Default: auto (one per core).

.PARAMETER PassThru
    Also writes the result rows (with every round's wrk summary in Runs) to the pipeline.

.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Build; dotnet pwsh ./bench/Measure-Downloads.ps1

.EXAMPLE
    dotnet pwsh ./bench/Measure-Downloads.ps1 -Connections 1 -Threads 1 -Repeat 3

.NOTES
    A benchmark, not a test: it fails only when an operation fails (a publish, a check, a non-2xx answer under load),
    never on the numbers. Needs nginx and wrk; when one is missing and this runs as root it installs it with apt-get.
#>
[CmdletBinding()]
param(
    [string] $ModulePath = 'out/PSCodeArtifact/PSCodeArtifact.psd1',

    [string] $ScratchPath = (Join-Path ([System.IO.Path]::GetTempPath()) 'PSCodeArtifact-dlbench'),

    [ValidateRange(1, 1048576)]
    [int] $LargeKB = 1024,

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

    [ValidateSet('Health', 'Ping', 'Sha1', 'Jar', 'Large', 'Nupkg')]
    [string[]] $Target = @('Health', 'Ping', 'Sha1', 'Jar', 'Large', 'Nupkg'),

    [ValidatePattern('^(auto|[1-9][0-9]?)$')]
    [string] $NginxWorkers = 'auto',

    [switch] $PassThru
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

Import-Module (Join-Path $PSScriptRoot 'BenchCommon.psm1') -Force

$RepoRoot = Split-Path -Parent $PSScriptRoot
$Domain = 'bench'
$Repository = 'downloads'
$PomFixture = Join-Path $RepoRoot 'tests/fixtures/maven/demo-lib-1.0.0.pom'
$JarFixture = Join-Path $RepoRoot 'tests/fixtures/maven/demo-lib-1.0.0.jar'
$NupkgFixture = Join-Path $RepoRoot 'tests/fixtures/nuget/Demo.Core.1.2.3.nupkg'
$Servers = @('PSCodeArtifact', 'nginx')

function New-LargeJar {
    # A jar-like file: a zip with a manifest and $LargeKB KiB of random bytes stored uncompressed, so its size is what
    # goes over the wire and nobody can shrink it.
    param([string] $Path)
    $payload = [byte[]]::new($LargeKB * 1KB)
    [System.Security.Cryptography.RandomNumberGenerator]::Fill($payload)
    $file = [System.IO.File]::Create($Path)
    try {
        $zip = [System.IO.Compression.ZipArchive]::new($file, [System.IO.Compression.ZipArchiveMode]::Create)
        try {
            $writer = [System.IO.StreamWriter]::new($zip.CreateEntry('META-INF/MANIFEST.MF').Open())
            try { $writer.Write("Manifest-Version: 1.0`r`nCreated-By: PSCodeArtifact bench`r`n`r`n") } finally { $writer.Dispose() }
            $stream = $zip.CreateEntry('bench/data.bin', [System.IO.Compression.CompressionLevel]::NoCompression).Open()
            try { $stream.Write($payload, 0, $payload.Length) } finally { $stream.Dispose() }
        }
        finally { $zip.Dispose() }
    }
    finally { $file.Dispose() }
}

function ConvertTo-NginxString {
    param([string] $Value)
    "'" + $Value.Replace('\', '\\').Replace("'", "\'") + "'"
}

function Start-Nginx {
    # Starts nginx in the foreground (daemon off) so the process we stop is its master, and waits until it answers.
    param([string] $Exe, [string] $Prefix, [string] $Config, [int] $Port)
    $info = [System.Diagnostics.ProcessStartInfo]::new($Exe)
    foreach ($argument in @('-p', $Prefix, '-c', $Config)) { $info.ArgumentList.Add($argument) }
    $info.UseShellExecute = $false
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $info.WorkingDirectory = $Prefix
    $process = [System.Diagnostics.Process]::Start($info)
    # Drain both pipes so nginx never blocks on them; the text is only read when it fails.
    $script:NginxOutput = $process.StandardOutput.ReadToEndAsync()
    $script:NginxErrors = $process.StandardError.ReadToEndAsync()
    $script:NginxProcess = $process
    $deadline = [DateTime]::UtcNow.AddSeconds(30)
    while ($true) {
        if ($process.HasExited) {
            $process.WaitForExit()
            $log = Join-Path $Prefix 'error.log'
            $logText = if (Test-Path -LiteralPath $log) { Get-Content -LiteralPath $log -Raw } else { '' }
            throw "nginx exited with code $($process.ExitCode) before answering:`n$($script:NginxOutput.Result)`n$($script:NginxErrors.Result)`n$logText"
        }
        try {
            $response = $script:Http.GetAsync("http://127.0.0.1:$Port/health").GetAwaiter().GetResult()
            $ok = $response.IsSuccessStatusCode
            $response.Dispose()
            if ($ok) { break }
        }
        catch [System.Net.Http.HttpRequestException] { }
        if ([DateTime]::UtcNow -gt $deadline) { throw "nginx did not answer on 127.0.0.1:$Port within 30 s." }
        Start-Sleep -Milliseconds 100
    }
    # The workers are forked before the master accepts anything; their CPU time is the server's.
    $script:NginxWorkerProcesses = @(Get-ChildProcessIds -ParentId $process.Id | ForEach-Object { [System.Diagnostics.Process]::GetProcessById($_) })
}

function Get-ChildProcessIds {
    param([int] $ParentId)
    foreach ($folder in [System.IO.Directory]::EnumerateDirectories('/proc')) {
        $name = [System.IO.Path]::GetFileName($folder)
        if ($name -notmatch '^\d+$') { continue }
        try { $stat = [System.IO.File]::ReadAllText("$folder/stat") } catch [System.IO.IOException], [System.UnauthorizedAccessException] { continue }
        # The command name in parentheses may hold spaces; the parent id is the second field after it.
        $fields = $stat.Substring($stat.LastIndexOf(')') + 2).Split(' ')
        if ([int]$fields[1] -eq $ParentId) { [int]$name }
    }
}

function Stop-Nginx {
    $process = $script:NginxProcess
    if ($null -eq $process) { return }
    $script:NginxProcess = $null
    if (-not $process.HasExited) {
        # SIGQUIT is nginx's graceful shutdown: the master waits for its workers, so none is left behind.
        & $script:Kill -QUIT $process.Id 2> $null
        if (-not $process.WaitForExit(10000)) {
            Write-Warning "nginx (pid $($process.Id)) did not stop within 10 s of SIGQUIT; killing it and its workers."
            $process.Kill($true)
            [void]$process.WaitForExit(10000)
        }
    }
    foreach ($worker in $script:NginxWorkerProcesses) {
        if (-not $worker.HasExited) { $worker.Kill(); [void]$worker.WaitForExit(5000) }
        $worker.Dispose()
    }
    $script:NginxWorkerProcesses = @()
    $process.Dispose()
}

function Get-Http {
    # One GET with the bench's headers; returns status, content type, content encoding and the body bytes as sent.
    param([string] $Uri, [string] $Token)
    $request = [System.Net.Http.HttpRequestMessage]::new([System.Net.Http.HttpMethod]::Get, $Uri)
    try {
        [void]$request.Headers.TryAddWithoutValidation('Authorization', "Bearer $Token")
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
    # Checks one server answers every target correctly before it is loaded; returns the response sizes.
    param([string] $ServerName, [hashtable] $Uris, [string] $Token)
    $sizes = @{}
    foreach ($name in $Target) {
        $answer = Get-Http -Uri $Uris[$name] -Token $Token
        if ($answer.Status -ne 200) {
            $hint = if ($ServerName -eq 'nginx' -and $answer.Status -eq 403) { " (nginx's workers run as nobody when it is started as root: give a -ScratchPath they can read)" } else { '' }
            throw "$ServerName $name`: GET $($Uris[$name]) answered $($answer.Status)$hint`: $([System.Text.Encoding]::UTF8.GetString($answer.Body))"
        }
        if ($answer.Encoding) { throw "$ServerName $name`: the answer is compressed (Content-Encoding: $($answer.Encoding)); artifacts never are." }
        $source = $TargetFiles[$name]
        if ($source) {
            $expected = [System.IO.File]::ReadAllBytes($source)
            if ([Convert]::ToHexString([System.Security.Cryptography.SHA256]::HashData([byte[]]$answer.Body)) -ne
                [Convert]::ToHexString([System.Security.Cryptography.SHA256]::HashData($expected))) {
                throw "$ServerName $name`: GET $($Uris[$name]) did not return the published bytes ($($answer.Body.Length) bytes, expected $($expected.Length))."
            }
        }
        $sizes[$name] = $answer.Body.Length
    }
    $sizes
}

function Get-ServerCpu {
    # CPU time of what serves: nginx's master and workers, or this pwsh for the in-process endpoint.
    param([string] $ServerName)
    if ($ServerName -eq 'nginx') {
        $total = [TimeSpan]::Zero
        foreach ($process in @($script:NginxProcess) + $script:NginxWorkerProcesses) {
            $process.Refresh()
            $total += $process.TotalProcessorTime
        }
        return $total
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
    param([string] $Uri, [string] $Token, [int] $Seconds, [string] $ServerName)
    $arguments = @("-t$Threads", "-c$Connections", "-d$($Seconds)s", '--timeout', '10s', '-s', $script:WrkScript,
        '-H', 'Accept: */*', '-H', "Authorization: Bearer $Token", $Uri)
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
foreach ($fixture in @($PomFixture, $JarFixture, $NupkgFixture)) {
    if (-not (Test-Path -LiteralPath $fixture -PathType Leaf)) { throw "The fixture '$fixture' is missing." }
}
$script:Wrk = Install-AptTool -Name wrk
$nginxExe = Install-AptTool -Name nginx
# The native kill: it sends the signal nginx stops on gracefully (.NET only sends SIGKILL).
$script:Kill = Find-Tool -Name kill
if (-not $script:Kill) { throw "'kill' is not on PATH (Debian: procps)." }

# The Maven coordinates come from the fixture, so the URL follows it if it changes.
[xml]$pomXml = Get-Content -LiteralPath $PomFixture -Raw
$GroupId = $pomXml.project.groupId
$ArtifactId = $pomXml.project.artifactId
$MavenVersion = $pomXml.project.version
$MavenFolder = "maven/$Repository/$($GroupId.Replace('.', '/'))/$ArtifactId/$MavenVersion"
$JarName = "$ArtifactId-$MavenVersion.jar"
$LargeName = "$ArtifactId-$MavenVersion-bench.jar"

# ------------------------------------------------------------------ run

$createdScratch = $false
$run = $null
$endpoint = $null
$moduleInfo = $null
$script:NginxProcess = $null
$script:NginxWorkerProcesses = @()
$script:Http = $null
$previousStore = $env:PSCODEARTIFACT_STORE
try {
    if (-not (Test-Path -LiteralPath $ScratchPath)) {
        New-Item -ItemType Directory -Path $ScratchPath | Out-Null
        $createdScratch = $true
    }
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
    # nginx -v writes its version to stderr.
    $nginxVersion = ((& $nginxExe -v 2>&1 | ForEach-Object { "$_" }) -join ' ').Trim() -replace '^nginx version: ', ''
    if ($LASTEXITCODE -ne 0 -or -not $nginxVersion) { throw "'$nginxExe -v' failed (exit code $LASTEXITCODE): $nginxVersion" }
    Write-Host ("PSCodeArtifact download bench against {10} (sendfile, {0} workers): {1} KiB large jar; wrk -t{2} -c{3} -d{4}s, {5} round(s); commit {6}, {7} cores, load {8}, {9:yyyy-MM-dd HH:mm} UTC" -f
        $NginxWorkers, $LargeKB, $Threads, $Connections, $DurationSeconds, $Repeat, $commit, [Environment]::ProcessorCount, (Get-LoadAverage), [DateTime]::UtcNow, $nginxVersion)
    Write-Host "Run folder: $run"
    Write-Host "Module: $ModulePath"

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

    $files = Join-Path $run 'files'
    New-Item -ItemType Directory -Path $files | Out-Null
    $largeJar = Join-Path $files $LargeName
    New-LargeJar -Path $largeJar
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $maven = @(Publish-CaPackage -Domain $Domain -Repository $Repository -Path $PomFixture, $JarFixture, $largeJar)
    if ($maven.Count -ne 3 -or $maven[0].Namespace -ne $GroupId -or $maven[0].Package -ne $ArtifactId) {
        throw "Publishing the Maven files gave $($maven.Count) results, not 3 of $GroupId`:$ArtifactId."
    }
    $nuget = Publish-CaPackage -Domain $Domain -Repository $Repository -Path $NupkgFixture
    $nupkgAsset = @(Get-CaPackageVersionAsset -Domain $Domain -Repository $Repository -Format nuget -Package $nuget.Package -Version $nuget.Version |
        Where-Object { $_.Name -like '*.nupkg' })
    if ($nupkgAsset.Count -ne 1) { throw "$($nuget.Package) $($nuget.Version) has $($nupkgAsset.Count) .nupkg assets, not 1." }
    $nugetId = $nuget.Package.ToLowerInvariant()
    $nugetVersion = $nuget.Version.ToLowerInvariant()
    $nugetFolder = "nuget/$Repository/v3/flatcontainer/$nugetId/$nugetVersion"
    Write-Host ("Published {0}:{1}:{2} (pom, jar, {3:N0}-byte classifier jar) and {4} {5} in {6:N1} s" -f
        $GroupId, $ArtifactId, $MavenVersion, (Get-Item -LiteralPath $largeJar).Length, $nuget.Package, $nuget.Version, $clock.Elapsed.TotalSeconds)

    $endpoint = Start-CaEndpoint -Port 0
    $caBase = $endpoint.Uri.ToString().TrimEnd('/')
    $caToken = (Get-CaAuthorizationToken -Domain $Domain).AuthorizationToken
    Write-Host "PSCodeArtifact: $caBase (in this process, pid $PID)"

    # --- nginx: the same bytes, saved from the store under the same paths as the endpoint's URLs
    $nginxPrefix = Join-Path $run 'nginx'
    $nginxRoot = Join-Path $nginxPrefix 'root'
    $mavenRootFolder = Join-Path $nginxRoot "$Domain/$MavenFolder"
    $nugetRootFolder = Join-Path $nginxRoot "$Domain/$nugetFolder"
    New-Item -ItemType Directory -Path $mavenRootFolder, $nugetRootFolder, (Join-Path $nginxPrefix 'tmp') | Out-Null
    foreach ($name in @($JarName, $LargeName)) {
        Save-CaPackageVersionAsset -Domain $Domain -Repository $Repository -Format maven -Namespace $GroupId -Package $ArtifactId -Version $MavenVersion `
            -Asset $name -Path $mavenRootFolder | Out-Null
    }
    $nupkgName = "$nugetId.$nugetVersion.nupkg"
    Save-CaPackageVersionAsset -Domain $Domain -Repository $Repository -Format nuget -Package $nuget.Package -Version $nuget.Version `
        -Asset $nupkgAsset[0].Name -Path (Join-Path $nugetRootFolder $nupkgName) | Out-Null

    $paths = [ordered]@{
        Health = '/health'
        Ping   = "/$Domain/npm/$Repository/-/ping"
        Sha1   = "/$Domain/$MavenFolder/$JarName.sha1"
        Jar    = "/$Domain/$MavenFolder/$JarName"
        Large  = "/$Domain/$MavenFolder/$LargeName"
        Nupkg  = "/$Domain/$nugetFolder/$nupkgName"
    }
    # Maven's checksum files are plain lower-case hex; the endpoint must answer the digest of the fixture's bytes.
    $sha1File = Join-Path $files "$JarName.sha1"
    $jarSha1 = [Convert]::ToHexStringLower([System.Security.Cryptography.SHA1]::HashData([System.IO.File]::ReadAllBytes($JarFixture)))
    [System.IO.File]::WriteAllText($sha1File, $jarSha1)
    Copy-Item -LiteralPath $sha1File -Destination $mavenRootFolder
    $script:TargetFiles = @{ Health = $null; Ping = $null; Sha1 = $sha1File; Jar = $JarFixture; Large = $largeJar; Nupkg = $NupkgFixture }
    # nginx answers the two reference targets with the endpoint's own bodies, so the bytes on the wire match.
    $healthBody = [System.Text.Encoding]::UTF8.GetString((Get-Http -Uri "$caBase/health" -Token $caToken).Body)
    $pingBody = [System.Text.Encoding]::UTF8.GetString((Get-Http -Uri "$caBase$($paths.Ping)" -Token $caToken).Body)

    $nginxPort = Get-FreePort
    $nginxConfig = Join-Path $nginxPrefix 'nginx.conf'
    $tmp = Join-Path $nginxPrefix 'tmp'
    $conf = @(
        "worker_processes $NginxWorkers;"
        'daemon off;'
        "pid $(ConvertTo-NginxString (Join-Path $nginxPrefix 'nginx.pid'));"
        "error_log $(ConvertTo-NginxString (Join-Path $nginxPrefix 'error.log')) warn;"
        'events { worker_connections 1024; }'
        'http {'
        '    access_log off;'
        '    server_tokens off;'
        '    sendfile on;'
        '    tcp_nopush on;'
        '    tcp_nodelay on;'
        '    keepalive_timeout 75s;'
        '    keepalive_requests 1000000;'
        "    client_body_temp_path $(ConvertTo-NginxString (Join-Path $tmp 'body'));"
        "    proxy_temp_path $(ConvertTo-NginxString (Join-Path $tmp 'proxy'));"
        "    fastcgi_temp_path $(ConvertTo-NginxString (Join-Path $tmp 'fastcgi'));"
        "    uwsgi_temp_path $(ConvertTo-NginxString (Join-Path $tmp 'uwsgi'));"
        "    scgi_temp_path $(ConvertTo-NginxString (Join-Path $tmp 'scgi'));"
        '    types { application/java-archive jar; application/octet-stream nupkg; text/plain sha1; }'
        '    default_type application/octet-stream;'
        '    server {'
        "        listen 127.0.0.1:$nginxPort;"
        "        root $(ConvertTo-NginxString $nginxRoot);"
        "        location = /health { default_type application/json; return 200 $(ConvertTo-NginxString $healthBody); }"
        "        location = $($paths.Ping) { default_type application/json; return 200 $(ConvertTo-NginxString $pingBody); }"
        '    }'
        '}'
    ) -join "`n"
    Set-Content -LiteralPath $nginxConfig -Value $conf -Encoding utf8NoBOM
    Start-Nginx -Exe $nginxExe -Prefix $nginxPrefix -Config $nginxConfig -Port $nginxPort
    $nginxBase = "http://127.0.0.1:$nginxPort"
    Write-Host ("{0}: {1} (master pid {2}, {3} workers)" -f $nginxVersion, $nginxBase, $script:NginxProcess.Id, $script:NginxWorkerProcesses.Count)

    $bases = @{ PSCodeArtifact = $caBase; nginx = $nginxBase }
    $uris = @{}
    $sizes = @{}
    foreach ($server in $Servers) {
        $uris[$server] = @{}
        foreach ($name in $paths.Keys) { $uris[$server][$name] = $bases[$server] + $paths[$name] }
        $sizes[$server] = Test-Server -ServerName $server -Uris $uris[$server] -Token $caToken
    }
    Write-Host 'Both servers answer every target with the published bytes.'

    # --- Load
    $script:IdleUris = @{ PSCodeArtifact = "$caBase/health"; nginx = "$nginxBase/health" }
    $runs = @{}
    foreach ($name in $Target) { foreach ($server in $Servers) { $runs["$name/$server"] = [System.Collections.Generic.List[object]]::new() } }
    for ($round = 1; $round -le $Repeat; $round++) {
        foreach ($name in $Target) {
            foreach ($server in $Servers) {
                $uri = $uris[$server][$name]
                Write-Host "Round $round/$Repeat`: $name on $server ($uri)"
                if ($WarmupSeconds -gt 0) {
                    Invoke-Wrk -Uri $uri -Token $caToken -Seconds $WarmupSeconds -ServerName $server | Out-Null
                }
                $runs["$name/$server"].Add((Invoke-Wrk -Uri $uri -Token $caToken -Seconds $DurationSeconds -ServerName $server))
            }
        }
    }

    # --- Report
    $rows = foreach ($name in $Target) {
        $medians = @{}
        foreach ($server in $Servers) {
            $sorted = @($runs["$name/$server"] | Sort-Object -Property RequestsPerSecond)
            $medians[$server] = $sorted[[int][Math]::Floor(($sorted.Count - 1) / 2)]
        }
        foreach ($server in $Servers) {
            $median = $medians[$server]
            [pscustomobject]@{
                Target            = $name
                Server            = $server
                RequestsPerSecond = $median.RequestsPerSecond
                MiBPerSecond      = $median.RequestsPerSecond * $sizes[$server][$name] / 1MB
                P50Ms             = $median.p50_us / 1000
                P99Ms             = $median.p99_us / 1000
                MaxMs             = $median.max_us / 1000
                ResponseBytes     = $sizes[$server][$name]
                CpuUsPerRequest   = $median.CpuMicrosecondsPerRequest
                Ratio             = if ($server -eq 'PSCodeArtifact') { $median.RequestsPerSecond / $medians['nginx'].RequestsPerSecond } else { $null }
                Runs              = @($runs["$name/$server"])
            }
        }
    }
    $rows | Format-Table -AutoSize -Property Target, Server,
        @{ Name = 'Req/s'; Expression = { $_.RequestsPerSecond }; FormatString = 'N0'; Alignment = 'Right' },
        @{ Name = 'MB/s'; Expression = { $_.MiBPerSecond }; FormatString = 'N1'; Alignment = 'Right' },
        @{ Name = 'p50 ms'; Expression = { $_.P50Ms }; FormatString = 'N2'; Alignment = 'Right' },
        @{ Name = 'p99 ms'; Expression = { $_.P99Ms }; FormatString = 'N2'; Alignment = 'Right' },
        @{ Name = 'max ms'; Expression = { $_.MaxMs }; FormatString = 'N1'; Alignment = 'Right' },
        @{ Name = 'Bytes'; Expression = { $_.ResponseBytes }; FormatString = 'N0'; Alignment = 'Right' },
        @{ Name = 'CPU us/req'; Expression = { $_.CpuUsPerRequest }; FormatString = 'N0'; Alignment = 'Right' },
        @{ Name = 'x nginx'; Expression = { if ($null -ne $_.Ratio) { '{0:N2}' -f $_.Ratio } else { '' } }; Alignment = 'Right' } |
        Out-String -Width 200 | ForEach-Object { Write-Host $_.TrimEnd() }
    Write-Host ''
    Write-Host ("Median of {0} round(s) by requests/s. MB/s = MiB of response body per second. 'x nginx' = PSCodeArtifact requests/s / nginx requests/s. CPU us/req = CPU time of the serving processes per request (nginx: master and workers; PSCodeArtifact: this pwsh). Load at the end: {1}." -f
        $Repeat, (Get-LoadAverage))

    if ($PassThru) { $rows }
}
finally {
    if ($null -ne $endpoint) {
        try { Stop-CaEndpoint -Endpoint $endpoint -Confirm:$false } catch { Write-Warning "Stopping the endpoint failed: $_" }
    }
    try { Stop-Nginx } catch { Write-Warning "Stopping nginx failed: $_" }
    if ($null -ne $script:Http) { $script:Http.Dispose() }
    if ($null -ne $moduleInfo) { Remove-Module -ModuleInfo $moduleInfo -Force -ErrorAction SilentlyContinue }
    # Pooled SQLite connections keep the catalog open; release them so the store can go.
    $connectionType = 'Microsoft.Data.Sqlite.SqliteConnection' -as [type]
    if ($connectionType) { $connectionType::ClearAllPools() }
    if ($null -eq $previousStore) { Remove-Item -Path Env:PSCODEARTIFACT_STORE -ErrorAction SilentlyContinue }
    else { $env:PSCODEARTIFACT_STORE = $previousStore }
    if ($run -and (Test-Path -LiteralPath $run)) { Remove-Item -LiteralPath $run -Recurse -Force }
    if ($createdScratch -and (Test-Path -LiteralPath $ScratchPath) -and -not (Get-ChildItem -LiteralPath $ScratchPath -Force)) {
        Remove-Item -LiteralPath $ScratchPath -Force
    }
}
