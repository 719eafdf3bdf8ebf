# Helpers shared by the bench scripts: native commands, tools from Debian's packages, free ports, wrk runs with a JSON
# summary, and the machine's load. Each function takes what it needs as parameters (no script-scope state).

$script:WrkReportLua = @'
done = function(summary, latency, requests)
  io.write(string.format('WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"status_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"mean_us":%.1f,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max))
end
'@

function Invoke-Native {
    <# Runs a native command and returns its stdout lines; throws with stdout and stderr when it exits non-zero. #>
    param([string] $FilePath, [string[]] $ArgumentList, [string] $What)
    Write-Verbose "$FilePath $($ArgumentList -join ' ')"
    $errorFile = [System.IO.Path]::GetTempFileName()
    try {
        $lines = @(& $FilePath @ArgumentList 2> $errorFile | ForEach-Object { "$_" })
        $exitCode = $LASTEXITCODE
        if ($exitCode -ne 0) {
            throw "$What failed (exit code $exitCode):`n$($lines -join "`n")`n$(Get-Content -LiteralPath $errorFile -Raw)"
        }
    }
    finally { Remove-Item -LiteralPath $errorFile -ErrorAction SilentlyContinue }
    $lines
}

function Find-Tool {
    <# The path of a native tool, also in the sbin folders that are not on every PATH; null when missing. #>
    param([string] $Name)
    $command = Get-Command -Name $Name -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if ($command) { return $command.Source }
    foreach ($folder in @('/usr/sbin', '/usr/local/sbin', '/sbin')) {
        $candidate = Join-Path $folder $Name
        if (Test-Path -LiteralPath $candidate -PathType Leaf) { return $candidate }
    }
    $null
}

function Install-AptTool {
    <# Returns the tool's path, installing Debian's package of that name first when it is missing and this runs as root. #>
    param([string] $Name)
    $found = Find-Tool -Name $Name
    if ($found) { return $found }
    $uid = Invoke-Native -FilePath id -ArgumentList @('-u') -What 'id -u'
    if ("$($uid[0])".Trim() -ne '0' -or -not (Get-Command -Name apt-get -CommandType Application -ErrorAction SilentlyContinue)) {
        throw "$Name is not installed; install it (Debian: apt-get install -y $Name) and run again."
    }
    Write-Host "Installing $Name with apt-get"
    & apt-get install -y --no-install-recommends $Name *> $null
    if ($LASTEXITCODE -ne 0) {
        Invoke-Native -FilePath apt-get -ArgumentList @('update') -What 'apt-get update' | Out-Null
        Invoke-Native -FilePath apt-get -ArgumentList @('install', '-y', '--no-install-recommends', $Name) -What "apt-get install $Name" | Out-Null
    }
    $found = Find-Tool -Name $Name
    if (-not $found) { throw "apt-get installed $Name, but it is not on PATH or in /usr/sbin." }
    $found
}

function Get-FreePort {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { ([System.Net.IPEndPoint]$listener.LocalEndpoint).Port } finally { $listener.Stop() }
}

function New-WrkReportScript {
    <# Writes the Lua hook that makes wrk print its summary as one JSON line, and returns its path. #>
    param([Parameter(Mandatory)][string] $Path)
    Set-Content -LiteralPath $Path -Value $script:WrkReportLua -Encoding utf8NoBOM
    $Path
}

function Get-CurrentProcessCpu {
    $self = [System.Diagnostics.Process]::GetCurrentProcess()
    try { $self.TotalProcessorTime } finally { $self.Dispose() }
}

function Wait-HttpOk {
    <# Waits until $Uri answers 2xx (a server still busy with a previous load run does not count against the next). #>
    param([Parameter(Mandatory)][System.Net.Http.HttpClient] $Http, [Parameter(Mandatory)][string] $Uri, [int] $TimeoutSeconds = 120)
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while ($true) {
        try {
            $response = $Http.GetAsync($Uri).GetAwaiter().GetResult()
            $ok = $response.IsSuccessStatusCode
            $response.Dispose()
            if ($ok) { return }
        }
        catch [System.Net.Http.HttpRequestException], [System.Threading.Tasks.TaskCanceledException] { }
        if ([DateTime]::UtcNow -gt $deadline) { throw "$Uri did not answer within $TimeoutSeconds s." }
        Start-Sleep -Milliseconds 200
    }
}

function Invoke-Wrk {
    <#
        One wrk run; returns its summary with RequestsPerSecond and, when -Cpu gives the server's CPU time as a script
        block, CpuMicrosecondsPerRequest. Throws when wrk completes nothing or the server answers non-2xx/3xx.
    #>
    param(
        [Parameter(Mandatory)][string] $Wrk, [Parameter(Mandatory)][string] $Script, [Parameter(Mandatory)][string] $Uri,
        [string[]] $Header = @(), [int] $Threads = 2, [int] $Connections = 32, [int] $Seconds = 10, [scriptblock] $Cpu
    )
    $arguments = @("-t$Threads", "-c$Connections", "-d$($Seconds)s", '--timeout', '10s', '-s', $Script)
    foreach ($line in $Header) { $arguments += '-H', $line }
    $arguments += $Uri
    $cpuBefore = if ($Cpu) { & $Cpu } else { [TimeSpan]::Zero }
    $lines = Invoke-Native -FilePath $Wrk -ArgumentList $arguments -What "wrk $Uri"
    $cpuUsed = if ($Cpu) { (& $Cpu) - $cpuBefore } else { [TimeSpan]::Zero }
    $json = @($lines | Where-Object { $_.StartsWith('WRKJSON ') })
    if ($json.Count -ne 1) { throw "wrk printed no summary for $Uri`:`n$($lines -join "`n")" }
    $summary = $json[0].Substring(8) | ConvertFrom-Json
    if ($summary.requests -eq 0) { throw "wrk completed no request on $Uri`:`n$($lines -join "`n")" }
    if ($summary.status_errors -gt 0) { throw "$Uri answered $($summary.status_errors) of $($summary.requests) requests with a non-2xx/3xx status." }
    $socketErrors = $summary.connect_errors + $summary.read_errors + $summary.write_errors + $summary.timeouts
    if ($socketErrors -gt 0) { Write-Warning "$Uri`: $socketErrors socket errors during the wrk run." }
    $summary | Add-Member -NotePropertyName RequestsPerSecond -NotePropertyValue ($summary.requests / ($summary.duration_us / 1e6))
    $summary | Add-Member -NotePropertyName CpuMicrosecondsPerRequest -NotePropertyValue ($cpuUsed.TotalMilliseconds * 1000 / $summary.requests)
    $summary
}

function Get-LoadAverage {
    if (Test-Path -LiteralPath '/proc/loadavg') { ((Get-Content -LiteralPath '/proc/loadavg' -Raw).Split(' ')[0..2]) -join ' ' } else { 'unknown' }
}

function Get-RepositoryCommit {
    param([string] $RepoRoot)
    if (Get-Command -Name git -CommandType Application -ErrorAction SilentlyContinue) {
        $head = & git -C $RepoRoot rev-parse --short HEAD 2>$null
        if ($LASTEXITCODE -eq 0 -and $head) { return "$head" }
    }
    'unknown'
}

Export-ModuleMember -Function Invoke-Native, Find-Tool, Install-AptTool, Get-FreePort, New-WrkReportScript, Get-CurrentProcessCpu, Wait-HttpOk,
    Invoke-Wrk, Get-LoadAverage, Get-RepositoryCommit
