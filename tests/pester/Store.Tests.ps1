#Requires -Version 7.6
# The store: where it lives, its files and permissions, WAL mode, key destruction, -WhatIf, and two processes at once.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-TestModule

    $script:NewDomainCommand = 'PSCodeArtifact.PowerShell.Commands.NewCaDomainCommand'

    # The domains and repositories of the current store as comparable lines.
    function Get-StoreSnapshot {
        @(Get-CaDomain | ForEach-Object { 'domain {0} ({1} repositories) tags={2}' -f $_.Name, $_.RepositoryCount, ($_.Tags.Keys -join ',') })
        @(Get-CaRepository | ForEach-Object { 'repository {0}/{1} <- [{2}] "{3}"' -f $_.DomainName, $_.Name, ($_.Upstreams -join ','), $_.Description })
    }

    # Whether $Needle occurs in the file (byte for byte).
    function Test-FileContainsBytes([string] $Path, [byte[]] $Needle) {
        if (-not (Test-Path $Path)) { return $false }
        $stream = [IO.File]::Open($Path, 'Open', 'Read', 'ReadWrite, Delete')
        try {
            $buffer = [IO.MemoryStream]::new()
            $stream.CopyTo($buffer)
            $haystack = [Convert]::ToHexString($buffer.ToArray())
        }
        finally { $stream.Dispose() }
        $hex = [Convert]::ToHexString($Needle)
        $at = $haystack.IndexOf($hex, [StringComparison]::Ordinal)
        while ($at -ge 0) {
            if ($at % 2 -eq 0) { return $true }
            $at = $haystack.IndexOf($hex, $at + 1, [StringComparison]::Ordinal)
        }
        $false
    }

    # The wrapped data key of a domain, read straight from the catalog.
    function Get-WrappedDomainKey([string] $StorePath, [string] $Domain) {
        $builder = [Microsoft.Data.Sqlite.SqliteConnectionStringBuilder]::new()
        $builder.DataSource = Join-Path $StorePath 'catalog.db'
        $builder.Mode = 'ReadOnly'
        $builder.Pooling = $false
        $connection = [Microsoft.Data.Sqlite.SqliteConnection]::new($builder.ToString())
        try {
            $connection.Open()
            $command = $connection.CreateCommand()
            $command.CommandText = 'SELECT wrapped_key FROM domains WHERE name = $name;'
            [void] $command.Parameters.AddWithValue('$name', $Domain)
            , [byte[]] $command.ExecuteScalar()
        }
        finally { $connection.Dispose() }
    }

    # Starts a second pwsh on the current store that imports the module, warms up, signals 'ready', waits for 'go' and
    # then runs $Body. The body adds to $outcomes (strings) and $failures (error ids and messages); both are written to
    # result.json and the process exits with the number of failures.
    function Start-ChildPwsh([string] $Body) {
        $folder = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $folder | Out-Null
        $script = @'
param([string] $Folder)
$ErrorActionPreference = 'Stop'
$outcomes = [Collections.Generic.List[string]]::new()
$failures = [Collections.Generic.List[string]]::new()
try {
    Import-Module $env:PSCODEARTIFACT_MODULE
    # Warm up (load SQLite, compile the code paths) on a store of its own, so that after 'go' this process is as
    # quick as the test's and the two really run at the same time. The store under test stays untouched until 'go'.
    $storeUnderTest = $env:PSCODEARTIFACT_STORE
    $env:PSCODEARTIFACT_STORE = Join-Path $Folder 'warm-up-store'
    New-CaDomain -Name 'warm-up' | Out-Null
    New-CaRepository -Domain 'warm-up' -Name 'warm-up' | Out-Null
    Get-CaRepository | Out-Null
    try { New-CaDomain -Name 'warm-up' -ErrorAction Stop } catch { }
    $env:PSCODEARTIFACT_STORE = $storeUnderTest
    New-Item -ItemType File -Path (Join-Path $Folder 'ready') | Out-Null
    $deadline = [DateTime]::UtcNow.AddSeconds(60)
    while (-not (Test-Path (Join-Path $Folder 'go'))) {
        if ([DateTime]::UtcNow -gt $deadline) { throw 'The go signal did not come within 60 s.' }
        [Threading.Thread]::Sleep(1)
    }
    # The go file names the moment (UTC ticks) at which both processes start.
    $start = [long] (Get-Content (Join-Path $Folder 'go') -Raw)
    while ([DateTime]::UtcNow.Ticks -lt $start) { [Threading.Thread]::Sleep(0) }
    #BODY#
}
catch {
    $failures.Add("$($_.FullyQualifiedErrorId): $_")
}
@{ Outcomes = @($outcomes); Failures = @($failures) } | ConvertTo-Json | Set-Content -Path (Join-Path $Folder 'result.json')
exit [Math]::Min($failures.Count, 100)
'@.Replace('#BODY#', $Body) # not -replace: '$_' in a replacement means the whole input
        $path = Join-Path $folder 'child.ps1'
        Set-Content -Path $path -Value $script -Encoding utf8NoBOM
        $process = Start-TestPwsh -ScriptPath $path -StorePath $env:PSCODEARTIFACT_STORE -ArgumentList $folder
        Wait-TestFile -Path (Join-Path $folder 'ready') -TimeoutSeconds 120 -Process $process
        [pscustomobject]@{ Process = $process; Folder = $folder }
    }

    # Tells the child to start at a moment shortly ahead and waits for that moment, so both start together.
    function Send-GoSignal($Child) {
        $start = [DateTime]::UtcNow.AddMilliseconds(300).Ticks
        $go = Join-Path $Child.Folder 'go'
        Set-Content -Path "$go.tmp" -Value $start -NoNewline
        Move-Item "$go.tmp" $go
        while ([DateTime]::UtcNow.Ticks -lt $start) { [Threading.Thread]::Sleep(0) }
    }

    function Wait-ChildPwsh($Child) {
        $exit = Wait-TestPwsh -Process $Child.Process -TimeoutSeconds 120
        $resultPath = Join-Path $Child.Folder 'result.json'
        if (-not (Test-Path $resultPath)) {
            throw "The child wrote no result (exit code $($exit.ExitCode)): $($exit.ErrorOutput) $($exit.Output)"
        }
        $result = Get-Content $resultPath -Raw | ConvertFrom-Json
        [pscustomobject]@{ ExitCode = $exit.ExitCode; Outcomes = @($result.Outcomes); Failures = @($result.Failures) }
    }
}

