<#
    Helpers for driving the real PyPI clients against an endpoint: build projects with Debian's python3-build, run
    twine and pip with their output captured, make throwaway venvs, and send raw HTTP requests.

    PyPI itself is not reachable: projects build with --no-isolation (Debian's setuptools and wheel) and installs only
    ever see the endpoint's index (pip's configuration files and find-links are switched off by Enable-IsolatedPip).
#>

Set-StrictMode -Version Latest

Import-Module (Join-Path $PSScriptRoot 'ClientTestHelpers.psm1')

$script:BuildPython = '/usr/bin/python3'
$script:SavedEnvironment = @{}

function Assert-PypiClients {
    <# Fails with the install command when twine or Debian's Python build tools are missing (.ci/run installs them). #>
    $missing = @()
    if (-not (Get-Command twine -ErrorAction SilentlyContinue)) { $missing += 'twine' }
    if (-not (Test-Path $script:BuildPython)) { $missing += $script:BuildPython }
    elseif ((Invoke-Client $script:BuildPython -c 'import build, setuptools, wheel, venv').ExitCode -ne 0) { $missing += 'python3-build/-setuptools/-wheel/-venv' }
    if ($missing) {
        throw "The PyPI client tests need $($missing -join ', '): apt-get install -y --no-install-recommends twine python3-build python3-wheel python3-setuptools python3-venv"
    }
}

function Enable-IsolatedPip {
    <# Points pip and twine away from the machine's configuration (find-links, config files, colours); Restore-ClientEnvironment undoes it. #>
    $settings = @{
        PIP_CONFIG_FILE                 = '/dev/null'  # pip's way to read no configuration file
        PIP_FIND_LINKS                  = $null
        PIP_NO_INPUT                    = '1'
        PIP_DISABLE_PIP_VERSION_CHECK   = '1'
        PIP_NO_COLOR                    = '1'
        PYTHONDONTWRITEBYTECODE         = '1'
        NO_COLOR                        = '1'
        TERM                            = 'dumb'
    }
    foreach ($name in $settings.Keys) {
        if (-not $script:SavedEnvironment.ContainsKey($name)) {
            $script:SavedEnvironment[$name] = [Environment]::GetEnvironmentVariable($name)
        }
        [Environment]::SetEnvironmentVariable($name, $settings[$name])
    }
}

function Restore-ClientEnvironment {
    foreach ($name in @($script:SavedEnvironment.Keys)) {
        [Environment]::SetEnvironmentVariable($name, $script:SavedEnvironment[$name])
    }
    $script:SavedEnvironment.Clear()
}

function Get-PipPython {
    <#
        A Python whose pip can install into another environment (pip 22.3+ has --python): the one on PATH when it has pip
        (pyenv's here), else Debian's with a venv made for pip (python3-venv bundles pip, so no network is needed).
    #>
    param([Parameter(Mandatory)][string] $Scratch)
    foreach ($candidate in @('python3', $script:BuildPython)) {
        if (-not (Get-Command $candidate -ErrorAction SilentlyContinue)) { continue }
        $probe = Invoke-Client $candidate -c 'import pip, sys; sys.exit(0 if tuple(map(int, pip.__version__.split(".")[:2])) >= (22, 3) else 1)'
        if ($probe.ExitCode -eq 0) { return (Get-Command $candidate).Source }
    }
    $venv = Join-Path $Scratch 'pip-venv'
    $made = Invoke-Client $script:BuildPython -m venv $venv
    if ($made.ExitCode -ne 0) { throw "No pip 22.3+ found and no venv with pip could be made: $($made.Output)" }
    Join-Path $venv 'bin/python'
}

function New-Venv {
    <# A fresh, empty venv (no pip in it: pip installs into it from outside with --python). Returns its python. #>
    param([Parameter(Mandatory)][string] $PipPython, [Parameter(Mandatory)][string] $Path)
    $made = Invoke-Client $PipPython -m venv --without-pip $Path
    if ($made.ExitCode -ne 0) { throw "The venv '$Path' could not be made: $($made.Output)" }
    Join-Path $Path 'bin/python'
}

function New-PythonProject {
    <#
        Writes a setuptools project (pyproject.toml and one module whose VALUE says which build it is) and builds its
        wheel and sdist with Debian's python3-build, offline. Returns the built files.
    #>
    param(
        [Parameter(Mandatory)][string] $Path,
        [Parameter(Mandatory)][string] $Name,
        [Parameter(Mandatory)][string] $Version,
        [Parameter(Mandatory)][string] $Module,
        [string[]] $Dependencies = @(),
        [string] $Value = $Version,
        [string] $RequiresPython = '>=3.7'
    )
    New-Item -ItemType Directory -Path (Join-Path $Path "src/$Module") -Force | Out-Null
    $requires = ($Dependencies | ForEach-Object { "`"$_`"" }) -join ', '
    Set-Content -Path (Join-Path $Path 'pyproject.toml') -Value @"
[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "$Name"
version = "$Version"
description = "A PSCodeArtifact client test project."
requires-python = "$RequiresPython"
dependencies = [$requires]
"@
    Set-Content -Path (Join-Path $Path "src/$Module/__init__.py") -Value "VALUE = `"$Value`""
    $dist = Join-Path $Path 'dist'
    $built = Invoke-Client $script:BuildPython -m build --no-isolation --wheel --sdist --outdir $dist $Path
    if ($built.ExitCode -ne 0) { throw "Building $Name $Version failed: $($built.Output)" }
    Get-ChildItem -Path $dist -File | Sort-Object Name
}

function Get-WheelMetadata {
    <# The exact bytes of a wheel's .dist-info/METADATA. #>
    param([Parameter(Mandatory)][string] $Path)
    Add-Type -AssemblyName System.IO.Compression.FileSystem
    $zip = [IO.Compression.ZipFile]::OpenRead($Path)
    try {
        $entry = $zip.Entries | Where-Object { $_.FullName -match '^[^/]+\.dist-info/METADATA$' } | Select-Object -First 1
        $stream = $entry.Open()
        try {
            $copy = [IO.MemoryStream]::new()
            $stream.CopyTo($copy)
            , $copy.ToArray()
        }
        finally { $stream.Dispose() }
    }
    finally { $zip.Dispose() }
}

function New-UploadContent {
    <# A legacy-upload form as twine builds it: the fields first, then the file as 'content'. #>
    param([Parameter(Mandatory)][hashtable] $Fields, [Parameter(Mandatory)][string] $FileName, [Parameter(Mandatory)][byte[]] $Bytes)
    $form = [System.Net.Http.MultipartFormDataContent]::new()
    foreach ($name in $Fields.Keys) { $form.Add([System.Net.Http.StringContent]::new([string] $Fields[$name]), $name) }
    $file = [System.Net.Http.ByteArrayContent]::new($Bytes)
    $file.Headers.ContentType = [System.Net.Http.Headers.MediaTypeHeaderValue]::new('application/octet-stream')
    $form.Add($file, 'content', $FileName)
    # The form is enumerable; keep PowerShell from unrolling it into its parts.
    Write-Output $form -NoEnumerate
}

Export-ModuleMember -Function Invoke-Client, Assert-PypiClients, Enable-IsolatedPip, Restore-ClientEnvironment, Get-PipPython, New-Venv, New-PythonProject,
    Get-WheelMetadata, Get-Digest, Invoke-RawHttp, New-UploadContent
