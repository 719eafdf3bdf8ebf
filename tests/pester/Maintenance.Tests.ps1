BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-TestModule
}

Describe 'Repair-CaStore' {
    BeforeEach {
        $script:Store = New-TestStore
        New-CaDomain -Name 'sweep' | Out-Null
        New-CaRepository -Domain 'sweep' -Name 'main' | Out-Null
        $file = Join-Path $TestDrive 'kept.bin'
        [IO.File]::WriteAllBytes($file, [byte[]](1..200))
        Publish-CaPackage 'sweep' 'main' $file -Format generic -Namespace 'team' -Package 'kept' -Version '1.0' | Out-Null
    }

    AfterEach { Remove-TestStore }

    It 'removes an orphaned blob file and a stale staging file, and keeps the blobs versions use' {
        $kept = @(Get-ChildItem (Join-Path $Store 'blobs') -Recurse -File | ForEach-Object FullName)
        $kept.Count | Should -Be 1
        # Blob files live in a folder named by the first two characters of their name.
        $shard = Join-Path $Store 'blobs/sweep/ab'
        New-Item -ItemType Directory -Path $shard -Force | Out-Null
        $orphan = Join-Path $shard ('ab' + ('0' * 62))
        [IO.File]::WriteAllBytes($orphan, [byte[]](1..50))
        $staging = Join-Path $Store 'tmp/leftover.blob'
        [IO.File]::WriteAllBytes($staging, [byte[]](1..50))
        foreach ($path in $orphan, $staging) { (Get-Item $path).LastWriteTimeUtc = [DateTime]::UtcNow.AddHours(-2) }

        $report = Repair-CaStore -Confirm:$false

        $report.OrphanBlobsRemoved | Should -Be 1
        $report.StaleStagingFilesRemoved | Should -Be 1
        Test-Path $orphan | Should -BeFalse
        Test-Path $staging | Should -BeFalse
        @(Get-ChildItem (Join-Path $Store 'blobs') -Recurse -File | ForEach-Object FullName) | Should -Be $kept
        $saved = Get-CaPackageVersionAsset -Domain 'sweep' -Repository 'main' -Format generic -Namespace 'team' -Package 'kept' -Version '1.0' |
            Save-CaPackageVersionAsset -Path $TestDrive -Force
        [IO.File]::ReadAllBytes($saved.FullName).Length | Should -Be 200
    }

    It 'counts only the orphans it removed, and leaves files outside the blob layout alone' {
        $name = 'ab' + ('0' * 62)
        $orphan = Join-Path $Store "blobs/sweep/ab/$name"
        # The same name outside its shard folder, and a file whose name is no blob address.
        $strays = (Join-Path $Store "blobs/sweep/$name"), (Join-Path $Store 'blobs/sweep/ab/notes.txt')
        foreach ($path in @($orphan) + $strays) {
            New-Item -ItemType Directory -Path (Split-Path $path) -Force | Out-Null
            [IO.File]::WriteAllBytes($path, [byte[]](1..50))
            (Get-Item $path).LastWriteTimeUtc = [DateTime]::UtcNow.AddHours(-2)
        }

        (Repair-CaStore -Confirm:$false).OrphanBlobsRemoved | Should -Be 1

        Test-Path $orphan | Should -BeFalse
        foreach ($path in $strays) { Test-Path $path | Should -BeTrue }
        (Repair-CaStore -Confirm:$false).OrphanBlobsRemoved | Should -Be 0
    }

    It 'keeps leftovers younger than the grace period' {
        $staging = Join-Path $Store 'tmp/fresh.blob'
        [IO.File]::WriteAllBytes($staging, [byte[]](1..50))

        (Repair-CaStore -Confirm:$false).StaleStagingFilesRemoved | Should -Be 0
        Test-Path $staging | Should -BeTrue
        (Repair-CaStore -GracePeriodMinutes 0 -Confirm:$false).StaleStagingFilesRemoved | Should -Be 1
    }

    It 'removes the blob folder of a domain that no longer exists' {
        $stray = Join-Path $Store 'blobs/gone/ab'
        New-Item -ItemType Directory -Path $stray -Force | Out-Null
        [IO.File]::WriteAllBytes((Join-Path $stray ('ab' + ('1' * 62))), [byte[]](1..10))

        (Repair-CaStore -Confirm:$false).UnknownDomainFoldersRemoved | Should -Be 1
        Test-Path (Join-Path $Store 'blobs/gone') | Should -BeFalse
    }

    It 'changes nothing with -WhatIf' {
        $staging = Join-Path $Store 'tmp/leftover.blob'
        [IO.File]::WriteAllBytes($staging, [byte[]](1..50))
        (Get-Item $staging).LastWriteTimeUtc = [DateTime]::UtcNow.AddHours(-2)

        Repair-CaStore -WhatIf | Should -BeNullOrEmpty
        Test-Path $staging | Should -BeTrue
    }
}
