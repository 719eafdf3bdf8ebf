<#
    Shared helpers for the PSCodeArtifact Pester tests (Domain, Repository and Store tests).

    Every test runs against its own throwaway store: New-TestStore points $env:PSCODEARTIFACT_STORE at a fresh
    temp folder (the cmdlets read the variable each time they run) and Remove-TestStore deletes it again.
#>

Set-StrictMode -Version Latest

$script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path

function Get-TestRepoRoot {
    <# The repository root (where .config/dotnet-tools.json makes `dotnet pwsh` resolve). #>
    $script:RepoRoot
}

function Get-TestModulePath {
    <# The module under test: $env:PSCODEARTIFACT_MODULE, else the module that build.ps1 lays out in out/. #>
    $path = if ($env:PSCODEARTIFACT_MODULE) { $env:PSCODEARTIFACT_MODULE } else {
        Join-Path $script:RepoRoot 'out/PSCodeArtifact/PSCodeArtifact.psd1'
    }
    [IO.Path]::GetFullPath($path)
}

function Import-TestModule {
    <# Imports the module under test into the global scope, so the test scripts see its cmdlets. #>
    $path = Get-TestModulePath
    if (-not (Test-Path $path)) {
        throw "The module '$path' does not exist. Build it first (dotnet pwsh ./build.ps1 -Task Build) or set `$env:PSCODEARTIFACT_MODULE."
    }
    Import-Module $path -Global -ErrorAction Stop
}

function New-TestStore {
    <#
        Returns the path of a new, not yet existing temp folder for a store and points $env:PSCODEARTIFACT_STORE
        at it (unless -NoSwitch). The variable's earlier value is remembered, so Remove-TestStore can restore it.
    #>
    param([switch] $NoSwitch)
    $path = Join-Path ([IO.Path]::GetTempPath()) ("psca-test-" + [guid]::NewGuid().ToString('N'))
    if (-not $NoSwitch) {
        if (-not (Test-Path variable:script:SavedStoreVariable)) {
            $script:SavedStoreVariable = $env:PSCODEARTIFACT_STORE
        }
        $env:PSCODEARTIFACT_STORE = $path
    }
    $path
}

function Remove-TestStore {
    <#
        Deletes the given stores. Without -Path: deletes the store $env:PSCODEARTIFACT_STORE names and restores the
        variable's value from before New-TestStore.
    #>
    param([string[]] $Path)
    $restore = -not $PSBoundParameters.ContainsKey('Path')
    if ($restore) { $Path = @($env:PSCODEARTIFACT_STORE) }
    # Pooled SQLite connections keep the catalog open; release them so the folder can go (needed on Windows).
    $connectionType = 'Microsoft.Data.Sqlite.SqliteConnection' -as [type]
    if ($connectionType) { $connectionType::ClearAllPools() }
    foreach ($folder in $Path) {
        # Only ever delete what New-TestStore made.
        if ($folder -and (Split-Path $folder -Leaf) -like 'psca-test-*' -and (Test-Path $folder)) {
            Remove-Item $folder -Recurse -Force -ErrorAction SilentlyContinue
        }
    }
    if ($restore -and (Test-Path variable:script:SavedStoreVariable)) {
        $env:PSCODEARTIFACT_STORE = $script:SavedStoreVariable
        Remove-Variable SavedStoreVariable -Scope Script
    }
}

function Get-CompletionText {
    <# The completion texts TabExpansion2 offers with the cursor at the end of $InputScript. #>
    param([Parameter(Mandatory)][string] $InputScript)
    $result = TabExpansion2 -inputScript $InputScript -cursorColumn $InputScript.Length
    @($result.CompletionMatches | ForEach-Object CompletionText)
}

function Test-CmdletHelpPage {
    <# Whether the built module ships a MAML help page for the cmdlet (docs/en-US/<Cmdlet>.md converted by the build). #>
    param([Parameter(Mandatory)][string] $Name)
    $maml = Join-Path (Split-Path (Get-TestModulePath)) 'en-US/PSCodeArtifact.PowerShell.dll-Help.xml'
    (Test-Path $maml) -and ((Get-Content $maml -Raw) -match "<command:name>\s*$([regex]::Escape($Name))\s*</command:name>")
}

