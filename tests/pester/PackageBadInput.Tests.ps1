#Requires -Version 7.6
# Bad input to Publish-CaPackage: corrupt and truncated archives, missing manifests, invalid names and versions,
# manifests that disagree with the file, unsafe archive entries, decompression bombs, XML with DTDs and external
# entities, oversized manifests and wrong SHA-256 digests. Each is refused with a stable error id and leaves the
# store as it was: no package row, no blob file, no staging file.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'PackageTestHelpers.psm1') -Force
    Import-TestModule

    $script:PublishCommand = 'PSCodeArtifact.PowerShell.Commands.PublishCaPackageCommand'

    function New-WorkFolder {
        $folder = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $folder | Out-Null
        $folder
    }

    # Publishes $Path (with the $Extra parameters), expects the refusal $ErrorId and returns its ErrorRecord.
    function Invoke-RefusedPublish([string] $Path, [string] $ErrorId, [hashtable] $Extra = @{}) {
        { Publish-CaPackage 'demo' 'main' $Path @Extra -ErrorAction Stop } | Should -Throw -ErrorId "$ErrorId,$PublishCommand" -PassThru
    }

    # The store holds nothing: no package, no blob file, no staging file, no bytes counted.
    function Assert-NothingStored {
        @(Get-CaPackage -Domain 'demo' -Repository 'main').Count | Should -Be 0
        Get-StoreFile -StorePath $Store -Folder 'blobs' | Should -BeNullOrEmpty
        Get-StoreFile -StorePath $Store -Folder 'tmp' | Should -BeNullOrEmpty
        (Get-CaDomain -Name 'demo').AssetSizeBytes | Should -Be 0
    }

    # A minimal nuspec.
    function Get-Nuspec([string] $Id = 'Demo.Bad', [string] $Version = '1.0.0', [string] $Description = 'A package.', [string] $Prolog = '') {
        @"
<?xml version="1.0" encoding="utf-8"?>
$Prolog
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata>
    <id>$Id</id>
    <version>$Version</version>
    <authors>Demo</authors>
    <description>$Description</description>
  </metadata>
</package>
"@
    }

    # A minimal POM.
    function Get-Pom([string] $GroupId = 'org.example', [string] $ArtifactId = 'bad', [string] $Version = '1.0', [string] $Description = 'A POM.', [string] $Prolog = '') {
        @"
<?xml version="1.0" encoding="UTF-8"?>
$Prolog
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>$GroupId</groupId>
  <artifactId>$ArtifactId</artifactId>
  <version>$Version</version>
  <description>$Description</description>
</project>
"@
    }

    # A wheel whose METADATA says $Name $Version, named $FileName.
    function New-TestWheel([string] $Folder, [string] $FileName, [string] $Name, [string] $Version, [string] $Body = '') {
        $distInfo = ($FileName -split '-')[0] + '-' + ($FileName -split '-')[1] + '.dist-info'
        New-TestZip -Path (Join-Path $Folder $FileName) -Entry ([ordered]@{
                'pkg/__init__.py'      = ''
                "$distInfo/METADATA" = "Metadata-Version: 2.1`nName: $Name`nVersion: $Version`n`n$Body"
                "$distInfo/WHEEL"    = "Wheel-Version: 1.0`nRoot-Is-Purelib: true`nTag: py3-none-any`n"
            })
    }
}

