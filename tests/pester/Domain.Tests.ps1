#Requires -Version 7.6
# Domains: New-CaDomain, Get-CaDomain, Remove-CaDomain, their refusals, pipelines, -WhatIf and tab completion.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:HasNewDomainHelp = Test-CmdletHelpPage -Name 'New-CaDomain'
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-TestModule
}

Describe 'Domains' {
    BeforeEach {
        $script:Store = New-TestStore
    }

    AfterEach {
        Remove-TestStore
    }

    Context 'New-CaDomain' {
        It 'creates an active, empty domain with the tags given and Get-CaDomain returns it' {
            $before = [DateTimeOffset]::UtcNow.AddSeconds(-2)
            $created = New-CaDomain -Name 'demo' -Tag @{ team = 'platform'; env = 'test' }
            $after = [DateTimeOffset]::UtcNow.AddSeconds(2)

            $created | Should -BeOfType ([PSCodeArtifact.Core.DomainInfo])
            $created.Name | Should -BeExactly 'demo'
            $created.Status | Should -BeExactly 'Active'
            $created.RepositoryCount | Should -Be 0
            $created.AssetSizeBytes | Should -Be 0
            $created.EncryptionKey | Should -BeLikeExactly 'local:kek-1-*'
            $created.CreatedTime | Should -BeGreaterOrEqual $before
            $created.CreatedTime | Should -BeLessOrEqual $after
            $created.Arn | Should -BeExactly 'arn:aws:codeartifact:local:000000000000:domain/demo'
            $created.Tags.Count | Should -Be 2
            $created.Tags['team'] | Should -BeExactly 'platform'
            $created.Tags['env'] | Should -BeExactly 'test'

            $read = @(Get-CaDomain -Name 'demo')
            $read.Count | Should -Be 1
            $read[0].Name | Should -BeExactly 'demo'
            $read[0].Status | Should -BeExactly 'Active'
            $read[0].CreatedTime | Should -Be $created.CreatedTime
            $read[0].EncryptionKey | Should -BeExactly $created.EncryptionKey
            $read[0].Tags.Count | Should -Be 2
            $read[0].Tags['team'] | Should -BeExactly 'platform'
            $read[0].Tags['env'] | Should -BeExactly 'test'
        }

        It 'creates a domain without tags with an empty tag set' {
            $created = New-CaDomain -Name 'plain'
            $created.Tags.Count | Should -Be 0
            (Get-CaDomain -Name 'plain').Tags.Count | Should -Be 0
        }

        It 'names the same store key (the KEK) as EncryptionKey for every domain of a store' {
            $first = New-CaDomain -Name 'first'
            $second = New-CaDomain -Name 'second'
            $first.EncryptionKey | Should -BeLikeExactly 'local:kek-1-*'
            $second.EncryptionKey | Should -BeExactly $first.EncryptionKey
        }

        It 'creates domains from names on the pipeline' {
            $created = @('one', 'two' | New-CaDomain)
            $created.Name | Should -Be @('one', 'two')
            @(Get-CaDomain).Name | Should -Be @('one', 'two')
        }

        It 'refuses the invalid domain name <Case> with InvalidDomainName and creates nothing' -ForEach @(
            @{ Case = "'A' (one upper-case character)"; Name = 'A' }
            @{ Case = "'a' (one character)"; Name = 'a' }
            @{ Case = "'Upper' (upper case)"; Name = 'Upper' }
            @{ Case = "'1abc' (starts with a digit)"; Name = '1abc' }
            @{ Case = "'-abc' (starts with a hyphen)"; Name = '-abc' }
            @{ Case = "'ab-' (ends with a hyphen)"; Name = 'ab-' }
            @{ Case = '51 characters'; Name = 'a' * 51 }
            @{ Case = "'a_b' (underscore)"; Name = 'a_b' }
            @{ Case = "'a.b' (dot)"; Name = 'a.b' }
        ) {
            { New-CaDomain -Name $Name -ErrorAction Stop } |
                Should -Throw -ErrorId 'InvalidDomainName,PSCodeArtifact.PowerShell.Commands.NewCaDomainCommand'
            @(Get-CaDomain).Count | Should -Be 0
        }

        It 'accepts the boundary domain name <Case>' -ForEach @(
            @{ Case = "'ab' (2 characters)"; Name = 'ab' }
            @{ Case = '50 characters'; Name = 'a' + ('0-' * 24) + 'z' }
            @{ Case = "'a1' (ends with a digit)"; Name = 'a1' }
        ) {
            $Name.Length | Should -BeLessOrEqual 50
            (New-CaDomain -Name $Name).Name | Should -BeExactly $Name
            (Get-CaDomain -Name $Name).Name | Should -BeExactly $Name
        }

        It 'refuses a second domain of the same name with DomainAlreadyExists and keeps the first unchanged' {
            $first = New-CaDomain -Name 'demo' -Tag @{ owner = 'first' }
            { New-CaDomain -Name 'demo' -Tag @{ owner = 'second' } -ErrorAction Stop } |
                Should -Throw -ErrorId 'DomainAlreadyExists,PSCodeArtifact.PowerShell.Commands.NewCaDomainCommand'
            $domains = @(Get-CaDomain)
            $domains.Count | Should -Be 1
            $domains[0].Tags['owner'] | Should -BeExactly 'first'
            $domains[0].CreatedTime | Should -Be $first.CreatedTime
        }

        It 'writes DomainAlreadyExists as a non-terminating error and goes on with the next pipeline input' {
            New-CaDomain -Name 'demo' | Out-Null
            $created = @('demo', 'other' | New-CaDomain -ErrorAction SilentlyContinue -ErrorVariable errors)
            $created.Name | Should -Be @('other')
            $errors.Count | Should -Be 1
            $errors[0].FullyQualifiedErrorId | Should -BeExactly 'DomainAlreadyExists,PSCodeArtifact.PowerShell.Commands.NewCaDomainCommand'
        }

        It 'refuses a tag with <Case> with InvalidTag and creates nothing' -ForEach @(
            @{ Case = "a key starting with 'aws:'"; Tag = @{ 'aws:owner' = 'x' } }
            @{ Case = "a key starting with 'AWS:' (any case)"; Tag = @{ 'AWS:owner' = 'x' } }
            @{ Case = 'a key of 129 characters'; Tag = @{ ('k' * 129) = 'x' } }
            @{ Case = 'an empty key'; Tag = @{ '' = 'x' } }
            @{ Case = 'a value of 257 characters'; Tag = @{ owner = 'v' * 257 } }
        ) {
            { New-CaDomain -Name 'demo' -Tag $Tag -ErrorAction Stop } |
                Should -Throw -ErrorId 'InvalidTag,PSCodeArtifact.PowerShell.Commands.NewCaDomainCommand'
            @(Get-CaDomain).Count | Should -Be 0
        }

        It 'accepts a tag key of 128 characters and a value of 256 characters' {
            $key = 'k' * 128
            $created = New-CaDomain -Name 'demo' -Tag @{ $key = 'v' * 256 }
            $created.Tags[$key] | Should -BeExactly ('v' * 256)
        }

        It 'creates nothing with -WhatIf' {
            New-CaDomain -Name 'demo' -WhatIf | Should -BeNullOrEmpty
            @(Get-CaDomain).Count | Should -Be 0
        }
    }

    Context 'Get-CaDomain' {
        BeforeEach {
            # Created out of order, so sorting is observable.
            foreach ($name in 'prod', 'demo', 'data', 'dev') { New-CaDomain -Name $name | Out-Null }
        }

        It 'returns every domain sorted by name when given no name' {
            $domains = @(Get-CaDomain)
            $domains.Name | Should -Be @('data', 'demo', 'dev', 'prod')
            $domains | ForEach-Object { $_ | Should -BeOfType ([PSCodeArtifact.Core.DomainInfo]) }
        }

        It "returns only the domains a wildcard matches ('d*')" {
            @(Get-CaDomain -Name 'd*').Name | Should -Be @('data', 'demo', 'dev')
        }

        It "matches wildcards regardless of case ('DE*')" {
            @(Get-CaDomain -Name 'DE*').Name | Should -Be @('demo', 'dev')
        }

        It "returns nothing and no error for a wildcard that matches nothing ('nomatch*')" {
            $result = @(Get-CaDomain -Name 'nomatch*' -ErrorVariable errors)
            $result.Count | Should -Be 0
            $errors.Count | Should -Be 0
        }

        It 'fails with DomainNotFound for a name that does not exist' {
            { Get-CaDomain -Name 'nosuch' -ErrorAction Stop } |
                Should -Throw -ErrorId 'DomainNotFound,PSCodeArtifact.PowerShell.Commands.GetCaDomainCommand'
        }

        It 'still returns the other names of the same call when one does not exist' {
            $result = @(Get-CaDomain -Name 'demo', 'nosuch', 'prod' -ErrorAction SilentlyContinue -ErrorVariable errors)
            $result.Name | Should -Be @('demo', 'prod')
            $errors.Count | Should -Be 1
            $errors[0].FullyQualifiedErrorId | Should -BeExactly 'DomainNotFound,PSCodeArtifact.PowerShell.Commands.GetCaDomainCommand'
            $errors[0].TargetObject | Should -BeExactly 'nosuch'
        }

        It 'takes names from the pipeline' {
            @('prod', 'demo' | Get-CaDomain).Name | Should -Be @('prod', 'demo')
        }

        It 'takes wildcard patterns from the pipeline' {
            @('p*', 'da*' | Get-CaDomain).Name | Should -Be @('prod', 'data')
        }
    }

    Context 'Remove-CaDomain' {
        It 'removes the domain and leaves the others' {
            New-CaDomain -Name 'demo' | Out-Null
            New-CaDomain -Name 'keep' | Out-Null
            Remove-CaDomain -Name 'demo' -Confirm:$false | Should -BeNullOrEmpty
            @(Get-CaDomain).Name | Should -Be @('keep')
            { Get-CaDomain -Name 'demo' -ErrorAction Stop } |
                Should -Throw -ErrorId 'DomainNotFound,PSCodeArtifact.PowerShell.Commands.GetCaDomainCommand'
        }

        It 'fails with DomainNotFound for a domain that does not exist' {
            { Remove-CaDomain -Name 'nosuch' -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId 'DomainNotFound,PSCodeArtifact.PowerShell.Commands.RemoveCaDomainCommand'
        }

        It 'refuses with DomainNotEmpty while the domain has repositories and removes nothing' {
            New-CaDomain -Name 'demo' | Out-Null
            New-CaRepository -Domain 'demo' -Name 'main' | Out-Null
            { Remove-CaDomain -Name 'demo' -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId 'DomainNotEmpty,PSCodeArtifact.PowerShell.Commands.RemoveCaDomainCommand'
            (Get-CaDomain -Name 'demo').RepositoryCount | Should -Be 1
            @(Get-CaRepository -Domain 'demo').Name | Should -Be @('main')
        }

        It 'removes the domain with its repositories with -Force and leaves other domains alone' {
            New-CaDomain -Name 'demo' | Out-Null
            New-CaDomain -Name 'keep' | Out-Null
            New-CaRepository -Domain 'demo' -Name 'base' | Out-Null
            New-CaRepository -Domain 'demo' -Name 'main' -Upstream 'base' -Tag @{ team = 'x' } | Out-Null
            New-CaRepository -Domain 'keep' -Name 'main' | Out-Null

            Remove-CaDomain -Name 'demo' -Force -Confirm:$false

            @(Get-CaDomain).Name | Should -Be @('keep')
            $left = @(Get-CaRepository)
            $left.Count | Should -Be 1
            $left[0].DomainName | Should -BeExactly 'keep'
            $left[0].Name | Should -BeExactly 'main'
        }

        It 'removes the domains piped from Get-CaDomain and no others' {
            foreach ($name in 'x-one', 'x-two', 'y-three') { New-CaDomain -Name $name | Out-Null }
            Get-CaDomain -Name 'x*' | Remove-CaDomain -Confirm:$false
            @(Get-CaDomain).Name | Should -Be @('y-three')
        }

        It 'changes nothing with -WhatIf' {
            New-CaDomain -Name 'demo' | Out-Null
            New-CaDomain -Name 'busy' | Out-Null
            New-CaRepository -Domain 'busy' -Name 'main' | Out-Null

            Remove-CaDomain -Name 'demo' -WhatIf
            Remove-CaDomain -Name 'busy' -Force -WhatIf
            Get-CaDomain | Remove-CaDomain -Force -WhatIf

            @(Get-CaDomain).Name | Should -Be @('busy', 'demo')
            (Get-CaDomain -Name 'busy').RepositoryCount | Should -Be 1
            @(Get-CaRepository -Domain 'busy').Name | Should -Be @('main')
        }

        It 'refuses with DomainNotEmpty under -WhatIf without -Force, as the removal itself would' {
            New-CaDomain -Name 'busy' | Out-Null
            New-CaRepository -Domain 'busy' -Name 'main' | Out-Null
            { Remove-CaDomain -Name 'busy' -WhatIf -ErrorAction Stop } |
                Should -Throw -ErrorId 'DomainNotEmpty,PSCodeArtifact.PowerShell.Commands.RemoveCaDomainCommand'
            { Remove-CaDomain -Name 'nosuch' -WhatIf -ErrorAction Stop } |
                Should -Throw -ErrorId 'DomainNotFound,PSCodeArtifact.PowerShell.Commands.RemoveCaDomainCommand'
            (Get-CaDomain -Name 'busy').RepositoryCount | Should -Be 1
        }

        It 'lets a domain of the same name be created again after removal, with nothing of the old one' {
            $old = New-CaDomain -Name 'demo' -Tag @{ generation = 'old' }
            New-CaRepository -Domain 'demo' -Name 'main' | Out-Null
            Remove-CaDomain -Name 'demo' -Force -Confirm:$false

            $new = New-CaDomain -Name 'demo'
            $new.Name | Should -BeExactly 'demo'
            $new.RepositoryCount | Should -Be 0
            $new.Tags.Count | Should -Be 0
            $new.CreatedTime | Should -BeGreaterOrEqual $old.CreatedTime
            @(Get-CaRepository -Domain 'demo').Count | Should -Be 0
            (New-CaRepository -Domain 'demo' -Name 'main').Name | Should -BeExactly 'main'
        }
    }

    Context 'Tab completion' {
        It "completes -Name of Get-CaDomain with the store's domains that start with the word" {
            foreach ($name in 'demo', 'dev', 'data', 'prod') { New-CaDomain -Name $name | Out-Null }
            $offered = Get-CompletionText -InputScript 'Get-CaDomain -Name de'
            $offered | Should -Be @('demo', 'dev')
        }

        It "completes the domains of the store that `$env:PSCODEARTIFACT_STORE names now" {
            New-CaDomain -Name 'demo' | Out-Null
            $other = New-TestStore -NoSwitch
            try {
                $env:PSCODEARTIFACT_STORE = $other
                New-CaDomain -Name 'delta' | Out-Null
                Get-CompletionText -InputScript 'Get-CaDomain -Name de' | Should -Be @('delta')
                $env:PSCODEARTIFACT_STORE = $script:Store
                Get-CompletionText -InputScript 'Get-CaDomain -Name de' | Should -Be @('demo')
            }
            finally {
                $env:PSCODEARTIFACT_STORE = $script:Store
                Remove-TestStore -Path $other
            }
        }

        It "completes -Name of Get-CaRepository with the repositories of the domain given by -Domain" {
            New-CaDomain -Name 'demo' | Out-Null
            New-CaDomain -Name 'other' | Out-Null
            foreach ($name in 'main', 'base', 'lib') { New-CaRepository -Domain 'demo' -Name $name | Out-Null }
            New-CaRepository -Domain 'other' -Name 'elsewhere' | Out-Null

            Get-CompletionText -InputScript 'Get-CaRepository -Domain demo -Name ' | Should -Be @('base', 'lib', 'main')
            Get-CompletionText -InputScript 'Get-CaRepository -Domain demo -Name ma' | Should -Be @('main')
        }
    }

    Context 'Help' {
        It 'documents New-CaDomain with examples' -Skip:(-not $script:HasNewDomainHelp) {
            $help = Get-Help New-CaDomain -Examples
            @($help.examples.example).Count | Should -BeGreaterThan 0
            $help.examples.example[0].code | Should -Match 'New-CaDomain'
        }
    }
}