function Get-CatalogHeaderByte {
    <# Reads bytes of the SQLite header of <store>/catalog.db without disturbing the open catalog. #>
    param([Parameter(Mandatory)][string] $StorePath, [Parameter(Mandatory)][int[]] $Offset)
    $stream = [IO.File]::Open((Join-Path $StorePath 'catalog.db'), 'Open', 'Read', 'ReadWrite, Delete')
    try {
        $header = [byte[]]::new(100)
        $read = $stream.Read($header, 0, 100)
        if ($read -lt 100) { throw "catalog.db is only $read bytes long." }
        foreach ($o in $Offset) { $header[$o] }
    }
    finally { $stream.Dispose() }
}

function Start-TestPwsh {
    <#
        Starts a second PowerShell process that runs $ScriptPath with the module path and the store path in
        PSCODEARTIFACT_MODULE and PSCODEARTIFACT_STORE. Uses this process's pwsh when it runs as pwsh, else the
        repository's local tool (`dotnet pwsh`) from the repository root. Returns the Process.
    #>
    param(
        [Parameter(Mandatory)][string] $ScriptPath,
        [Parameter(Mandatory)][string] $StorePath,
        [string[]] $ArgumentList = @()
    )
    $processPath = [Environment]::ProcessPath
    $info = [Diagnostics.ProcessStartInfo]::new()
    if ($processPath -and [IO.Path]::GetFileNameWithoutExtension($processPath) -eq 'pwsh') {
        $info.FileName = $processPath
    }
    else {
        $info.FileName = 'dotnet'
        $info.ArgumentList.Add('pwsh')
    }
    foreach ($argument in @('-NoProfile', '-NonInteractive', '-File', $ScriptPath) + $ArgumentList) { $info.ArgumentList.Add($argument) }
    $info.WorkingDirectory = $script:RepoRoot
    $info.UseShellExecute = $false
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $info.Environment['PSCODEARTIFACT_MODULE'] = Get-TestModulePath
    $info.Environment['PSCODEARTIFACT_STORE'] = $StorePath
    $process = [Diagnostics.Process]::new()
    $process.StartInfo = $info
    # Read both streams asynchronously, so a chatty child never blocks on a full pipe.
    $process.EnableRaisingEvents = $false
    [void] $process.Start()
    $stdout = $process.StandardOutput.ReadToEndAsync()
    $stderr = $process.StandardError.ReadToEndAsync()
    $process | Add-Member -NotePropertyName StdoutTask -NotePropertyValue $stdout
    $process | Add-Member -NotePropertyName StderrTask -NotePropertyValue $stderr -PassThru
}

function Wait-TestPwsh {
    <#
        Waits up to $TimeoutSeconds for a process from Start-TestPwsh; kills it (and its children) if it takes longer
        and throws. Returns an object with ExitCode, Output and ErrorOutput.
    #>
    param(
        [Parameter(Mandatory)][Diagnostics.Process] $Process,
        [int] $TimeoutSeconds = 120
    )
    if (-not $Process.WaitForExit($TimeoutSeconds * 1000)) {
        try { $Process.Kill($true) } catch { }
        throw "The child pwsh process $($Process.Id) did not finish within $TimeoutSeconds s and was killed."
    }
    $Process.WaitForExit()
    [pscustomobject]@{
        ExitCode    = $Process.ExitCode
        Output      = $Process.StdoutTask.GetAwaiter().GetResult()
        ErrorOutput = $Process.StderrTask.GetAwaiter().GetResult()
    }
}

function Wait-TestFile {
    <# Waits until a file exists (a signal between processes); throws after $TimeoutSeconds, or when $Process exited early. #>
    param(
        [Parameter(Mandatory)][string] $Path,
        [int] $TimeoutSeconds = 120,
        [Diagnostics.Process] $Process
    )
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while (-not (Test-Path $Path)) {
        if ($Process -and $Process.HasExited) {
            throw "The child pwsh process exited (code $($Process.ExitCode)) before it wrote '$Path': $($Process.StderrTask.GetAwaiter().GetResult())"
        }
        if ([DateTime]::UtcNow -gt $deadline) {
            if ($Process) { try { $Process.Kill($true) } catch { } }
            throw "'$Path' did not appear within $TimeoutSeconds s."
        }
        Start-Sleep -Milliseconds 20
    }
}

Export-ModuleMember -Function Get-TestRepoRoot, Get-TestModulePath, Import-TestModule, New-TestStore, Remove-TestStore,
    Get-CompletionText, Test-CmdletHelpPage, Get-CatalogHeaderByte, Start-TestPwsh, Wait-TestPwsh, Wait-TestFile
