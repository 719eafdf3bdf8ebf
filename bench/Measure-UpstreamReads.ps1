<#
.SYNOPSIS
    Benchmarks merged reads through upstream repositories: an npm packument and a NuGet flat-container version list served
    through a chain of three repositories, side by side with the same request on a repository that holds everything itself.

.DESCRIPTION
    1. Imports a private copy of -ModulePath, points $env:PSCODEARTIFACT_STORE at a throwaway store and creates domain
       'bench' with repository 'flat' and the chain 'front' -> 'middle' -> 'back'.
    2. Builds -Versions versions of the npm package 'bench-merge' (a package.json and a ~4 KB README per tarball, made
       with tar) and of the NuGet package 'Bench.Merge' (a nuspec and a small file per .nupkg). 'flat' gets every
       version; the chain gets each version in exactly one of its repositories, in turn (back, middle, front), so a
       request to 'front' must merge all three. 'middle' and 'front' first get the origin configuration publish=ALLOW,
       upstream=ALLOW for both packages (without it, publishing a package their upstreams already hold is refused as
       dependency confusion).
    3. Starts the endpoint in this process and checks that both repositories answer each target with every version.
    4. wrk on loopback, same settings for every run, each preceded by an unmeasured -WarmupSeconds run:
         npm packument  GET /bench/npm/<repo>/bench-merge, Accept: application/json
         npm abbreviated GET the same with the Accept npm install sends
         nuget versions GET /bench/nuget/<repo>/v3/flatcontainer/bench.merge/index.json
       Rounds alternate flat and chain, so drift on the machine hits both alike.
    5. Prints per target: requests/s, p50/p99 latency, response size and the endpoint's CPU time per request (this pwsh
       process) for 'flat' and for 'front', and the ratio front/flat.
    6. Stops the endpoint and removes the run folder, also when a step fails.

.PARAMETER ModulePath
    The PSCodeArtifact manifest to benchmark. Default: out/PSCodeArtifact/PSCodeArtifact.psd1 under the repository root.

.PARAMETER Versions
    Versions per package. Default: 30.

.PARAMETER Threads
    wrk threads. Default: 2.

.PARAMETER Connections
    wrk connections. Default: 32.

.PARAMETER DurationSeconds
    Length of each measured run. Default: 10.

.PARAMETER WarmupSeconds
    Length of the unmeasured run before each measured one. Default: 2.

.PARAMETER Repeat
    Rounds; the table shows each row's median round by requests/s. Default: 1.

.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Build; dotnet pwsh ./bench/Measure-UpstreamReads.ps1

.NOTES
    A benchmark, not a test: it fails only when an operation fails, never on the numbers. Needs tar and wrk (installed with
    apt-get when missing and running as root).
