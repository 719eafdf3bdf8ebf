<#
    Helpers for driving the real npm CLI against a PSCodeArtifact endpoint.

    Each sandbox has its own npmrc (the registry URL and a token keyed by it), an empty global npmrc in place of the
    machine's, and every npm call gets a fresh empty cache, so nothing of the machine's npm setup (its registry, its
    cache, its lockfile settings) takes part and nothing of the test is written outside the sandbox folder.
#>

Set-StrictMode -Version Latest

function New-NpmSandbox {
    <#
        Creates a folder with an npmrc for $Registry (the URL Get-CaRepositoryEndpoint returns). With -Token, npm sends
        it as a Bearer token to every URL under the registry URL (tarballs included); without it npm sends none.
    #>
    param(
        [Parameter(Mandatory)][string] $Folder,
        [Parameter(Mandatory)][string] $Registry,
        [string] $Token
    )
    New-Item -ItemType Directory -Path $Folder -Force | Out-Null
    $lines = @(
        "registry=$Registry"
        'audit=false'
        'fund=false'
        'update-notifier=false'
        'loglevel=notice'
    )
    if ($Token) {
        # The npmrc key is the registry URL without its scheme: npm matches request URLs against it by prefix.
        $lines += "$($Registry -replace '^https?:', ''):_authToken=$Token"
    }
    $userConfig = Join-Path $Folder 'npmrc'
    $globalConfig = Join-Path $Folder 'global-npmrc'
    Set-Content -Path $userConfig -Value $lines
    Set-Content -Path $globalConfig -Value ''
    [pscustomobject]@{ Folder = $Folder; UserConfig = $userConfig; GlobalConfig = $globalConfig; Registry = $Registry }
}

function Invoke-Npm {
    <#
        Runs npm with the sandbox's configuration and a new empty cache in $WorkingDirectory (default: the sandbox folder).
        Returns ExitCode and Output (stdout and stderr together). Throws, showing npm's output, when npm fails, unless
        -AllowFailure. With -Json, adds --json and returns the parsed stdout instead.
    #>
    param(
        [Parameter(Mandatory)] $Sandbox,
        # Empty strings are arguments too (npm deprecate pkg@1 "" undeprecates).
        [Parameter(Mandatory)][AllowEmptyString()][string[]] $Arguments,
        [string] $WorkingDirectory,
        [switch] $AllowFailure,
        [switch] $Json
    )
    $cache = Join-Path $Sandbox.Folder ('cache-' + [guid]::NewGuid().ToString('N'))
    $all = @($Arguments) + @('--userconfig', $Sandbox.UserConfig, '--globalconfig', $Sandbox.GlobalConfig, '--cache', $cache, '--color', 'false')
    if ($Json) { $all += '--json' }
    $errors = Join-Path $Sandbox.Folder 'npm-stderr.txt'
    # npm_config_* variables would override the sandbox's files.
    $saved = @(Get-ChildItem env: | Where-Object Name -Like 'npm_config_*')
    Push-Location ($WorkingDirectory ? $WorkingDirectory : $Sandbox.Folder)
    try {
        $saved | ForEach-Object { Remove-Item "env:$($_.Name)" }
        if ($Json) {
            $stdout = & npm @all 2>$errors | Out-String
            $output = $stdout + (Get-Content $errors -Raw)
        }
        else {
            $output = & npm @all 2>&1 | ForEach-Object { "$_" } | Out-String
        }
        $exitCode = $LASTEXITCODE
    }
    finally {
        $saved | ForEach-Object { Set-Item "env:$($_.Name)" $_.Value }
        Pop-Location
    }
    if ($exitCode -ne 0 -and -not $AllowFailure) {
        throw "npm $($Arguments -join ' ') failed with exit code ${exitCode}:`n$output"
    }
    if ($Json) {
        if ([string]::IsNullOrWhiteSpace($stdout)) { return $null }
        return ($stdout | ConvertFrom-Json -NoEnumerate)
    }
    [pscustomobject]@{ ExitCode = $exitCode; Output = $output }
}

function New-NpmPackageFolder {
    <# Writes a tiny npm package (package.json, index.js, README.md) into a new folder and returns the folder. #>
    param(
        [Parameter(Mandatory)][string] $Folder,
        [Parameter(Mandatory)][string] $Name,
        [Parameter(Mandatory)][string] $Version,
        [hashtable] $Dependencies = @{},
        [string] $Code = "module.exports = () => '$Name';",
        [string[]] $Keywords = @()
    )
    New-Item -ItemType Directory -Path $Folder -Force | Out-Null
    $manifest = [ordered]@{
        name         = $Name
        version      = $Version
        description  = "The $Name test package"
        main         = 'index.js'
        license      = 'MIT'
        keywords     = $Keywords
        dependencies = $Dependencies
    }
    Set-Content -Path (Join-Path $Folder 'package.json') -Value ($manifest | ConvertTo-Json -Depth 5)
    Set-Content -Path (Join-Path $Folder 'index.js') -Value $Code
    Set-Content -Path (Join-Path $Folder 'README.md') -Value "# $Name`n"
    $Folder
}

function Set-NpmPackageVersion {
    <# Changes the version (and optionally the code) of a package folder made by New-NpmPackageFolder. #>
    param(
        [Parameter(Mandatory)][string] $Folder,
        [Parameter(Mandatory)][string] $Version,
        [string] $Code
    )
    $path = Join-Path $Folder 'package.json'
    $manifest = Get-Content $path -Raw | ConvertFrom-Json -AsHashtable
    $manifest.version = $Version
    Set-Content -Path $path -Value ($manifest | ConvertTo-Json -Depth 5)
    if ($Code) { Set-Content -Path (Join-Path $Folder 'index.js') -Value $Code }
}

function New-NpmProject {
    <# An empty npm project folder to install into. #>
    param([Parameter(Mandatory)][string] $Folder)
    New-Item -ItemType Directory -Path $Folder -Force | Out-Null
    Set-Content -Path (Join-Path $Folder 'package.json') -Value '{ "name": "consumer", "version": "1.0.0", "private": true }'
    $Folder
}

function Get-InstalledNpmVersion {
    <# The version of a package installed in a project's node_modules, or $null. #>
    param([Parameter(Mandatory)][string] $Project, [Parameter(Mandatory)][string] $Name)
    $path = Join-Path $Project "node_modules/$Name/package.json"
    if (Test-Path $path) { (Get-Content $path -Raw | ConvertFrom-Json).version } else { $null }
}

Export-ModuleMember -Function New-NpmSandbox, Invoke-Npm, New-NpmPackageFolder, Set-NpmPackageVersion, New-NpmProject,
    Get-InstalledNpmVersion
