#Requires -Version 7.6
# PowerShell's own package manager against the NuGet endpoint: PSResourceGet (shipped with pwsh 7.6) registers the feed,
# publishes a small script module in two versions (one prerelease), finds, installs and saves it, with the token as the
# credential. PSResourceGet runs in a child pwsh whose HOME is a sandbox, so the repository registration and the
# CurrentUser install never touch this session or the user's profile; the child writes a report the tests read.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../pester/TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'NugetClientHelpers.psm1') -Force
    Import-TestModule

    $script:Domain = 'psgetdemo'
    $script:Nuget = @{ Domain = $Domain; Repository = 'main'; Format = 'nuget' }
    $script:StorePath = New-TestStore
    New-CaDomain -Name $Domain | Out-Null
    New-CaRepository -Domain $Domain -Name 'main' | Out-Null
    $script:Endpoint = Start-CaEndpoint -Port 0
    $script:Token = (Get-CaAuthorizationToken -Domain $Domain).AuthorizationToken
    $script:Source = (Get-CaRepositoryEndpoint -Domain $Domain -Repository 'main' -Format nuget) + 'v3/index.json'

    $script:Work = Join-Path ([IO.Path]::GetTempPath()) ('psca-psget-' + [guid]::NewGuid().ToString('N'))
    $script:ChildHome = Join-Path $Work 'home'
    $script:Saved = Join-Path $Work 'saved'
    New-Item -ItemType Directory -Path $ChildHome, $Saved -Force | Out-Null
    foreach ($release in @(@{ Version = '1.2.0'; Prerelease = $null }, @{ Version = '1.3.0'; Prerelease = 'beta1' })) {
        # Publish-PSResource wants the folder named after the module.
        $folder = Join-Path $Work "$($release.Version)/PscaDemo"
        New-Item -ItemType Directory -Path $folder -Force | Out-Null
        Set-Content -Path (Join-Path $folder 'PscaDemo.psm1') -Value "function Get-PscaDemo { 'hello from PscaDemo $($release.Version)' }"
        $manifest = @{
            Path = Join-Path $folder 'PscaDemo.psd1'; RootModule = 'PscaDemo.psm1'; ModuleVersion = $release.Version; Author = 'PSCodeArtifact tests'
            Description = 'A tiny script module published by the PSResourceGet tests.'; FunctionsToExport = 'Get-PscaDemo'; Tags = 'psca-test', 'demo'
        }
        if ($release.Prerelease) { $manifest.Prerelease = $release.Prerelease }
        New-ModuleManifest @manifest
    }

    $script:ChildScript = Join-Path $Work 'psresourceget.ps1'
    Set-Content -Path $ChildScript -Value @'
param([string] $Source, [string] $Token, [string] $Work, [string] $Saved, [string] $ReportPath)
$ErrorActionPreference = 'Continue'
$ProgressPreference = 'SilentlyContinue'
$credential = [pscredential]::new('aws', (ConvertTo-SecureString $Token -AsPlainText -Force))
$report = [ordered]@{}

# Runs one step, keeping its output (as text unless -Raw) and every error it wrote or threw as "ErrorId: message".
function Step([string] $Name, [scriptblock] $Action) {
    $errors = [Collections.Generic.List[string]]::new()
    $output = @()
    try {
        $all = @(& $Action 2>&1)
        foreach ($item in $all) {
            if ($item -is [Management.Automation.ErrorRecord]) { $errors.Add("$($item.FullyQualifiedErrorId): $($item.Exception.Message)") }
            else { $output += $item }
        }
    }
    catch { $errors.Add("$($_.FullyQualifiedErrorId): $($_.Exception.Message)") }
    $report[$Name] = [ordered]@{ Errors = @($errors); Output = @($output) }
}

function Found($resources) { @(@($resources) | Where-Object { $_ } | ForEach-Object { [ordered]@{ Name = $_.Name; Version = "$($_.Version)"; Prerelease = $_.Prerelease; Description = $_.Description; Author = $_.Author; Repository = $_.Repository } }) }

Step register { Register-PSResourceRepository -Name ca -Uri $Source -Trusted }
Step publish { Publish-PSResource -Path "$Work/1.2.0/PscaDemo" -Repository ca -ApiKey $Token -Credential $credential }
Step publishPrerelease { Publish-PSResource -Path "$Work/1.3.0/PscaDemo" -Repository ca -ApiKey $Token -Credential $credential }
Step publishAgain { Publish-PSResource -Path "$Work/1.2.0/PscaDemo" -Repository ca -ApiKey $Token -Credential $credential }
Step findAnonymous { Found (Find-PSResource -Name PscaDemo -Repository ca) }
Step find { Found (Find-PSResource -Name PscaDemo -Repository ca -Credential $credential) }
Step findPrerelease { Found (Find-PSResource -Name PscaDemo -Repository ca -Credential $credential -Prerelease) }
Step findAll { Found (Find-PSResource -Name PscaDemo -Version '*' -Prerelease -Repository ca -Credential $credential) }
Step findMissing { Found (Find-PSResource -Name NoSuchModule -Repository ca -Credential $credential) }
Step install { Install-PSResource -Name PscaDemo -Version 1.2.0 -Repository ca -Credential $credential -TrustRepository -Scope CurrentUser }
Step run {
    $module = Import-Module PscaDemo -PassThru
    [ordered]@{ Path = $module.Path; Version = "$($module.Version)"; Greeting = Get-PscaDemo }
}
Step save { Save-PSResource -Name PscaDemo -Version 1.2.0 -Repository ca -Credential $credential -TrustRepository -Path $Saved -AsNupkg }
Step unregister { Unregister-PSResourceRepository -Name ca }

