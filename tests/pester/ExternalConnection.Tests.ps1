#Requires -Version 7.6
# External connections: New-, Get-, Remove-, Connect- and Disconnect-CaExternalConnection, their refusals and error ids,
# how repositories show them, the sealed credential, and what removing a repository or a domain does to them.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-TestModule

    $script:NpmUrl = 'http://127.0.0.1:9/demo/npm/registry/'

    # The fully qualified error id of a command's class, as the error records carry it.
    function Get-ErrorId([string] $Id, [string] $Verb) { "$Id,PSCodeArtifact.PowerShell.Commands.${Verb}CaExternalConnectionCommand" }

    function New-NpmConnection([string] $Name = 'public:npmjs') {
        New-CaExternalConnection -Domain 'demo' -Name $Name -Format npm -Uri $script:NpmUrl
    }
}

Describe 'External connections' {
    BeforeEach {
        $script:Store = New-TestStore
        New-CaDomain -Name 'demo' | Out-Null
        New-CaRepository -Domain 'demo' -Name 'npm-store' | Out-Null
        New-CaRepository -Domain 'demo' -Name 'main' -Upstream 'npm-store' | Out-Null
    }

    AfterEach {
        Remove-TestStore
    }

    Context 'New-CaExternalConnection' {
        It 'creates a connection with its format, URL and the default TTL' {
            $before = [DateTimeOffset]::UtcNow.AddSeconds(-2)
            $created = New-CaExternalConnection -Domain 'demo' -Name 'public:npmjs' -Format NPM -Uri $NpmUrl

            $created | Should -BeOfType ([PSCodeArtifact.Core.ExternalConnectionInfo])
            $created.DomainName | Should -BeExactly 'demo'
            $created.Name | Should -BeExactly 'public:npmjs'
            $created.Format | Should -BeExactly 'npm'
            $created.Uri.AbsoluteUri | Should -BeExactly $NpmUrl
            $created.MetadataTtl | Should -Be ([TimeSpan]::FromMinutes(5))
            $created.HasCredential | Should -BeFalse
            $created.UserName | Should -BeNullOrEmpty
            @($created.Repositories).Count | Should -Be 0
            $created.CreatedTime | Should -BeGreaterOrEqual $before
        }

        It 'gives an npm, PyPI or Maven root URL a trailing slash, not a NuGet service index' {
            (New-CaExternalConnection demo 'public:npm' -Format npm -Uri 'http://127.0.0.1:9/registry').Uri.AbsoluteUri |
                Should -BeExactly 'http://127.0.0.1:9/registry/'
            (New-CaExternalConnection demo 'public:nuget' -Format nuget -Uri 'http://127.0.0.1:9/v3/index.json').Uri.AbsoluteUri |
                Should -BeExactly 'http://127.0.0.1:9/v3/index.json'
        }

        It 'takes -MetadataTtl <Case>' -ForEach @(
            @{ Case = 'as a number of seconds'; Value = 300; Expected = [TimeSpan]::FromMinutes(5) }
            @{ Case = 'as a string of seconds'; Value = '90'; Expected = [TimeSpan]::FromSeconds(90) }
            @{ Case = 'as a TimeSpan'; Value = [TimeSpan]::FromMinutes(30); Expected = [TimeSpan]::FromMinutes(30) }
            @{ Case = 'as a TimeSpan string'; Value = '01:00:00'; Expected = [TimeSpan]::FromHours(1) }
            @{ Case = 'of zero'; Value = 0; Expected = [TimeSpan]::Zero }
        ) {
            (New-CaExternalConnection demo 'public:npmjs' -Format npm -Uri $NpmUrl -MetadataTtl $Value).MetadataTtl | Should -Be $Expected
        }

        It 'keeps a credential, sealed, with its user name (aws when none is given)' {
            $secret = ConvertTo-SecureString 'remote-token' -AsPlainText -Force
            $withUser = New-CaExternalConnection demo 'private:one' -Format npm -Uri $NpmUrl -Credential ([pscredential]::new('reader', $secret))

            $withUser.HasCredential | Should -BeTrue
            $withUser.UserName | Should -BeExactly 'reader'
            $withUser.PSObject.Properties.Name | Should -Not -Contain 'Password'
        }

        It 'does not write the credential''s password into any file of the store in plain text' {
            $password = 'pca1.must-never-be-stored-in-plain-text'
            $credential = [pscredential]::new('aws', (ConvertTo-SecureString $password -AsPlainText -Force))
            New-CaExternalConnection demo 'private:npm' -Format npm -Uri $NpmUrl -Credential $credential | Out-Null
            Connect-CaExternalConnection demo npm-store 'private:npm' | Out-Null

            $needle = [Text.Encoding]::UTF8.GetBytes($password)
            $files = @(Get-ChildItem -LiteralPath $Store -Recurse -File)
            $files.Name | Should -Contain 'catalog.db'
            foreach ($file in $files) {
                $text = [Text.Encoding]::Latin1.GetString([IO.File]::ReadAllBytes($file.FullName))
                $text.Contains([Text.Encoding]::Latin1.GetString($needle)) |
                    Should -BeFalse -Because "the password must not be in $($file.Name) in plain text"
            }
        }

        It 'refuses the invalid name <Case> with InvalidExternalConnection' -ForEach @(
            @{ Case = "'a' (one character)"; Name = 'a' }
            @{ Case = "'-npm' (starts with a hyphen)"; Name = '-npm' }
            @{ Case = "'public npm' (space)"; Name = 'public npm' }
            @{ Case = "'public/npm' (slash)"; Name = 'public/npm' }
            @{ Case = '101 characters'; Name = 'n' * 101 }
        ) {
            New-CaExternalConnection demo $Name -Format npm -Uri $NpmUrl -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeExactly (Get-ErrorId 'InvalidExternalConnection' 'New')
            $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            @(Get-CaExternalConnection demo).Count | Should -Be 0
        }

        It 'refuses the URL <Url> with InvalidExternalConnection' -ForEach @(
            @{ Url = 'ftp://127.0.0.1/npm/' }
            @{ Url = 'registry/npm' }
            @{ Url = 'http://user:pass@127.0.0.1/npm/' }
            @{ Url = 'http://127.0.0.1/npm/?token=abc' }
            @{ Url = 'http://127.0.0.1/npm/#part' }
        ) {
            New-CaExternalConnection demo 'public:npmjs' -Format npm -Uri $Url -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeExactly (Get-ErrorId 'InvalidExternalConnection' 'New')
            $err[0].Exception.Message | Should -Not -Match 'user:pass' -Because 'a password in the URL is not echoed back'
        }

        It 'refuses the TTL <Case> with InvalidExternalConnection' -ForEach @(
            @{ Case = 'of -1 second'; Value = -1 }
            @{ Case = 'of 8 days'; Value = '8.00:00:00' }
        ) {
            New-CaExternalConnection demo 'public:npmjs' -Format npm -Uri $NpmUrl -MetadataTtl $Value -ErrorAction SilentlyContinue -ErrorVariable err |
                Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeExactly (Get-ErrorId 'InvalidExternalConnection' 'New')
            $err[0].Exception.Message | Should -Match 'TTL'
        }

        It 'refuses a format that cannot be proxied by parameter validation' {
            { New-CaExternalConnection demo 'public:gems' -Format ruby -Uri $NpmUrl -ErrorAction Stop } |
                Should -Throw -ErrorId 'ParameterArgumentValidationError,PSCodeArtifact.PowerShell.Commands.NewCaExternalConnectionCommand'
            { New-CaExternalConnection demo 'public:generic' -Format generic -Uri $NpmUrl -ErrorAction Stop } |
                Should -Throw -ErrorId 'ParameterArgumentValidationError,PSCodeArtifact.PowerShell.Commands.NewCaExternalConnectionCommand'
        }

        It 'refuses a name the domain has, in any case, with ExternalConnectionAlreadyExists' {
            New-NpmConnection | Out-Null
            New-CaExternalConnection demo 'PUBLIC:NPMJS' -Format npm -Uri $NpmUrl -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeExactly (Get-ErrorId 'ExternalConnectionAlreadyExists' 'New')
            $err[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        }

        It 'reports a domain that does not exist with DomainNotFound' {
            New-CaExternalConnection nosuch 'public:npmjs' -Format npm -Uri $NpmUrl -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeExactly (Get-ErrorId 'DomainNotFound' 'New')
        }

        It 'creates nothing with -WhatIf' {
            New-NpmConnection | Out-Null
            New-CaExternalConnection demo 'public:other' -Format npm -Uri $NpmUrl -WhatIf | Should -BeNullOrEmpty
            @(Get-CaExternalConnection demo).Name | Should -Be @('public:npmjs')
        }
    }

    Context 'Get-CaExternalConnection' {
        BeforeEach {
            New-NpmConnection 'public:npmjs' | Out-Null
            New-CaExternalConnection demo 'public:pypi' -Format pypi -Uri 'http://127.0.0.1:9/pypi/' | Out-Null
            New-CaExternalConnection demo 'mirror:nuget' -Format nuget -Uri 'http://127.0.0.1:9/v3/index.json' | Out-Null
        }

        It 'gets every connection of the domain, ordered by name' {
            @(Get-CaExternalConnection demo).Name | Should -Be @('mirror:nuget', 'public:npmjs', 'public:pypi')
        }

        It 'gets connections by name, in any case, and by wildcard pattern, each once' {
            @(Get-CaExternalConnection demo 'PUBLIC:NPMJS').Name | Should -Be @('public:npmjs')
            @(Get-CaExternalConnection demo 'public:*').Name | Should -Be @('public:npmjs', 'public:pypi')
            @(Get-CaExternalConnection demo 'public:*', 'public:npmjs', '*nuget').Name | Should -Be @('public:npmjs', 'public:pypi', 'mirror:nuget')
        }

        It 'writes ExternalConnectionNotFound for a plain name that matches nothing, nothing for a pattern' {
            $found = @(Get-CaExternalConnection demo 'public:nosuch', 'zz*', 'public:pypi' -ErrorAction SilentlyContinue -ErrorVariable err)
            $found.Name | Should -Be @('public:pypi')
            @($err).Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly (Get-ErrorId 'ExternalConnectionNotFound' 'Get')
            $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        }

        It 'reports a domain that does not exist with DomainNotFound' {
            Get-CaExternalConnection nosuch -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeExactly (Get-ErrorId 'DomainNotFound' 'Get')
        }

        It 'takes the domain from a domain piped from Get-CaDomain' {
            @(Get-CaDomain demo | Get-CaExternalConnection -Name 'public:npmjs').Name | Should -Be @('public:npmjs')
        }

        It 'shows Name, Format, Uri, Repositories and MetadataTtl in its default view' {
            Connect-CaExternalConnection demo npm-store 'public:npmjs' | Out-Null
            $table = Get-CaExternalConnection demo 'public:npmjs' | Out-String -Width 250
            $table | Should -Match 'Name\s+Format\s+Uri\s+Repositories\s+MetadataTtl'
            $table | Should -Match ([regex]::Escape($NpmUrl))
            $table | Should -Match 'npm-store'
            $table | Should -Match '00:05:00'
        }
    }

    Context 'Connect-CaExternalConnection and Disconnect-CaExternalConnection' {
        BeforeEach {
            New-NpmConnection | Out-Null
        }

        It 'connects a repository, which then shows the connection, and the connection the repository' {
            $repository = Connect-CaExternalConnection -Domain demo -Repository npm-store -Name 'public:npmjs'

            $repository | Should -BeOfType ([PSCodeArtifact.Core.RepositoryInfo])
            $repository.ExternalConnections | Should -Be @('public:npmjs')
            (Get-CaRepository demo npm-store).ExternalConnections | Should -Be @('public:npmjs')
            (Get-CaExternalConnection demo 'public:npmjs').Repositories | Should -Be @('npm-store')
        }

        It 'shows the connection in the default view of Get-CaRepository' {
            Connect-CaExternalConnection demo npm-store 'public:npmjs' | Out-Null
            $table = Get-CaRepository demo | Out-String -Width 250
            $table | Should -Match 'Upstreams\s+ExternalConnections\s+Description'
            $table | Should -Match 'npm-store\s+public:npmjs'
        }

        It 'takes the connection from Get-CaExternalConnection through the pipeline' {
            Get-CaExternalConnection demo 'public:npmjs' | Connect-CaExternalConnection -Repository main | Out-Null
            (Get-CaRepository demo main).ExternalConnections | Should -Be @('public:npmjs')
        }

        It 'lets one connection serve several repositories' {
            Connect-CaExternalConnection demo npm-store 'public:npmjs' | Out-Null
            Connect-CaExternalConnection demo main 'public:npmjs' | Out-Null
            (Get-CaExternalConnection demo 'public:npmjs').Repositories | Should -Be @('main', 'npm-store')
        }

        It 'refuses a second connection for a repository with ExternalConnectionLimit, and accepts the same one again' {
            New-CaExternalConnection demo 'mirror:npm' -Format npm -Uri 'http://127.0.0.1:9/mirror/' | Out-Null
            Connect-CaExternalConnection demo npm-store 'public:npmjs' | Out-Null

            Connect-CaExternalConnection demo npm-store 'public:npmjs' | ForEach-Object ExternalConnections | Should -Be @('public:npmjs')
            Connect-CaExternalConnection demo npm-store 'mirror:npm' -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeExactly (Get-ErrorId 'ExternalConnectionLimit' 'Connect')
            $err[0].CategoryInfo.Category | Should -Be 'LimitsExceeded'
            (Get-CaRepository demo npm-store).ExternalConnections | Should -Be @('public:npmjs')
        }

        It 'reports a missing <What> with <Id> before any change' -ForEach @(
            @{ What = 'repository'; Repository = 'nosuch'; Name = 'public:npmjs'; Id = 'RepositoryNotFound' }
            @{ What = 'connection'; Repository = 'npm-store'; Name = 'public:nosuch'; Id = 'ExternalConnectionNotFound' }
        ) {
            Connect-CaExternalConnection demo $Repository $Name -WhatIf -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeExactly (Get-ErrorId $Id 'Connect')
        }

        It 'connects nothing with -WhatIf' {
            Connect-CaExternalConnection demo npm-store 'public:npmjs' -WhatIf | Should -BeNullOrEmpty
            @((Get-CaRepository demo npm-store).ExternalConnections).Count | Should -Be 0
        }

        It 'disconnects a repository, and reports one not connected with ExternalConnectionNotConnected' {
            Connect-CaExternalConnection demo npm-store 'public:npmjs' | Out-Null

            $repository = Disconnect-CaExternalConnection demo npm-store 'public:npmjs'
            @($repository.ExternalConnections).Count | Should -Be 0
            @((Get-CaExternalConnection demo 'public:npmjs').Repositories).Count | Should -Be 0

            Disconnect-CaExternalConnection demo npm-store 'public:npmjs' -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeExactly (Get-ErrorId 'ExternalConnectionNotConnected' 'Disconnect')
            $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        }
    }

    Context 'Remove-CaExternalConnection' {
        BeforeEach {
            New-NpmConnection | Out-Null
        }

        It 'removes a connection no repository uses' {
            Remove-CaExternalConnection demo 'public:npmjs' -Confirm:$false | Should -BeNullOrEmpty
            @(Get-CaExternalConnection demo).Count | Should -Be 0
        }

        It 'removes connections piped from Get-CaExternalConnection' {
            New-CaExternalConnection demo 'public:pypi' -Format pypi -Uri 'http://127.0.0.1:9/pypi/' | Out-Null
            Get-CaExternalConnection demo 'public:*' | Remove-CaExternalConnection -Confirm:$false
            @(Get-CaExternalConnection demo).Count | Should -Be 0
        }

        It 'refuses a connection in use with ExternalConnectionInUse, before any confirmation' {
            Connect-CaExternalConnection demo npm-store 'public:npmjs' | Out-Null

            Remove-CaExternalConnection demo 'public:npmjs' -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable err
            $err[0].FullyQualifiedErrorId | Should -BeExactly (Get-ErrorId 'ExternalConnectionInUse' 'Remove')
            $err[0].CategoryInfo.Category | Should -Be 'ResourceUnavailable'
            $err[0].Exception.Message | Should -Match "'npm-store'"

            Remove-CaExternalConnection demo 'public:npmjs' -WhatIf -ErrorAction SilentlyContinue -ErrorVariable err2
            $err2[0].FullyQualifiedErrorId | Should -BeExactly (Get-ErrorId 'ExternalConnectionInUse' 'Remove')
            @(Get-CaExternalConnection demo).Name | Should -Be @('public:npmjs')

            Disconnect-CaExternalConnection demo npm-store 'public:npmjs' | Out-Null
            Remove-CaExternalConnection demo 'public:npmjs' -Confirm:$false
            @(Get-CaExternalConnection demo).Count | Should -Be 0
        }

        It 'reports a connection that does not exist with ExternalConnectionNotFound' {
            Remove-CaExternalConnection demo 'public:nosuch' -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable err
            $err[0].FullyQualifiedErrorId | Should -BeExactly (Get-ErrorId 'ExternalConnectionNotFound' 'Remove')
        }

        It 'removes nothing with -WhatIf' {
            Remove-CaExternalConnection demo 'public:npmjs' -WhatIf
            @(Get-CaExternalConnection demo).Name | Should -Be @('public:npmjs')
        }
    }

    Context 'Removing repositories and domains' {
        BeforeEach {
            New-NpmConnection | Out-Null
            Connect-CaExternalConnection demo npm-store 'public:npmjs' | Out-Null
        }

        It 'Remove-CaRepository drops the repository''s connection link' {
            Remove-CaRepository demo npm-store -Force -Confirm:$false
            @((Get-CaExternalConnection demo 'public:npmjs').Repositories).Count | Should -Be 0
            Remove-CaExternalConnection demo 'public:npmjs' -Confirm:$false
            @(Get-CaExternalConnection demo).Count | Should -Be 0
        }

        It 'Remove-CaDomain -Force removes the domain''s connections' {
            Remove-CaDomain demo -Force -Confirm:$false
            New-CaDomain demo | Out-Null
            @(Get-CaExternalConnection demo).Count | Should -Be 0
        }
    }
}
