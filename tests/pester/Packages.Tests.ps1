#Requires -Version 7.6
# Publishing: Publish-CaPackage for every format, the publish rules (idempotence, conflicts, revisions, statuses that
# refuse a publish, deduplication, freeing blobs, origin controls) and the name and version rules of each format.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'PackageTestHelpers.psm1') -Force
    Import-TestModule

    $script:PublishCommand = 'PSCodeArtifact.PowerShell.Commands.PublishCaPackageCommand'
    $script:MavenGroup = 'org.pscodeartifact.fixtures'

    # A folder of its own under TestDrive for the files one test makes.
    function New-WorkFolder {
        $folder = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $folder | Out-Null
        $folder
    }

    # The names of a version's assets, sorted.
    function Get-AssetName([hashtable] $Coordinates) {
        @(Get-CaPackageVersionAsset @Coordinates | ForEach-Object Name | Sort-Object)
    }
}

Describe 'Publishing packages' {
    BeforeEach {
        $script:Store = New-TestStore
        New-CaDomain -Name 'demo' | Out-Null
        New-CaRepository -Domain 'demo' -Name 'main' | Out-Null
    }

    AfterEach {
        Remove-TestStore
    }

    Context 'Publish-CaPackage' {
        It 'detects <Format> from <File> and publishes <Package> <Version> as the asset <Asset>' -ForEach @(
            @{ File = 'npm/demo-lib-1.2.3.tgz'; Format = 'npm'; Namespace = $null; Package = 'demo-lib'; Version = '1.2.3'; Asset = 'demo-lib-1.2.3.tgz' }
            @{ File = 'npm/demo-scope-widget-1.0.0-beta.1.tgz'; Format = 'npm'; Namespace = 'demo-scope'; Package = 'widget'; Version = '1.0.0-beta.1'; Asset = 'widget-1.0.0-beta.1.tgz' }
            @{ File = 'pypi/Tiny_Demo-1.2.0rc1-py3-none-any.whl'; Format = 'pypi'; Namespace = $null; Package = 'Tiny-Demo'; Version = '1.2.0rc1'; Asset = 'Tiny_Demo-1.2.0rc1-py3-none-any.whl' }
            @{ File = 'pypi/Tiny-Demo-1.2.0rc1.tar.gz'; Format = 'pypi'; Namespace = $null; Package = 'Tiny-Demo'; Version = '1.2.0rc1'; Asset = 'Tiny-Demo-1.2.0rc1.tar.gz' }
            @{ File = 'pypi/Tiny-Demo-1.2.0rc1.zip'; Format = 'pypi'; Namespace = $null; Package = 'Tiny-Demo'; Version = '1.2.0rc1'; Asset = 'Tiny-Demo-1.2.0rc1.zip' }
            @{ File = 'maven/demo-lib-1.0.0.pom'; Format = 'maven'; Namespace = 'org.pscodeartifact.fixtures'; Package = 'demo-lib'; Version = '1.0.0'; Asset = 'demo-lib-1.0.0.pom' }
            @{ File = 'nuget/Demo.Core.1.2.3.nupkg'; Format = 'nuget'; Namespace = $null; Package = 'Demo.Core'; Version = '1.2.3'; Asset = 'demo.core.1.2.3.nupkg' }
            @{ File = 'nuget/Demo.Extras.2.0.0-beta.1.nupkg'; Format = 'nuget'; Namespace = $null; Package = 'Demo.Extras'; Version = '2.0.0-beta.1+build.5'; Asset = 'demo.extras.2.0.0-beta.1.nupkg' }
        ) {
            $before = [DateTimeOffset]::UtcNow.AddSeconds(-2)
            $published = @(Publish-CaPackage 'demo' 'main' (Get-PackageFixture $File))

            $published.Count | Should -Be 1
            $published[0] | Should -BeOfType ([PSCodeArtifact.Core.PackageVersionInfo])
            $published[0].Domain | Should -BeExactly 'demo'
            $published[0].Repository | Should -BeExactly 'main'
            $published[0].Format | Should -BeExactly $Format
            if ($Namespace) { $published[0].Namespace | Should -BeExactly $Namespace } else { $published[0].Namespace | Should -BeNullOrEmpty }
            $published[0].Package | Should -BeExactly $Package
            $published[0].Version | Should -BeExactly $Version
            $published[0].Status | Should -BeExactly 'Published'
            $published[0].Revision | Should -Not -BeNullOrEmpty
            $published[0].Origin.OriginType | Should -BeExactly 'INTERNAL'
            $published[0].Origin.DomainEntryPointRepository | Should -BeExactly 'main'
            $published[0].PublishedTime | Should -BeGreaterOrEqual $before
            $published[0].PublishedTime | Should -BeLessOrEqual ([DateTimeOffset]::UtcNow.AddSeconds(2))

            $packages = @(Get-CaPackage -Domain 'demo' -Repository 'main')
            $packages.Count | Should -Be 1
            $packages[0].Format | Should -BeExactly $Format
            $packages[0].Package | Should -BeExactly $Package
            Get-AssetName @{ Domain = 'demo'; Repository = 'main'; Format = $Format; Namespace = $Namespace; Package = $Package; Version = $Version } |
                Should -Be @($Asset)
        }

        It 'publishes a Maven POM, its jar and its classifier jar given in one call (jars first) as one version with three assets' {
            $files = 'maven/demo-lib-1.0.0-sources.jar', 'maven/demo-lib-1.0.0.jar', 'maven/demo-lib-1.0.0.pom' | ForEach-Object { Get-PackageFixture $_ }
            $published = @(Publish-CaPackage 'demo' 'main' $files)

            $published.Count | Should -Be 3
            $published | ForEach-Object {
                $_.Format | Should -BeExactly 'maven'
                $_.Namespace | Should -BeExactly $MavenGroup
                $_.Package | Should -BeExactly 'demo-lib'
                $_.Version | Should -BeExactly '1.0.0'
                $_.Status | Should -BeExactly 'Published'
            }
            # Each added asset makes a new revision.
            @($published.Revision | Select-Object -Unique).Count | Should -Be 3
            $coordinates = @{ Domain = 'demo'; Repository = 'main'; Format = 'maven'; Namespace = $MavenGroup; Package = 'demo-lib'; Version = '1.0.0' }
            Get-AssetName $coordinates | Should -Be @('demo-lib-1.0.0-sources.jar', 'demo-lib-1.0.0.jar', 'demo-lib-1.0.0.pom')
            (Get-CaPackageVersion @coordinates).Revision | Should -BeExactly $published[-1].Revision
            @(Get-CaPackage -Domain 'demo' -Repository 'main').Count | Should -Be 1
        }

        It 'publishes a file under the format -Format names instead of the one its name suggests (<Case>)' -ForEach @(
            @{ Case = 'an npm tarball named .bin'; File = 'npm/demo-lib-1.2.3.tgz'; Name = 'demo-lib.bin'; Format = 'npm'; Package = 'demo-lib'; Asset = 'demo-lib-1.2.3.tgz' }
            @{ Case = 'a nupkg named .zip'; File = 'nuget/Demo.Core.1.2.3.nupkg'; Name = 'Demo.Core.zip'; Format = 'nuget'; Package = 'Demo.Core'; Asset = 'demo.core.1.2.3.nupkg' }
        ) {
            $renamed = Join-Path (New-WorkFolder) $Name
            Copy-Item (Get-PackageFixture $File) $renamed

            $published = Publish-CaPackage 'demo' 'main' $renamed -Format $Format
            $published.Format | Should -BeExactly $Format
            $published.Package | Should -BeExactly $Package
            Get-AssetName @{ Domain = 'demo'; Repository = 'main'; Format = $Format; Package = $Package; Version = $published.Version } | Should -Be @($Asset)
        }

        It 'publishes an npm tarball as a generic asset, unparsed, when -Format generic overrides the detection' {
            $published = Publish-CaPackage 'demo' 'main' (Get-PackageFixture 'npm/demo-lib-1.2.3.tgz') -Format generic -Namespace 'tools' -Package 'bundle' -Version '7'

            $published.Format | Should -BeExactly 'generic'
            $published.Namespace | Should -BeExactly 'tools'
            $published.Package | Should -BeExactly 'bundle'
            $published.Version | Should -BeExactly '7'
            $published.Status | Should -BeExactly 'Published'
            @(Get-CaPackage -Domain 'demo' -Repository 'main' -Format npm).Count | Should -Be 0
            Get-AssetName @{ Domain = 'demo'; Repository = 'main'; Format = 'generic'; Namespace = 'tools'; Package = 'bundle'; Version = '7' } |
                Should -Be @('demo-lib-1.2.3.tgz')
        }

        It 'keeps a generic version Unfinished with -Unfinished and publishes it with the last asset given without it' {
            $folder = New-WorkFolder
            $generic = @{ Format = 'generic'; Namespace = 'team'; Package = 'tool'; Version = '1.0' }
            foreach ($name in 'a.txt', 'b.txt', 'c.txt') { Set-Content -Path (Join-Path $folder $name) -Value "content of $name" }

            $first = Publish-CaPackage 'demo' 'main' (Join-Path $folder 'a.txt') @generic -Unfinished
            $first.Status | Should -BeExactly 'Unfinished'
            $second = Publish-CaPackage 'demo' 'main' (Join-Path $folder 'b.txt') @generic -Unfinished
            $second.Status | Should -BeExactly 'Unfinished'
            $second.Revision | Should -Not -BeExactly $first.Revision
            (Get-CaPackageVersion -Domain 'demo' -Repository 'main' @generic).Status | Should -BeExactly 'Unfinished'

            $last = Publish-CaPackage 'demo' 'main' (Join-Path $folder 'c.txt') @generic
            $last.Status | Should -BeExactly 'Published'
            (Get-CaPackageVersion -Domain 'demo' -Repository 'main' @generic).Status | Should -BeExactly 'Published'
            Get-AssetName (@{ Domain = 'demo'; Repository = 'main' } + $generic) | Should -Be @('a.txt', 'b.txt', 'c.txt')
        }

        It 'refuses to add an asset to a Published generic version with VersionAlreadyExists, with or without -Unfinished (<Case>)' -ForEach @(
            @{ Case = 'without -Unfinished'; Unfinished = $false }
            @{ Case = 'with -Unfinished'; Unfinished = $true }
        ) {
            $folder = New-WorkFolder
            $generic = @{ Format = 'generic'; Namespace = 'team'; Package = 'tool'; Version = '1.0' }
            Set-Content -Path (Join-Path $folder 'a.txt') -Value 'first'
            Set-Content -Path (Join-Path $folder 'late.txt') -Value 'too late'
            Publish-CaPackage 'demo' 'main' (Join-Path $folder 'a.txt') @generic | Out-Null
            $before = Get-PackageStoreSnapshot -StorePath $Store -Domain 'demo'

            { Publish-CaPackage 'demo' 'main' (Join-Path $folder 'late.txt') @generic -Unfinished:$Unfinished -ErrorAction Stop } |
                Should -Throw -ErrorId "VersionAlreadyExists,$PublishCommand"
            $after = Get-PackageStoreSnapshot -StorePath $Store -Domain 'demo'
            $after.Versions | Should -Be $before.Versions
            $after.BlobFiles | Should -Be $before.BlobFiles
            $after.TmpFiles | Should -BeNullOrEmpty
            Get-AssetName (@{ Domain = 'demo'; Repository = 'main' } + $generic) | Should -Be @('a.txt')
        }

        It 'publishes every file a wildcard -Path matches' {
            $published = @(Publish-CaPackage 'demo' 'main' (Join-Path (Split-Path (Get-PackageFixture 'npm/demo-lib-1.2.3.tgz')) '*.tgz'))

            $published.Count | Should -Be 3
            @($published.DisplayName | Sort-Object) | Should -Be @('@demo-scope/widget', 'demo-lib', 'Legacy-Pkg')
            @(Get-CaPackage -Domain 'demo' -Repository 'main' -Format npm).Count | Should -Be 3
        }

        It 'publishes path strings piped to it' {
            $published = @('nuget/Demo.Core.1.2.3.nupkg', 'nuget/Demo.Extras.2.0.0-beta.1.nupkg' | ForEach-Object { Get-PackageFixture $_ } |
                Publish-CaPackage 'demo' 'main')

            @($published.Package) | Should -Be @('Demo.Core', 'Demo.Extras')
        }

        It 'publishes files piped from Get-ChildItem by their path taken literally (a folder named with [brackets])' {
            $folder = Join-Path (New-WorkFolder) 'feed[1]'
            New-Item -ItemType Directory -Path $folder | Out-Null
            Copy-Item -LiteralPath (Get-PackageFixture 'nuget/Demo.Core.1.2.3.nupkg') -Destination $folder
            Copy-Item -LiteralPath (Get-PackageFixture 'nuget/Demo.Extras.2.0.0-beta.1.nupkg') -Destination $folder
            @(Get-ChildItem -LiteralPath $folder).Count | Should -Be 2

            $published = @(Get-ChildItem -LiteralPath $folder -Filter '*.nupkg' | Publish-CaPackage 'demo' 'main')

            $published.Count | Should -Be 2
            @($published.Package | Sort-Object) | Should -Be @('Demo.Core', 'Demo.Extras')
            @(Get-CaPackage -Domain 'demo' -Repository 'main' -Format nuget).Count | Should -Be 2
        }

        It 'publishes the FullName of objects piped to it (as Import-Csv or Select-Object make them)' {
            $published = @([pscustomobject]@{ FullName = (Get-PackageFixture 'maven/demo-lib-1.0.0.pom') } | Publish-CaPackage 'demo' 'main')

            $published.Count | Should -Be 1
            $published[0].Package | Should -BeExactly 'demo-lib'
        }

        It 'publishes nothing with -WhatIf' {
            Publish-CaPackage 'demo' 'main' (Get-PackageFixture 'npm/demo-lib-1.2.3.tgz') -WhatIf | Should -BeNullOrEmpty
            @(Get-CaPackage -Domain 'demo' -Repository 'main').Count | Should -Be 0
            Get-StoreFile -StorePath $Store -Folder 'blobs' | Should -BeNullOrEmpty
        }

        It 'refuses a file that does not exist with PathNotFound and stores nothing' {
            { Publish-CaPackage 'demo' 'main' (Join-Path (New-WorkFolder) 'missing-1.0.0.tgz') -ErrorAction Stop } |
                Should -Throw -ErrorId "PathNotFound,$PublishCommand"
            @(Get-CaPackage -Domain 'demo' -Repository 'main').Count | Should -Be 0
        }

        It 'still publishes the other files when one of them does not exist (a non-terminating PathNotFound)' {
            $missing = Join-Path (New-WorkFolder) 'missing-1.0.0.tgz'
            $published = @(Publish-CaPackage 'demo' 'main' (Get-PackageFixture 'npm/demo-lib-1.2.3.tgz'), $missing -ErrorAction SilentlyContinue -ErrorVariable failures)

            $published.Count | Should -Be 1
            $published[0].Package | Should -BeExactly 'demo-lib'
            @($failures).Count | Should -Be 1
            $failures[0].FullyQualifiedErrorId | Should -BeExactly "PathNotFound,$PublishCommand"
        }

        It 'refuses a file whose format its name does not tell with UnknownFormat and stores nothing (<Name>)' -ForEach @(
            @{ Name = 'notes.txt' }
            @{ Name = 'archive.tar.bz2' }
            @{ Name = 'no-extension' }
        ) {
            $file = Join-Path (New-WorkFolder) $Name
            Set-Content -Path $file -Value 'not a package'
            { Publish-CaPackage 'demo' 'main' $file -ErrorAction Stop } | Should -Throw -ErrorId "UnknownFormat,$PublishCommand"
            @(Get-CaPackage -Domain 'demo' -Repository 'main').Count | Should -Be 0
            Get-StoreFile -StorePath $Store -Folder 'blobs' | Should -BeNullOrEmpty
            Get-StoreFile -StorePath $Store -Folder 'tmp' | Should -BeNullOrEmpty
        }

        It 'refuses a repository that does not exist with RepositoryNotFound' {
            { Publish-CaPackage 'demo' 'nosuch' (Get-PackageFixture 'npm/demo-lib-1.2.3.tgz') -ErrorAction Stop } |
                Should -Throw -ErrorId "RepositoryNotFound,$PublishCommand"
            Get-StoreFile -StorePath $Store -Folder 'blobs' | Should -BeNullOrEmpty
        }
    }

    Context 'Publish rules' {
        It 'accepts the same <Case> again with the same bytes and changes nothing' -ForEach @(
            @{ Case = 'npm tarball'; File = 'npm/demo-lib-1.2.3.tgz'; Extra = @{} }
            @{ Case = 'wheel'; File = 'pypi/Tiny_Demo-1.2.0rc1-py3-none-any.whl'; Extra = @{} }
            @{ Case = 'nupkg'; File = 'nuget/Demo.Core.1.2.3.nupkg'; Extra = @{} }
            @{ Case = 'POM'; File = 'maven/demo-lib-1.0.0.pom'; Extra = @{} }
            @{ Case = 'generic asset'; File = 'maven/demo-lib-1.0.0.jar'; Extra = @{ Format = 'generic'; Namespace = 'team'; Package = 'tool'; Version = '1.0' } }
        ) {
            $fixture = Get-PackageFixture $File
            $first = Publish-CaPackage 'demo' 'main' $fixture @Extra
            $before = Get-PackageStoreSnapshot -StorePath $Store -Domain 'demo'

            $again = @(Publish-CaPackage 'demo' 'main' $fixture @Extra -ErrorAction Stop)

            $again.Count | Should -Be 1
            $again[0].Version | Should -BeExactly $first.Version
            $again[0].Status | Should -BeExactly 'Published'
            $again[0].Revision | Should -BeExactly $first.Revision
            $after = Get-PackageStoreSnapshot -StorePath $Store -Domain 'demo'
            $after.Versions | Should -Be $before.Versions
            $after.AssetSizeBytes | Should -Be $before.AssetSizeBytes
            $after.BlobFiles | Should -Be $before.BlobFiles
            $after.TmpFiles | Should -BeNullOrEmpty
            @(Get-CaPackageVersionAsset -Domain 'demo' -Repository 'main' -Format $first.Format -Namespace $first.Namespace -Package $first.Package -Version $first.Version).Count |
                Should -Be 1
        }

        It 'refuses other bytes under an existing asset name with AssetConflict and keeps the store unchanged (<Case>)' -ForEach @(
            @{ Case = 'a rebuilt wheel'; Kind = 'wheel' }
            @{ Case = 'a rebuilt Maven jar'; Kind = 'jar' }
            @{ Case = 'a generic asset of an Unfinished version'; Kind = 'generic' }
        ) {
            $folder = New-WorkFolder
            switch ($Kind) {
                'wheel' {
                    $original = Get-PackageFixture 'pypi/Tiny_Demo-1.2.0rc1-py3-none-any.whl'
                    Publish-CaPackage 'demo' 'main' $original | Out-Null
                    $other = Copy-ZipWithEntry -Source $original -Destination (Join-Path $folder (Split-Path $original -Leaf)) -Entry @{ 'tiny_demo/extra.py' = 'X = 1' }
                    $publish = @{ Path = $other.FullName }
                }
                'jar' {
                    Publish-CaPackage 'demo' 'main' (Get-PackageFixture 'maven/demo-lib-1.0.0.pom'), (Get-PackageFixture 'maven/demo-lib-1.0.0.jar') | Out-Null
                    $other = Copy-ZipWithEntry -Source (Get-PackageFixture 'maven/demo-lib-1.0.0.jar') -Destination (Join-Path $folder 'demo-lib-1.0.0.jar') -Entry @{ 'extra.txt' = 'x' }
                    $publish = @{ Path = $other.FullName; Namespace = $MavenGroup; Package = 'demo-lib'; Version = '1.0.0' }
                }
                'generic' {
                    $generic = @{ Format = 'generic'; Namespace = 'team'; Package = 'tool'; Version = '1.0'; Unfinished = $true }
                    Set-Content -Path (Join-Path $folder 'data.txt') -Value 'first bytes'
                    Publish-CaPackage 'demo' 'main' (Join-Path $folder 'data.txt') @generic | Out-Null
                    Set-Content -Path (Join-Path $folder 'data.txt') -Value 'other bytes'
                    $publish = @{ Path = (Join-Path $folder 'data.txt') } + $generic
                }
            }
            $before = Get-PackageStoreSnapshot -StorePath $Store -Domain 'demo'

            { Publish-CaPackage 'demo' 'main' @publish -ErrorAction Stop } | Should -Throw -ErrorId "AssetConflict,$PublishCommand"

            $after = Get-PackageStoreSnapshot -StorePath $Store -Domain 'demo'
            $after.Versions | Should -Be $before.Versions
            $after.AssetSizeBytes | Should -Be $before.AssetSizeBytes
            $after.BlobFiles | Should -Be $before.BlobFiles
            $after.TmpFiles | Should -BeNullOrEmpty
        }

        It 'adds a wheel to a version that has its sdist as a second asset with a new revision' {
            $sdist = Publish-CaPackage 'demo' 'main' (Get-PackageFixture 'pypi/Tiny-Demo-1.2.0rc1.tar.gz')
            $wheel = Publish-CaPackage 'demo' 'main' (Get-PackageFixture 'pypi/Tiny_Demo-1.2.0rc1-py3-none-any.whl')

            $wheel.Version | Should -BeExactly '1.2.0rc1'
            $wheel.Status | Should -BeExactly 'Published'
            $wheel.Revision | Should -Not -BeExactly $sdist.Revision
            $coordinates = @{ Domain = 'demo'; Repository = 'main'; Format = 'pypi'; Package = 'Tiny-Demo'; Version = '1.2.0rc1' }
            (Get-CaPackageVersion @coordinates).Revision | Should -BeExactly $wheel.Revision
            Get-AssetName $coordinates | Should -Be @('Tiny-Demo-1.2.0rc1.tar.gz', 'Tiny_Demo-1.2.0rc1-py3-none-any.whl' | Sort-Object)
            @(Get-CaPackageVersion -Domain 'demo' -Repository 'main' -Format pypi -Package 'Tiny-Demo').Count | Should -Be 1
        }

        It 'refuses a second, different npm tarball for an existing version with VersionAlreadyExists (an npm version has one asset)' {
            Publish-CaPackage 'demo' 'main' (Get-PackageFixture 'npm/demo-lib-1.2.3.tgz') | Out-Null
            $other = Copy-TarGzWithEntry -Source (Get-PackageFixture 'npm/demo-lib-1.2.3.tgz') -Destination (Join-Path (New-WorkFolder) 'demo-lib-1.2.3.tgz') `
                -Entry @{ 'package/extra.js' = 'module.exports = 2;' }
            $before = Get-PackageStoreSnapshot -StorePath $Store -Domain 'demo'

            { Publish-CaPackage 'demo' 'main' $other.FullName -ErrorAction Stop } | Should -Throw -ErrorId "VersionAlreadyExists,$PublishCommand"

            $after = Get-PackageStoreSnapshot -StorePath $Store -Domain 'demo'
            $after.Versions | Should -Be $before.Versions
            $after.BlobFiles | Should -Be $before.BlobFiles
        }

        It 'refuses to publish a <Status> version again with VersionNotPublishable' -ForEach @(
            @{ Status = 'Archived' }
            @{ Status = 'Disposed' }
        ) {
            $npm = @{ Domain = 'demo'; Repository = 'main'; Format = 'npm'; Package = 'demo-lib'; Version = '1.2.3' }
            Publish-CaPackage 'demo' 'main' (Get-PackageFixture 'npm/demo-lib-1.2.3.tgz') | Out-Null
            if ($Status -eq 'Archived') { Set-CaPackageVersionStatus @npm -Status Archived | Out-Null }
            else { Remove-CaPackageVersion @npm -Dispose -Confirm:$false | Out-Null }
            $before = Get-PackageStoreSnapshot -StorePath $Store -Domain 'demo'

            { Publish-CaPackage 'demo' 'main' (Get-PackageFixture 'npm/demo-lib-1.2.3.tgz') -ErrorAction Stop } |
                Should -Throw -ErrorId "VersionNotPublishable,$PublishCommand"

            (Get-CaPackageVersion @npm).Status | Should -BeExactly $Status
            $after = Get-PackageStoreSnapshot -StorePath $Store -Domain 'demo'
            $after.Versions | Should -Be $before.Versions
            $after.BlobFiles | Should -Be $before.BlobFiles
            $after.TmpFiles | Should -BeNullOrEmpty
        }

        It 'publishes a deleted version again' {
            $npm = @{ Domain = 'demo'; Repository = 'main'; Format = 'npm'; Package = 'demo-lib'; Version = '1.2.3' }
            $first = Publish-CaPackage 'demo' 'main' (Get-PackageFixture 'npm/demo-lib-1.2.3.tgz')
            Remove-CaPackageVersion @npm -Confirm:$false | Out-Null

            $again = Publish-CaPackage 'demo' 'main' (Get-PackageFixture 'npm/demo-lib-1.2.3.tgz') -ErrorAction Stop
            $again.Status | Should -BeExactly 'Published'
            $again.Revision | Should -BeExactly $first.Revision
            (Get-CaPackageVersion @npm).Status | Should -BeExactly 'Published'
            Get-AssetName $npm | Should -Be @('demo-lib-1.2.3.tgz')
        }

        It 'stores the same file published to two repositories once (AssetSizeBytes and blob files do not grow)' {
            New-CaRepository -Domain 'demo' -Name 'other' | Out-Null
            Publish-CaPackage 'demo' 'main' (Get-PackageFixture 'nuget/Demo.Core.1.2.3.nupkg') | Out-Null
            $once = Get-PackageStoreSnapshot -StorePath $Store -Domain 'demo'
            $once.AssetSizeBytes | Should -BeGreaterOrEqual (Get-Item (Get-PackageFixture 'nuget/Demo.Core.1.2.3.nupkg')).Length

            Publish-CaPackage 'demo' 'other' (Get-PackageFixture 'nuget/Demo.Core.1.2.3.nupkg') | Out-Null

            $twice = Get-PackageStoreSnapshot -StorePath $Store -Domain 'demo'
            $twice.AssetSizeBytes | Should -Be $once.AssetSizeBytes
            $twice.BlobFiles | Should -Be $once.BlobFiles
            @(Get-CaPackage -Domain 'demo' -Repository 'other').Count | Should -Be 1
        }

        It 'frees the blobs of a file when its last reference is deleted, not before' {
            New-CaRepository -Domain 'demo' -Name 'other' | Out-Null
            $fixture = Get-PackageFixture 'npm/demo-lib-1.2.3.tgz'
            Publish-CaPackage 'demo' 'main' $fixture | Out-Null
            Publish-CaPackage 'demo' 'other' $fixture | Out-Null
            $both = Get-PackageStoreSnapshot -StorePath $Store -Domain 'demo'
            $both.BlobFiles.Count | Should -BeGreaterThan 0

            Remove-CaPackageVersion -Domain 'demo' -Repository 'main' -Format npm -Package 'demo-lib' -Version '1.2.3' -Confirm:$false | Out-Null
            $one = Get-PackageStoreSnapshot -StorePath $Store -Domain 'demo'
            $one.AssetSizeBytes | Should -Be $both.AssetSizeBytes
            $one.BlobFiles | Should -Be $both.BlobFiles

            Remove-CaPackageVersion -Domain 'demo' -Repository 'other' -Format npm -Package 'demo-lib' -Version '1.2.3' -Confirm:$false | Out-Null
            $none = Get-PackageStoreSnapshot -StorePath $Store -Domain 'demo'
            $none.AssetSizeBytes | Should -Be 0
            $none.BlobFiles | Should -BeNullOrEmpty
            (Get-CaDomain -Name 'demo').AssetSizeBytes | Should -Be 0
        }

        It 'frees the tarball and its package.json when the last version holding them is disposed' {
            $fixture = Get-PackageFixture 'npm/demo-lib-1.2.3.tgz'
            Publish-CaPackage 'demo' 'main' $fixture | Out-Null
            $before = Get-PackageStoreSnapshot -StorePath $Store -Domain 'demo'

            Remove-CaPackageVersion -Domain 'demo' -Repository 'main' -Format npm -Package 'demo-lib' -Version '1.2.3' -Dispose -Confirm:$false | Out-Null

            $after = Get-PackageStoreSnapshot -StorePath $Store -Domain 'demo'
            # The two freed blobs are the tarball and its package.json; AssetSizeBytes counts the tarball, the only asset.
            $after.AssetSizeBytes | Should -Be ($before.AssetSizeBytes - (Get-Item $fixture).Length)
            $after.BlobFiles.Count | Should -Be ($before.BlobFiles.Count - 2)
            @($after.BlobFiles | Where-Object { $_ -notin $before.BlobFiles }).Count | Should -Be 0
        }

        It 'refuses publishing with PublishBlocked when the package''s origin configuration has publish=BLOCK' {
            Publish-CaPackage 'demo' 'main' (Get-PackageFixture 'npm/demo-lib-1.2.3.tgz') | Out-Null
            Set-CaPackageOriginConfiguration -Domain 'demo' -Repository 'main' -Format npm -Package 'demo-lib' -Publish BLOCK
            $newer = New-TestNpmTarball -Path (Join-Path (New-WorkFolder) 'demo-lib-1.2.4.tgz') -PackageJson ([ordered]@{ name = 'demo-lib'; version = '1.2.4' })
            $before = Get-PackageStoreSnapshot -StorePath $Store -Domain 'demo'

            { Publish-CaPackage 'demo' 'main' $newer.FullName -ErrorAction Stop } | Should -Throw -ErrorId "PublishBlocked,$PublishCommand"

            $after = Get-PackageStoreSnapshot -StorePath $Store -Domain 'demo'
            $after.Versions | Should -Be $before.Versions
            $after.BlobFiles | Should -Be $before.BlobFiles
            $after.TmpFiles | Should -BeNullOrEmpty

            Set-CaPackageOriginConfiguration -Domain 'demo' -Repository 'main' -Format npm -Package 'demo-lib' -Publish ALLOW
            (Publish-CaPackage 'demo' 'main' $newer.FullName).Version | Should -BeExactly '1.2.4'
        }

        It 'creates a package that does not exist yet when its origin configuration is set, which then blocks its first publish' {
            $set = Set-CaPackageOriginConfiguration -Domain 'demo' -Repository 'main' -Format npm -Namespace '@demo-scope' -Package 'widget' -Publish BLOCK -PassThru

            $set | Should -BeOfType ([PSCodeArtifact.Core.PackageInfo])
            $set.OriginConfiguration.Publish | Should -BeExactly 'BLOCK'
            $set.OriginConfiguration.Upstream | Should -BeExactly 'BLOCK'
            $packages = @(Get-CaPackage -Domain 'demo' -Repository 'main')
            $packages.Count | Should -Be 1
            $packages[0].DisplayName | Should -BeExactly '@demo-scope/widget'
            $packages[0].OriginConfiguration.Publish | Should -BeExactly 'BLOCK'
            @(Get-CaPackageVersion -Domain 'demo' -Repository 'main' -Format npm -Namespace 'demo-scope' -Package 'widget').Count | Should -Be 0
            $read = Get-CaPackageOriginConfiguration -Domain 'demo' -Repository 'main' -Format npm -Namespace 'demo-scope' -Package 'widget'
            $read.OriginConfiguration.Publish | Should -BeExactly 'BLOCK'

            { Publish-CaPackage 'demo' 'main' (Get-PackageFixture 'npm/demo-scope-widget-1.0.0-beta.1.tgz') -ErrorAction Stop } |
                Should -Throw -ErrorId "PublishBlocked,$PublishCommand"
            @(Get-CaPackageVersion -Domain 'demo' -Repository 'main' -Format npm -Namespace 'demo-scope' -Package 'widget').Count | Should -Be 0
            Get-StoreFile -StorePath $Store -Folder 'blobs' | Should -BeNullOrEmpty
            Get-StoreFile -StorePath $Store -Folder 'tmp' | Should -BeNullOrEmpty
        }

        It 'gives a published package the default origin configuration publish=ALLOW, upstream=BLOCK' {
            Publish-CaPackage 'demo' 'main' (Get-PackageFixture 'nuget/Demo.Core.1.2.3.nupkg') | Out-Null
            $origin = (Get-CaPackageOriginConfiguration -Domain 'demo' -Repository 'main' -Format nuget -Package 'Demo.Core').OriginConfiguration
            $origin.Publish | Should -BeExactly 'ALLOW'
            $origin.Upstream | Should -BeExactly 'BLOCK'
        }
    }

    Context 'Names and versions' {
        BeforeEach {
            foreach ($file in 'pypi/Tiny_Demo-1.2.0rc1-py3-none-any.whl', 'nuget/Demo.Core.1.2.3.nupkg', 'nuget/Demo.Extras.2.0.0-beta.1.nupkg',
                'npm/demo-scope-widget-1.0.0-beta.1.tgz') {
                Publish-CaPackage 'demo' 'main' (Get-PackageFixture $file) | Out-Null
            }
        }

        It 'finds the PyPI package Tiny-Demo by the name <Name> (PEP 503 normalisation)' -ForEach @(
            @{ Name = 'tiny_demo' }
            @{ Name = 'tiny-demo' }
            @{ Name = 'TINY.DEMO' }
            @{ Name = 'Tiny__Demo' }
        ) {
            $described = Get-CaPackageVersion -Domain 'demo' -Repository 'main' -Format pypi -Package $Name -Version '1.2.0rc1'
            $described.Package | Should -BeExactly 'Tiny-Demo'
            $described.Version | Should -BeExactly '1.2.0rc1'
            @(Get-CaPackageVersionAsset -Domain 'demo' -Repository 'main' -Format pypi -Package $Name -Version '1.2.0rc1').Name |
                Should -Be @('Tiny_Demo-1.2.0rc1-py3-none-any.whl')
        }

        It 'finds the PyPI version 1.2.0rc1 by the spelling <Version> (PEP 440 normalisation)' -ForEach @(
            @{ Version = '1.2.0RC1' }
            @{ Version = '1.2.0-rc1' }
            @{ Version = '1.2.0.rc.1' }
        ) {
            (Get-CaPackageVersion -Domain 'demo' -Repository 'main' -Format pypi -Package 'Tiny-Demo' -Version $Version).Version | Should -BeExactly '1.2.0rc1'
        }

        It 'lists the PyPI package Tiny-Demo when Get-CaPackage is given the name tiny_demo' {
            $packages = @(Get-CaPackage -Domain 'demo' -Repository 'main' -Format pypi -Package 'tiny_demo' -ErrorAction SilentlyContinue)
            $packages.Count | Should -Be 1
            $packages[0].Package | Should -BeExactly 'Tiny-Demo'
        }

        It 'finds the NuGet version Demo.Core 1.2.3 by the id <Id> and the version <Version>' -ForEach @(
            @{ Id = 'demo.core'; Version = '1.2.3' }
            @{ Id = 'DEMO.CORE'; Version = '1.2.3.0' }
            @{ Id = 'Demo.Core'; Version = '01.2.3' }
            @{ Id = 'demo.CORE'; Version = '1.02.03' }
            @{ Id = 'Demo.Core'; Version = '1.2.3+build.9' }
        ) {
            $described = Get-CaPackageVersion -Domain 'demo' -Repository 'main' -Format nuget -Package $Id -Version $Version
            $described.Package | Should -BeExactly 'Demo.Core'
            $described.Version | Should -BeExactly '1.2.3'
            @(Get-CaPackageVersionAsset -Domain 'demo' -Repository 'main' -Format nuget -Package $Id -Version $Version).Name |
                Should -Be @('demo.core.1.2.3.nupkg')
        }

        It 'finds the NuGet prerelease Demo.Extras 2.0.0-beta.1+build.5 by the version <Version>' -ForEach @(
            @{ Version = '2.0.0-beta.1' }
            @{ Version = '2.0.0-BETA.1' }
            @{ Version = '2.0.0.0-beta.1' }
        ) {
            (Get-CaPackageVersion -Domain 'demo' -Repository 'main' -Format nuget -Package 'Demo.Extras' -Version $Version).Version |
                Should -BeExactly '2.0.0-beta.1+build.5'
        }

        It 'finds the scoped npm package @demo-scope/widget with -Namespace <Namespace>' -ForEach @(
            @{ Namespace = 'demo-scope' }
            @{ Namespace = '@demo-scope' }
        ) {
            $described = Get-CaPackageVersion -Domain 'demo' -Repository 'main' -Format npm -Namespace $Namespace -Package 'widget' -Version '1.0.0-beta.1'
            $described.Namespace | Should -BeExactly 'demo-scope'
            $described.DisplayName | Should -BeExactly '@demo-scope/widget'
            @(Get-CaPackageVersionAsset -Domain 'demo' -Repository 'main' -Format npm -Namespace $Namespace -Package 'widget' -Version '1.0.0-beta.1').Name |
                Should -Be @('widget-1.0.0-beta.1.tgz')
            @(Get-CaPackage -Domain 'demo' -Repository 'main' -Format npm -Namespace $Namespace).DisplayName | Should -Be @('@demo-scope/widget')
        }

        It 'does not find the scoped npm package without its scope' {
            { Get-CaPackageVersion -Domain 'demo' -Repository 'main' -Format npm -Package 'widget' -Version '1.0.0-beta.1' -ErrorAction Stop } |
                Should -Throw -ErrorId 'PackageNotFound,PSCodeArtifact.PowerShell.Commands.GetCaPackageVersionCommand'
        }

        It 'finds no npm version by another case of the name (npm names are case-sensitive)' {
            { Get-CaPackageVersion -Domain 'demo' -Repository 'main' -Format npm -Namespace 'demo-scope' -Package 'WIDGET' -Version '1.0.0-beta.1' -ErrorAction Stop } |
                Should -Throw -ErrorId 'PackageNotFound,PSCodeArtifact.PowerShell.Commands.GetCaPackageVersionCommand'
        }
    }
}
