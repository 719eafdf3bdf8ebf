#Requires -Version 7.6
# What a published version holds: Get-CaPackageVersionAsset (names, sizes, hashes, revision pinning),
# Save-CaPackageVersionAsset (byte-for-byte copies, folders and file paths, -Force, pipelines), readmes,
# dependencies and the metadata Get-CaPackageVersion -Version describes.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'PackageTestHelpers.psm1') -Force
    Import-TestModule

    $script:Commands = 'PSCodeArtifact.PowerShell.Commands'
    $script:MavenGroup = 'org.pscodeartifact.fixtures'

    function New-WorkFolder {
        $folder = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $folder | Out-Null
        $folder
    }

    # Whether two files have the same bytes.
    function Test-SameBytes([string] $Left, [string] $Right) {
        [Linq.Enumerable]::SequenceEqual([byte[]] [IO.File]::ReadAllBytes($Left), [byte[]] [IO.File]::ReadAllBytes($Right))
    }

    # Text with line endings made alike, without surrounding white space.
    function Get-NormalizedText([string] $Text) { ($Text -replace "`r`n", "`n").Trim() }
}

Describe 'Package version content' {
    BeforeEach {
        $script:Store = New-TestStore
        New-CaDomain -Name 'demo' | Out-Null
        New-CaRepository -Domain 'demo' -Name 'main' | Out-Null
        # The wheel goes first: a version's metadata comes from its first file, and only the wheel's METADATA has Requires-Dist.
        $files = 'npm/demo-lib-1.2.3.tgz', 'npm/demo-scope-widget-1.0.0-beta.1.tgz', 'pypi/Tiny_Demo-1.2.0rc1-py3-none-any.whl',
            'pypi/Tiny-Demo-1.2.0rc1.tar.gz', 'nuget/Demo.Core.1.2.3.nupkg', 'nuget/Demo.Extras.2.0.0-beta.1.nupkg',
            'maven/demo-lib-1.0.0.pom', 'maven/demo-lib-1.0.0.jar', 'maven/demo-lib-1.0.0-sources.jar', 'maven/demo-app-3.0.pom',
            'maven/demo-child-2.1.0.pom'
        Publish-CaPackage 'demo' 'main' ($files | ForEach-Object { Get-PackageFixture $_ }) | Out-Null
        $script:Npm = @{ Domain = 'demo'; Repository = 'main'; Format = 'npm'; Package = 'demo-lib'; Version = '1.2.3' }
        $script:Maven = @{ Domain = 'demo'; Repository = 'main'; Format = 'maven'; Namespace = $MavenGroup; Package = 'demo-lib'; Version = '1.0.0' }
    }

    AfterEach {
        Remove-TestStore
    }

    Context 'Get-CaPackageVersionAsset' {
        It 'lists the asset <Asset> of <Package> with the size and the MD5, SHA-1, SHA-256 and SHA-512 of <File> in lower-case hex' -ForEach @(
            @{ File = 'npm/demo-lib-1.2.3.tgz'; Format = 'npm'; Namespace = $null; Package = 'demo-lib'; Version = '1.2.3'; Asset = 'demo-lib-1.2.3.tgz' }
            @{ File = 'npm/demo-scope-widget-1.0.0-beta.1.tgz'; Format = 'npm'; Namespace = 'demo-scope'; Package = 'widget'; Version = '1.0.0-beta.1'; Asset = 'widget-1.0.0-beta.1.tgz' }
            @{ File = 'pypi/Tiny_Demo-1.2.0rc1-py3-none-any.whl'; Format = 'pypi'; Namespace = $null; Package = 'Tiny-Demo'; Version = '1.2.0rc1'; Asset = 'Tiny_Demo-1.2.0rc1-py3-none-any.whl' }
            @{ File = 'pypi/Tiny-Demo-1.2.0rc1.tar.gz'; Format = 'pypi'; Namespace = $null; Package = 'Tiny-Demo'; Version = '1.2.0rc1'; Asset = 'Tiny-Demo-1.2.0rc1.tar.gz' }
            @{ File = 'nuget/Demo.Core.1.2.3.nupkg'; Format = 'nuget'; Namespace = $null; Package = 'Demo.Core'; Version = '1.2.3'; Asset = 'demo.core.1.2.3.nupkg' }
            @{ File = 'maven/demo-lib-1.0.0.pom'; Format = 'maven'; Namespace = 'org.pscodeartifact.fixtures'; Package = 'demo-lib'; Version = '1.0.0'; Asset = 'demo-lib-1.0.0.pom' }
            @{ File = 'maven/demo-lib-1.0.0.jar'; Format = 'maven'; Namespace = 'org.pscodeartifact.fixtures'; Package = 'demo-lib'; Version = '1.0.0'; Asset = 'demo-lib-1.0.0.jar' }
            @{ File = 'maven/demo-lib-1.0.0-sources.jar'; Format = 'maven'; Namespace = 'org.pscodeartifact.fixtures'; Package = 'demo-lib'; Version = '1.0.0'; Asset = 'demo-lib-1.0.0-sources.jar' }
        ) {
            $fixture = Get-PackageFixture $File
            $assets = @(Get-CaPackageVersionAsset -Domain 'demo' -Repository 'main' -Format $Format -Namespace $Namespace -Package $Package -Version $Version -Name $Asset)

            $assets.Count | Should -Be 1
            $assets[0] | Should -BeOfType ([PSCodeArtifact.Core.AssetInfo])
            $assets[0].Name | Should -BeExactly $Asset
            $assets[0].Size | Should -Be (Get-Item $fixture).Length
            $assets[0].Version | Should -BeExactly $Version
            $assets[0].Revision | Should -BeExactly (Get-CaPackageVersion -Domain 'demo' -Repository 'main' -Format $Format -Namespace $Namespace -Package $Package -Version $Version).Revision
            @($assets[0].Hashes.Keys | Sort-Object) | Should -Be @('MD5', 'SHA-1', 'SHA-256', 'SHA-512')
            foreach ($pair in @(@('MD5', 'MD5'), @('SHA-1', 'SHA1'), @('SHA-256', 'SHA256'), @('SHA-512', 'SHA512'))) {
                $assets[0].Hashes[$pair[0]] | Should -BeExactly (Get-FileHash -LiteralPath $fixture -Algorithm $pair[1]).Hash.ToLowerInvariant()
                $assets[0].Hashes[$pair[0]] | Should -MatchExactly '^[0-9a-f]+$'
            }
        }

        It 'lists every asset of a version, and those matching -Name patterns' {
            @(Get-CaPackageVersionAsset @Maven | ForEach-Object Name | Sort-Object) | Should -Be @('demo-lib-1.0.0-sources.jar', 'demo-lib-1.0.0.jar', 'demo-lib-1.0.0.pom')
            @(Get-CaPackageVersionAsset @Maven -Name '*.jar' | ForEach-Object Name | Sort-Object) | Should -Be @('demo-lib-1.0.0-sources.jar', 'demo-lib-1.0.0.jar')
            @(Get-CaPackageVersionAsset @Maven -Name '*.pom', '*-sources.*' | ForEach-Object Name | Sort-Object) | Should -Be @('demo-lib-1.0.0-sources.jar', 'demo-lib-1.0.0.pom')
            @(Get-CaPackageVersionAsset @Maven -Name '*.war').Count | Should -Be 0
        }

        It 'takes the version from objects piped from Get-CaPackage and Get-CaPackageVersion' {
            $assets = @(Get-CaPackage -Domain 'demo' -Repository 'main' -Format nuget -Package 'Demo.Core' | Get-CaPackageVersion | Get-CaPackageVersionAsset)
            @($assets.Name) | Should -Be @('demo.core.1.2.3.nupkg')
        }

        It 'lists the assets when -Revision names the current revision' {
            $revision = (Get-CaPackageVersion @Npm).Revision
            @(Get-CaPackageVersionAsset @Npm -Revision $revision).Name | Should -Be @('demo-lib-1.2.3.tgz')
        }

        It 'refuses a -Revision that is not the current one with MismatchedRevision' {
            $old = (Get-CaPackageVersion -Domain 'demo' -Repository 'main' -Format pypi -Package 'Tiny-Demo' -Version '1.2.0rc1').Revision
            { Get-CaPackageVersionAsset @Npm -Revision 'not-the-revision' -ErrorAction Stop } |
                Should -Throw -ErrorId "MismatchedRevision,$Commands.GetCaPackageVersionAssetCommand"
            # The revision of another version is not this version's revision either.
            { Get-CaPackageVersionAsset @Npm -Revision $old -ErrorAction Stop } |
                Should -Throw -ErrorId "MismatchedRevision,$Commands.GetCaPackageVersionAssetCommand"
        }

        It 'refuses a version that does not exist with PackageVersionNotFound and a package that does not exist with PackageNotFound' {
            { Get-CaPackageVersionAsset -Domain 'demo' -Repository 'main' -Format npm -Package 'demo-lib' -Version '9.9.9' -ErrorAction Stop } |
                Should -Throw -ErrorId "PackageVersionNotFound,$Commands.GetCaPackageVersionAssetCommand"
            { Get-CaPackageVersionAsset -Domain 'demo' -Repository 'main' -Format npm -Package 'nosuch' -Version '1.0.0' -ErrorAction Stop } |
                Should -Throw -ErrorId "PackageNotFound,$Commands.GetCaPackageVersionAssetCommand"
        }
    }

    Context 'Save-CaPackageVersionAsset' {
        It 'saves an asset into a folder under its own name, byte for byte as published, and returns the file' {
            $folder = New-WorkFolder
            $saved = Save-CaPackageVersionAsset @Npm -Asset 'demo-lib-1.2.3.tgz' -Path $folder

            $saved | Should -BeOfType ([IO.FileInfo])
            $saved.FullName | Should -BeExactly (Join-Path $folder 'demo-lib-1.2.3.tgz')
            Test-SameBytes $saved.FullName (Get-PackageFixture 'npm/demo-lib-1.2.3.tgz') | Should -BeTrue
            @(Get-ChildItem -LiteralPath $folder -Force).Name | Should -Be @('demo-lib-1.2.3.tgz')
        }

        It 'saves an asset to the file path given' {
            $target = Join-Path (New-WorkFolder) 'copy.nupkg'
            $saved = Save-CaPackageVersionAsset -Domain 'demo' -Repository 'main' -Format nuget -Package 'Demo.Core' -Version '1.2.3' -Asset 'demo.core.1.2.3.nupkg' -Path $target

            $saved.FullName | Should -BeExactly $target
            Test-SameBytes $target (Get-PackageFixture 'nuget/Demo.Core.1.2.3.nupkg') | Should -BeTrue
        }

        It 'saves into the current location when -Path is omitted' {
            $folder = New-WorkFolder
            Push-Location -LiteralPath $folder
            try {
                $saved = Save-CaPackageVersionAsset -Domain 'demo' -Repository 'main' -Format pypi -Package 'Tiny-Demo' -Version '1.2.0rc1' -Asset 'Tiny-Demo-1.2.0rc1.tar.gz'
            }
            finally { Pop-Location }
            $saved.FullName | Should -BeExactly (Join-Path $folder 'Tiny-Demo-1.2.0rc1.tar.gz')
            Test-SameBytes $saved.FullName (Get-PackageFixture 'pypi/Tiny-Demo-1.2.0rc1.tar.gz') | Should -BeTrue
        }

        It 'refuses to overwrite an existing file with FileExists and leaves it alone' {
            $target = Join-Path (New-WorkFolder) 'demo-lib-1.2.3.tgz'
            Set-Content -Path $target -Value 'mine'

            { Save-CaPackageVersionAsset @Npm -Asset 'demo-lib-1.2.3.tgz' -Path $target -ErrorAction Stop } |
                Should -Throw -ErrorId "FileExists,$Commands.SaveCaPackageVersionAssetCommand"
            { Save-CaPackageVersionAsset @Npm -Asset 'demo-lib-1.2.3.tgz' -Path (Split-Path $target) -ErrorAction Stop } |
                Should -Throw -ErrorId "FileExists,$Commands.SaveCaPackageVersionAssetCommand"
            (Get-Content -LiteralPath $target -Raw).Trim() | Should -BeExactly 'mine'
            @(Get-ChildItem -LiteralPath (Split-Path $target) -Force).Count | Should -Be 1
        }

        It 'overwrites an existing file with -Force' {
            $target = Join-Path (New-WorkFolder) 'demo-lib-1.2.3.tgz'
            Set-Content -Path $target -Value 'mine'

            Save-CaPackageVersionAsset @Npm -Asset 'demo-lib-1.2.3.tgz' -Path $target -Force | Out-Null
            Test-SameBytes $target (Get-PackageFixture 'npm/demo-lib-1.2.3.tgz') | Should -BeTrue
            @(Get-ChildItem -LiteralPath (Split-Path $target) -Force).Count | Should -Be 1
        }

        It 'saves every asset piped from Get-CaPackageVersionAsset' {
            $folder = New-WorkFolder
            $saved = @(Get-CaPackageVersionAsset @Maven | Save-CaPackageVersionAsset -Path $folder)

            $saved.Count | Should -Be 3
            foreach ($name in 'demo-lib-1.0.0.pom', 'demo-lib-1.0.0.jar', 'demo-lib-1.0.0-sources.jar') {
                Test-SameBytes (Join-Path $folder $name) (Get-PackageFixture "maven/$name") | Should -BeTrue
            }
        }

        It 'saves nothing with -WhatIf' {
            $folder = New-WorkFolder
            Save-CaPackageVersionAsset @Npm -Asset 'demo-lib-1.2.3.tgz' -Path $folder -WhatIf | Should -BeNullOrEmpty
            @(Get-ChildItem -LiteralPath $folder -Force).Count | Should -Be 0
        }

        It 'refuses an asset the version does not have with AssetNotFound and writes no file' {
            $folder = New-WorkFolder
            { Save-CaPackageVersionAsset @Npm -Asset 'other.tgz' -Path $folder -ErrorAction Stop } |
                Should -Throw -ErrorId "AssetNotFound,$Commands.SaveCaPackageVersionAssetCommand"
            @(Get-ChildItem -LiteralPath $folder -Force).Count | Should -Be 0
        }

        It 'refuses a -Revision that is not the current one with MismatchedRevision and writes no file' {
            $folder = New-WorkFolder
            { Save-CaPackageVersionAsset @Npm -Asset 'demo-lib-1.2.3.tgz' -Path $folder -Revision 'stale' -ErrorAction Stop } |
                Should -Throw -ErrorId "MismatchedRevision,$Commands.SaveCaPackageVersionAssetCommand"
            @(Get-ChildItem -LiteralPath $folder -Force).Count | Should -Be 0
        }

        It 'refuses an asset piped from before the version changed with MismatchedRevision (revision pinning)' {
            $generic = @{ Domain = 'demo'; Repository = 'main'; Format = 'generic'; Namespace = 'team'; Package = 'tool'; Version = '1.0' }
            $work = New-WorkFolder
            Set-Content -Path (Join-Path $work 'a.txt') -Value 'a'
            Set-Content -Path (Join-Path $work 'b.txt') -Value 'b'
            Publish-CaPackage 'demo' 'main' (Join-Path $work 'a.txt') -Format generic -Namespace 'team' -Package 'tool' -Version '1.0' -Unfinished | Out-Null
            $stale = Get-CaPackageVersionAsset @generic
            Publish-CaPackage 'demo' 'main' (Join-Path $work 'b.txt') -Format generic -Namespace 'team' -Package 'tool' -Version '1.0' | Out-Null
            $folder = New-WorkFolder

            { $stale | Save-CaPackageVersionAsset -Path $folder -ErrorAction Stop } |
                Should -Throw -ErrorId "MismatchedRevision,$Commands.SaveCaPackageVersionAssetCommand"
            @(Get-ChildItem -LiteralPath $folder -Force).Count | Should -Be 0
            Get-CaPackageVersionAsset @generic -Name 'a.txt' | Save-CaPackageVersionAsset -Path $folder | Out-Null
            Test-SameBytes (Join-Path $folder 'a.txt') (Join-Path $work 'a.txt') | Should -BeTrue
        }
    }

    Context 'Get-CaPackageVersionReadme' {
        It 'returns the README.md of the npm tarball' {
            $readme = Get-CaPackageVersionReadme @Npm
            $readme | Should -BeOfType ([PSCodeArtifact.Core.PackageVersionReadme])
            $readme.Package | Should -BeExactly 'demo-lib'
            $readme.Version | Should -BeExactly '1.2.3'
            $readme.Revision | Should -BeExactly (Get-CaPackageVersion @Npm).Revision
            $expected = Get-Content -LiteralPath (Join-Path (Split-Path (Get-PackageFixture 'npm/demo-lib-1.2.3.tgz')) 'src/demo-lib/README.md') -Raw
            Get-NormalizedText $readme.Readme | Should -BeExactly (Get-NormalizedText $expected)
        }

        It 'returns the lower-case readme.markdown of the scoped npm tarball' {
            $readme = Get-CaPackageVersionReadme -Domain 'demo' -Repository 'main' -Format npm -Namespace '@demo-scope' -Package 'widget' -Version '1.0.0-beta.1'
            $expected = Get-Content -LiteralPath (Join-Path (Split-Path (Get-PackageFixture 'npm/demo-lib-1.2.3.tgz')) 'src/widget/readme.markdown') -Raw
            Get-NormalizedText $readme.Readme | Should -BeExactly (Get-NormalizedText $expected)
        }

        It 'returns the readme file the nuspec names' {
            $readme = Get-CaPackageVersionReadme -Domain 'demo' -Repository 'main' -Format nuget -Package 'Demo.Core' -Version '1.2.3'
            $expected = Get-Content -LiteralPath (Join-Path (Split-Path (Get-PackageFixture 'nuget/Demo.Core.1.2.3.nupkg')) 'src/Demo.Core/README.md') -Raw
            Get-NormalizedText $readme.Readme | Should -BeExactly (Get-NormalizedText $expected)
        }

        It 'returns the long description of the PyPI distribution' {
            $readme = Get-CaPackageVersionReadme -Domain 'demo' -Repository 'main' -Format pypi -Package 'tiny_demo' -Version '1.2.0rc1'
            $expected = Get-Content -LiteralPath (Join-Path (Split-Path (Get-PackageFixture 'pypi/Tiny-Demo-1.2.0rc1.tar.gz')) 'tiny-demo/README.md') -Raw
            Get-NormalizedText $readme.Readme | Should -BeExactly (Get-NormalizedText $expected)
        }

        It 'returns no readme text for a NuGet package without one' {
            $readme = Get-CaPackageVersionReadme -Domain 'demo' -Repository 'main' -Format nuget -Package 'Demo.Extras' -Version '2.0.0-beta.1'
            $readme.Version | Should -BeExactly '2.0.0-beta.1+build.5'
            $readme.Readme | Should -BeNullOrEmpty
        }
    }

    Context 'Get-CaPackageVersionDependency' {
        It 'lists the npm dependencies of every kind, with the scoped one split into Namespace and Package' {
            $dependencies = @(Get-CaPackageVersionDependency @Npm)
            $dependencies | Should -BeOfType ([PSCodeArtifact.Core.PackageVersionDependency])
            $lines = @($dependencies | ForEach-Object { '{0}|{1}|{2}|{3}' -f $_.Namespace, $_.Package, $_.DependencyType, $_.VersionRequirement } | Sort-Object)
            $lines | Should -Be (@(
                    '|left-pad|regular|^1.3.0'
                    'demo-scope|widget|regular|1.0.0-beta.1'
                    '|mocha|dev|~10.2.0'
                    '|react|peer|>=17 <19'
                    '|fsevents|optional|2.x'
                ) | Sort-Object)
            $dependencies | ForEach-Object {
                $_.Format | Should -BeExactly 'npm'
                $_.DependentPackage | Should -BeExactly 'demo-lib'
                $_.DependentVersion | Should -BeExactly '1.2.3'
            }
        }

        It 'lists the Maven dependencies with their scopes and the parent POM' {
            $lines = @(Get-CaPackageVersionDependency -Domain 'demo' -Repository 'main' -Format maven -Namespace $MavenGroup -Package 'demo-app' -Version '3.0' |
                ForEach-Object { '{0}|{1}|{2}|{3}' -f $_.Namespace, $_.Package, $_.DependencyType, $_.VersionRequirement })
            $lines | Should -Contain 'org.pscodeartifact.parents|company-parent|parent|7'
            $lines | Should -Contain 'org.slf4j|slf4j-api|compile|2.0.9'
            $lines | Should -Contain 'org.pscodeartifact.fixtures|demo-lib|runtime|3.0'
            $lines | Should -Contain 'junit|junit|test|[4.13,5.0)'
            $lines | Should -Contain 'jakarta.servlet|jakarta.servlet-api|provided|'
            $lines | Should -Contain 'com.example|optional-extra|optional|1.2'
        }

        It 'lists the parent of a POM that inherits its groupId and version, and its test dependency of demo-lib' {
            @(Get-CaPackageVersionDependency -Domain 'demo' -Repository 'main' -Format maven -Namespace $MavenGroup -Package 'demo-child' -Version '2.1.0' |
                ForEach-Object { '{0}|{1}|{2}|{3}' -f $_.Namespace, $_.Package, $_.DependencyType, $_.VersionRequirement }) |
                Should -Be @('org.pscodeartifact.fixtures|demo-parent|parent|2.1.0')
            @(Get-CaPackageVersionDependency @Maven | ForEach-Object { '{0}|{1}|{2}|{3}' -f $_.Namespace, $_.Package, $_.DependencyType, $_.VersionRequirement }) |
                Should -Be @('junit|junit|test|4.13.2')
        }

        It 'lists the Requires-Dist of the wheel with its marker' {
            $lines = @(Get-CaPackageVersionDependency -Domain 'demo' -Repository 'main' -Format pypi -Package 'Tiny-Demo' -Version '1.2.0rc1' |
                ForEach-Object { '{0}|{1}|{2}' -f $_.Package, $_.DependencyType, $_.VersionRequirement } | Sort-Object)
            $lines | Should -Be @('requests|Requires-Dist|>=2.0', 'tomli|Requires-Dist|>=1.1; python_version < "3.11"')
        }

        It 'lists the NuGet dependencies with their target framework group as DependencyType' {
            $dependencies = @(Get-CaPackageVersionDependency -Domain 'demo' -Repository 'main' -Format nuget -Package 'Demo.Extras' -Version '2.0.0-beta.1')
            $dependencies.Count | Should -Be 1
            $dependencies[0].Namespace | Should -BeNullOrEmpty
            $dependencies[0].Package | Should -BeExactly 'Demo.Core'
            $dependencies[0].DependencyType | Should -BeExactly 'net10.0'
            $dependencies[0].VersionRequirement | Should -BeExactly '1.2.3'
            @(Get-CaPackageVersionDependency -Domain 'demo' -Repository 'main' -Format nuget -Package 'Demo.Core' -Version '1.2.3').Count | Should -Be 0
        }

        It 'refuses a version that does not exist with PackageVersionNotFound' {
            { Get-CaPackageVersionDependency -Domain 'demo' -Repository 'main' -Format npm -Package 'demo-lib' -Version '0.0.1' -ErrorAction Stop } |
                Should -Throw -ErrorId "PackageVersionNotFound,$Commands.GetCaPackageVersionDependencyCommand"
        }
    }

    Context 'Get-CaPackageVersion' {
        It 'describes the <Format> version <Version> of <Package> with its summary, home page, licenses and source repository' -ForEach @(
            @{ Format = 'npm'; Namespace = $null; Package = 'demo-lib'; Version = '1.2.3'; Summary = 'A tiny demo library for the npm format tests.'
                HomePage = 'https://example.com/demo-lib'; Source = 'git+https://example.com/demo/demo-lib.git'; Licenses = @('MIT|') }
            @{ Format = 'pypi'; Namespace = $null; Package = 'Tiny-Demo'; Version = '1.2.0rc1'; Summary = 'A tiny project whose wheel and sdist are PSCodeArtifact test fixtures.'
                HomePage = 'https://example.com/tiny-demo'; Source = 'https://github.com/example/tiny-demo'; Licenses = @('MIT|') }
            @{ Format = 'nuget'; Namespace = $null; Package = 'Demo.Core'; Version = '1.2.3'; Summary = 'A tiny library used as a NuGet test fixture.'
                HomePage = 'https://example.com/demo'; Source = 'https://github.com/example/demo'; Licenses = @('MIT|https://licenses.nuget.org/MIT') }
            @{ Format = 'maven'; Namespace = 'org.pscodeartifact.fixtures'; Package = 'demo-lib'; Version = '1.0.0'; Summary = 'Demo Library'
                HomePage = 'https://example.org/demo-lib'; Source = 'https://example.org/demo-lib/tree/main'; Licenses = @('Apache-2.0|https://www.apache.org/licenses/LICENSE-2.0.txt') }
        ) {
            $described = Get-CaPackageVersion -Domain 'demo' -Repository 'main' -Format $Format -Namespace $Namespace -Package $Package -Version $Version

            $described | Should -BeOfType ([PSCodeArtifact.Core.PackageVersionInfo])
            $described.Status | Should -BeExactly 'Published'
            $described.Summary | Should -BeExactly $Summary
            $described.HomePage | Should -BeExactly $HomePage
            $described.SourceCodeRepository | Should -BeExactly $Source
            @($described.Licenses | ForEach-Object { '{0}|{1}' -f $_.Name, $_.Url }) | Should -Be $Licenses
        }

        It 'lists every version of a package without wildcards or -Version, and filters by -Status' {
            $versions = @(Get-CaPackageVersion -Domain 'demo' -Repository 'main' -Format maven -Namespace $MavenGroup -Package 'demo-lib')
            @($versions.Version) | Should -Be @('1.0.0')
            @(Get-CaPackageVersion -Domain 'demo' -Repository 'main' -Format maven -Namespace $MavenGroup -Package 'demo-lib' -Status Published).Count | Should -Be 1
            @(Get-CaPackageVersion -Domain 'demo' -Repository 'main' -Format maven -Namespace $MavenGroup -Package 'demo-lib' -Status Archived).Count | Should -Be 0
            @(Get-CaPackageVersion -Domain 'demo' -Repository 'main' -Format maven -Namespace $MavenGroup -Package 'demo-lib' -Version '1.*').Version | Should -Be @('1.0.0')
        }

        It 'refuses a version that does not exist with PackageVersionNotFound' {
            { Get-CaPackageVersion -Domain 'demo' -Repository 'main' -Format npm -Package 'demo-lib' -Version '1.2.4' -ErrorAction Stop } |
                Should -Throw -ErrorId "PackageVersionNotFound,$Commands.GetCaPackageVersionCommand"
        }

        It 'describes the exact versions given among patterns, and refuses the missing ones with PackageVersionNotFound' {
            $versions = @(Get-CaPackageVersion -Domain 'demo' -Repository 'main' -Format pypi -Package 'tiny_demo' -Version '9.*', '1.2.0RC1', '3.0' -ErrorAction SilentlyContinue -ErrorVariable failures)

            @($versions.Version) | Should -Be @('1.2.0rc1')
            $versions[0].Summary | Should -BeExactly 'A tiny project whose wheel and sdist are PSCodeArtifact test fixtures.'
            $failures.Count | Should -Be 1
            $failures[0].FullyQualifiedErrorId | Should -BeExactly "PackageVersionNotFound,$Commands.GetCaPackageVersionCommand"
            $failures[0].TargetObject | Should -BeExactly '3.0'
        }

        It 'filters by the patterns given among exact versions, in the order the versions were published, and applies -Status to both' {
            $file = Join-Path (New-WorkFolder) 'tool.txt'
            foreach ($version in '1.0', '1.1', '2.0', '2.1') {
                Set-Content -Path $file -Value "tool $version"
                Publish-CaPackage 'demo' 'main' $file -Format generic -Namespace 'team' -Package 'tool' -Version $version | Out-Null
            }
            $tool = @{ Domain = 'demo'; Repository = 'main'; Format = 'generic'; Namespace = 'team'; Package = 'tool' }
            Set-CaPackageVersionStatus @tool -Version '1.1' -Status Unlisted | Out-Null

            @((Get-CaPackageVersion @tool -Version '2.1', '1.*', '2.1').Version) | Should -Be @('1.0', '1.1', '2.1')
            # Of another status, an exact version is left out without an error, as it is when given on its own.
            @((Get-CaPackageVersion @tool -Version '1.1', '2.*' -Status Published -ErrorAction Stop).Version) | Should -Be @('2.0', '2.1')
            @((Get-CaPackageVersion @tool -Version '1.1', '2.*' -Status Unlisted -ErrorAction Stop).Version) | Should -Be @('1.1')
            { Get-CaPackageVersion @tool -Version '1.*', '1.2' -ErrorAction Stop } | Should -Throw -ErrorId "PackageVersionNotFound,$Commands.GetCaPackageVersionCommand"
        }
    }
}
