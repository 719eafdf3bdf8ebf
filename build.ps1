<#
.SYNOPSIS
    Builds, documents, tests and runs PSCodeArtifact.

.DESCRIPTION
    Build  lays out the importable module at out/PSCodeArtifact (manifest stamped with the version from
           Directory.Build.props, assemblies, native SQLite for every platform, format and type files, MAML help).
    Docs   turns docs/en-US/*.md into MAML help in the built module (part of Build).
    Test   builds, runs the xunit tests and the Pester tests (in a fresh pwsh, against the built module) and
           prints one combined last line: "N passed, N failed".
    Run    builds, imports the module, makes sure the default store holds the 'demo' domain with a 'main'
           repository, starts the endpoint on 127.0.0.1, prints the npm and PyPI URLs and a token, and serves
           until Ctrl+C or SIGTERM.
    Clean  removes out/ and the bin/obj folders.

.PARAMETER Task
    One or more of Build, Docs, Test, Run, Clean. Default: Build.

.PARAMETER Configuration
    The dotnet build configuration. Default: Release.

.PARAMETER PesterPath
    Test only: the Pester test files or folders to run (default: tests/pester, and tests/clients when present).

.PARAMETER SkipXunit
    Test only: runs the Pester tests alone.

.PARAMETER Port
    Run only: the port the endpoint listens on (default 5080; $env:PSCODEARTIFACT_PORT overrides it).

.EXAMPLE
    dotnet tool restore; dotnet pwsh ./build.ps1 -Task Test

.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Run
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Docs', 'Test', 'Run', 'Clean')]
    [string[]] $Task = @('Build'),

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    [string[]] $PesterPath,

    [switch] $SkipXunit,

    [ValidateRange(1, 65535)]
    [int] $Port = 5080
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

$Root = $PSScriptRoot
$Out = Join-Path $Root 'out'
$ModuleOut = Join-Path $Out 'PSCodeArtifact'
$ManifestPath = Join-Path $ModuleOut 'PSCodeArtifact.psd1'
$HelpFileName = 'PSCodeArtifact.PowerShell.dll-Help.xml'

function Invoke-Native {
    param([Parameter(Mandatory)][string] $FilePath, [string[]] $ArgumentList = @(), [switch] $AllowFailure)
    Write-Verbose "$FilePath $($ArgumentList -join ' ')"
    & $FilePath @ArgumentList
    if ($LASTEXITCODE -ne 0 -and -not $AllowFailure) {
        throw "'$FilePath $($ArgumentList -join ' ')' failed with exit code $LASTEXITCODE."
    }
    $LASTEXITCODE
}

function Get-ModuleVersion {
    $version = & dotnet msbuild (Join-Path $Root 'src/CodeArtifact.PowerShell/CodeArtifact.PowerShell.csproj') -getProperty:VersionPrefix
    if ($LASTEXITCODE -ne 0 -or -not $version) { throw 'Could not read VersionPrefix from Directory.Build.props.' }
    "$version".Trim()
}

function Invoke-Build {
    $publish = Join-Path $Out 'publish'
    foreach ($folder in $publish, $ModuleOut) {
        if (Test-Path $folder) { Remove-Item $folder -Recurse -Force }
    }
    Invoke-Native dotnet @('publish', (Join-Path $Root 'src/CodeArtifact.PowerShell/CodeArtifact.PowerShell.csproj'),
        '--configuration', $Configuration, '--output', $publish, '--nologo', '-v:minimal') | Out-Null

    New-Item -ItemType Directory -Path $ModuleOut -Force | Out-Null
    Get-ChildItem $publish -Exclude '*.deps.json', '*.runtimeconfig.json' | Copy-Item -Destination $ModuleOut -Recurse
    Copy-Item (Join-Path $Root 'module/PSCodeArtifact.Format.ps1xml') $ModuleOut
    # Native SQLite for the platforms pwsh 7 runs on; the rest of SQLitePCLRaw's list is dead weight.
    $platforms = 'linux-x64', 'linux-arm64', 'linux-musl-x64', 'linux-musl-arm64', 'osx-x64', 'osx-arm64', 'win-x64', 'win-arm64', 'win-x86'
    Get-ChildItem (Join-Path $ModuleOut 'runtimes') -Directory | Where-Object Name -NotIn $platforms | Remove-Item -Recurse -Force

    $version = Get-ModuleVersion
    $manifest = Get-Content (Join-Path $Root 'module/PSCodeArtifact.psd1') -Raw
    $stamped = $manifest -replace "ModuleVersion(\s*)=\s*'[^']*'", "ModuleVersion`$1= '$version'"
    if ($stamped -eq $manifest -and $manifest -notmatch "ModuleVersion\s*=\s*'$([regex]::Escape($version))'") {
        throw 'Could not stamp ModuleVersion into the manifest.'
    }
    Set-Content -Path $ManifestPath -Value $stamped -Encoding utf8NoBOM
    Test-ModuleManifest -Path $ManifestPath | Out-Null
    Invoke-Docs
    Write-Host "Built PSCodeArtifact $version at $ModuleOut"
}

function Invoke-Docs {
    & (Join-Path $Root 'tools/ConvertTo-MamlHelp.ps1') -DocsPath (Join-Path $Root 'docs/en-US') `
        -OutputPath (Join-Path $ModuleOut 'en-US') -HelpFileName $HelpFileName | Out-Null
}

function Get-NuGetPackagesFolder {
    if ($env:NUGET_PACKAGES) { return $env:NUGET_PACKAGES }
    $line = & dotnet nuget locals global-packages --list
    if ($LASTEXITCODE -ne 0) { throw 'Could not find the NuGet global packages folder.' }
    ("$line" -replace '^.*?global-packages:\s*', '').Trim()
}

function Invoke-Xunit {
    $results = Join-Path $Out 'test-results/xunit'
    if (Test-Path $results) { Remove-Item $results -Recurse -Force }
    Invoke-Native dotnet @('test', (Join-Path $Root 'PSCodeArtifact.sln'), '--configuration', $Configuration, '--nologo',
        '--logger', 'trx', '--logger', 'console;verbosity=minimal', '--results-directory', $results) -AllowFailure | Out-Host
    $passed = 0; $failed = 0
    $trx = @(Get-ChildItem $results -Filter *.trx -Recurse -ErrorAction SilentlyContinue)
    if ($trx.Count -eq 0) { throw 'The xunit run produced no test results (did the build fail?).' }
    foreach ($file in $trx) {
        $counters = ([xml](Get-Content $file.FullName -Raw)).TestRun.ResultSummary.Counters
        $passed += [int]$counters.passed
        $failed += [int]$counters.failed + [int]$counters.error + [int]$counters.timeout + [int]$counters.aborted
    }
    Write-Host "xunit: $passed passed, $failed failed"
    [pscustomobject]@{ Passed = $passed; Failed = $failed }
}

function Invoke-PesterTests {
    Invoke-Native dotnet @('restore', (Join-Path $Root 'tests/tools/tools.csproj'), '--nologo', '-v:quiet') | Out-Null
    $pester = Join-Path (Get-NuGetPackagesFolder) 'pester/6.2.0/tools/Pester.psd1'
    if (-not (Test-Path $pester)) { throw "Pester 6.2.0 was not restored to '$pester'." }
    # From a shell, "-PesterPath a,b" arrives as one string.
    $paths = if ($PesterPath) { $PesterPath -split ',' | ForEach-Object { $_.Trim() } | Where-Object { $_ } } else {
        @('tests/pester', 'tests/clients') | ForEach-Object { Join-Path $Root $_ } | Where-Object { Test-Path $_ }
    }
    $summary = Join-Path $Out 'test-results/pester.json'
    New-Item -ItemType Directory -Path (Split-Path $summary) -Force | Out-Null
    if (Test-Path $summary) { Remove-Item $summary }
    # A fresh pwsh, so the tests see the built module exactly as a user's session would.
    $script = @'
param($Pester, $Summary, $Module, [string] $Paths)
$ErrorActionPreference = 'Stop'
Import-Module $Pester
$env:PSCODEARTIFACT_MODULE = $Module
$config = New-PesterConfiguration
$config.Run.Path = $Paths -split ','

$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
$result = Invoke-Pester -Configuration $config
if ($null -eq $result) { exit 1 }
@{ Passed = $result.PassedCount; Failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount;
   Skipped = $result.SkippedCount } | ConvertTo-Json | Set-Content -Path $Summary
'@
    $scriptPath = Join-Path $Out 'test-results/run-pester.ps1'
    Set-Content -Path $scriptPath -Value $script -Encoding utf8NoBOM
    Invoke-Native dotnet (@('pwsh', '-NoProfile', '-NonInteractive', '-File', $scriptPath, $pester, $summary, $ManifestPath, ($paths -join ','))) -AllowFailure | Out-Host
    if (-not (Test-Path $summary)) { throw 'The Pester run ended without a summary.' }
    $counts = Get-Content $summary -Raw | ConvertFrom-Json
    if ($null -eq $counts.Passed -or $null -eq $counts.Failed -or ([int]$counts.Passed + [int]$counts.Failed) -eq 0) {
        throw 'The Pester run ended without running a test.'
    }
    Write-Host "Pester: $($counts.Passed) passed, $($counts.Failed) failed, $($counts.Skipped) skipped"
    [pscustomobject]@{ Passed = [int]$counts.Passed; Failed = [int]$counts.Failed }
}

function Invoke-Test {
    Invoke-Build
    $passed = 0; $failed = 0
    $runs = @()
    try {
        if (-not $SkipXunit) { $runs += Invoke-Xunit }
        $runs += Invoke-PesterTests
    }
    catch {
        Write-Host "Test run error: $_"
        $failed++
    }
    foreach ($run in $runs) { $passed += $run.Passed; $failed += $run.Failed }
    Write-Host "$passed passed, $failed failed"
    if ($failed -gt 0) { exit 1 }
}

function Invoke-Run {
    Invoke-Build
    Import-Module $ManifestPath -Force
    $store = if ($env:PSCODEARTIFACT_STORE) { $env:PSCODEARTIFACT_STORE } else { '(default per-user store)' }
    Write-Host "Store: $store"
    if (-not (Get-CaDomain -Name demo -ErrorAction SilentlyContinue)) { New-CaDomain -Name demo | Out-Null }
    if (-not (Get-CaRepository -Domain demo -Name main -ErrorAction SilentlyContinue)) { New-CaRepository -Domain demo -Name main -Description 'Demo repository' | Out-Null }
    Get-CaRepository -Domain demo | Format-Table | Out-Host
    $port = if ($env:PSCODEARTIFACT_PORT) { [int]$env:PSCODEARTIFACT_PORT } else { $Port }
    # -Wait writes the endpoint object before it blocks, so the URLs print as soon as it listens.
    Start-CaEndpoint -Port $port -Wait | ForEach-Object {
        $token = (Get-CaAuthorizationToken -Domain demo).AuthorizationToken
        $npm = Get-CaRepositoryEndpoint -Domain demo -Repository main -Format npm -Endpoint $_
        $pypi = Get-CaRepositoryEndpoint -Domain demo -Repository main -Format pypi -Endpoint $_
        $authority = $_.Uri.Authority
        Write-Host "npm:   $npm"
        Write-Host "       npm config set registry $npm; npm config set //$authority/demo/npm/main/:_authToken <token>"
        Write-Host "PyPI:  $($pypi)simple/"
        Write-Host "       pip install --index-url http://aws:<token>@$authority/demo/pypi/main/simple/ <name>"
        Write-Host "       twine upload --repository-url $pypi -u aws -p <token> dist/*"
        Write-Host "Token (12 hours): $token"
        Write-Host 'Serving until Ctrl+C.'
    }
}

function Invoke-Clean {
    foreach ($folder in @($Out) + @(Get-ChildItem $Root -Directory -Recurse -Include bin, obj | ForEach-Object FullName)) {
        if (Test-Path $folder) { Remove-Item $folder -Recurse -Force }
    }
}

foreach ($t in $Task) {
    switch ($t) {
        'Clean' { Invoke-Clean }
        'Build' { Invoke-Build }
        'Docs' { Invoke-Docs }
        'Test' { Invoke-Test }
        'Run' { Invoke-Run }
    }
}
