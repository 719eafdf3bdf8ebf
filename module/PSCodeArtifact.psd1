@{
    RootModule             = 'PSCodeArtifact.PowerShell.dll'
    # Stamped by build.ps1 from Directory.Build.props (VersionPrefix), the one version source.
    ModuleVersion          = '0.0.0'
    GUID                   = '5d0f3a0e-8a4b-4c1e-9a53-6f2f1d7f3c41'
    Author                 = 'PSCodeArtifact contributors'
    CompanyName            = 'PSCodeArtifact'
    Copyright              = '(c) PSCodeArtifact contributors. MIT License.'
    Description            = 'A self-hosted AWS CodeArtifact administered from PowerShell: domains and repositories with upstreams on an embedded, encrypted, deduplicated store.'
    PowerShellVersion      = '7.6'
    CompatiblePSEditions   = @('Core')
    FormatsToProcess       = @('PSCodeArtifact.Format.ps1xml')
    CmdletsToExport        = @(
        'New-CaDomain'
        'Get-CaDomain'
        'Remove-CaDomain'
        'New-CaRepository'
        'Get-CaRepository'
        'Set-CaRepository'
        'Remove-CaRepository'
        'New-CaExternalConnection'
        'Get-CaExternalConnection'
        'Remove-CaExternalConnection'
        'Connect-CaExternalConnection'
        'Disconnect-CaExternalConnection'
        'Publish-CaPackage'
        'Get-CaPackage'
        'Remove-CaPackage'
        'Get-CaPackageVersion'
        'Set-CaPackageVersionStatus'
        'Copy-CaPackageVersion'
        'Remove-CaPackageVersion'
        'Get-CaPackageVersionAsset'
        'Save-CaPackageVersionAsset'
        'Get-CaPackageVersionReadme'
        'Get-CaPackageVersionDependency'
        'Get-CaPackageOriginConfiguration'
        'Set-CaPackageOriginConfiguration'
        'Start-CaEndpoint'
        'Stop-CaEndpoint'
        'Get-CaEndpoint'
        'Get-CaRepositoryEndpoint'
        'Get-CaAuthorizationToken'
        'Repair-CaStore'
    )
    FunctionsToExport      = @()
    VariablesToExport      = @()
    AliasesToExport        = @()
    PrivateData            = @{
        PSData = @{
            Tags       = @('CodeArtifact', 'PackageRegistry', 'npm', 'PyPI', 'Maven', 'NuGet', 'Linux', 'Windows', 'MacOS')
            LicenseUri = ''
            ProjectUri = ''
        }
    }
}
