#Requires -Version 7.6
# Upstreams on the management side: Get-CaPackage and Get-CaPackageVersion with and without -IncludeUpstream, and the
# dependency-confusion refusal of Publish-CaPackage over a local chain with the origin configuration that lifts it.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'PackageTestHelpers.psm1') -Force
    Import-TestModule

    $script:NpmLib = Get-PackageFixture 'npm/demo-lib-1.2.3.tgz'
    $script:NugetCore = Get-PackageFixture 'nuget/Demo.Core.1.2.3.nupkg'
    $script:PypiWheel = Get-PackageFixture 'pypi/Tiny_Demo-1.2.0rc1-py3-none-any.whl'
    $script:PublishCommand = 'PSCodeArtifact.PowerShell.Commands.PublishCaPackageCommand'

    # An npm tarball of another version of a package, built in code.
    function New-NpmTarball([string] $Name, [string] $Version) {
        $path = Join-Path $TestDrive "$Name-$Version.tgz"
        New-TestTarGz -Path $path -Entry ([ordered]@{
                'package/package.json' = "{`"name`":`"$Name`",`"version`":`"$Version`",`"description`":`"$Name $Version`"}"
            }) | Out-Null
        $path
    }
}

Describe 'Upstream repositories in the management cmdlets' {
    BeforeEach {
        $script:Store = New-TestStore
        New-CaDomain -Name 'corp' | Out-Null
        # app -> team -> store
        New-CaRepository -Domain 'corp' -Name 'store' | Out-Null
        New-CaRepository -Domain 'corp' -Name 'team' -Upstream 'store' | Out-Null
        New-CaRepository -Domain 'corp' -Name 'app' -Upstream 'team' | Out-Null
    }

    AfterEach {
        Remove-TestStore
    }

    Context 'Get-CaPackage -IncludeUpstream' {
        BeforeEach {
            Publish-CaPackage corp store $NpmLib | Out-Null
            Publish-CaPackage corp team $NugetCore | Out-Null
            Publish-CaPackage corp app $PypiWheel | Out-Null
        }

        It 'lists only the repository''s own packages without the switch, as CodeArtifact does' {
            @(Get-CaPackage corp app).Package | Should -Be @('Tiny-Demo')
        }

        It 'adds what the upstream repositories hold, each package with the repository it lives in' {
            $packages = @(Get-CaPackage corp app -IncludeUpstream)
            $packages | ForEach-Object { '{0}:{1}@{2}' -f $_.Format, $_.Package, $_.Repository } |
                Should -Be @('npm:demo-lib@store', 'nuget:Demo.Core@team', 'pypi:Tiny-Demo@app')
            @(Get-CaPackage corp team -IncludeUpstream).Repository | Should -Be @('store', 'team')
        }

        It 'lets the first repository of the search order win for a package several hold' {
            Publish-CaPackage corp store $NugetCore | Out-Null
            (Get-CaPackage corp app Demo.Core -IncludeUpstream).Repository | Should -BeExactly 'team'
        }

        It 'filters by format and name among what the chain holds' {
            @(Get-CaPackage corp app -Format npm -IncludeUpstream).Repository | Should -Be @('store')
            (Get-CaPackage corp app 'demo.core' -IncludeUpstream).Package | Should -BeExactly 'Demo.Core'
        }

        It 'writes PackageNotFound naming the upstreams when nothing in the chain matches' {
            Get-CaPackage corp app 'nosuch' -IncludeUpstream -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'PackageNotFound,PSCodeArtifact.PowerShell.Commands.GetCaPackageCommand'
            $err[0].Exception.Message | Should -Match 'upstream'
        }

        It 'follows a changed upstream list at once' {
            Set-CaRepository corp app -Upstream @()
            @(Get-CaPackage corp app -IncludeUpstream).Package | Should -Be @('Tiny-Demo')
            Set-CaRepository corp app -Upstream store
            @(Get-CaPackage corp app -IncludeUpstream).Repository | Should -Be @('store', 'app')
        }

        It 'pipes the packages into Get-CaPackageVersion, which finds them where they live' {
            $versions = @(Get-CaPackage corp app -IncludeUpstream | Get-CaPackageVersion)
            $versions | ForEach-Object { '{0}@{1}' -f $_.Package, $_.Repository } | Should -Be @('demo-lib@store', 'Demo.Core@team', 'Tiny-Demo@app')
        }
    }

    Context 'Get-CaPackageVersion -IncludeUpstream' {
        BeforeEach {
            Publish-CaPackage corp store $NpmLib | Out-Null
            Publish-CaPackage corp store (New-NpmTarball 'demo-lib' '2.0.0') | Out-Null
            $script:Coordinates = @{ Domain = 'corp'; Repository = 'app'; Format = 'npm'; Package = 'demo-lib' }
        }

        It 'does not see upstream versions without the switch' {
            Get-CaPackageVersion @Coordinates -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'PackageNotFound,PSCodeArtifact.PowerShell.Commands.GetCaPackageVersionCommand'
        }

        It 'lists the versions of the chain, each with the repository it lives in' {
            $versions = @(Get-CaPackageVersion @Coordinates -IncludeUpstream)
            $versions | ForEach-Object { '{0}@{1}' -f $_.Version, $_.Repository } | Should -Be @('1.2.3@store', '2.0.0@store')
        }

        It 'lists the repository''s own versions with the upstream ones' {
            Set-CaPackageOriginConfiguration @Coordinates -Publish ALLOW -Upstream ALLOW | Out-Null
            Publish-CaPackage corp app (New-NpmTarball 'demo-lib' '3.0.0') | Out-Null
            $versions = @(Get-CaPackageVersion @Coordinates -IncludeUpstream)
            $versions | ForEach-Object { '{0}@{1}' -f $_.Version, $_.Repository } | Should -Be @('1.2.3@store', '2.0.0@store', '3.0.0@app')
        }

        It 'describes a named version from the repository that holds it, with its metadata' {
            $version = Get-CaPackageVersion 1.2.3 @Coordinates -IncludeUpstream
            $version.Repository | Should -BeExactly 'store'
            $version.Summary | Should -Not -BeNullOrEmpty

            Get-CaPackageVersion 9.9.9 @Coordinates -IncludeUpstream -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'PackageVersionNotFound,PSCodeArtifact.PowerShell.Commands.GetCaPackageVersionCommand'
            $err[0].Exception.Message | Should -Match 'upstream'
        }

        It 'filters by pattern and status after choosing the repository' {
            Set-CaPackageVersionStatus Unlisted -Domain corp -Repository store -Format npm -Package demo-lib -Version 2.0.0 | Out-Null
            @(Get-CaPackageVersion '2.*' @Coordinates -IncludeUpstream).Version | Should -Be @('2.0.0')
            @(Get-CaPackageVersion @Coordinates -IncludeUpstream -Status Unlisted).Version | Should -Be @('2.0.0')
        }

        It 'shows no upstream versions once the package in the repository blocks upstreams' {
            Set-CaPackageOriginConfiguration @Coordinates -Publish ALLOW -Upstream BLOCK | Out-Null
            Get-CaPackageVersion @Coordinates -IncludeUpstream -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
            $err | Should -BeNullOrEmpty
        }
    }

    Context 'Dependency confusion on publish' {
        BeforeEach {
            Publish-CaPackage corp team $NpmLib | Out-Null
        }

        It 'refuses to publish to app a package that its upstream team holds, with PackageReachableUpstream' {
            Publish-CaPackage corp app $NpmLib -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeExactly "PackageReachableUpstream,$PublishCommand"
            $err[0].CategoryInfo.Category | Should -Be 'ResourceUnavailable'
            $err[0].Exception.Message | Should -Match "upstream repository 'team'"
            $err[0].Exception.Message | Should -Match 'Set-CaPackageOriginConfiguration'
            Get-CaPackage corp app -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        }

        It 'refuses another version of that package too' {
            Publish-CaPackage corp app (New-NpmTarball 'demo-lib' '9.0.0') -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeExactly "PackageReachableUpstream,$PublishCommand"
        }

        It 'publishes once Set-CaPackageOriginConfiguration -Publish ALLOW -Upstream BLOCK makes it app''s own package' {
            Set-CaPackageOriginConfiguration -Domain corp -Repository app -Format npm -Package demo-lib -Publish ALLOW -Upstream BLOCK | Out-Null

            $published = Publish-CaPackage corp app $NpmLib
            $published.Repository | Should -BeExactly 'app'
            $published.Origin.OriginType | Should -BeExactly 'INTERNAL'
            @(Get-CaPackageVersion -Domain corp -Repository app -Format npm -Package demo-lib -IncludeUpstream).Repository | Should -Be @('app')
        }

        It 'with -Publish ALLOW -Upstream ALLOW refuses only the versions the upstream holds' {
            Set-CaPackageOriginConfiguration -Domain corp -Repository app -Format npm -Package demo-lib -Publish ALLOW -Upstream ALLOW | Out-Null

            Publish-CaPackage corp app $NpmLib -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeExactly "PackageReachableUpstream,$PublishCommand"
            (Publish-CaPackage corp app (New-NpmTarball 'demo-lib' '9.0.0')).Version | Should -BeExactly '9.0.0'
        }

        It 'publishes a package no upstream holds, and lets the upstream publish freely' {
            (Publish-CaPackage corp app (New-NpmTarball 'app-only' '1.0.0')).Repository | Should -BeExactly 'app'
            (Publish-CaPackage corp store (New-NpmTarball 'demo-lib' '5.0.0')).Repository | Should -BeExactly 'store'
        }

        It 'also refuses a package two levels up' {
            Publish-CaPackage corp store (New-NpmTarball 'far-away' '1.0.0') | Out-Null
            Publish-CaPackage corp app (New-NpmTarball 'far-away' '1.0.0') -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
            $err[0].Exception.Message | Should -Match "upstream repository 'store'"
        }
    }
}
