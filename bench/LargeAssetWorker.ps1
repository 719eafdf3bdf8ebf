<#
.SYNOPSIS
    One measured operation of bench/Measure-LargeAsset.ps1, run in a fresh pwsh process.

.DESCRIPTION
    Not meant to be run by hand: Measure-LargeAsset.ps1 starts this script once per operation with
    'dotnet pwsh -NoProfile -NonInteractive -File', so that the peak working set it reports belongs to that
    operation alone. ('dotnet pwsh' runs the PowerShell global-tool shim, which starts the real pwsh as its child;
    the numbers are read from inside that real process.) The store is the one named by $env:PSCODEARTIFACT_STORE.

    Every operation imports the module first (also the plain copies, so all processes start from the same
    floor), warms the store up with Get-CaRepository (store open, SQLite, key loading and their JIT happen
    before the clock starts) and then times the operation alone with a Stopwatch.

    The last line written to standard output is one JSON object:
      Operation, Bytes, Seconds, UserSeconds and SysSeconds (user and kernel CPU time of the whole process, all its
      threads, during the operation),
      PeakBeforeBytes (PeakWorkingSet64 just before the operation), PeakWorkingSetBytes (PeakWorkingSet64 after it),
      GcHeapBytes (GC.GetTotalMemory after the operation), Gen0/Gen1/Gen2 (collections during the operation).

.PARAMETER Operation
    Setup   creates the domain and repository (not timed for the report).
    Copy    copies -Source to -Destination with a plain stream copy of -BufferSize bytes, then fsyncs it.
    Publish publishes -Source as generic package <Namespace>/<Package> <Version> (encrypt, four hashes, fsync, rename).
    Save    saves asset <Asset> of that version to -Destination (decrypt, authenticate, SHA-256 check, fsync, rename).

.PARAMETER ModulePath
    The PSCodeArtifact manifest to import.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)]
    [ValidateSet('Setup', 'Copy', 'Publish', 'Save')]
    [string] $Operation,

    [Parameter(Mandatory)]
    [string] $ModulePath,

    [string] $Domain = 'bench',
    [string] $Repository = 'large',
    [string] $Namespace = 'bench',
    [string] $Package = 'big',
    [string] $Version = '1.0.0',
    [string] $Asset,
    [string] $Source,
    [string] $Destination,
    [int] $BufferSize = 128KB
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
# Publish-CaPackage reports progress for files over 16 MiB; keep the captured output clean.
$ProgressPreference = 'SilentlyContinue'

Import-Module $ModulePath -ErrorAction Stop

if ($Operation -eq 'Setup') {
    New-CaDomain -Name $Domain -ErrorAction Stop | Out-Null
    New-CaRepository -Domain $Domain -Name $Repository -ErrorAction Stop | Out-Null
}
else {
    # Warm-up: opens the store and JITs the catalog path outside the measurement.
    Get-CaRepository -Domain $Domain -Name $Repository -ErrorAction Stop | Out-Null
}

[GC]::Collect()
[GC]::WaitForPendingFinalizers()
$process = [System.Diagnostics.Process]::GetCurrentProcess()
$process.Refresh()
$peakBefore = $process.PeakWorkingSet64
$userBefore = $process.UserProcessorTime
$sysBefore = $process.PrivilegedProcessorTime
$gc0 = [GC]::CollectionCount(0); $gc1 = [GC]::CollectionCount(1); $gc2 = [GC]::CollectionCount(2)
$bytes = 0L
$stopwatch = [System.Diagnostics.Stopwatch]::new()

switch ($Operation) {
    'Setup' { }
    'Copy' {
        $stopwatch.Start()
        $in = [System.IO.FileStream]::new($Source, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read,
            [System.IO.FileShare]::Read, 1, [System.IO.FileOptions]::SequentialScan)
        try {
            $out = [System.IO.FileStream]::new($Destination, [System.IO.FileMode]::CreateNew, [System.IO.FileAccess]::Write,
                [System.IO.FileShare]::None, 1)
            try {
                $in.CopyTo($out, $BufferSize)
                $out.Flush($true)
                $bytes = $out.Length
            }
            finally { $out.Dispose() }
        }
        finally { $in.Dispose() }
        $stopwatch.Stop()
    }
    'Publish' {
        $stopwatch.Start()
        $published = Publish-CaPackage -Domain $Domain -Repository $Repository -Format generic -Namespace $Namespace `
            -Package $Package -Version $Version -Path $Source -ErrorAction Stop
        $stopwatch.Stop()
        if ($null -eq $published) { throw "Publish-CaPackage wrote no version for '$Source'." }
        $bytes = (Get-Item -LiteralPath $Source).Length
    }
    'Save' {
        $stopwatch.Start()
        $saved = Save-CaPackageVersionAsset -Domain $Domain -Repository $Repository -Format generic -Namespace $Namespace `
            -Package $Package -Version $Version -Asset $Asset -Path $Destination -ErrorAction Stop
        $stopwatch.Stop()
        if ($null -eq $saved) { throw "Save-CaPackageVersionAsset saved nothing to '$Destination'." }
        $bytes = $saved.Length
    }
}

$process.Refresh()
[pscustomobject]@{
    Operation           = $Operation
    Bytes               = $bytes
    Seconds             = $stopwatch.Elapsed.TotalSeconds
    UserSeconds         = ($process.UserProcessorTime - $userBefore).TotalSeconds
    SysSeconds          = ($process.PrivilegedProcessorTime - $sysBefore).TotalSeconds
    PeakBeforeBytes     = $peakBefore
    PeakWorkingSetBytes = [System.Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64
    GcHeapBytes         = [GC]::GetTotalMemory($false)
    Gen0                = [GC]::CollectionCount(0) - $gc0
    Gen1                = [GC]::CollectionCount(1) - $gc1
    Gen2                = [GC]::CollectionCount(2) - $gc2
} | ConvertTo-Json -Compress