#>
[CmdletBinding()]
param(
    [string] $ModulePath = 'out/PSCodeArtifact/PSCodeArtifact.psd1',
    [ValidateRange(3, 1000)][int] $Versions = 30,
    [ValidateRange(1, 64)][int] $Threads = 2,
    [ValidateRange(1, 10000)][int] $Connections = 32,
    [ValidateRange(1, 600)][int] $DurationSeconds = 10,
    [ValidateRange(0, 600)][int] $WarmupSeconds = 2,
    [ValidateRange(1, 20)][int] $Repeat = 1
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module (Join-Path $PSScriptRoot 'BenchCommon.psm1') -Force

$RepoRoot = Split-Path -Parent $PSScriptRoot
$Domain = 'bench'
$NpmName = 'bench-merge'
$NugetId = 'Bench.Merge'
$Chain = @('back', 'middle', 'front')
$CorgiAccept = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*'

function New-NpmTarball {
    param([string] $Folder, [string] $Version)
    $stage = Join-Path $Folder "npm-$Version"
    $package = Join-Path $stage 'package'
    New-Item -ItemType Directory -Path $package -Force | Out-Null
    @{ name = $NpmName; version = $Version; description = 'A package for the upstream read bench.'; main = 'index.js'; license = 'MIT'
        keywords = @('bench', 'merge'); repository = @{ type = 'git'; url = 'https://example.com/bench.git' } } |
        ConvertTo-Json | Set-Content -LiteralPath (Join-Path $package 'package.json') -Encoding utf8NoBOM
    Set-Content -LiteralPath (Join-Path $package 'index.js') -Value "module.exports = '$Version';" -Encoding utf8NoBOM
    Set-Content -LiteralPath (Join-Path $package 'README.md') -Value ("# $NpmName`n`n" + ('Lorem ipsum dolor sit amet. ' * 150)) -Encoding utf8NoBOM
    $tarball = Join-Path $Folder "$NpmName-$Version.tgz"
    Invoke-Native -FilePath tar -ArgumentList @('-czf', $tarball, '-C', $stage, 'package') -What "tar $tarball" | Out-Null
    $tarball
}

function New-Nupkg {
    param([string] $Folder, [string] $Version)
    $path = Join-Path $Folder "$NugetId.$Version.nupkg"
    $zip = [System.IO.Compression.ZipFile]::Open($path, 'Create')
    try {
        $entries = [ordered]@{
            "$NugetId.nuspec"     = @"
<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2012/06/nuspec.xsd">
  <metadata>
    <id>$NugetId</id>
    <version>$Version</version>
    <authors>Bench</authors>
    <description>A package for the upstream read bench.</description>
    <dependencies><group targetFramework="net10.0" /></dependencies>
  </metadata>
</package>
"@
            'lib/net10.0/_._'     = ''
            '[Content_Types].xml' = '<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="nuspec" ContentType="application/octet" /></Types>'
        }
        foreach ($name in $entries.Keys) {
            $writer = [System.IO.StreamWriter]::new($zip.CreateEntry($name).Open())
            try { $writer.Write($entries[$name]) } finally { $writer.Dispose() }
        }
    }
    finally { $zip.Dispose() }
    $path
}

function Get-Answer {
    param([string] $Uri, [string] $Accept)
    $request = [System.Net.Http.HttpRequestMessage]::new([System.Net.Http.HttpMethod]::Get, $Uri)
    try {
        [void]$request.Headers.TryAddWithoutValidation('Authorization', "Bearer $script:Token")
        [void]$request.Headers.TryAddWithoutValidation('Accept', $Accept)
        $response = $script:Http.SendAsync($request).GetAwaiter().GetResult()
        try { [pscustomobject]@{ Status = [int]$response.StatusCode; Body = $response.Content.ReadAsStringAsync().GetAwaiter().GetResult() } }
        finally { $response.Dispose() }
    }
    finally { $request.Dispose() }
}

if (-not [System.IO.Path]::IsPathRooted($ModulePath)) { $ModulePath = Join-Path $RepoRoot $ModulePath }
if (-not (Test-Path -LiteralPath $ModulePath -PathType Leaf)) { throw "No module at '$ModulePath'; build it first: dotnet pwsh ./build.ps1 -Task Build" }
$ModulePath = (Resolve-Path -LiteralPath $ModulePath).ProviderPath
$wrk = Install-AptTool -Name wrk

$run = Join-Path ([System.IO.Path]::GetTempPath()) ('PSCodeArtifact-upstreambench-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
$endpoint = $null
$previousStore = $env:PSCODEARTIFACT_STORE
$script:Http = [System.Net.Http.HttpClient]::new()
try {
    New-Item -ItemType Directory -Path $run | Out-Null
    $wrkScript = New-WrkReportScript -Path (Join-Path $run 'report.lua')
    Write-Host ("PSCodeArtifact upstream read bench: {0} versions per package, chain of 3 vs one repository; wrk -t{1} -c{2} -d{3}s, {4} round(s); commit {5}, {6} cores, load {7}, {8:yyyy-MM-dd HH:mm} UTC" -f
        $Versions, $Threads, $Connections, $DurationSeconds, $Repeat, (Get-RepositoryCommit $RepoRoot), [Environment]::ProcessorCount, (Get-LoadAverage), [DateTime]::UtcNow)

    $moduleFolder = Split-Path -Parent $ModulePath
    Copy-Item -LiteralPath $moduleFolder -Destination (Join-Path $run 'module') -Recurse
    Import-Module -Name (Join-Path $run "module/$(Split-Path -Leaf $ModulePath)") -Force
    $env:PSCODEARTIFACT_STORE = Join-Path $run 'store'
    New-CaDomain -Name $Domain | Out-Null
    New-CaRepository -Domain $Domain -Name 'flat' | Out-Null
    New-CaRepository -Domain $Domain -Name 'back' | Out-Null
    New-CaRepository -Domain $Domain -Name 'middle' -Upstream 'back' | Out-Null
    New-CaRepository -Domain $Domain -Name 'front' -Upstream 'middle' | Out-Null
    foreach ($repository in 'middle', 'front') {
        Set-CaPackageOriginConfiguration -Domain $Domain -Repository $repository -Format npm -Package $NpmName -Publish ALLOW -Upstream ALLOW | Out-Null
        Set-CaPackageOriginConfiguration -Domain $Domain -Repository $repository -Format nuget -Package $NugetId -Publish ALLOW -Upstream ALLOW | Out-Null
    }

    $files = Join-Path $run 'files'
    New-Item -ItemType Directory -Path $files | Out-Null
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    for ($i = 0; $i -lt $Versions; $i++) {
        $version = "1.0.$i"
        $tarball = New-NpmTarball -Folder $files -Version $version
        $nupkg = New-Nupkg -Folder $files -Version $version
        $holder = $Chain[$i % 3]
        Publish-CaPackage -Domain $Domain -Repository 'flat' -Path $tarball, $nupkg | Out-Null
        Publish-CaPackage -Domain $Domain -Repository $holder -Path $tarball, $nupkg | Out-Null
    }
    Write-Host ("Published {0} npm and {0} NuGet versions to 'flat' and across the chain in {1:N1} s" -f $Versions, $clock.Elapsed.TotalSeconds)

    $endpoint = Start-CaEndpoint -Port 0
    $base = $endpoint.Uri.ToString().TrimEnd('/')
    $script:Token = (Get-CaAuthorizationToken -Domain $Domain).AuthorizationToken
    $targets = [ordered]@{
        'npm packument'   = @{ Path = "npm/{0}/$NpmName"; Accept = 'application/json' }
        'npm abbreviated' = @{ Path = "npm/{0}/$NpmName"; Accept = $CorgiAccept }
        'nuget versions'  = @{ Path = "nuget/{0}/v3/flatcontainer/$($NugetId.ToLowerInvariant())/index.json"; Accept = 'application/json' }
    }
    foreach ($name in $targets.Keys) {
        foreach ($repository in 'flat', 'front') {
            $uri = "$base/$Domain/" + ($targets[$name].Path -f $repository)
            $answer = Get-Answer -Uri $uri -Accept $targets[$name].Accept
            if ($answer.Status -ne 200) { throw "$name on '$repository': GET $uri answered $($answer.Status): $($answer.Body)" }
            $document = $answer.Body | ConvertFrom-Json -AsHashtable
            $count = if ($name -like 'npm*') { $document.versions.Count } else { $document.versions.Count }
            if ($count -ne $Versions) { throw "$name on '$repository' lists $count versions, not $Versions." }
            $targets[$name]["Bytes_$repository"] = [System.Text.Encoding]::UTF8.GetByteCount($answer.Body)
        }
    }

    $cpu = { Get-CurrentProcessCpu }
    $results = [System.Collections.Generic.List[object]]::new()
    for ($round = 1; $round -le $Repeat; $round++) {
        foreach ($name in $targets.Keys) {
            foreach ($repository in 'flat', 'front') {
                $uri = "$base/$Domain/" + ($targets[$name].Path -f $repository)
                $headers = @("Authorization: Bearer $script:Token", "Accept: $($targets[$name].Accept)")
                Wait-HttpOk -Http $script:Http -Uri "$base/health"
                if ($WarmupSeconds -gt 0) {
                    Invoke-Wrk -Wrk $wrk -Script $wrkScript -Uri $uri -Header $headers -Threads $Threads -Connections $Connections -Seconds $WarmupSeconds | Out-Null
                    Wait-HttpOk -Http $script:Http -Uri "$base/health"
                }
                $summary = Invoke-Wrk -Wrk $wrk -Script $wrkScript -Uri $uri -Header $headers -Threads $Threads -Connections $Connections -Seconds $DurationSeconds -Cpu $cpu
                $results.Add([pscustomobject]@{ Target = $name; Repository = $repository; Round = $round; Summary = $summary })
            }
        }
    }

    Write-Host ''
    $rows = foreach ($name in $targets.Keys) {
        $median = @{}
        foreach ($repository in 'flat', 'front') {
            $runs = @($results | Where-Object { $_.Target -eq $name -and $_.Repository -eq $repository } | Sort-Object { $_.Summary.RequestsPerSecond })
            $median[$repository] = $runs[[int][Math]::Floor(($runs.Count - 1) / 2)].Summary
        }
        foreach ($repository in 'flat', 'front') {
            $s = $median[$repository]
            [pscustomobject]@{
                Target      = $name
                Repository  = if ($repository -eq 'flat') { 'flat (holds all)' } else { 'front -> middle -> back' }
                'Req/s'     = [Math]::Round($s.RequestsPerSecond).ToString('N0')
                'p50 ms'    = [Math]::Round($s.p50_us / 1000, 2)
                'p99 ms'    = [Math]::Round($s.p99_us / 1000, 2)
                Bytes       = $targets[$name]["Bytes_$repository"]
                'CPU us/req' = [Math]::Round($s.CpuMicrosecondsPerRequest, 1)
                'vs flat'   = if ($repository -eq 'flat') { '1.00x' } else { '{0:N2}x' -f ($s.RequestsPerSecond / $median['flat'].RequestsPerSecond) }
            }
        }
    }
    # Wide enough for every column, whatever the console's width.
    $rows | Format-Table -AutoSize | Out-String -Width 200 | Write-Host
    Write-Host "Median of $Repeat round(s) by requests/s. 'vs flat' = requests/s through the chain / requests/s of the repository holding everything. CPU us/req = this pwsh's CPU time per request." 
}
finally {
    if ($endpoint) { Stop-CaEndpoint -Endpoint $endpoint }
    $env:PSCODEARTIFACT_STORE = $previousStore
    $script:Http.Dispose()
    try { [Microsoft.Data.Sqlite.SqliteConnection]::ClearAllPools() } catch { }
    if (Test-Path -LiteralPath $run) { Remove-Item -LiteralPath $run -Recurse -Force -ErrorAction SilentlyContinue }
}