Describe 'The store' {
    BeforeEach {
        $script:Store = New-TestStore
    }

    AfterEach {
        Remove-TestStore
    }

    Context 'Location and layout' {
        It 'is created in $env:PSCODEARTIFACT_STORE by the first command, with catalog.db, keys, blobs and tmp' {
            Test-Path $script:Store | Should -BeFalse
            @(Get-CaDomain).Count | Should -Be 0
            Test-Path (Join-Path $script:Store 'catalog.db') -PathType Leaf | Should -BeTrue
            Test-Path (Join-Path $script:Store 'blobs') -PathType Container | Should -BeTrue
            Test-Path (Join-Path $script:Store 'tmp') -PathType Container | Should -BeTrue

            New-CaDomain -Name 'demo' | Out-Null
            Test-Path (Join-Path $script:Store 'keys/kek-1.key') -PathType Leaf | Should -BeTrue
            (Get-Item (Join-Path $script:Store 'keys/kek-1.key')).Length | Should -Be 32
        }

        It 'switches stores when the variable changes between commands' {
            $other = New-TestStore -NoSwitch
            try {
                New-CaDomain -Name 'only-in-first' | Out-Null

                $env:PSCODEARTIFACT_STORE = $other
                @(Get-CaDomain).Count | Should -Be 0
                { Get-CaDomain -Name 'only-in-first' -ErrorAction Stop } |
                    Should -Throw -ErrorId 'DomainNotFound,PSCodeArtifact.PowerShell.Commands.GetCaDomainCommand'
                New-CaDomain -Name 'only-in-second' | Out-Null
                Test-Path (Join-Path $other 'catalog.db') | Should -BeTrue

                $env:PSCODEARTIFACT_STORE = $script:Store
                @(Get-CaDomain).Name | Should -Be @('only-in-first')
            }
            finally {
                $env:PSCODEARTIFACT_STORE = $script:Store
                Remove-TestStore -Path $other
            }
        }

        It 'takes a relative $env:PSCODEARTIFACT_STORE relative to the current PowerShell location' {
            $location = New-TestStore -NoSwitch
            $processDirectory = New-TestStore -NoSwitch
            $savedDirectory = [Environment]::CurrentDirectory
            New-Item -ItemType Directory -Path $location, $processDirectory | Out-Null
            try {
                # PowerShell's location and the process's working directory differ, as they usually do.
                [Environment]::CurrentDirectory = $processDirectory
                Push-Location $location
                $env:PSCODEARTIFACT_STORE = 'relative-store'
                New-CaDomain -Name 'demo' | Out-Null
                Pop-Location

                Test-Path (Join-Path $location 'relative-store/catalog.db') | Should -BeTrue
                Test-Path (Join-Path $processDirectory 'relative-store') | Should -BeFalse
                $env:PSCODEARTIFACT_STORE = Join-Path $location 'relative-store'
                @(Get-CaDomain).Name | Should -Be @('demo')
            }
            finally {
                Pop-Location -ErrorAction SilentlyContinue
                [Environment]::CurrentDirectory = $savedDirectory
                $env:PSCODEARTIFACT_STORE = $script:Store
                Remove-TestStore -Path $location, $processDirectory
            }
        }

        It 'completes names from the store a relative $env:PSCODEARTIFACT_STORE names, as the cmdlets use it' {
            $location = New-TestStore -NoSwitch
            $processDirectory = New-TestStore -NoSwitch
            $savedDirectory = [Environment]::CurrentDirectory
            New-Item -ItemType Directory -Path $location, $processDirectory | Out-Null
            try {
                [Environment]::CurrentDirectory = $processDirectory
                Push-Location $location
                $env:PSCODEARTIFACT_STORE = 'relative-store'
                New-CaDomain -Name 'demo' | Out-Null
                New-CaRepository -Domain 'demo' -Name 'main' | Out-Null

                $domains = Get-CompletionText -InputScript 'Get-CaDomain -Name d'
                $repositories = Get-CompletionText -InputScript 'Get-CaRepository -Domain demo -Name m'
                Pop-Location

                $domains | Should -Be @('demo')
                $repositories | Should -Be @('main')
                Test-Path (Join-Path $processDirectory 'relative-store') | Should -BeFalse -Because 'completion must not create a store elsewhere'
            }
            finally {
                Pop-Location -ErrorAction SilentlyContinue
                [Environment]::CurrentDirectory = $savedDirectory
                $env:PSCODEARTIFACT_STORE = $script:Store
                Remove-TestStore -Path $location, $processDirectory
            }
        }

        It 'gives each store its own key, named by generation and fingerprint in EncryptionKey' {
            $other = New-TestStore -NoSwitch
            try {
                $first = New-CaDomain -Name 'demo'
                $keyFile = Join-Path $script:Store 'keys/kek-1.key'
                $hash = [Security.Cryptography.SHA256]::HashData([IO.File]::ReadAllBytes($keyFile))
                $fingerprint = [Convert]::ToHexString([byte[]] $hash[0..7]).ToLowerInvariant()
                $first.EncryptionKey | Should -BeExactly "local:kek-1-$fingerprint"

                $env:PSCODEARTIFACT_STORE = $other
                $second = New-CaDomain -Name 'demo'
                $second.EncryptionKey | Should -BeLikeExactly 'local:kek-1-*'
                $second.EncryptionKey | Should -Not -Be $first.EncryptionKey
            }
            finally {
                $env:PSCODEARTIFACT_STORE = $script:Store
                Remove-TestStore -Path $other
            }
        }

        It 'keeps the key folder (700) and key file (600) readable by the owner only' -Skip:$IsWindows {
            New-CaDomain -Name 'demo' | Out-Null
            $folderMode = (Get-Item (Join-Path $script:Store 'keys')).UnixFileMode
            $fileMode = (Get-Item (Join-Path $script:Store 'keys/kek-1.key')).UnixFileMode
            $folderMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
            [int] $folderMode | Should -Be 448 # 0o700
            $fileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite')
            [int] $fileMode | Should -Be 384 # 0o600
        }

        It 'keeps the catalog in WAL mode (header bytes 18 and 19 are 2)' {
            New-CaDomain -Name 'demo' | Out-Null
            $header = Get-CatalogHeaderByte -StorePath $script:Store -Offset 18, 19
            $header | Should -Be @(2, 2)
        }
    }

    Context 'Removing a domain' {
        It "destroys the domain's wrapped data key in the catalog files and keeps the other domains' keys" {
            New-CaDomain -Name 'doomed' | Out-Null
            New-CaDomain -Name 'kept' | Out-Null
            $doomed = Get-WrappedDomainKey -StorePath $script:Store -Domain 'doomed'
            $kept = Get-WrappedDomainKey -StorePath $script:Store -Domain 'kept'
            $doomed.Length | Should -Be 60 # nonce + 32-byte key + tag
            $files = 'catalog.db', 'catalog.db-wal' | ForEach-Object { Join-Path $script:Store $_ }
            @($files | Where-Object { Test-FileContainsBytes $_ $doomed }).Count | Should -BeGreaterThan 0

            Remove-CaDomain -Name 'doomed' -Confirm:$false

            @($files | Where-Object { Test-FileContainsBytes $_ $doomed }).Count | Should -Be 0
            @($files | Where-Object { Test-FileContainsBytes $_ $kept }).Count | Should -BeGreaterThan 0
            (Get-CaDomain -Name 'kept').Name | Should -BeExactly 'kept'
        }
    }

    Context '-WhatIf' {
        It 'creates no store with New-CaDomain -WhatIf where none exists yet' {
            New-CaDomain -Name 'demo' -WhatIf | Out-Null
            Test-Path $script:Store | Should -BeFalse
        }

        It 'changes nothing for New-CaDomain, New-CaRepository, Set-CaRepository, Remove-CaRepository and Remove-CaDomain' {
            New-CaDomain -Name 'demo' -Tag @{ a = '1' } | Out-Null
            New-CaRepository -Domain 'demo' -Name 'base' | Out-Null
            New-CaRepository -Domain 'demo' -Name 'main' -Upstream 'base' -Description 'kept' | Out-Null
            $before = Get-StoreSnapshot

            New-CaDomain -Name 'new-domain' -WhatIf | Out-Null
            New-CaRepository -Domain 'demo' -Name 'new-repo' -Upstream 'base' -WhatIf | Out-Null
            Set-CaRepository -Domain 'demo' -Name 'main' -Upstream @() -Description 'changed' -WhatIf
            Remove-CaRepository -Domain 'demo' -Name 'main' -WhatIf
            Remove-CaRepository -Domain 'demo' -Name 'base' -Force -WhatIf
            Remove-CaDomain -Name 'demo' -Force -WhatIf

            Get-StoreSnapshot | Should -Be $before
        }
    }

    Context 'Two processes at once' {
        It 'lets two pwsh processes create 30 repositories each in one domain at the same time' {
            New-CaDomain -Name 'shared' | Out-Null
            $child = Start-ChildPwsh -Body @'
for ($i = 1; $i -le 30; $i++) {
    try { New-CaRepository -Domain 'shared' -Name "r-b-$i" -ErrorAction Stop | Out-Null; $outcomes.Add("r-b-$i") }
    catch { $failures.Add("$($_.FullyQualifiedErrorId): $_") }
}
'@
            $failures = [Collections.Generic.List[string]]::new()
            try {
                Send-GoSignal $child
                for ($i = 1; $i -le 30; $i++) {
                    try { New-CaRepository -Domain 'shared' -Name "r-a-$i" -ErrorAction Stop | Out-Null }
                    catch { $failures.Add("$($_.FullyQualifiedErrorId): $_") }
                }
            }
            finally {
                $result = Wait-ChildPwsh $child
            }

            $failures | Should -BeNullOrEmpty
            $result.Failures | Should -BeNullOrEmpty
            $result.ExitCode | Should -Be 0
            $result.Outcomes.Count | Should -Be 30
            $names = @(Get-CaRepository -Domain 'shared').Name
            $names.Count | Should -Be 60
            foreach ($i in 1..30) {
                $names | Should -Contain "r-a-$i"
                $names | Should -Contain "r-b-$i"
            }
            (Get-CaDomain -Name 'shared').RepositoryCount | Should -Be 60
        }

        It 'lets exactly one of two processes create a domain both ask for at the same moment' {
            New-CaDomain -Name 'warm-up' | Out-Null # the store exists before the race
            $names = 1..10 | ForEach-Object { "race-$_" }
            $child = Start-ChildPwsh -Body @'
foreach ($name in 1..10 | ForEach-Object { "race-$_" }) {
    try { New-CaDomain -Name $name -ErrorAction Stop | Out-Null; $outcomes.Add("${name}:created") }
    catch { $outcomes.Add("${name}:$($_.FullyQualifiedErrorId)") }
}
'@
            $mine = @{}
            try {
                Send-GoSignal $child
                foreach ($name in $names) {
                    try { New-CaDomain -Name $name -ErrorAction Stop | Out-Null; $mine[$name] = 'created' }
                    catch { $mine[$name] = $_.FullyQualifiedErrorId }
                }
            }
            finally {
                $result = Wait-ChildPwsh $child
            }

            $result.Failures | Should -BeNullOrEmpty
            $theirs = @{}
            foreach ($line in $result.Outcomes) { $name, $outcome = $line -split ':', 2; $theirs[$name] = $outcome }
            foreach ($name in $names) {
                $pair = @($mine[$name], $theirs[$name]) | Sort-Object
                $pair | Should -Be @('created', "DomainAlreadyExists,$script:NewDomainCommand") -Because "exactly one process creates '$name'"
            }
            @(Get-CaDomain -Name 'race-*').Count | Should -Be 10
        }

        It 'lets two processes open a new store at the same moment and share one key' {
            Test-Path $script:Store | Should -BeFalse
            $child = Start-ChildPwsh -Body @'
$domain = New-CaDomain -Name 'from-child' -ErrorAction Stop
$outcomes.Add($domain.EncryptionKey)
'@
            $failures = [Collections.Generic.List[string]]::new()
            try {
                Send-GoSignal $child
                try { $mine = New-CaDomain -Name 'from-parent' -ErrorAction Stop }
                catch { $failures.Add("$($_.FullyQualifiedErrorId): $_") }
            }
            finally {
                $result = Wait-ChildPwsh $child
            }

            $failures | Should -BeNullOrEmpty
            $result.Failures | Should -BeNullOrEmpty
            @(Get-CaDomain).Name | Should -Be @('from-child', 'from-parent')
            $result.Outcomes | Should -Be @($mine.EncryptionKey)
            # One key and the lock its creation is serialised on; no staging file is left behind.
            @(Get-ChildItem (Join-Path $script:Store 'keys') -Force).Name | Should -Be @('.create.lock', 'kek-1.key')
        }
    }
}
