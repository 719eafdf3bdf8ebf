#Requires -Version 7.6
# Repositories: New-, Get-, Set- and Remove-CaRepository, upstream rules, refusals, pipelines and -WhatIf.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-TestModule

    # A snapshot of a domain's repositories (name, upstreams, description) to compare before and after a refused change.
    function Get-RepositorySnapshot([string] $Domain) {
        @(Get-CaRepository -Domain $Domain | ForEach-Object { '{0} <- [{1}] "{2}"' -f $_.Name, ($_.Upstreams -join ','), $_.Description })
    }
}

Describe 'Repositories' {
    BeforeEach {
        $script:Store = New-TestStore
        New-CaDomain -Name 'demo' | Out-Null
    }

    AfterEach {
        Remove-TestStore
    }

    Context 'New-CaRepository' {
        It 'creates a repository with its description, tags and ordered upstreams' {
            foreach ($name in 'up-c', 'up-a', 'up-b') { New-CaRepository -Domain 'demo' -Name $name | Out-Null }
            $before = [DateTimeOffset]::UtcNow.AddSeconds(-2)
            $created = New-CaRepository -Domain 'demo' -Name 'main' -Description 'Main feed' -Upstream 'up-b', 'up-c', 'up-a' `
                -Tag @{ team = 'platform'; tier = '1' }

            $created | Should -BeOfType ([PSCodeArtifact.Core.RepositoryInfo])
            $created.Name | Should -BeExactly 'main'
            $created.DomainName | Should -BeExactly 'demo'
            $created.Description | Should -BeExactly 'Main feed'
            $created.Upstreams | Should -Be @('up-b', 'up-c', 'up-a')
            @($created.ExternalConnections).Count | Should -Be 0
            $created.Tags.Count | Should -Be 2
            $created.Tags['team'] | Should -BeExactly 'platform'
            $created.Tags['tier'] | Should -BeExactly '1'
            $created.CreatedTime | Should -BeGreaterOrEqual $before
            $created.CreatedTime | Should -BeLessOrEqual ([DateTimeOffset]::UtcNow.AddSeconds(2))
            $created.Arn | Should -BeExactly 'arn:aws:codeartifact:local:000000000000:repository/demo/main'
        }

        It 'keeps the upstream order in what Get-CaRepository returns' {
            foreach ($name in 'up-c', 'up-a', 'up-b') { New-CaRepository -Domain 'demo' -Name $name | Out-Null }
            New-CaRepository -Domain 'demo' -Name 'main' -Upstream 'up-b', 'up-c', 'up-a' | Out-Null

            $read = Get-CaRepository -Domain 'demo' -Name 'main'
            $read.Upstreams | Should -Be @('up-b', 'up-c', 'up-a')
            (Get-CaRepository | Where-Object Name -EQ 'main').Upstreams | Should -Be @('up-b', 'up-c', 'up-a')
        }

        It 'creates a repository without description, upstreams or tags with empty values' {
            $created = New-CaRepository -Domain 'demo' -Name 'bare'
            $created.Description | Should -BeExactly ''
            @($created.Upstreams).Count | Should -Be 0
            $created.Tags.Count | Should -Be 0
        }

        It 'counts the repositories in the domain' {
            New-CaRepository -Domain 'demo' -Name 'one' | Out-Null
            New-CaRepository -Domain 'demo' -Name 'two' | Out-Null
            (Get-CaDomain -Name 'demo').RepositoryCount | Should -Be 2
        }

        It 'takes the domain from a domain piped from Get-CaDomain' {
            $created = Get-CaDomain -Name 'demo' | New-CaRepository -Name 'piped'
            $created.DomainName | Should -BeExactly 'demo'
            $created.Name | Should -BeExactly 'piped'
            @(Get-CaRepository -Domain 'demo').Name | Should -Be @('piped')
        }

        It 'refuses the invalid repository name <Case> with InvalidRepositoryName and creates nothing' -ForEach @(
            @{ Case = "'a' (one character)"; Name = 'a' }
            @{ Case = "'-ab' (starts with a hyphen)"; Name = '-ab' }
            @{ Case = "'.ab' (starts with a dot)"; Name = '.ab' }
            @{ Case = "'_ab' (starts with an underscore)"; Name = '_ab' }
            @{ Case = '101 characters'; Name = 'r' * 101 }
            @{ Case = "'a b' (space)"; Name = 'a b' }
            @{ Case = "'a/b' (slash)"; Name = 'a/b' }
        ) {
            { New-CaRepository -Domain 'demo' -Name $Name -ErrorAction Stop } |
                Should -Throw -ErrorId 'InvalidRepositoryName,PSCodeArtifact.PowerShell.Commands.NewCaRepositoryCommand'
            @(Get-CaRepository -Domain 'demo').Count | Should -Be 0
        }

        It 'accepts the repository name <Case>' -ForEach @(
            @{ Case = "'a.b_c-1' (dot, underscore, hyphen, digit)"; Name = 'a.b_c-1' }
            @{ Case = "'ab' (2 characters)"; Name = 'ab' }
            @{ Case = "'Main' (upper case)"; Name = 'Main' }
            @{ Case = "'1x' (starts with a digit)"; Name = '1x' }
            @{ Case = '100 characters'; Name = 'r' * 100 }
        ) {
            (New-CaRepository -Domain 'demo' -Name $Name).Name | Should -BeExactly $Name
            (Get-CaRepository -Domain 'demo' -Name $Name).Name | Should -BeExactly $Name
        }

        It 'refuses a domain that does not exist with DomainNotFound' {
            { New-CaRepository -Domain 'nosuch' -Name 'main' -ErrorAction Stop } |
                Should -Throw -ErrorId 'DomainNotFound,PSCodeArtifact.PowerShell.Commands.NewCaRepositoryCommand'
            @(Get-CaRepository).Count | Should -Be 0
        }

        It 'refuses an existing name with RepositoryAlreadyExists, also when it differs only in case (<Second>)' -ForEach @(
            @{ Second = 'main' }
            @{ Second = 'MAIN' }
            @{ Second = 'Main' }
        ) {
            New-CaRepository -Domain 'demo' -Name 'main' -Description 'first' | Out-Null
            { New-CaRepository -Domain 'demo' -Name $Second -Description 'second' -ErrorAction Stop } |
                Should -Throw -ErrorId 'RepositoryAlreadyExists,PSCodeArtifact.PowerShell.Commands.NewCaRepositoryCommand'
            $repositories = @(Get-CaRepository -Domain 'demo')
            $repositories.Count | Should -Be 1
            $repositories[0].Name | Should -BeExactly 'main'
            $repositories[0].Description | Should -BeExactly 'first'
        }

        It 'allows the same repository name in another domain' {
            New-CaDomain -Name 'other' | Out-Null
            New-CaRepository -Domain 'demo' -Name 'main' | Out-Null
            (New-CaRepository -Domain 'other' -Name 'main').DomainName | Should -BeExactly 'other'
            @(Get-CaRepository).Count | Should -Be 2
        }

        It 'refuses an upstream that does not exist with UpstreamNotFound and creates nothing' {
            New-CaRepository -Domain 'demo' -Name 'base' | Out-Null
            { New-CaRepository -Domain 'demo' -Name 'main' -Upstream 'base', 'nosuch' -ErrorAction Stop } |
                Should -Throw -ErrorId 'UpstreamNotFound,PSCodeArtifact.PowerShell.Commands.NewCaRepositoryCommand'
            @(Get-CaRepository -Domain 'demo').Name | Should -Be @('base')
        }

        It 'refuses an upstream from another domain with UpstreamNotFound' {
            New-CaDomain -Name 'other' | Out-Null
            New-CaRepository -Domain 'other' -Name 'shared' | Out-Null
            { New-CaRepository -Domain 'demo' -Name 'main' -Upstream 'shared' -ErrorAction Stop } |
                Should -Throw -ErrorId 'UpstreamNotFound,PSCodeArtifact.PowerShell.Commands.NewCaRepositoryCommand'
            @(Get-CaRepository -Domain 'demo').Count | Should -Be 0
        }

        It 'accepts 10 upstreams and refuses 11 with TooManyUpstreams' {
            $upstreams = 1..11 | ForEach-Object { "up-$_" }
            foreach ($name in $upstreams) { New-CaRepository -Domain 'demo' -Name $name | Out-Null }

            { New-CaRepository -Domain 'demo' -Name 'eleven' -Upstream $upstreams -ErrorAction Stop } |
                Should -Throw -ErrorId 'TooManyUpstreams,PSCodeArtifact.PowerShell.Commands.NewCaRepositoryCommand'
            @(Get-CaRepository -Domain 'demo' -Name 'eleven' -ErrorAction SilentlyContinue).Count | Should -Be 0

            (New-CaRepository -Domain 'demo' -Name 'ten' -Upstream $upstreams[0..9]).Upstreams | Should -Be $upstreams[0..9]
        }

        It 'refuses an upstream listed twice with DuplicateUpstream (<Case>)' -ForEach @(
            @{ Case = 'same spelling'; Upstream = @('base', 'lib', 'base') }
            @{ Case = 'differing in case'; Upstream = @('base', 'BASE') }
        ) {
            New-CaRepository -Domain 'demo' -Name 'base' | Out-Null
            New-CaRepository -Domain 'demo' -Name 'lib' | Out-Null
            { New-CaRepository -Domain 'demo' -Name 'main' -Upstream $Upstream -ErrorAction Stop } |
                Should -Throw -ErrorId 'DuplicateUpstream,PSCodeArtifact.PowerShell.Commands.NewCaRepositoryCommand'
            @(Get-CaRepository -Domain 'demo').Name | Should -Be @('base', 'lib')
        }

        It 'refuses a repository that is its own upstream with UpstreamCycle' {
            { New-CaRepository -Domain 'demo' -Name 'main' -Upstream 'main' -ErrorAction Stop } |
                Should -Throw -ErrorId 'UpstreamCycle,PSCodeArtifact.PowerShell.Commands.NewCaRepositoryCommand'
            @(Get-CaRepository -Domain 'demo').Count | Should -Be 0
        }

        It 'refuses the description <Case> with InvalidDescription and creates nothing' -ForEach @(
            @{ Case = 'of 1001 characters'; Description = 'd' * 1001 }
            @{ Case = 'with a line break'; Description = "two`nlines" }
            @{ Case = 'with a tab'; Description = "tab`there" }
            @{ Case = 'with a bell character'; Description = "bell`u{0007}" }
        ) {
            { New-CaRepository -Domain 'demo' -Name 'main' -Description $Description -ErrorAction Stop } |
                Should -Throw -ErrorId 'InvalidDescription,PSCodeArtifact.PowerShell.Commands.NewCaRepositoryCommand'
            @(Get-CaRepository -Domain 'demo').Count | Should -Be 0
        }

        It 'accepts a description of 1000 characters' {
            (New-CaRepository -Domain 'demo' -Name 'main' -Description ('d' * 1000)).Description | Should -BeExactly ('d' * 1000)
        }

        It 'refuses an invalid tag with InvalidTag and creates nothing' {
            { New-CaRepository -Domain 'demo' -Name 'main' -Tag @{ 'aws:x' = '1' } -ErrorAction Stop } |
                Should -Throw -ErrorId 'InvalidTag,PSCodeArtifact.PowerShell.Commands.NewCaRepositoryCommand'
            @(Get-CaRepository -Domain 'demo').Count | Should -Be 0
        }

        It 'accepts 1000 repositories in a domain and refuses the 1001st with TooManyRepositories' {
            for ($i = 1; $i -le 1000; $i++) { New-CaRepository -Domain 'demo' -Name ('r-{0:d4}' -f $i) | Out-Null }
            (Get-CaDomain -Name 'demo').RepositoryCount | Should -Be 1000

            { New-CaRepository -Domain 'demo' -Name 'one-more' -ErrorAction Stop } |
                Should -Throw -ErrorId 'TooManyRepositories,PSCodeArtifact.PowerShell.Commands.NewCaRepositoryCommand'
            (Get-CaDomain -Name 'demo').RepositoryCount | Should -Be 1000

            # The limit is per domain.
            New-CaDomain -Name 'other' | Out-Null
            (New-CaRepository -Domain 'other' -Name 'one-more').Name | Should -BeExactly 'one-more'
        }

        It 'creates nothing with -WhatIf' {
            New-CaRepository -Domain 'demo' -Name 'main' -WhatIf | Should -BeNullOrEmpty
            @(Get-CaRepository -Domain 'demo').Count | Should -Be 0
            (Get-CaDomain -Name 'demo').RepositoryCount | Should -Be 0
        }
    }

    Context 'Get-CaRepository' {
        BeforeEach {
            New-CaDomain -Name 'dev' | Out-Null
            New-CaDomain -Name 'prod' | Out-Null
            foreach ($name in 'main', 'lib-b', 'lib-a') { New-CaRepository -Domain 'demo' -Name $name | Out-Null }
            foreach ($name in 'lib-x', 'tools') { New-CaRepository -Domain 'dev' -Name $name | Out-Null }
            New-CaRepository -Domain 'prod' -Name 'release' | Out-Null
        }

        It "returns the domain's repositories sorted by name with -Domain" {
            $result = @(Get-CaRepository -Domain 'demo')
            $result.Name | Should -Be @('lib-a', 'lib-b', 'main')
            $result.DomainName | Should -Be @('demo', 'demo', 'demo')
        }

        It "returns nothing for a domain without repositories" {
            New-CaDomain -Name 'empty' | Out-Null
            $result = @(Get-CaRepository -Domain 'empty' -ErrorVariable errors)
            $result.Count | Should -Be 0
            $errors.Count | Should -Be 0
        }

        It 'returns the repositories of every domain, sorted by domain and name, without -Domain' {
            $result = @(Get-CaRepository)
            ($result | ForEach-Object { "$($_.DomainName)/$($_.Name)" }) |
                Should -Be @('demo/lib-a', 'demo/lib-b', 'demo/main', 'dev/lib-x', 'dev/tools', 'prod/release')
        }

        It 'returns the repositories a wildcard matches, in one domain or across domains' {
            @(Get-CaRepository -Domain 'demo' -Name 'lib*').Name | Should -Be @('lib-a', 'lib-b')
            (@(Get-CaRepository -Name 'lib*') | ForEach-Object { "$($_.DomainName)/$($_.Name)" }) |
                Should -Be @('demo/lib-a', 'demo/lib-b', 'dev/lib-x')
            @(Get-CaRepository -Domain 'demo' -Name 'nomatch*' -ErrorVariable errors).Count | Should -Be 0
            $errors.Count | Should -Be 0
        }

        It 'finds a repository by its name in any case' {
            (Get-CaRepository -Domain 'demo' -Name 'MAIN').Name | Should -BeExactly 'main'
        }

        It 'fails with RepositoryNotFound for a name without wildcards that does not exist (<Case>)' -ForEach @(
            @{ Case = 'with -Domain'; Arguments = @{ Domain = 'demo'; Name = 'nosuch' } }
            @{ Case = 'without -Domain'; Arguments = @{ Name = 'nosuch' } }
            @{ Case = 'a name that exists only in another domain'; Arguments = @{ Domain = 'demo'; Name = 'tools' } }
        ) {
            { Get-CaRepository @Arguments -ErrorAction Stop } |
                Should -Throw -ErrorId 'RepositoryNotFound,PSCodeArtifact.PowerShell.Commands.GetCaRepositoryCommand'
        }

        It 'still returns the other names of the same call when one does not exist' {
            $result = @(Get-CaRepository -Domain 'demo' -Name 'main', 'nosuch', 'lib-a' -ErrorAction SilentlyContinue -ErrorVariable errors)
            $result.Name | Should -Be @('main', 'lib-a')
            $errors.Count | Should -Be 1
            $errors[0].FullyQualifiedErrorId | Should -BeExactly 'RepositoryNotFound,PSCodeArtifact.PowerShell.Commands.GetCaRepositoryCommand'
        }

        It 'fails with DomainNotFound for a domain that does not exist' {
            { Get-CaRepository -Domain 'nosuch' -ErrorAction Stop } |
                Should -Throw -ErrorId 'DomainNotFound,PSCodeArtifact.PowerShell.Commands.GetCaRepositoryCommand'
        }

        It 'returns only the repositories of the domains piped from Get-CaDomain' {
            $result = @(Get-CaDomain -Name 'd*' | Get-CaRepository)
            ($result | ForEach-Object { "$($_.DomainName)/$($_.Name)" }) |
                Should -Be @('demo/lib-a', 'demo/lib-b', 'demo/main', 'dev/lib-x', 'dev/tools')
        }
    }

    Context 'Set-CaRepository' {
        BeforeEach {
            foreach ($name in 'u1', 'u2', 'u3') { New-CaRepository -Domain 'demo' -Name $name | Out-Null }
            New-CaRepository -Domain 'demo' -Name 'main' -Description 'before' -Upstream 'u1', 'u2' | Out-Null
        }

        It 'replaces the upstream list in the order given' {
            Set-CaRepository -Domain 'demo' -Name 'main' -Upstream 'u3', 'u1'
            $read = Get-CaRepository -Domain 'demo' -Name 'main'
            $read.Upstreams | Should -Be @('u3', 'u1')
            $read.Description | Should -BeExactly 'before'
        }

        It 'removes every upstream with -Upstream @()' {
            Set-CaRepository -Domain 'demo' -Name 'main' -Upstream @()
            @((Get-CaRepository -Domain 'demo' -Name 'main').Upstreams).Count | Should -Be 0
        }

        It 'changes only the description when given only -Description' {
            Set-CaRepository -Domain 'demo' -Name 'main' -Description 'after'
            $read = Get-CaRepository -Domain 'demo' -Name 'main'
            $read.Description | Should -BeExactly 'after'
            $read.Upstreams | Should -Be @('u1', 'u2')
        }

        It "clears the description with -Description ''" {
            Set-CaRepository -Domain 'demo' -Name 'main' -Description ''
            (Get-CaRepository -Domain 'demo' -Name 'main').Description | Should -BeExactly ''
        }

        It 'writes nothing without -PassThru and the updated repository with it' {
            Set-CaRepository -Domain 'demo' -Name 'main' -Description 'quiet' | Should -BeNullOrEmpty
            $result = @(Set-CaRepository -Domain 'demo' -Name 'main' -Description 'loud' -Upstream 'u2' -PassThru)
            $result.Count | Should -Be 1
            $result[0] | Should -BeOfType ([PSCodeArtifact.Core.RepositoryInfo])
            $result[0].Name | Should -BeExactly 'main'
            $result[0].Description | Should -BeExactly 'loud'
            $result[0].Upstreams | Should -Be @('u2')
        }

        It 'changes nothing when given nothing to change, and writes the repository with -PassThru' {
            $before = Get-RepositorySnapshot 'demo'
            Set-CaRepository -Domain 'demo' -Name 'main' | Should -BeNullOrEmpty
            $result = @(Set-CaRepository -Domain 'demo' -Name 'main' -PassThru)
            $result.Count | Should -Be 1
            $result[0].Upstreams | Should -Be @('u1', 'u2')
            Get-RepositorySnapshot 'demo' | Should -Be $before
        }

        It 'updates the repositories piped from Get-CaRepository' {
            Get-CaRepository -Domain 'demo' -Name 'u*' | Set-CaRepository -Description 'upstream'
            @(Get-CaRepository -Domain 'demo' | ForEach-Object Description) | Should -Be @('before', 'upstream', 'upstream', 'upstream')
        }

        It 'changes nothing with -WhatIf' {
            $before = Get-RepositorySnapshot 'demo'
            Set-CaRepository -Domain 'demo' -Name 'main' -Description 'after' -Upstream 'u3' -WhatIf | Should -BeNullOrEmpty
            Set-CaRepository -Domain 'demo' -Name 'main' -Upstream @() -WhatIf
            Get-RepositorySnapshot 'demo' | Should -Be $before
        }

        It 'fails with RepositoryNotFound for a repository that does not exist' {
            { Set-CaRepository -Domain 'demo' -Name 'nosuch' -Description 'x' -ErrorAction Stop } |
                Should -Throw -ErrorId 'RepositoryNotFound,PSCodeArtifact.PowerShell.Commands.SetCaRepositoryCommand'
        }

        It 'fails with DomainNotFound for a domain that does not exist' {
            { Set-CaRepository -Domain 'nosuch' -Name 'main' -Description 'x' -ErrorAction Stop } |
                Should -Throw -ErrorId 'DomainNotFound,PSCodeArtifact.PowerShell.Commands.SetCaRepositoryCommand'
        }

        It 'refuses a direct cycle (ra -> rb, then rb -> ra) with UpstreamCycle' {
            New-CaRepository -Domain 'demo' -Name 'ra' | Out-Null
            New-CaRepository -Domain 'demo' -Name 'rb' | Out-Null
            Set-CaRepository -Domain 'demo' -Name 'ra' -Upstream 'rb'
            { Set-CaRepository -Domain 'demo' -Name 'rb' -Upstream 'ra' -ErrorAction Stop } |
                Should -Throw -ErrorId 'UpstreamCycle,PSCodeArtifact.PowerShell.Commands.SetCaRepositoryCommand'
            @((Get-CaRepository -Domain 'demo' -Name 'rb').Upstreams).Count | Should -Be 0
            (Get-CaRepository -Domain 'demo' -Name 'ra').Upstreams | Should -Be @('rb')
        }

        It 'refuses an indirect cycle (ra -> rb -> rc, then rc -> ra) with UpstreamCycle' {
            foreach ($name in 'ra', 'rb', 'rc') { New-CaRepository -Domain 'demo' -Name $name | Out-Null }
            Set-CaRepository -Domain 'demo' -Name 'rb' -Upstream 'rc'
            Set-CaRepository -Domain 'demo' -Name 'ra' -Upstream 'rb'
            { Set-CaRepository -Domain 'demo' -Name 'rc' -Upstream 'u1', 'ra' -ErrorAction Stop } |
                Should -Throw -ErrorId 'UpstreamCycle,PSCodeArtifact.PowerShell.Commands.SetCaRepositoryCommand'
            @((Get-CaRepository -Domain 'demo' -Name 'rc').Upstreams).Count | Should -Be 0
            (Get-CaRepository -Domain 'demo' -Name 'ra').Upstreams | Should -Be @('rb')
            (Get-CaRepository -Domain 'demo' -Name 'rb').Upstreams | Should -Be @('rc')
        }

        It 'refuses a repository as its own upstream with UpstreamCycle' {
            { Set-CaRepository -Domain 'demo' -Name 'main' -Upstream 'u1', 'main' -ErrorAction Stop } |
                Should -Throw -ErrorId 'UpstreamCycle,PSCodeArtifact.PowerShell.Commands.SetCaRepositoryCommand'
            (Get-CaRepository -Domain 'demo' -Name 'main').Upstreams | Should -Be @('u1', 'u2')
        }

        It 'accepts a diamond (ra -> rb, ra -> rc, rb -> rd, rc -> rd), which is no cycle' {
            foreach ($name in 'ra', 'rb', 'rc', 'rd') { New-CaRepository -Domain 'demo' -Name $name | Out-Null }
            Set-CaRepository -Domain 'demo' -Name 'rb' -Upstream 'rd'
            Set-CaRepository -Domain 'demo' -Name 'rc' -Upstream 'rd'
            Set-CaRepository -Domain 'demo' -Name 'ra' -Upstream 'rb', 'rc' -ErrorAction Stop
            (Get-CaRepository -Domain 'demo' -Name 'ra').Upstreams | Should -Be @('rb', 'rc')
        }

        It 'leaves the repository unchanged when a change is refused with <Code>' -ForEach @(
            @{ Code = 'UpstreamNotFound'; Arguments = @{ Upstream = @('u3', 'nosuch') } }
            @{ Code = 'DuplicateUpstream'; Arguments = @{ Upstream = @('u3', 'u3') } }
            @{ Code = 'TooManyUpstreams'; Arguments = @{ Upstream = @(1..11 | ForEach-Object { "x$_" }) } }
            @{ Code = 'InvalidDescription'; Arguments = @{ Description = 'd' * 1001; Upstream = @('u3') } }
        ) {
            $before = Get-RepositorySnapshot 'demo'
            { Set-CaRepository -Domain 'demo' -Name 'main' @Arguments -ErrorAction Stop } |
                Should -Throw -ErrorId "$Code,PSCodeArtifact.PowerShell.Commands.SetCaRepositoryCommand"
            Get-RepositorySnapshot 'demo' | Should -Be $before
        }
    }

    Context 'Refused creations' {
        It 'leave the repository count and every upstream list as they were' {
            foreach ($name in 'u1', 'u2') { New-CaRepository -Domain 'demo' -Name $name | Out-Null }
            New-CaRepository -Domain 'demo' -Name 'main' -Upstream 'u2', 'u1' | Out-Null
            $before = Get-RepositorySnapshot 'demo'

            New-CaRepository -Domain 'demo' -Name 'new1' -Upstream 'u1', 'nosuch' -ErrorAction SilentlyContinue
            New-CaRepository -Domain 'demo' -Name 'new2' -Upstream 'u1', 'u1' -ErrorAction SilentlyContinue
            New-CaRepository -Domain 'demo' -Name 'main' -Upstream 'u1' -ErrorAction SilentlyContinue
            New-CaRepository -Domain 'demo' -Name 'new3' -Upstream 'new3' -ErrorAction SilentlyContinue
            New-CaRepository -Domain 'demo' -Name 'new4' -Description "bad`0" -Upstream 'u1' -ErrorAction SilentlyContinue

            Get-RepositorySnapshot 'demo' | Should -Be $before
            (Get-CaDomain -Name 'demo').RepositoryCount | Should -Be 3
        }
    }

    Context 'Remove-CaRepository' {
        It 'removes the repository and leaves the others' {
            New-CaRepository -Domain 'demo' -Name 'main' | Out-Null
            New-CaRepository -Domain 'demo' -Name 'keep' | Out-Null
            Remove-CaRepository -Domain 'demo' -Name 'main' -Confirm:$false | Should -BeNullOrEmpty
            @(Get-CaRepository -Domain 'demo').Name | Should -Be @('keep')
            (Get-CaDomain -Name 'demo').RepositoryCount | Should -Be 1
        }

        It 'fails with RepositoryNotFound for a repository that does not exist' {
            { Remove-CaRepository -Domain 'demo' -Name 'nosuch' -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId 'RepositoryNotFound,PSCodeArtifact.PowerShell.Commands.RemoveCaRepositoryCommand'
        }

        It 'fails with DomainNotFound for a domain that does not exist' {
            { Remove-CaRepository -Domain 'nosuch' -Name 'main' -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId 'DomainNotFound,PSCodeArtifact.PowerShell.Commands.RemoveCaRepositoryCommand'
        }

        It 'refuses with RepositoryIsUpstream while the repository is an upstream and changes nothing' {
            foreach ($name in 'u1', 'base', 'u2') { New-CaRepository -Domain 'demo' -Name $name | Out-Null }
            New-CaRepository -Domain 'demo' -Name 'main' -Upstream 'u1', 'base', 'u2' | Out-Null
            $before = Get-RepositorySnapshot 'demo'

            { Remove-CaRepository -Domain 'demo' -Name 'base' -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId 'RepositoryIsUpstream,PSCodeArtifact.PowerShell.Commands.RemoveCaRepositoryCommand'

            Get-RepositorySnapshot 'demo' | Should -Be $before
        }

        It "removes an upstream with -Force and takes it out of the downstream's list, keeping the others' order" {
            foreach ($name in 'u1', 'base', 'u2') { New-CaRepository -Domain 'demo' -Name $name | Out-Null }
            New-CaRepository -Domain 'demo' -Name 'main' -Upstream 'u1', 'base', 'u2' | Out-Null
            New-CaRepository -Domain 'demo' -Name 'other' -Upstream 'base', 'u2', 'u1' | Out-Null

            Remove-CaRepository -Domain 'demo' -Name 'base' -Force -Confirm:$false

            @(Get-CaRepository -Domain 'demo').Name | Should -Be @('main', 'other', 'u1', 'u2')
            (Get-CaRepository -Domain 'demo' -Name 'main').Upstreams | Should -Be @('u1', 'u2')
            (Get-CaRepository -Domain 'demo' -Name 'other').Upstreams | Should -Be @('u2', 'u1')
        }

        It 'lets the downstream take new upstreams after a forced removal' {
            foreach ($name in 'u1', 'base', 'u2') { New-CaRepository -Domain 'demo' -Name $name | Out-Null }
            New-CaRepository -Domain 'demo' -Name 'main' -Upstream 'u1', 'base', 'u2' | Out-Null
            Remove-CaRepository -Domain 'demo' -Name 'base' -Force -Confirm:$false
            New-CaRepository -Domain 'demo' -Name 'base' | Out-Null

            Set-CaRepository -Domain 'demo' -Name 'main' -Upstream 'u2', 'u1', 'base' -PassThru |
                ForEach-Object Upstreams | Should -Be @('u2', 'u1', 'base')
        }

        It 'changes nothing for repositories piped from Get-CaRepository with -WhatIf' {
            foreach ($name in 'u1', 'u2') { New-CaRepository -Domain 'demo' -Name $name | Out-Null }
            New-CaRepository -Domain 'demo' -Name 'main' -Upstream 'u1', 'u2' | Out-Null
            $before = Get-RepositorySnapshot 'demo'

            # Without -Force, -WhatIf reports u1 and u2 as upstreams of main; that is not a change either.
            Get-CaRepository -Domain 'demo' | Remove-CaRepository -WhatIf -ErrorAction SilentlyContinue
            Get-CaRepository -Domain 'demo' | Remove-CaRepository -Force -WhatIf

            Get-RepositorySnapshot 'demo' | Should -Be $before
        }

        It 'refuses with RepositoryIsUpstream under -WhatIf without -Force, as the removal itself would' {
            New-CaRepository -Domain 'demo' -Name 'base' | Out-Null
            New-CaRepository -Domain 'demo' -Name 'main' -Upstream 'base' | Out-Null
            { Remove-CaRepository -Domain 'demo' -Name 'base' -WhatIf -ErrorAction Stop } |
                Should -Throw -ErrorId 'RepositoryIsUpstream,PSCodeArtifact.PowerShell.Commands.RemoveCaRepositoryCommand'
            { Remove-CaRepository -Domain 'demo' -Name 'nosuch' -WhatIf -ErrorAction Stop } |
                Should -Throw -ErrorId 'RepositoryNotFound,PSCodeArtifact.PowerShell.Commands.RemoveCaRepositoryCommand'
            @(Get-CaRepository -Domain 'demo').Name | Should -Be @('base', 'main')
        }

        It 'removes every repository piped from Get-CaRepository with -Confirm:$false' {
            New-CaDomain -Name 'keep' | Out-Null
            New-CaRepository -Domain 'keep' -Name 'main' | Out-Null
            foreach ($name in 'one', 'two', 'three') { New-CaRepository -Domain 'demo' -Name $name | Out-Null }

            Get-CaRepository -Domain 'demo' | Remove-CaRepository -Confirm:$false

            @(Get-CaRepository -Domain 'demo').Count | Should -Be 0
            (Get-CaDomain -Name 'demo').RepositoryCount | Should -Be 0
            @(Get-CaRepository -Domain 'keep').Name | Should -Be @('main')
        }

        It 'lets a repository of the same name be created again after removal, without its old upstreams or tags' {
            New-CaRepository -Domain 'demo' -Name 'base' | Out-Null
            New-CaRepository -Domain 'demo' -Name 'main' -Upstream 'base' -Tag @{ generation = 'old' } | Out-Null
            Remove-CaRepository -Domain 'demo' -Name 'main' -Confirm:$false

            $new = New-CaRepository -Domain 'demo' -Name 'main'
            @($new.Upstreams).Count | Should -Be 0
            $new.Tags.Count | Should -Be 0
            # 'base' is no longer anyone's upstream.
            Remove-CaRepository -Domain 'demo' -Name 'base' -Confirm:$false -ErrorAction Stop
            @(Get-CaRepository -Domain 'demo').Name | Should -Be @('main')
        }
    }
}
