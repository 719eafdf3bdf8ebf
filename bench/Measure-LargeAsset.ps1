<#
.SYNOPSIS
    Benchmarks publishing and saving one large generic asset against a plain file copy on the same disk.

.DESCRIPTION
    Creates a throwaway store ($env:PSCODEARTIFACT_STORE points into a fresh folder under -ScratchPath) with a
    domain 'bench' and a repository 'large', writes a -SizeMB file of incompressible bytes (streamed in 4 MiB
    chunks: a random 4 MiB block, AES-ECB-encrypted over and over, so no chunk repeats and only two chunks are
    ever in memory), then measures, -Repeat rounds of:

      (a) plain copy in   the file copied by a stream copy with a 128 KiB buffer (the size Publish-CaPackage reads
                          with), then fsynced
      (b) Publish-CaPackage -Format generic -Namespace bench -Package big -Version 1.0.0: read, MD5 + SHA-1 +
                          SHA-256 + SHA-512, AES-256-GCM encrypt, fsync, rename into the blob store, catalog commit
      (c) Save-CaPackageVersionAsset: read, authenticate + decrypt, SHA-256 check, write, fsync, rename
      (d) plain copy out  the stored blob file (the file Save reads) copied by a stream copy with a 64 KiB buffer
                          (the size Save uses), then fsynced

    Every operation runs in a fresh child process ('dotnet pwsh -NoProfile -NonInteractive -File
    bench/LargeAssetWorker.ps1', working directory = the repository root so the local pwsh tool resolves). The
    child imports the module, opens the store once (warm-up), then times the operation alone with a Stopwatch and
    prints one JSON line: elapsed seconds, user and kernel CPU seconds, PeakWorkingSet64 before and after.

    From the second round on, Publish-CaPackage meets the same bytes for the same version: it still reads,
    hashes, encrypts and fsyncs the whole file, and then drops the staged copy instead of renaming it.

    The module is imported from a copy of -ModulePath's folder taken at the start, so a concurrent rebuild of
    out/ cannot change or break the assemblies half-way through a run. 'sync' runs (untimed) before each
    operation where it exists, so one operation's dirty pages are not written back during the next one. All
    reads are served from the page cache (the files were just written); writes are fsynced.

    The table shows, per operation, the median round: seconds (and the min-max over the rounds), MB/s (MiB of
    plaintext per second), 'x copy' = median plain copy seconds / median operation seconds (a speed ratio: 1.00 =
    as fast as the plain copy, 0.50 = half its speed; (b) is compared with (a), (c) with (d)), user and kernel CPU
    seconds of the child during the operation, the child's peak working set and its growth during the operation,
    and the garbage collections it made. The closing line says whether memory stayed flat: the growth of the peak
    working set during Publish and Save (largest over all rounds) must stay under -MaxGrowthPercent of the asset
    size. The absolute peak includes the 120-140 MB floor of a pwsh process with the module loaded.

    Everything the script creates (store, files, module copy, the scratch folder if it made it) is removed at the
    end, also when a step fails or the run is stopped. Needs about 3 x -SizeMB of free space under -ScratchPath.

.PARAMETER SizeMB
    The size of the asset in MiB. Default: 1024.

.PARAMETER ModulePath
    The PSCodeArtifact manifest to benchmark. Default: out/PSCodeArtifact/PSCodeArtifact.psd1 under the repository root
    (build it with 'dotnet pwsh ./build.ps1 -Task Build'). A relative path is taken from the repository root.

.PARAMETER ScratchPath
    The folder that holds the run's files and store (one disk for all of them). Default: PSCodeArtifact-bench under
    [IO.Path]::GetTempPath(). Each run works in its own subfolder, which is removed afterwards.

.PARAMETER Repeat
    How many rounds of (a) to (d) to run; the table shows the median round of each operation. Default: 3.

.PARAMETER MaxGrowthPercent
    The largest growth of the peak working set during Publish or Save, in percent of the asset size, that still counts
    as flat memory. Default: 25.

.PARAMETER PassThru
    Also writes the result rows (with every round's raw measurements in Runs) to the pipeline.

.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Build; dotnet pwsh ./bench/Measure-LargeAsset.ps1 -SizeMB 1024

.EXAMPLE
    dotnet pwsh ./bench/Measure-LargeAsset.ps1 -SizeMB 256 -Repeat 5 -ScratchPath /mnt/fast/scratch -PassThru | ConvertTo-Json -Depth 4

.NOTES
    A benchmark, not a test: it fails only when an operation fails, never on the numbers.
#>
[CmdletBinding()]
param(
    [ValidateRange(1, 1048576)]
    [int] $SizeMB = 1024,

    [string] $ModulePath = 'out/PSCodeArtifact/PSCodeArtifact.psd1',

    [string] $ScratchPath = (Join-Path ([System.IO.Path]::GetTempPath()) 'PSCodeArtifact-bench'),

    [ValidateRange(1, 100)]
    [int] $Repeat = 3,

    [ValidateRange(1, 1000)]
    [int] $MaxGrowthPercent = 25,

    [switch] $PassThru
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

$RepoRoot = Split-Path -Parent $PSScriptRoot
$WorkerPath = Join-Path $PSScriptRoot 'LargeAssetWorker.ps1'
$Domain = 'bench'
$Repository = 'large'
$AssetName = 'big.bin'
$Coordinates = @{ Namespace = 'bench'; Package = 'big'; Version = '1.0.0' }
$SizeBytes = [long]$SizeMB * 1MB
$Mebibyte = 1MB

function New-IncompressibleFile {
    # Streams $Bytes bytes in 4 MiB chunks: a random block, then each chunk is the AES-ECB encryption of the one before,
    # so the content is incompressible and never repeats, and only two chunk buffers are ever in memory.
    param([string] $Path, [long] $Bytes)
    $chunkSize = 4MB
    $current = [byte[]]::new($chunkSize)
    $next = [byte[]]::new($chunkSize)
    $random = [System.Security.Cryptography.RandomNumberGenerator]::Create()
    $aes = [System.Security.Cryptography.Aes]::Create()
    try {
        $random.GetBytes($current)
        $aes.Mode = [System.Security.Cryptography.CipherMode]::ECB
        $aes.Padding = [System.Security.Cryptography.PaddingMode]::None
        $encryptor = $aes.CreateEncryptor()
        $file = [System.IO.FileStream]::new($Path, [System.IO.FileMode]::CreateNew, [System.IO.FileAccess]::Write, [System.IO.FileShare]::None, 1)
        try {
            $left = $Bytes
            while ($left -gt 0) {
                [void]$encryptor.TransformBlock($current, 0, $chunkSize, $next, 0)
                $count = [int][Math]::Min([long]$chunkSize, $left)
                $file.Write($next, 0, $count)
                $left -= $count
                $current, $next = $next, $current
            }
            $file.Flush($true)
        }
        finally {
            $file.Dispose()
            $encryptor.Dispose()
        }
    }
    finally {
        $aes.Dispose()
        $random.Dispose()
    }
}

function Sync-Disk {
    # Writes back dirty pages of earlier steps so they are not flushed during the next measured one (untimed).
    if (Get-Command -Name sync -CommandType Application -ErrorAction SilentlyContinue) {
        & sync
        if ($LASTEXITCODE -ne 0) { throw "sync failed with exit code $LASTEXITCODE." }
    }
}

function Invoke-Worker {
    # Runs one operation in a fresh pwsh and returns the JSON object it printed last.
    param([string] $Operation, [hashtable] $Arguments = @{}, [long] $ExpectedBytes = -1)
    $argumentList = @('pwsh', '-NoProfile', '-NonInteractive', '-File', $WorkerPath, '-Operation', $Operation,
        '-ModulePath', $script:ModuleCopy, '-Domain', $Domain, '-Repository', $Repository)
    foreach ($name in $Arguments.Keys) {
        $argumentList += "-$name"
        $argumentList += [string]$Arguments[$name]
    }
    Write-Verbose "dotnet $($argumentList -join ' ')"
    $lines = @(& dotnet @argumentList)
    if ($LASTEXITCODE -ne 0) {
        throw "The $Operation worker failed with exit code $LASTEXITCODE. Its output:`n$($lines -join "`n")"
    }
    $json = @($lines | Where-Object { $_ -is [string] -and $_.StartsWith('{') })
    if ($json.Count -eq 0) { throw "The $Operation worker printed no result. Its output:`n$($lines -join "`n")" }
    $result = $json[-1] | ConvertFrom-Json
    if ($ExpectedBytes -ge 0 -and $result.Bytes -ne $ExpectedBytes) {
        throw "The $Operation worker handled $($result.Bytes) bytes, not $ExpectedBytes."
    }
    $result
}

function Get-Median {
    # The median round (the lower one of the middle two for an even count), so all its numbers belong together.
    param([object[]] $Runs)
    $sorted = @($Runs | Sort-Object -Property Seconds)
    $sorted[[int][Math]::Floor(($sorted.Count - 1) / 2)]
}

function New-Row {
    param([string] $Label, [object[]] $Runs, [object[]] $BaselineRuns)
    $median = Get-Median $Runs
    $baseline = Get-Median $BaselineRuns
    $seconds = @($Runs | ForEach-Object Seconds | Measure-Object -Minimum -Maximum)
    [pscustomobject]@{
        Operation   = $Label
        Seconds     = $median.Seconds
        MinSeconds  = $seconds.Minimum
        MaxSeconds  = $seconds.Maximum
        MBPerSecond = $SizeBytes / $Mebibyte / $median.Seconds
        XCopy       = $baseline.Seconds / $median.Seconds
        UserSeconds = $median.UserSeconds
        SysSeconds  = $median.SysSeconds
        PeakMB      = $median.PeakWorkingSetBytes / $Mebibyte
        GrowthMB    = ($median.PeakWorkingSetBytes - $median.PeakBeforeBytes) / $Mebibyte
        MaxGrowthMB = ($Runs | ForEach-Object { $_.PeakWorkingSetBytes - $_.PeakBeforeBytes } | Measure-Object -Maximum).Maximum / $Mebibyte
        GCs         = "$($median.Gen0)/$($median.Gen1)/$($median.Gen2)"
        Runs        = $Runs
    }
}

# ------------------------------------------------------------------ checks

if (-not [System.IO.Path]::IsPathRooted($ModulePath)) { $ModulePath = Join-Path $RepoRoot $ModulePath }
if (-not (Test-Path -LiteralPath $ModulePath -PathType Leaf)) {
    throw "No module at '$ModulePath'; build it first: dotnet pwsh ./build.ps1 -Task Build"
}
$ModulePath = (Resolve-Path -LiteralPath $ModulePath).ProviderPath
$ScratchPath = [System.IO.Path]::GetFullPath($ScratchPath, (Get-Location -PSProvider FileSystem).ProviderPath)

# ------------------------------------------------------------------ run

$createdScratch = $false
$run = $null
$previousStore = $env:PSCODEARTIFACT_STORE
$pushed = $false
try {
    if (-not (Test-Path -LiteralPath $ScratchPath)) {
        New-Item -ItemType Directory -Path $ScratchPath | Out-Null
        $createdScratch = $true
    }
    $run = Join-Path $ScratchPath ('large-asset-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory -Path $run | Out-Null

    $needed = 3 * $SizeBytes + 256MB
    $free = [System.IO.DriveInfo]::new($run).AvailableFreeSpace
    if ($free -lt $needed) {
        throw "'$ScratchPath' has $([Math]::Round($free / 1GB, 1)) GiB free; a $SizeMB MiB run needs about $([Math]::Round($needed / 1GB, 1)) GiB."
    }

    # A private copy of the module, so a rebuild of out/ during the run cannot swap the assemblies under it.
    $moduleFolder = Split-Path -Parent $ModulePath
    $copyRoot = Join-Path $run 'module'
    New-Item -ItemType Directory -Path $copyRoot | Out-Null
    Copy-Item -LiteralPath $moduleFolder -Destination $copyRoot -Recurse
    $script:ModuleCopy = Join-Path (Join-Path $copyRoot (Split-Path -Leaf $moduleFolder)) (Split-Path -Leaf $ModulePath)

    $store = Join-Path $run 'store'
    $source = Join-Path $run $AssetName
    $copyIn = Join-Path $run 'copy-in.bin'
    $saved = Join-Path $run 'saved.bin'
    $copyOut = Join-Path $run 'copy-out.bin'
    $env:PSCODEARTIFACT_STORE = $store

    # The children start in the repository root so 'dotnet pwsh' finds the local tool manifest.
    Push-Location -LiteralPath $RepoRoot
    $pushed = $true
    $commit = 'unknown'
    if (Get-Command -Name git -CommandType Application -ErrorAction SilentlyContinue) {
        $head = & git -C $RepoRoot rev-parse --short HEAD 2>$null
        if ($LASTEXITCODE -eq 0 -and $head) { $commit = "$head" }
    }

    Write-Host ("PSCodeArtifact large-asset bench: {0} MiB x {1} rounds, commit {2}, {3} cores, {4:yyyy-MM-dd HH:mm} UTC" -f
        $SizeMB, $Repeat, $commit, [Environment]::ProcessorCount, [DateTime]::UtcNow)
    Write-Host "Scratch and store: $run"

    Invoke-Worker -Operation Setup | Out-Null

    $generate = [System.Diagnostics.Stopwatch]::StartNew()
    New-IncompressibleFile -Path $source -Bytes $SizeBytes
    Write-Host ("Wrote {0} MiB of incompressible bytes in {1:N1} s" -f $SizeMB, $generate.Elapsed.TotalSeconds)

    $copyInRuns = [System.Collections.Generic.List[object]]::new()
    $publishRuns = [System.Collections.Generic.List[object]]::new()
    $saveRuns = [System.Collections.Generic.List[object]]::new()
    $copyOutRuns = [System.Collections.Generic.List[object]]::new()
    for ($round = 1; $round -le $Repeat; $round++) {
        Write-Host "Round $round of $Repeat`: (a) copy in, (b) Publish-CaPackage, (c) Save-CaPackageVersionAsset, (d) copy out"

        Sync-Disk
        $copyInRuns.Add((Invoke-Worker -Operation Copy -Arguments @{ Source = $source; Destination = $copyIn; BufferSize = 128KB } -ExpectedBytes $SizeBytes))
        Remove-Item -LiteralPath $copyIn

        Sync-Disk
        $publishRuns.Add((Invoke-Worker -Operation Publish -Arguments (@{ Source = $source } + $Coordinates) -ExpectedBytes $SizeBytes))

        Sync-Disk
        $saveRuns.Add((Invoke-Worker -Operation Save -Arguments (@{ Destination = $saved; Asset = $AssetName } + $Coordinates) -ExpectedBytes $SizeBytes))
        if ((Get-Item -LiteralPath $saved).Length -ne $SizeBytes) { throw "The saved file is not $SizeBytes bytes long." }
        Remove-Item -LiteralPath $saved

        # The stored blob is the ciphertext of the asset (16 bytes per 64 KiB longer); Save reads this very file.
        $blobs = @(Get-ChildItem -LiteralPath (Join-Path $store 'blobs') -File -Recurse)
        if ($blobs.Count -ne 1) { throw "Expected one blob in the store, found $($blobs.Count)." }
        Sync-Disk
        $copyOutRuns.Add((Invoke-Worker -Operation Copy -Arguments @{ Source = $blobs[0].FullName; Destination = $copyOut; BufferSize = 64KB } -ExpectedBytes $blobs[0].Length))
        Remove-Item -LiteralPath $copyOut
    }

    $rows = @(
        New-Row -Label '(a) plain copy in (128 KiB)' -Runs $copyInRuns -BaselineRuns $copyInRuns
        New-Row -Label '(b) Publish-CaPackage' -Runs $publishRuns -BaselineRuns $copyInRuns
        New-Row -Label '(c) Save-CaPackageVersionAsset' -Runs $saveRuns -BaselineRuns $copyOutRuns
        New-Row -Label '(d) plain copy out (64 KiB)' -Runs $copyOutRuns -BaselineRuns $copyOutRuns
    )
    $rows | Format-Table -AutoSize -Property Operation,
        @{ Name = 'Seconds'; Expression = { $_.Seconds }; FormatString = 'N2'; Alignment = 'Right' },
        @{ Name = 'Min-Max s'; Expression = { '{0:N2}-{1:N2}' -f $_.MinSeconds, $_.MaxSeconds }; Alignment = 'Right' },
        @{ Name = 'MB/s'; Expression = { $_.MBPerSecond }; FormatString = 'N0'; Alignment = 'Right' },
        @{ Name = 'x copy'; Expression = { $_.XCopy }; FormatString = 'N2'; Alignment = 'Right' },
        @{ Name = 'User s'; Expression = { $_.UserSeconds }; FormatString = 'N2'; Alignment = 'Right' },
        @{ Name = 'Sys s'; Expression = { $_.SysSeconds }; FormatString = 'N2'; Alignment = 'Right' },
        @{ Name = 'Peak WS MB'; Expression = { $_.PeakMB }; FormatString = 'N0'; Alignment = 'Right' },
        @{ Name = 'Growth MB'; Expression = { $_.GrowthMB }; FormatString = 'N0'; Alignment = 'Right' },
        @{ Name = 'GCs 0/1/2'; Expression = { $_.GCs }; Alignment = 'Right' } | Out-String -Width 200 | Write-Host
    Write-Host "Median of $Repeat round(s). 'x copy' = plain copy seconds / operation seconds, a speed ratio (1.00 = as fast as the copy): (b) against (a), (c) against (d)."

    $limit = $SizeBytes * $MaxGrowthPercent / 100
    $publishGrowth = $rows[1].MaxGrowthMB * $Mebibyte
    $saveGrowth = $rows[2].MaxGrowthMB * $Mebibyte
    $flat = $publishGrowth -lt $limit -and $saveGrowth -lt $limit
    # A process grows by a few MB on its first publish or save whatever the size (JIT, crypto contexts, buffers),
    # so small sizes give no verdict.
    $verdict = if ($SizeMB -lt 128) { 'cannot be judged at this size (use -SizeMB 128 or more)' } elseif ($flat) { 'stayed flat' } else { 'did NOT stay flat' }
    Write-Host ("Memory {0}: the peak working set grew by at most {1:N0} MB during Publish and {2:N0} MB during Save (limit {3:N0} MB = {4}% of {5} MiB); highest absolute peaks {6:N0} MB and {7:N0} MB." -f
        $verdict, ($publishGrowth / $Mebibyte), ($saveGrowth / $Mebibyte), ($limit / $Mebibyte), $MaxGrowthPercent, $SizeMB,
        (($publishRuns | Measure-Object -Property PeakWorkingSetBytes -Maximum).Maximum / $Mebibyte),
        (($saveRuns | Measure-Object -Property PeakWorkingSetBytes -Maximum).Maximum / $Mebibyte))

    if ($PassThru) { $rows }
}
finally {
    if ($pushed) { Pop-Location }
    if ($null -eq $previousStore) { Remove-Item -Path Env:PSCODEARTIFACT_STORE -ErrorAction SilentlyContinue }
    else { $env:PSCODEARTIFACT_STORE = $previousStore }
    if ($run -and (Test-Path -LiteralPath $run)) { Remove-Item -LiteralPath $run -Recurse -Force }
    if ($createdScratch -and (Test-Path -LiteralPath $ScratchPath) -and -not (Get-ChildItem -LiteralPath $ScratchPath -Force)) {
        Remove-Item -LiteralPath $ScratchPath -Force
    }
}