Describe 'Refusing bad package files' {
    BeforeEach {
        $script:Store = New-TestStore
        New-CaDomain -Name 'demo' | Out-Null
        New-CaRepository -Domain 'demo' -Name 'main' | Out-Null
        $script:Work = New-WorkFolder
    }

    AfterEach {
        Remove-TestStore
    }

    Context 'Corrupt and truncated archives' {
        It 'refuses random bytes named <Name> with InvalidPackageFile and stores nothing' -ForEach @(
            @{ Name = 'demo-lib-1.2.3.tgz'; Extra = @{} }
            @{ Name = 'Tiny_Demo-1.2.0rc1-py3-none-any.whl'; Extra = @{} }
            @{ Name = 'Tiny-Demo-1.2.0rc1.tar.gz'; Extra = @{} }
            @{ Name = 'Tiny-Demo-1.2.0rc1.zip'; Extra = @{} }
            @{ Name = 'Demo.Core.1.2.3.nupkg'; Extra = @{} }
            @{ Name = 'demo-lib-1.0.0.jar'; Extra = @{ Namespace = 'org.pscodeartifact.fixtures'; Package = 'demo-lib'; Version = '1.0.0' } }
            @{ Name = 'demo-lib-1.0.0.pom'; Extra = @{} }
        ) {
            $corrupt = New-RandomFile -Path (Join-Path $Work $Name) -Length 5000
            Invoke-RefusedPublish $corrupt.FullName 'InvalidPackageFile' $Extra | Out-Null
            Assert-NothingStored
        }

        It 'refuses the first half of <File> with InvalidPackageFile and stores nothing' -ForEach @(
            @{ File = 'npm/demo-lib-1.2.3.tgz'; Extra = @{} }
            @{ File = 'pypi/Tiny_Demo-1.2.0rc1-py3-none-any.whl'; Extra = @{} }
            @{ File = 'pypi/Tiny-Demo-1.2.0rc1.tar.gz'; Extra = @{} }
            @{ File = 'pypi/Tiny-Demo-1.2.0rc1.zip'; Extra = @{} }
            @{ File = 'nuget/Demo.Core.1.2.3.nupkg'; Extra = @{} }
            @{ File = 'maven/demo-lib-1.0.0.jar'; Extra = @{ Namespace = 'org.pscodeartifact.fixtures'; Package = 'demo-lib'; Version = '1.0.0' } }
            @{ File = 'maven/demo-lib-1.0.0.pom'; Extra = @{} }
        ) {
            $fixture = Get-PackageFixture $File
            $truncated = Copy-TruncatedFile -Source $fixture -Destination (Join-Path $Work (Split-Path $fixture -Leaf))
            $truncated.Length | Should -BeLessThan (Get-Item $fixture).Length
            Invoke-RefusedPublish $truncated.FullName 'InvalidPackageFile' $Extra | Out-Null
            Assert-NothingStored
        }

        It 'refuses <File> without its 8-byte gzip trailer (CRC-32 and size) with InvalidPackageFile and stores nothing' -ForEach @(
            @{ File = 'npm/demo-lib-1.2.3.tgz' }
            @{ File = 'pypi/Tiny-Demo-1.2.0rc1.tar.gz' }
        ) {
            $fixture = Get-PackageFixture $File
            $cut = Copy-TruncatedFile -Source $fixture -Destination (Join-Path $Work (Split-Path $fixture -Leaf)) -Bytes ((Get-Item $fixture).Length - 8)
            Invoke-RefusedPublish $cut.FullName 'InvalidPackageFile' | Out-Null
            Assert-NothingStored
        }

        It 'refuses an empty <Name> with InvalidPackageFile' -ForEach @(
            @{ Name = 'demo-lib-1.2.3.tgz' }
            @{ Name = 'Demo.Core.1.2.3.nupkg' }
            @{ Name = 'Tiny_Demo-1.2.0rc1-py3-none-any.whl' }
        ) {
            $empty = Join-Path $Work $Name
            [IO.File]::WriteAllBytes($empty, [byte[]]::new(0))
            Invoke-RefusedPublish $empty 'InvalidPackageFile' | Out-Null
            Assert-NothingStored
        }
    }

    Context 'Archives without their manifest' {
        It 'refuses <Case> with InvalidPackageFile and stores nothing' -ForEach @(
            @{ Case = 'an npm tarball without package.json'; Kind = 'npm-none' }
            @{ Case = 'an npm tarball whose package.json is not in its top-level folder'; Kind = 'npm-deep' }
            @{ Case = 'a wheel without METADATA'; Kind = 'wheel' }
            @{ Case = 'a wheel without a .dist-info folder'; Kind = 'wheel-none' }
            @{ Case = 'an sdist without PKG-INFO'; Kind = 'sdist' }
            @{ Case = 'a nupkg without a .nuspec'; Kind = 'nupkg' }
            @{ Case = 'a nupkg whose .nuspec is in a folder'; Kind = 'nupkg-deep' }
        ) {
            $made = switch ($Kind) {
                'npm-none' { New-TestTarGz -Path (Join-Path $Work 'demo-lib-1.2.3.tgz') -Entry ([ordered]@{ 'package/index.js' = 'module.exports = 1;' }) }
                'npm-deep' { New-TestTarGz -Path (Join-Path $Work 'demo-lib-1.2.3.tgz') -Entry ([ordered]@{ 'package/lib/package.json' = '{"name":"demo-lib","version":"1.2.3"}' }) }
                'wheel' {
                    New-TestZip -Path (Join-Path $Work 'Tiny_Demo-1.2.0rc1-py3-none-any.whl') -Entry ([ordered]@{
                            'tiny_demo/__init__.py'                = ''
                            'Tiny_Demo-1.2.0rc1.dist-info/WHEEL' = "Wheel-Version: 1.0`n"
                        })
                }
                'wheel-none' { New-TestZip -Path (Join-Path $Work 'Tiny_Demo-1.2.0rc1-py3-none-any.whl') -Entry ([ordered]@{ 'tiny_demo/__init__.py' = '' }) }
                'sdist' { New-TestTarGz -Path (Join-Path $Work 'Tiny-Demo-1.2.0rc1.tar.gz') -Entry ([ordered]@{ 'Tiny-Demo-1.2.0rc1/setup.py' = 'from setuptools import setup' }) }
                'nupkg' { New-TestZip -Path (Join-Path $Work 'Demo.Core.1.2.3.nupkg') -Entry ([ordered]@{ 'lib/net10.0/readme.txt' = 'no manifest' }) }
                'nupkg-deep' { New-TestZip -Path (Join-Path $Work 'Demo.Core.1.2.3.nupkg') -Entry ([ordered]@{ 'content/Demo.Core.nuspec' = (Get-Nuspec -Id 'Demo.Core' -Version '1.2.3') }) }
            }
            Invoke-RefusedPublish $made.FullName 'InvalidPackageFile' | Out-Null
            Assert-NothingStored
        }
    }

    Context 'Invalid names and versions' {
        It 'refuses <Case> with <ErrorId> and stores nothing' -ForEach @(
            @{ Case = "an npm version '1.0'"; Kind = 'npm'; Name = 'demo-lib'; Version = '1.0'; ErrorId = 'InvalidPackageVersion' }
            @{ Case = "an npm version 'v1.x'"; Kind = 'npm'; Name = 'demo-lib'; Version = 'v1.x'; ErrorId = 'InvalidPackageVersion' }
            @{ Case = "an npm name with a space 'my package'"; Kind = 'npm'; Name = 'my package'; Version = '1.0.0'; ErrorId = 'InvalidPackageName' }
            @{ Case = "an npm name starting with a dot '.hidden'"; Kind = 'npm'; Name = '.hidden'; Version = '1.0.0'; ErrorId = 'InvalidPackageName' }
            @{ Case = "an npm name with '~'"; Kind = 'npm'; Name = 'a~b'; Version = '1.0.0'; ErrorId = 'InvalidPackageName' }
            @{ Case = "a malformed npm scope '@/x'"; Kind = 'npm'; Name = '@/x'; Version = '1.0.0'; ErrorId = 'InvalidPackageName' }
            @{ Case = "a NuGet version 'one.two'"; Kind = 'nuget'; Name = 'Demo.Bad'; Version = 'one.two'; ErrorId = 'InvalidPackageVersion' }
            @{ Case = "a NuGet id with a space 'Demo Bad'"; Kind = 'nuget'; Name = 'Demo Bad'; Version = '1.0.0'; ErrorId = 'InvalidPackageName' }
            @{ Case = "a NuGet id '..'"; Kind = 'nuget'; Name = '..'; Version = '1.0.0'; ErrorId = 'InvalidPackageName' }
            @{ Case = "a Maven groupId 'org/evil'"; Kind = 'maven'; Name = 'org/evil'; Version = '1.0'; ErrorId = 'InvalidPackageName' }
            @{ Case = "a Maven version with an unresolved property"; Kind = 'maven'; Name = 'org.example'; Version = '${missing.version}'; ErrorId = 'InvalidPackageVersion' }
            @{ Case = "a PyPI name 'bad name!' in METADATA"; Kind = 'pypi'; Name = 'bad name!'; Version = '1.0'; ErrorId = 'InvalidPackageName' }
            @{ Case = "a PyPI version 'not a version' in METADATA"; Kind = 'pypi'; Name = 'bad'; Version = 'not a version'; ErrorId = 'InvalidPackageVersion' }
        ) {
            $made = switch ($Kind) {
                'npm' { New-TestNpmTarball -Path (Join-Path $Work 'bad-1.0.0.tgz') -PackageJson ([ordered]@{ name = $Name; version = $Version }) }
                'nuget' { New-TestNupkg -Path (Join-Path $Work 'Demo.Bad.1.0.0.nupkg') -Nuspec (Get-Nuspec -Id $Name -Version $Version) }
                'maven' {
                    $pom = Join-Path $Work 'bad-1.0.pom'
                    Set-Content -Path $pom -Value (Get-Pom -GroupId $Name -Version $Version)
                    Get-Item $pom
                }
                'pypi' { New-TestWheel -Folder $Work -FileName 'bad-1.0-py3-none-any.whl' -Name $Name -Version $Version }
            }
            Invoke-RefusedPublish $made.FullName $ErrorId | Out-Null
            Assert-NothingStored
        }

        It 'refuses the generic coordinates <Case> with <ErrorId> and stores nothing' -ForEach @(
            @{ Case = 'without a namespace'; Coordinates = @{ Package = 'tool'; Version = '1.0' }; ErrorId = 'InvalidPackageName' }
            @{ Case = "with the name 'a tool'"; Coordinates = @{ Namespace = 'team'; Package = 'a tool'; Version = '1.0' }; ErrorId = 'InvalidPackageName' }
            @{ Case = "with the namespace 'a/b'"; Coordinates = @{ Namespace = 'a/b'; Package = 'tool'; Version = '1.0' }; ErrorId = 'InvalidPackageName' }
            @{ Case = "with the version '1.0#2'"; Coordinates = @{ Namespace = 'team'; Package = 'tool'; Version = '1.0#2' }; ErrorId = 'InvalidPackageVersion' }
            @{ Case = 'without a version'; Coordinates = @{ Namespace = 'team'; Package = 'tool' }; ErrorId = 'InvalidPackageFile' }
        ) {
            $file = Join-Path $Work 'tool.txt'
            Set-Content -Path $file -Value 'a tool'
            Invoke-RefusedPublish $file $ErrorId (@{ Format = 'generic' } + $Coordinates) | Out-Null
            Assert-NothingStored
        }
    }

    Context 'Manifests that disagree with the file' {
        It 'refuses <Case> with PackageFileMismatch and stores nothing' -ForEach @(
            @{ Case = 'a wheel renamed to another version'; File = 'pypi/Tiny_Demo-1.2.0rc1-py3-none-any.whl'; Name = 'Tiny_Demo-1.3.0-py3-none-any.whl'; Extra = @{} }
            @{ Case = 'a wheel renamed to another project'; File = 'pypi/Tiny_Demo-1.2.0rc1-py3-none-any.whl'; Name = 'Other_Demo-1.2.0rc1-py3-none-any.whl'; Extra = @{} }
            @{ Case = 'an sdist renamed to another version'; File = 'pypi/Tiny-Demo-1.2.0rc1.tar.gz'; Name = 'Tiny-Demo-1.3.0.tar.gz'; Extra = @{} }
            @{ Case = 'a POM renamed to another version'; File = 'maven/demo-lib-1.0.0.pom'; Name = 'demo-lib-2.0.0.pom'; Extra = @{} }
            @{ Case = 'a jar named for another version than the coordinates given'; File = 'maven/demo-lib-1.0.0.jar'; Name = 'demo-lib-1.0.0.jar'
                Extra = @{ Namespace = 'org.pscodeartifact.fixtures'; Package = 'demo-lib'; Version = '2.0.0' } }
            @{ Case = 'an npm tarball given another -Version'; File = 'npm/demo-lib-1.2.3.tgz'; Name = 'demo-lib-1.2.3.tgz'; Extra = @{ Version = '9.9.9' } }
            @{ Case = 'an npm tarball given another -Package'; File = 'npm/demo-lib-1.2.3.tgz'; Name = 'demo-lib-1.2.3.tgz'; Extra = @{ Package = 'other-lib' } }
            @{ Case = 'a scoped npm tarball given another -Namespace'; File = 'npm/demo-scope-widget-1.0.0-beta.1.tgz'; Name = 'widget.tgz'; Extra = @{ Namespace = 'other-scope' } }
            @{ Case = 'a nupkg given another -Version'; File = 'nuget/Demo.Core.1.2.3.nupkg'; Name = 'Demo.Core.1.2.3.nupkg'; Extra = @{ Version = '9.9.9' } }
            @{ Case = 'a nupkg given another -Package'; File = 'nuget/Demo.Core.1.2.3.nupkg'; Name = 'Demo.Core.1.2.3.nupkg'; Extra = @{ Package = 'Demo.Other' } }
        ) {
            $renamed = Join-Path $Work $Name
            Copy-Item (Get-PackageFixture $File) $renamed
            Invoke-RefusedPublish $renamed 'PackageFileMismatch' $Extra | Out-Null
            Assert-NothingStored
        }

        It 'refuses a wheel whose METADATA names another version than its .dist-info folder with PackageFileMismatch' {
            $made = New-TestZip -Path (Join-Path $Work 'tiny-1.0-py3-none-any.whl') -Entry ([ordered]@{
                    'tiny-2.0.dist-info/METADATA' = "Metadata-Version: 2.1`nName: tiny`nVersion: 1.0`n"
                    'tiny-2.0.dist-info/WHEEL'    = "Wheel-Version: 1.0`n"
                })
            Invoke-RefusedPublish $made.FullName 'PackageFileMismatch' | Out-Null
            Assert-NothingStored
        }
    }

    Context 'Unsafe archive entries' {
        It 'refuses <Case> with InvalidPackageFile and stores nothing' -ForEach @(
            @{ Case = "an npm tarball with 'package/../../evil.js'"; Kind = 'tgz'; File = 'npm/demo-lib-1.2.3.tgz'; Entry = 'package/../../evil.js'; Extra = @{} }
            @{ Case = "an npm tarball with the absolute '/etc/evil.js'"; Kind = 'tgz'; File = 'npm/demo-lib-1.2.3.tgz'; Entry = '/etc/evil.js'; Extra = @{} }
            @{ Case = "an sdist with 'Tiny-Demo-1.2.0rc1/../../evil.py'"; Kind = 'tgz'; File = 'pypi/Tiny-Demo-1.2.0rc1.tar.gz'; Entry = 'Tiny-Demo-1.2.0rc1/../../evil.py'; Extra = @{} }
            @{ Case = "a wheel with '../evil.py'"; Kind = 'zip'; File = 'pypi/Tiny_Demo-1.2.0rc1-py3-none-any.whl'; Entry = '../evil.py'; Extra = @{} }
            @{ Case = "a wheel with the absolute '/tmp/evil.py'"; Kind = 'zip'; File = 'pypi/Tiny_Demo-1.2.0rc1-py3-none-any.whl'; Entry = '/tmp/evil.py'; Extra = @{} }
            @{ Case = "a nupkg with 'lib/../../evil.dll'"; Kind = 'zip'; File = 'nuget/Demo.Core.1.2.3.nupkg'; Entry = 'lib/../../evil.dll'; Extra = @{} }
            @{ Case = "a nupkg with '..\evil.dll' (backslashes)"; Kind = 'zip'; File = 'nuget/Demo.Core.1.2.3.nupkg'; Entry = '..\evil.dll'; Extra = @{} }
            @{ Case = "a nupkg with the drive path 'C:/evil.dll'"; Kind = 'zip'; File = 'nuget/Demo.Core.1.2.3.nupkg'; Entry = 'C:/evil.dll'; Extra = @{} }
            @{ Case = "a jar with '../evil.class'"; Kind = 'zip'; File = 'maven/demo-lib-1.0.0.jar'; Entry = '../evil.class'; Extra = @{ Namespace = 'org.pscodeartifact.fixtures'; Package = 'demo-lib'; Version = '1.0.0' } }
        ) {
            $fixture = Get-PackageFixture $File
            $target = Join-Path $Work (Split-Path $fixture -Leaf)
            $made = if ($Kind -eq 'tgz') { Copy-TarGzWithEntry -Source $fixture -Destination $target -Entry @{ $Entry = 'evil' } }
            else { Copy-ZipWithEntry -Source $fixture -Destination $target -Entry @{ $Entry = 'evil' } }

            $refusal = Invoke-RefusedPublish $made.FullName 'InvalidPackageFile' $Extra
            $refusal.Exception.Message | Should -BeLike '*evil*'
            Assert-NothingStored
            Test-Path (Join-Path $Store 'evil.js') | Should -BeFalse
        }
    }

    Context 'Decompression bombs' {
        It 'refuses <Case> (300 MB of zeros) with InvalidPackageFile, quickly, and stores nothing' -ForEach @(
            @{ Case = 'an npm tarball'; Kind = 'tgz' }
            @{ Case = 'a nupkg'; Kind = 'nupkg' }
            @{ Case = 'a wheel'; Kind = 'whl' }
        ) {
            $made = switch ($Kind) {
                'tgz' {
                    New-TestTarGz -Path (Join-Path $Work 'bomb-1.0.0.tgz') -CompressionLevel SmallestSize -Entry ([ordered]@{
                            'package/package.json' = '{"name":"bomb","version":"1.0.0"}'
                            'package/zeros.bin'    = (New-ZeroStream -Length 300MB)
                        })
                }
                'nupkg' {
                    New-TestZip -Path (Join-Path $Work 'Bomb.1.0.0.nupkg') -CompressionLevel SmallestSize -Entry ([ordered]@{
                            'Bomb.nuspec'   = (Get-Nuspec -Id 'Bomb' -Version '1.0.0')
                            'lib/zeros.bin' = (New-ZeroStream -Length 300MB)
                        })
                }
                'whl' {
                    New-TestZip -Path (Join-Path $Work 'bomb-1.0-py3-none-any.whl') -CompressionLevel SmallestSize -Entry ([ordered]@{
                            'bomb/zeros.bin'          = (New-ZeroStream -Length 300MB)
                            'bomb-1.0.dist-info/METADATA' = "Metadata-Version: 2.1`nName: bomb`nVersion: 1.0`n"
                        })
                }
            }
            $made.Length | Should -BeLessThan 2MB

            $watch = [Diagnostics.Stopwatch]::StartNew()
            $refusal = Invoke-RefusedPublish $made.FullName 'InvalidPackageFile'
            $watch.Stop()

            $refusal.Exception.Message | Should -BeLike '*decompression bomb*'
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 10
            Assert-NothingStored
        }

        It 'refuses an npm tarball whose package.json is 300 MB of zeros with InvalidPackageFile' {
            $made = New-TestTarGz -Path (Join-Path $Work 'bomb-1.0.0.tgz') -CompressionLevel SmallestSize -Entry ([ordered]@{
                    'package/package.json' = (New-ZeroStream -Length 300MB)
                })
            Invoke-RefusedPublish $made.FullName 'InvalidPackageFile' | Out-Null
            Assert-NothingStored
        }
    }

    Context 'XML with a DTD or entities' {
        BeforeEach {
            # A file an external entity points at: its content must never come back.
            $script:Secret = 'SECRET-' + [guid]::NewGuid().ToString('N')
            $script:SecretPath = Join-Path $Work 'secret.txt'
            Set-Content -Path $SecretPath -Value $Secret -NoNewline
            $script:SecretUri = ([Uri] $SecretPath).AbsoluteUri
        }

        It 'refuses <Case> with InvalidPackageFile, never reads the referenced file into the error or the store' -ForEach @(
            @{ Case = 'a POM with an external entity'; Kind = 'pom-external' }
            @{ Case = 'a POM with an external DTD'; Kind = 'pom-dtd' }
            @{ Case = 'a nuspec with an external entity'; Kind = 'nuspec-external' }
            @{ Case = 'a nuspec with an external parameter entity'; Kind = 'nuspec-parameter' }
        ) {
            $entity = "<!DOCTYPE project [ <!ENTITY xxe SYSTEM `"$SecretUri`"> ]>"
            $made = switch ($Kind) {
                'pom-external' {
                    $pom = Join-Path $Work 'xxe-1.0.pom'
                    Set-Content -Path $pom -Value (Get-Pom -ArtifactId 'xxe' -Description '&xxe;' -Prolog $entity)
                    Get-Item $pom
                }
                'pom-dtd' {
                    $pom = Join-Path $Work 'xxe-1.0.pom'
                    Set-Content -Path $pom -Value (Get-Pom -ArtifactId 'xxe' -Prolog "<!DOCTYPE project SYSTEM `"$SecretUri`">")
                    Get-Item $pom
                }
                'nuspec-external' {
                    New-TestNupkg -Path (Join-Path $Work 'Xxe.1.0.0.nupkg') -NuspecName 'Xxe.nuspec' `
                        -Nuspec (Get-Nuspec -Id 'Xxe' -Description '&xxe;' -Prolog ($entity -replace 'project', 'package'))
                }
                'nuspec-parameter' {
                    New-TestNupkg -Path (Join-Path $Work 'Xxe.1.0.0.nupkg') -NuspecName 'Xxe.nuspec' `
                        -Nuspec (Get-Nuspec -Id 'Xxe' -Prolog "<!DOCTYPE package [ <!ENTITY % xxe SYSTEM `"$SecretUri`"> %xxe; ]>")
                }
            }

            $refusal = Invoke-RefusedPublish $made.FullName 'InvalidPackageFile'

            # Refused for the DTD itself, before anything was resolved.
            $refusal.Exception.Message | Should -Match 'DTD'
            (Get-ErrorText $refusal).Contains($Secret) | Should -BeFalse
            Assert-NothingStored
            Test-StoreContainsText -StorePath $Store -Text $Secret | Should -BeFalse
        }

        It 'refuses a POM with internal entities (billion laughs) with InvalidPackageFile' {
            $laughs = @'
<!DOCTYPE project [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
'@
            $pom = Join-Path $Work 'laughs-1.0.pom'
            Set-Content -Path $pom -Value (Get-Pom -ArtifactId 'laughs' -Description '&lol3;' -Prolog $laughs)
            Invoke-RefusedPublish $pom 'InvalidPackageFile' | Out-Null
            Assert-NothingStored
        }
    }

    Context 'Oversized manifests' {
        It 'refuses <Case> larger than 1 MiB with InvalidPackageFile and stores nothing' -ForEach @(
            @{ Case = 'a package.json'; Kind = 'npm' }
            @{ Case = 'a nuspec'; Kind = 'nuspec' }
            @{ Case = 'a POM'; Kind = 'pom' }
            @{ Case = 'a wheel METADATA'; Kind = 'wheel' }
        ) {
            $padding = 'x' * (1MB + 1024)
            $made = switch ($Kind) {
                'npm' { New-TestNpmTarball -Path (Join-Path $Work 'big-1.0.0.tgz') -PackageJson ([ordered]@{ name = 'big'; version = '1.0.0'; description = $padding }) }
                'nuspec' { New-TestNupkg -Path (Join-Path $Work 'Big.1.0.0.nupkg') -NuspecName 'Big.nuspec' -Nuspec (Get-Nuspec -Id 'Big' -Description $padding) }
                'pom' {
                    $pom = Join-Path $Work 'big-1.0.pom'
                    Set-Content -Path $pom -Value (Get-Pom -ArtifactId 'big' -Description $padding)
                    Get-Item $pom
                }
                'wheel' { New-TestWheel -Folder $Work -FileName 'big-1.0-py3-none-any.whl' -Name 'big' -Version '1.0' -Body $padding }
            }
            Invoke-RefusedPublish $made.FullName 'InvalidPackageFile' | Out-Null
            Assert-NothingStored
        }
    }

    Context 'The SHA-256 a file must have' {
        It 'refuses a generic asset whose content does not have the -Sha256 given with DigestMismatch and stores nothing' {
            $file = Join-Path $Work 'tool.txt'
            Set-Content -Path $file -Value 'a tool'
            $wrong = (Get-FileHash -LiteralPath (Get-PackageFixture 'npm/demo-lib-1.2.3.tgz')).Hash

            Invoke-RefusedPublish $file 'DigestMismatch' @{ Format = 'generic'; Namespace = 'team'; Package = 'tool'; Version = '1.0'; Sha256 = $wrong } | Out-Null
            Assert-NothingStored
        }

        It 'refuses an npm tarball whose content does not have the -Sha256 given with DigestMismatch' {
            Invoke-RefusedPublish (Get-PackageFixture 'npm/demo-lib-1.2.3.tgz') 'DigestMismatch' @{ Sha256 = 'a' * 64 } | Out-Null
            Assert-NothingStored
        }

        It 'publishes a generic asset whose content has the -Sha256 given, in any case of hex digits' {
            $file = Join-Path $Work 'tool.txt'
            Set-Content -Path $file -Value 'a tool'
            $hash = (Get-FileHash -LiteralPath $file -Algorithm SHA256).Hash

            $published = Publish-CaPackage 'demo' 'main' $file -Format generic -Namespace 'team' -Package 'tool' -Version '1.0' -Sha256 $hash
            $published.Status | Should -BeExactly 'Published'
            (Get-CaPackageVersionAsset -Domain 'demo' -Repository 'main' -Format generic -Namespace 'team' -Package 'tool' -Version '1.0').Hashes['SHA-256'] |
                Should -BeExactly $hash.ToLowerInvariant()
            (Publish-CaPackage 'demo' 'main' $file -Format generic -Namespace 'team' -Package 'tool' -Version '1.0' -Sha256 $hash.ToLowerInvariant()).Status |
                Should -BeExactly 'Published'
        }

        It 'refuses a -Sha256 that is not 64 hex digits (parameter validation)' {
            $file = Join-Path $Work 'tool.txt'
            Set-Content -Path $file -Value 'a tool'
            { Publish-CaPackage 'demo' 'main' $file -Format generic -Namespace 'team' -Package 'tool' -Version '1.0' -Sha256 'abc' -ErrorAction Stop } |
                Should -Throw -ErrorId "ParameterArgumentValidationError,$PublishCommand"
            Assert-NothingStored
        }
    }

    Context 'A refused file among good ones' {
        It 'publishes the good files of a call and refuses the bad one, keeping nothing of it' {
            $corrupt = New-RandomFile -Path (Join-Path $Work 'broken-1.0.0.tgz')
            $published = @(Publish-CaPackage 'demo' 'main' (Get-PackageFixture 'nuget/Demo.Core.1.2.3.nupkg'), $corrupt.FullName -ErrorAction SilentlyContinue -ErrorVariable failures)

            $published.Count | Should -Be 1
            @($failures).Count | Should -Be 1
            $failures[0].FullyQualifiedErrorId | Should -BeExactly "InvalidPackageFile,$PublishCommand"
            @(Get-CaPackage -Domain 'demo' -Repository 'main').DisplayName | Should -Be @('Demo.Core')
            Get-StoreFile -StorePath $Store -Folder 'tmp' | Should -BeNullOrEmpty
        }
    }
}