$report | ConvertTo-Json -Depth 6 | Set-Content -Path $ReportPath
'@

    $script:ReportPath = Join-Path $Work 'report.json'
    $script:Child = Invoke-ChildPwsh -ScriptPath $ChildScript -ArgumentList '-Source', $Source, '-Token', $Token, '-Work', $Work, '-Saved', $Saved, '-ReportPath', $ReportPath `
        -Environment @{ HOME = $ChildHome; XDG_DATA_HOME = $null; XDG_CONFIG_HOME = $null; XDG_CACHE_HOME = $null; PSModulePath = $null }
    $script:ChildOutput = "exit code $($Child.ExitCode)`n$($Child.Output)`n$($Child.ErrorOutput)"
    $script:Report = if (Test-Path $ReportPath) { Get-Content $ReportPath -Raw | ConvertFrom-Json -AsHashtable } else { @{} }

    # The step's errors, or the child's whole output when it never got there: what a failing test shows.
    function Get-Step([string] $Name) {
        $step = $script:Report[$Name]
        if ($null -eq $step) { throw "The child pwsh did not run the step '$Name':`n$script:ChildOutput" }
        $step['Because'] = ($step.Errors -join "`n") + "`n$script:ChildOutput"
        $step
    }
}

AfterAll {
    if (Test-Path variable:script:Endpoint) { $script:Endpoint | Stop-CaEndpoint }
    Remove-TestStore
    if ((Test-Path variable:script:Work) -and (Split-Path $script:Work -Leaf) -like 'psca-psget-*') { Remove-Item $script:Work -Recurse -Force -ErrorAction SilentlyContinue }
}

Describe 'PSResourceGet against the NuGet endpoint' {
    It 'runs PSResourceGet in a child pwsh to the end' {
        $Child.ExitCode | Should -Be 0 -Because $ChildOutput
        (Get-Step 'register').Errors | Should -BeNullOrEmpty -Because (Get-Step 'register').Because
        (Get-Step 'unregister').Errors | Should -BeNullOrEmpty -Because (Get-Step 'unregister').Because
        # The registration went to the sandbox HOME, not to this user's PSResourceGet settings.
        Get-ChildItem $ChildHome -Recurse -Force -Filter 'PSResourceRepository.xml' | Should -Not -BeNullOrEmpty
    }

    It 'publishes a script module and its prerelease with Publish-PSResource' {
        foreach ($name in 'publish', 'publishPrerelease') {
            $step = Get-Step $name
            $step.Errors | Should -BeNullOrEmpty -Because $step.Because
        }
        $versions = Get-CaPackageVersion @Nuget -Package 'PscaDemo'
        @($versions | ForEach-Object { "$($_.Version)=$($_.Status)" }) | Should -Be '1.2.0=Published', '1.3.0-beta1=Published'
    }

    It 'refuses to publish the same version again with 409' {
        $step = Get-Step 'publishAgain'

        $step.Errors | Should -Match '409'
        @(Get-CaPackageVersion @Nuget -Package 'PscaDemo').Count | Should -Be 2
    }

    It 'needs the token to read: Find-PSResource without -Credential is unauthorized' {
        $step = Get-Step 'findAnonymous'

        $step.Output | Should -BeNullOrEmpty
        $step.Errors | Should -Match 'Unauthorized|401'
    }

    It 'finds the latest release with Find-PSResource, the prerelease with -Prerelease, and every version with -Version *' {
        $release = Get-Step 'find'
        $prerelease = Get-Step 'findPrerelease'
        $all = Get-Step 'findAll'

        $release.Errors | Should -BeNullOrEmpty -Because $release.Because
        $release.Output.Name | Should -Be 'PscaDemo'
        $release.Output.Version | Should -Be '1.2.0'
        $release.Output.Description | Should -Be 'A tiny script module published by the PSResourceGet tests.'
        $release.Output.Author | Should -Be 'PSCodeArtifact tests'
        $release.Output.Repository | Should -Be 'ca'
        $prerelease.Output.Version | Should -Be '1.3.0' -Because $prerelease.Because
        $prerelease.Output.Prerelease | Should -Be 'beta1'
        @($all.Output | ForEach-Object { $_.Prerelease ? "$($_.Version)-$($_.Prerelease)" : $_.Version }) | Sort-Object | Should -Be '1.2.0', '1.3.0-beta1' -Because $all.Because
    }

    It 'reports a module the feed does not have as not found' {
        (Get-Step 'findMissing').Errors | Should -Match 'PackageNotFound'
    }

    It 'installs the module with Install-PSResource, and it imports and works' {
        $install = Get-Step 'install'
        $run = Get-Step 'run'

        $install.Errors | Should -BeNullOrEmpty -Because $install.Because
        $run.Errors | Should -BeNullOrEmpty -Because $run.Because
        $run.Output.Greeting | Should -Be 'hello from PscaDemo 1.2.0'
        $run.Output.Version | Should -Be '1.2.0'
        $run.Output.Path | Should -BeLike "$ChildHome*"
    }

    It 'saves the exact nupkg the endpoint stored' {
        $save = Get-Step 'save'
        $save.Errors | Should -BeNullOrEmpty -Because $save.Because

        $nupkg = Get-ChildItem $Saved -Filter '*.nupkg'
        $asset = Get-CaPackageVersionAsset @Nuget -Package 'PscaDemo' -Version '1.2.0'
        $nupkg.Name | Should -Be 'PscaDemo.1.2.0.nupkg'
        $asset.Name | Should -Be 'pscademo.1.2.0.nupkg'
        Get-FileSha256 $nupkg.FullName | Should -Be $asset.Hashes['SHA-256']
    }
}
