#Requires -Version 7.6
# The version life-cycle: Set-CaPackageVersionStatus, Copy-CaPackageVersion, Remove-CaPackageVersion (delete and
# dispose) and Remove-CaPackage, with CodeArtifact's all-or-nothing batch results, status and revision guards,
# pipelines and -WhatIf.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'PackageTestHelpers.psm1') -Force
    Import-TestModule

    $script:Commands = 'PSCodeArtifact.PowerShell.Commands'

    # Publishes version $Version of the generic package team/tool with one asset tool.txt whose content names the version.
    function Publish-ToolVersion([string] $Version, [switch] $Unfinished, [string] $Asset = 'tool.txt', [string] $Repository = 'main') {
        $folder = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $folder | Out-Null
        $file = Join-Path $folder $Asset
        Set-Content -Path $file -Value "tool $Version $Asset"
        Publish-CaPackage 'demo' $Repository $file -Format generic -Namespace 'team' -Package 'tool' -Version $Version -Unfinished:$Unfinished
    }

    # version → status of every version of team/tool in a repository, as sorted 'version=status' lines.
    function Get-ToolStatus([string] $Repository = 'main') {
        @(Get-CaPackageVersion -Domain 'demo' -Repository $Repository -Format generic -Namespace 'team' -Package 'tool' |
            ForEach-Object { '{0}={1}' -f $_.Version, $_.Status } | Sort-Object)
    }

    # 'displayName version=status' of every version of every package in main, sorted.
    function Get-AllStatus {
        @(Get-CaPackage -Domain 'demo' -Repository 'main' | Get-CaPackageVersion | ForEach-Object { '{0} {1}={2}' -f $_.DisplayName, $_.Version, $_.Status } | Sort-Object)
    }

    # The errors of a batch call as sorted 'version=ErrorId' lines (the id without the command name).
    function Format-BatchError($ErrorRecords) {
        @($ErrorRecords | ForEach-Object { '{0}={1}' -f $_.TargetObject.Version, ($_.FullyQualifiedErrorId -split ',')[0] } | Sort-Object)
    }
}

Describe 'Package version life-cycle' {
    BeforeEach {
        $script:Store = New-TestStore
        New-CaDomain -Name 'demo' | Out-Null
        New-CaRepository -Domain 'demo' -Name 'main' | Out-Null
        $script:Tool = @{ Domain = 'demo'; Repository = 'main'; Format = 'generic'; Namespace = 'team'; Package = 'tool' }
        $script:Npm = @{ Domain = 'demo'; Repository = 'main'; Format = 'npm'; Package = 'demo-lib'; Version = '1.2.3' }
    }

    AfterEach {
        Remove-TestStore
    }

    Context 'Set-CaPackageVersionStatus' {
        It 'moves a version Published → Unlisted → Archived → Published and keeps its revision' {
            $published = Publish-ToolVersion '1.0'
            foreach ($status in 'Unlisted', 'Archived', 'Published') {
                $results = @(Set-CaPackageVersionStatus @Tool -Version '1.0' -Status $status)

                $results.Count | Should -Be 1
                $results[0] | Should -BeOfType ([PSCodeArtifact.Core.PackageVersionResult])
                $results[0].Version | Should -BeExactly '1.0'
                $results[0].Status | Should -BeExactly $status
                $results[0].Revision | Should -BeExactly $published.Revision
                $results[0].Succeeded | Should -BeTrue
                $results[0].ErrorCode | Should -BeNullOrEmpty
                $described = Get-CaPackageVersion @Tool -Version '1.0'
                $described.Status | Should -BeExactly $status
                $described.Revision | Should -BeExactly $published.Revision
            }
        }

        It 'changes every version given in one call' {
            foreach ($v in '1.0', '1.1', '1.2') { Publish-ToolVersion $v | Out-Null }
            $results = @(Set-CaPackageVersionStatus @Tool -Version '1.0', '1.2' -Status Unlisted)

            @($results | ForEach-Object { '{0}={1}' -f $_.Version, $_.Status } | Sort-Object) | Should -Be @('1.0=Unlisted', '1.2=Unlisted')
            Get-ToolStatus | Should -Be @('1.0=Unlisted', '1.1=Published', '1.2=Unlisted')
        }

        It 'changes a version whose status is the -ExpectedStatus' {
            Publish-ToolVersion '1.0' | Out-Null
            (Set-CaPackageVersionStatus @Tool -Version '1.0' -Status Archived -ExpectedStatus Published).Status | Should -BeExactly 'Archived'
        }

        It 'fails a version of another status with MismatchedStatus, skips the others with PackageVersionSkipped and changes nothing' {
            foreach ($v in '1.0', '1.1', '1.2') { Publish-ToolVersion $v | Out-Null }
            Set-CaPackageVersionStatus @Tool -Version '1.1' -Status Unlisted | Out-Null

            $results = @(Set-CaPackageVersionStatus @Tool -Version '1.0', '1.1', '1.2' -Status Archived -ExpectedStatus Published -ErrorAction SilentlyContinue -ErrorVariable failures)

            $results.Count | Should -Be 0
            Format-BatchError $failures | Should -Be @('1.0=PackageVersionSkipped', '1.1=MismatchedStatus', '1.2=PackageVersionSkipped')
            @($failures | Where-Object { $_.TargetObject.Version -eq '1.1' })[0].TargetObject.ErrorCode | Should -BeExactly 'MISMATCHED_STATUS'
            @($failures | Where-Object { $_.TargetObject.Version -eq '1.0' })[0].TargetObject.ErrorCode | Should -BeExactly 'SKIPPED'
            Get-ToolStatus | Should -Be @('1.0=Published', '1.1=Unlisted', '1.2=Published')
        }

        It 'stops at the first failure with -ErrorAction Stop: <Case> gives <ErrorId>' -ForEach @(
            @{ Case = 'a wrong -ExpectedStatus'; ErrorId = 'MismatchedStatus'; Extra = @{ Version = '1.0'; ExpectedStatus = 'Unlisted' } }
            @{ Case = 'a wrong -Revision'; ErrorId = 'MismatchedRevision'; Extra = @{ Version = '1.0'; Revision = 'not-the-revision' } }
            @{ Case = 'an unknown version'; ErrorId = 'PackageVersionNotFound'; Extra = @{ Version = '7.7' } }
        ) {
            Publish-ToolVersion '1.0' | Out-Null
            { Set-CaPackageVersionStatus @Tool @Extra -Status Archived -ErrorAction Stop } |
                Should -Throw -ErrorId "$ErrorId,$Commands.SetCaPackageVersionStatusCommand"
            Get-ToolStatus | Should -Be @('1.0=Published')
        }

        It 'fails a version piped with a stale revision with MismatchedRevision and skips the others' {
            Publish-ToolVersion '1.0' | Out-Null
            Publish-ToolVersion '2.0' -Unfinished -Asset 'a.txt' | Out-Null
            $stale = @(Get-CaPackageVersion @Tool)
            # A new asset makes a new revision of 2.0.
            Publish-ToolVersion '2.0' -Unfinished -Asset 'b.txt' | Out-Null

            $results = @($stale | Set-CaPackageVersionStatus -Status Archived -ErrorAction SilentlyContinue -ErrorVariable failures)

            $results.Count | Should -Be 0
            Format-BatchError $failures | Should -Be @('1.0=PackageVersionSkipped', '2.0=MismatchedRevision')
            Get-ToolStatus | Should -Be @('1.0=Published', '2.0=Unfinished')
        }

        It 'refuses a Disposed version with PackageVersionNotAllowed and skips the others' {
            Publish-ToolVersion '1.0' | Out-Null
            Publish-ToolVersion '1.1' | Out-Null
            Remove-CaPackageVersion @Tool -Version '1.1' -Dispose -Confirm:$false | Out-Null

            Set-CaPackageVersionStatus @Tool -Version '1.0', '1.1' -Status Published -ErrorAction SilentlyContinue -ErrorVariable failures | Should -BeNullOrEmpty

            Format-BatchError $failures | Should -Be @('1.0=PackageVersionSkipped', '1.1=PackageVersionNotAllowed')
            Get-ToolStatus | Should -Be @('1.0=Published', '1.1=Disposed')
        }

        It 'fails an unknown version with PackageVersionNotFound, skips the others and changes none of them (all or nothing)' {
            Publish-ToolVersion '1.0' | Out-Null
            Publish-ToolVersion '1.1' | Out-Null

            Set-CaPackageVersionStatus @Tool -Version '1.0', '9.9', '1.1' -Status Archived -ErrorAction SilentlyContinue -ErrorVariable failures | Should -BeNullOrEmpty

            Format-BatchError $failures | Should -Be @('1.0=PackageVersionSkipped', '1.1=PackageVersionSkipped', '9.9=PackageVersionNotFound')
            Get-ToolStatus | Should -Be @('1.0=Published', '1.1=Published')
        }

        It 'keeps the assets of an Unlisted version downloadable' {
            Publish-CaPackage 'demo' 'main' (Get-PackageFixture 'npm/demo-lib-1.2.3.tgz') | Out-Null
            Set-CaPackageVersionStatus @Npm -Status Unlisted | Out-Null
            $folder = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
            New-Item -ItemType Directory -Path $folder | Out-Null

            $saved = Save-CaPackageVersionAsset @Npm -Asset 'demo-lib-1.2.3.tgz' -Path $folder
            (Get-FileHash -LiteralPath $saved.FullName).Hash | Should -BeExactly (Get-FileHash -LiteralPath (Get-PackageFixture 'npm/demo-lib-1.2.3.tgz')).Hash
        }

        It 'refuses to save an asset of an Archived version (its assets cannot be downloaded) and saves it again once Published' {
            Publish-CaPackage 'demo' 'main' (Get-PackageFixture 'npm/demo-lib-1.2.3.tgz') | Out-Null
            Set-CaPackageVersionStatus @Npm -Status Archived | Out-Null
            $folder = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
            New-Item -ItemType Directory -Path $folder | Out-Null

            { Save-CaPackageVersionAsset @Npm -Asset 'demo-lib-1.2.3.tgz' -Path $folder -ErrorAction Stop } | Should -Throw
            @(Get-ChildItem -LiteralPath $folder -Force).Count | Should -Be 0

            Set-CaPackageVersionStatus @Npm -Status Published | Out-Null
            (Save-CaPackageVersionAsset @Npm -Asset 'demo-lib-1.2.3.tgz' -Path $folder).Name | Should -BeExactly 'demo-lib-1.2.3.tgz'
        }

        It 'refuses Unfinished and Disposed as the status to set (parameter validation)' -ForEach @(
            @{ Status = 'Unfinished' }
            @{ Status = 'Disposed' }
        ) {
            Publish-ToolVersion '1.0' | Out-Null
            { Set-CaPackageVersionStatus @Tool -Version '1.0' -Status $Status -ErrorAction Stop } |
                Should -Throw -ErrorId "ParameterArgumentValidationError,$Commands.SetCaPackageVersionStatusCommand"
            Get-ToolStatus | Should -Be @('1.0=Published')
        }

        Context 'A pipeline from Get-CaPackage over several packages' {
            BeforeEach {
                foreach ($file in 'npm/demo-lib-1.2.3.tgz', 'npm/demo-scope-widget-1.0.0-beta.1.tgz', 'nuget/Demo.Core.1.2.3.nupkg') {
                    Publish-CaPackage 'demo' 'main' (Get-PackageFixture $file) | Out-Null
                }
                foreach ($v in '1.0', '1.1') { Publish-ToolVersion $v | Out-Null }
                Publish-ToolVersion '2.0' -Unfinished | Out-Null
                Set-CaPackageVersionStatus @Tool -Version '1.1' -Status Unlisted | Out-Null
            }

            It 'changes nothing with -WhatIf' {
                $before = Get-AllStatus
                Get-CaPackage -Domain 'demo' -Repository 'main' | Get-CaPackageVersion | Where-Object Status -EQ 'Published' |
                    Set-CaPackageVersionStatus -Status Archived -WhatIf | Should -BeNullOrEmpty
                Get-AllStatus | Should -Be $before
            }

            It 'archives every Published version of every package without -WhatIf' {
                $results = @(Get-CaPackage -Domain 'demo' -Repository 'main' | Get-CaPackageVersion | Where-Object Status -EQ 'Published' |
                    Set-CaPackageVersionStatus -Status Archived)

                @($results | ForEach-Object { '{0}={1}' -f $_.Version, $_.Status } | Sort-Object) |
                    Should -Be @('1.0.0-beta.1=Archived', '1.0=Archived', '1.2.3=Archived', '1.2.3=Archived' | Sort-Object)
                Get-AllStatus | Should -Be (@(
                        '@demo-scope/widget 1.0.0-beta.1=Archived'
                        'demo-lib 1.2.3=Archived'
                        'Demo.Core 1.2.3=Archived'
                        'team/tool 1.0=Archived'
                        'team/tool 1.1=Unlisted'
                        'team/tool 2.0=Unfinished'
                    ) | Sort-Object)
            }
        }
    }

    Context 'Copy-CaPackageVersion' {
        BeforeEach {
            New-CaRepository -Domain 'demo' -Name 'other' | Out-Null
        }

        It 'copies a version as metadata only: the destination lists it with the same assets, and no byte is stored again' {
            Publish-CaPackage 'demo' 'main' (Get-PackageFixture 'npm/demo-lib-1.2.3.tgz') | Out-Null
            $before = Get-PackageStoreSnapshot -StorePath $Store -Domain 'demo'

            $results = @(Copy-CaPackageVersion @Npm -DestinationRepository 'other')

            $results.Count | Should -Be 1
            $results[0] | Should -BeOfType ([PSCodeArtifact.Core.PackageVersionResult])
            $results[0].Repository | Should -BeExactly 'other'
            $results[0].Version | Should -BeExactly '1.2.3'
            $results[0].Status | Should -BeExactly 'Published'
            $after = Get-PackageStoreSnapshot -StorePath $Store -Domain 'demo'
            $after.AssetSizeBytes | Should -Be $before.AssetSizeBytes
            $after.BlobFiles | Should -Be $before.BlobFiles
            $source = Get-CaPackageVersionAsset @Npm
            $copied = Get-CaPackageVersionAsset @Npm -Repository 'other'
            $copied.Name | Should -BeExactly $source.Name
            $copied.Hashes['SHA-256'] | Should -BeExactly $source.Hashes['SHA-256']
            $saved = Save-CaPackageVersionAsset @Npm -Repository 'other' -Asset 'demo-lib-1.2.3.tgz' -Path $TestDrive -Force
            (Get-FileHash -LiteralPath $saved.FullName).Hash | Should -BeExactly (Get-FileHash -LiteralPath (Get-PackageFixture 'npm/demo-lib-1.2.3.tgz')).Hash
        }

        It 'gives the copy the status, revision, origin and metadata of the source version' {
            Publish-CaPackage 'demo' 'main' (Get-PackageFixture 'npm/demo-lib-1.2.3.tgz') | Out-Null
            Set-CaPackageVersionStatus @Npm -Status Unlisted | Out-Null
            $source = Get-CaPackageVersion @Npm

            $result = Copy-CaPackageVersion @Npm -DestinationRepository 'other'

            $result.Status | Should -BeExactly 'Unlisted'
            $result.Revision | Should -BeExactly $source.Revision
            $copy = Get-CaPackageVersion @Npm -Repository 'other'
            $copy.Status | Should -BeExactly 'Unlisted'
            $copy.Revision | Should -BeExactly $source.Revision
            $copy.Origin.DomainEntryPointRepository | Should -BeExactly 'main'
            $copy.Summary | Should -BeExactly $source.Summary
            (Get-CaPackageVersionReadme @Npm -Repository 'other').Readme | Should -BeExactly (Get-CaPackageVersionReadme @Npm).Readme
            @(Get-CaPackageVersionDependency @Npm -Repository 'other').Count | Should -Be 5
        }

        It 'copies the versions piped from Get-CaPackageVersion' {
            foreach ($v in '1.0', '1.1') { Publish-ToolVersion $v | Out-Null }
            $results = @(Get-CaPackageVersion @Tool | Copy-CaPackageVersion -DestinationRepository 'other')
            @($results.Version | Sort-Object) | Should -Be @('1.0', '1.1')
            Get-ToolStatus -Repository 'other' | Should -Be @('1.0=Published', '1.1=Published')
        }

        It 'keeps the copy''s assets when the source version is disposed or deleted (blobs are counted per reference)' {
            Publish-CaPackage 'demo' 'main' (Get-PackageFixture 'npm/demo-lib-1.2.3.tgz') | Out-Null
            Copy-CaPackageVersion @Npm -DestinationRepository 'other' | Out-Null
            $before = Get-PackageStoreSnapshot -StorePath $Store -Domain 'demo'

            Remove-CaPackageVersion @Npm -Dispose -Confirm:$false | Out-Null
            Remove-CaPackageVersion @Npm -Confirm:$false | Out-Null

            $after = Get-PackageStoreSnapshot -StorePath $Store -Domain 'demo'
            $after.AssetSizeBytes | Should -Be $before.AssetSizeBytes
            $after.BlobFiles | Should -Be $before.BlobFiles
            $saved = Save-CaPackageVersionAsset @Npm -Repository 'other' -Asset 'demo-lib-1.2.3.tgz' -Path $TestDrive -Force
            (Get-FileHash -LiteralPath $saved.FullName).Hash | Should -BeExactly (Get-FileHash -LiteralPath (Get-PackageFixture 'npm/demo-lib-1.2.3.tgz')).Hash
            (Get-CaPackageVersionReadme @Npm -Repository 'other').Readme | Should -Not -BeNullOrEmpty

            Remove-CaPackageVersion @Npm -Repository 'other' -Confirm:$false | Out-Null
            (Get-CaDomain -Name 'demo').AssetSizeBytes | Should -Be 0
            Get-StoreFile -StorePath $Store -Folder 'blobs' | Should -BeNullOrEmpty
        }

        It 'refuses a version the destination has with PackageVersionAlreadyExists and keeps the destination''s version' {
            Publish-CaPackage 'demo' 'main' (Get-PackageFixture 'pypi/Tiny-Demo-1.2.0rc1.tar.gz'), (Get-PackageFixture 'pypi/Tiny_Demo-1.2.0rc1-py3-none-any.whl') | Out-Null
            $existing = Publish-CaPackage 'demo' 'other' (Get-PackageFixture 'pypi/Tiny-Demo-1.2.0rc1.tar.gz')
            $pypi = @{ Domain = 'demo'; Repository = 'main'; Format = 'pypi'; Package = 'Tiny-Demo'; Version = '1.2.0rc1' }

            { Copy-CaPackageVersion @pypi -DestinationRepository 'other' -ErrorAction Stop } |
                Should -Throw -ErrorId "PackageVersionAlreadyExists,$Commands.CopyCaPackageVersionCommand"

            (Get-CaPackageVersion @pypi -Repository 'other').Revision | Should -BeExactly $existing.Revision
            @(Get-CaPackageVersionAsset @pypi -Repository 'other').Name | Should -Be @('Tiny-Demo-1.2.0rc1.tar.gz')
        }

        It 'replaces a version the destination has with -AllowOverwrite' {
            Publish-CaPackage 'demo' 'main' (Get-PackageFixture 'pypi/Tiny-Demo-1.2.0rc1.tar.gz'), (Get-PackageFixture 'pypi/Tiny_Demo-1.2.0rc1-py3-none-any.whl') | Out-Null
            Publish-CaPackage 'demo' 'other' (Get-PackageFixture 'pypi/Tiny-Demo-1.2.0rc1.tar.gz') | Out-Null
            $pypi = @{ Domain = 'demo'; Repository = 'main'; Format = 'pypi'; Package = 'Tiny-Demo'; Version = '1.2.0rc1' }
            $source = Get-CaPackageVersion @pypi
            $before = Get-PackageStoreSnapshot -StorePath $Store -Domain 'demo'

            $result = Copy-CaPackageVersion @pypi -DestinationRepository 'other' -AllowOverwrite

            $result.Revision | Should -BeExactly $source.Revision
            (Get-CaPackageVersion @pypi -Repository 'other').Revision | Should -BeExactly $source.Revision
            @(Get-CaPackageVersionAsset @pypi -Repository 'other' | ForEach-Object Name | Sort-Object) |
                Should -Be @('Tiny-Demo-1.2.0rc1.tar.gz', 'Tiny_Demo-1.2.0rc1-py3-none-any.whl' | Sort-Object)
            $after = Get-PackageStoreSnapshot -StorePath $Store -Domain 'demo'
            $after.AssetSizeBytes | Should -Be $before.AssetSizeBytes
            # Nothing is copied; the replaced version's sdist metadata (the source prefers its wheel's) may be freed.
            @($after.BlobFiles | Where-Object { $_ -notin $before.BlobFiles }) | Should -BeNullOrEmpty
        }

        It 'copies nothing when one version fails: PackageVersionNotFound for it, PackageVersionSkipped for the others' {
            Publish-ToolVersion '1.0' | Out-Null

            Copy-CaPackageVersion @Tool -Version '1.0', '8.8' -DestinationRepository 'other' -ErrorAction SilentlyContinue -ErrorVariable failures | Should -BeNullOrEmpty

            Format-BatchError $failures | Should -Be @('1.0=PackageVersionSkipped', '8.8=PackageVersionNotFound')
            @(Get-CaPackage -Domain 'demo' -Repository 'other').Count | Should -Be 0
        }

        It 'refuses to copy a <Status> version with PackageVersionNotAllowed' -ForEach @(
            @{ Status = 'Disposed' }
            @{ Status = 'Unfinished' }
        ) {
            if ($Status -eq 'Unfinished') { Publish-ToolVersion '1.0' -Unfinished | Out-Null }
            else {
                Publish-ToolVersion '1.0' | Out-Null
                Remove-CaPackageVersion @Tool -Version '1.0' -Dispose -Confirm:$false | Out-Null
            }
            { Copy-CaPackageVersion @Tool -Version '1.0' -DestinationRepository 'other' -ErrorAction Stop } |
                Should -Throw -ErrorId "PackageVersionNotAllowed,$Commands.CopyCaPackageVersionCommand"
            @(Get-CaPackage -Domain 'demo' -Repository 'other').Count | Should -Be 0
        }

        It 'refuses a stale -Revision with MismatchedRevision' {
            Publish-CaPackage 'demo' 'main' (Get-PackageFixture 'npm/demo-lib-1.2.3.tgz') | Out-Null
            { Copy-CaPackageVersion @Npm -Revision 'stale' -DestinationRepository 'other' -ErrorAction Stop } |
                Should -Throw -ErrorId "MismatchedRevision,$Commands.CopyCaPackageVersionCommand"
            @(Get-CaPackage -Domain 'demo' -Repository 'other').Count | Should -Be 0
        }

        It 'refuses the source repository as the destination with SameRepository' {
            Publish-CaPackage 'demo' 'main' (Get-PackageFixture 'npm/demo-lib-1.2.3.tgz') | Out-Null
            { Copy-CaPackageVersion @Npm -DestinationRepository 'main' -ErrorAction Stop } |
                Should -Throw -ErrorId "SameRepository,$Commands.CopyCaPackageVersionCommand"
        }

        It 'copies nothing with -WhatIf' {
            Publish-CaPackage 'demo' 'main' (Get-PackageFixture 'npm/demo-lib-1.2.3.tgz') | Out-Null
            Copy-CaPackageVersion @Npm -DestinationRepository 'other' -WhatIf | Should -BeNullOrEmpty
            @(Get-CaPackage -Domain 'demo' -Repository 'other').Count | Should -Be 0
        }

        It 'brings the npm dist-tags that point at a copied version along, replacing the destination''s tags of the same name' {
            # main: demo-lib 1.2.3 (latest) and 2.0.0-beta.1; other: demo-lib 1.0.0 (latest). No cmdlet shows dist-tags,
            # so they are set and read as npm does, through the endpoint's dist-tags route.
            Publish-CaPackage 'demo' 'main' (Get-PackageFixture 'npm/demo-lib-1.2.3.tgz') | Out-Null
            foreach ($target in @{ Repository = 'main'; Version = '2.0.0-beta.1' }, @{ Repository = 'other'; Version = '1.0.0' }) {
                $tarball = New-TestNpmTarball -Path (Join-Path $TestDrive "demo-lib-$($target.Version).tgz") -PackageJson ([ordered]@{ name = 'demo-lib'; version = $target.Version })
                Publish-CaPackage 'demo' $target.Repository $tarball.FullName | Out-Null
            }
            $endpoint = Start-CaEndpoint
            try {
                $headers = @{ Authorization = "Bearer $((Get-CaAuthorizationToken -Domain 'demo').AuthorizationToken)" }
                $tags = { param([string] $Repository) "$(Get-CaRepositoryEndpoint 'demo' $Repository npm)-/package/demo-lib/dist-tags" }
                foreach ($tag in @{ Repository = 'main'; Tag = 'stable'; Version = '1.2.3' }, @{ Repository = 'main'; Tag = 'next'; Version = '2.0.0-beta.1' },
                    @{ Repository = 'other'; Tag = 'stable'; Version = '1.0.0' }, @{ Repository = 'other'; Tag = 'legacy'; Version = '1.0.0' }) {
                    Invoke-RestMethod -Method Put -Uri "$(& $tags $tag.Repository)/$($tag.Tag)" -Headers $headers -ContentType 'application/json' -Body "`"$($tag.Version)`"" | Out-Null
                }
                $before = Invoke-RestMethod -Uri (& $tags 'other') -Headers $headers
                "latest=$($before.latest) stable=$($before.stable) legacy=$($before.legacy)" | Should -BeExactly 'latest=1.0.0 stable=1.0.0 legacy=1.0.0'

                Copy-CaPackageVersion @Npm -DestinationRepository 'other' | Out-Null

                # latest and stable point at 1.2.3 in main, so they come along; next points at a version not copied.
                $after = Invoke-RestMethod -Uri (& $tags 'other') -Headers $headers
                @($after.PSObject.Properties | ForEach-Object { '{0}={1}' -f $_.Name, $_.Value } | Sort-Object) |
                    Should -Be @('latest=1.2.3', 'legacy=1.0.0', 'stable=1.2.3')
                $source = Invoke-RestMethod -Uri (& $tags 'main') -Headers $headers
                @($source.PSObject.Properties | ForEach-Object { '{0}={1}' -f $_.Name, $_.Value } | Sort-Object) |
                    Should -Be @('latest=1.2.3', 'next=2.0.0-beta.1', 'stable=1.2.3')
            }
            finally { $endpoint | Stop-CaEndpoint }
        }

        It 'refuses to copy into a package whose origin configuration is publish=BLOCK with PackageVersionNotAllowed for every version' {
            foreach ($v in '1.0', '1.1') { Publish-ToolVersion $v | Out-Null }
            Set-CaPackageOriginConfiguration @Tool -Repository 'other' -Publish BLOCK -Upstream ALLOW | Out-Null

            Copy-CaPackageVersion @Tool -Version '1.0', '1.1' -DestinationRepository 'other' -ErrorAction SilentlyContinue -ErrorVariable failures |
                Should -BeNullOrEmpty

            Format-BatchError $failures | Should -Be @('1.0=PackageVersionNotAllowed', '1.1=PackageVersionNotAllowed')
            $failures[0].Exception.Message | Should -Match 'publish=BLOCK'
            @(Get-CaPackageVersion @Tool -Repository 'other').Count | Should -Be 0
        }
    }

    Context 'Remove-CaPackageVersion' {
        It 'deletes a version: its record goes, the package stays, and it can be published again' {
            Publish-CaPackage 'demo' 'main' (Get-PackageFixture 'npm/demo-lib-1.2.3.tgz') | Out-Null

            $result = Remove-CaPackageVersion @Npm -Confirm:$false

            $result | Should -BeOfType ([PSCodeArtifact.Core.PackageVersionResult])
            $result.Version | Should -BeExactly '1.2.3'
            $result.Status | Should -BeExactly 'Deleted'
            { Get-CaPackageVersion @Npm -ErrorAction Stop } | Should -Throw -ErrorId "PackageVersionNotFound,$Commands.GetCaPackageVersionCommand"
            @(Get-CaPackageVersion -Domain 'demo' -Repository 'main' -Format npm -Package 'demo-lib').Count | Should -Be 0
            (Publish-CaPackage 'demo' 'main' (Get-PackageFixture 'npm/demo-lib-1.2.3.tgz')).Status | Should -BeExactly 'Published'
        }

        It 'disposes a version with -Dispose: the Disposed record stays, its assets go and cannot be saved' {
            $published = Publish-CaPackage 'demo' 'main' (Get-PackageFixture 'npm/demo-lib-1.2.3.tgz')

            $result = Remove-CaPackageVersion @Npm -Dispose -Confirm:$false

            $result.Status | Should -BeExactly 'Disposed'
            $described = Get-CaPackageVersion @Npm
            $described.Status | Should -BeExactly 'Disposed'
            $described.Revision | Should -BeExactly $result.Revision
            $described.Revision | Should -Not -BeExactly $published.Revision
            @(Get-CaPackageVersion -Domain 'demo' -Repository 'main' -Format npm -Package 'demo-lib' -Status Disposed).Version | Should -Be @('1.2.3')
            @(Get-CaPackageVersionAsset @Npm).Count | Should -Be 0
            $folder = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
            New-Item -ItemType Directory -Path $folder | Out-Null
            { Save-CaPackageVersionAsset @Npm -Asset 'demo-lib-1.2.3.tgz' -Path $folder -ErrorAction Stop } |
                Should -Throw -ErrorId "AssetNotFound,$Commands.SaveCaPackageVersionAssetCommand"
            @(Get-ChildItem -LiteralPath $folder -Force).Count | Should -Be 0
        }

        It 'removes a version whose status is the -ExpectedStatus, and refuses one of another status with MismatchedStatus' {
            Publish-ToolVersion '1.0' | Out-Null
            Publish-ToolVersion '1.1' | Out-Null

            { Remove-CaPackageVersion @Tool -Version '1.0' -ExpectedStatus Archived -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId "MismatchedStatus,$Commands.RemoveCaPackageVersionCommand"
            { Remove-CaPackageVersion @Tool -Version '1.0' -ExpectedStatus Unlisted -Dispose -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId "MismatchedStatus,$Commands.RemoveCaPackageVersionCommand"
            Get-ToolStatus | Should -Be @('1.0=Published', '1.1=Published')

            (Remove-CaPackageVersion @Tool -Version '1.0' -ExpectedStatus Published -Confirm:$false).Status | Should -BeExactly 'Deleted'
            Get-ToolStatus | Should -Be @('1.1=Published')
        }

        It 'removes nothing when one version fails (all or nothing), with or without -Dispose (<Case>)' -ForEach @(
            @{ Case = 'delete'; Dispose = $false }
            @{ Case = 'dispose'; Dispose = $true }
        ) {
            Publish-ToolVersion '1.0' | Out-Null
            Publish-ToolVersion '1.1' | Out-Null
            Set-CaPackageVersionStatus @Tool -Version '1.1' -Status Archived | Out-Null
            $before = Get-PackageStoreSnapshot -StorePath $Store -Domain 'demo'

            Remove-CaPackageVersion @Tool -Version '1.0', '1.1' -ExpectedStatus Published -Dispose:$Dispose -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable failures |
                Should -BeNullOrEmpty

            Format-BatchError $failures | Should -Be @('1.0=PackageVersionSkipped', '1.1=MismatchedStatus')
            $after = Get-PackageStoreSnapshot -StorePath $Store -Domain 'demo'
            $after.Versions | Should -Be $before.Versions
            $after.BlobFiles | Should -Be $before.BlobFiles
        }

        It 'refuses a stale -Revision with MismatchedRevision' {
            Publish-ToolVersion '1.0' | Out-Null
            { Remove-CaPackageVersion @Tool -Version '1.0' -Revision 'stale' -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId "MismatchedRevision,$Commands.RemoveCaPackageVersionCommand"
            Get-ToolStatus | Should -Be @('1.0=Published')
        }

        It 'deletes the versions piped from Get-CaPackageVersion' {
            foreach ($v in '1.0', '1.1', '2.0') { Publish-ToolVersion $v | Out-Null }
            $results = @(Get-CaPackageVersion @Tool -Version '1.*' | Remove-CaPackageVersion -Confirm:$false)
            @($results | ForEach-Object { '{0}={1}' -f $_.Version, $_.Status } | Sort-Object) | Should -Be @('1.0=Deleted', '1.1=Deleted')
            Get-ToolStatus | Should -Be @('2.0=Published')
        }

        It 'removes nothing with -WhatIf' {
            Publish-ToolVersion '1.0' | Out-Null
            Remove-CaPackageVersion @Tool -Version '1.0' -WhatIf | Should -BeNullOrEmpty
            Remove-CaPackageVersion @Tool -Version '1.0' -Dispose -WhatIf | Should -BeNullOrEmpty
            Get-ToolStatus | Should -Be @('1.0=Published')
        }
    }

    Context 'Remove-CaPackage' {
        It 'removes a package with all its versions and assets and frees its blobs, leaving other packages alone' {
            Publish-CaPackage 'demo' 'main' (Get-PackageFixture 'nuget/Demo.Core.1.2.3.nupkg') | Out-Null
            $nugetOnly = Get-PackageStoreSnapshot -StorePath $Store -Domain 'demo'
            Publish-ToolVersion '1.0' | Out-Null
            Publish-ToolVersion '1.1' | Out-Null
            Publish-ToolVersion '2.0' -Unfinished | Out-Null
            Set-CaPackageVersionStatus @Tool -Version '1.1' -Status Archived | Out-Null
            Publish-CaPackage 'demo' 'main' (Get-PackageFixture 'npm/demo-lib-1.2.3.tgz') | Out-Null
            Remove-CaPackageVersion @Npm -Dispose -Confirm:$false | Out-Null

            Remove-CaPackage @Tool -Confirm:$false | Should -BeNullOrEmpty
            Remove-CaPackage -Domain 'demo' -Repository 'main' -Format npm -Package 'demo-lib' -Confirm:$false | Should -BeNullOrEmpty

            @(Get-CaPackage -Domain 'demo' -Repository 'main').DisplayName | Should -Be @('Demo.Core')
            { Get-CaPackageVersion @Tool -ErrorAction Stop } | Should -Throw -ErrorId "PackageNotFound,$Commands.GetCaPackageVersionCommand"
            { Get-CaPackageVersion @Npm -ErrorAction Stop } | Should -Throw -ErrorId "PackageNotFound,$Commands.GetCaPackageVersionCommand"
            $after = Get-PackageStoreSnapshot -StorePath $Store -Domain 'demo'
            $after.Versions | Should -Be $nugetOnly.Versions
            $after.AssetSizeBytes | Should -Be $nugetOnly.AssetSizeBytes
            $after.BlobFiles | Should -Be $nugetOnly.BlobFiles
        }

        It 'removes a package that holds only an origin configuration' {
            Set-CaPackageOriginConfiguration -Domain 'demo' -Repository 'main' -Format pypi -Package 'reserved-name' -Publish BLOCK
            Remove-CaPackage -Domain 'demo' -Repository 'main' -Format pypi -Package 'reserved-name' -Confirm:$false
            @(Get-CaPackage -Domain 'demo' -Repository 'main').Count | Should -Be 0
        }

        It 'removes the package piped from Get-CaPackage' {
            Publish-ToolVersion '1.0' | Out-Null
            Get-CaPackage -Domain 'demo' -Repository 'main' | Remove-CaPackage -Confirm:$false
            @(Get-CaPackage -Domain 'demo' -Repository 'main').Count | Should -Be 0
            Get-StoreFile -StorePath $Store -Folder 'blobs' | Should -BeNullOrEmpty
        }

        It 'removes nothing with -WhatIf' {
            Publish-ToolVersion '1.0' | Out-Null
            Remove-CaPackage @Tool -WhatIf
            Get-ToolStatus | Should -Be @('1.0=Published')
        }

        It 'refuses a package that does not exist with PackageNotFound' {
            { Remove-CaPackage -Domain 'demo' -Repository 'main' -Format npm -Package 'nosuch' -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId "PackageNotFound,$Commands.RemoveCaPackageCommand"
        }
    }
}
