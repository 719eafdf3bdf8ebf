#Requires -Version 7.4
<#
    Convention tests for the BUILT PSCodeArtifact module.

    The module is $env:PSCODEARTIFACT_MODULE when set, otherwise out/PSCodeArtifact/PSCodeArtifact.psd1.
    The help pages are docs/en-US/*.md (platyPS v1 schema).

    Run:
      Import-Module ~/.nuget/packages/pester/6.2.0/tools/Pester.psd1
      Invoke-Pester tests/pester/Conventions.Tests.ps1 -Output Detailed
#>

BeforeDiscovery {
    $modulePath = if ($env:PSCODEARTIFACT_MODULE) { $env:PSCODEARTIFACT_MODULE } else { Join-Path $PSScriptRoot '../../out/PSCodeArtifact/PSCodeArtifact.psd1' }
    if (-not (Test-Path -LiteralPath $modulePath)) {
        throw "The built module was not found at '$modulePath'. Build it first, or set `$env:PSCODEARTIFACT_MODULE to the module manifest."
    }
    $module = Import-Module -Name $modulePath -Force -PassThru -DisableNameChecking -ErrorAction Stop

    $cmdletNames = @(Get-Command -Module $module.Name -CommandType Cmdlet | Sort-Object Name | ForEach-Object Name)

    # Verbs that only read, compare or display. Every other verb changes something (New, Set, Remove, Publish,
    # Export, Save, ...) and must support -WhatIf/-Confirm. ConvertTo/ConvertFrom only transform objects in memory.
    $readOnlyVerbs = 'Get', 'Test', 'Find', 'Resolve', 'Search', 'Measure', 'Compare', 'Show', 'Select', 'Format',
        'Out', 'Read', 'Watch', 'Wait', 'ConvertTo', 'ConvertFrom'
    $changingCmdletNames = @($cmdletNames | Where-Object { ($_ -split '-', 2)[0] -notin $readOnlyVerbs })
}

BeforeAll {
    $modulePath = if ($env:PSCODEARTIFACT_MODULE) { $env:PSCODEARTIFACT_MODULE } else { Join-Path $PSScriptRoot '../../out/PSCodeArtifact/PSCodeArtifact.psd1' }
    $module = Import-Module -Name $modulePath -PassThru -DisableNameChecking -ErrorAction Stop
    $moduleName = $module.Name
    $docsPath = [System.IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../../docs/en-US'))
    $exportedCmdlets = @(Get-Command -Module $moduleName -CommandType Cmdlet | ForEach-Object Name)
    $approvedVerbs = @(Get-Verb | ForEach-Object Verb)
    $commonParameters = [System.Management.Automation.Cmdlet]::CommonParameters

    function Get-CmdletUnderTest {
        param([string] $Name)
        Get-Command -Name $Name -Module $moduleName -CommandType Cmdlet -ErrorAction Stop
    }

    function Get-DocPagePath {
        param([string] $Name)
        Join-Path $docsPath "$Name.md"
    }

    function Read-DocPage {
        # Parses a platyPS v1 page: returns its text and, for each '### -Name' under '## PARAMETERS',
        # the list of its yaml blocks as hashtables (Type, Parameter Sets, Required, Position, ...).
        # Fenced code is skipped, so '#' comment lines inside examples are not taken for headings.
        param([string] $Path)

        $lines = Get-Content -LiteralPath $Path -Encoding utf8
        $parameters = [ordered]@{}
        $section = $null
        $current = $null
        $fence = $null
        $fenceInfo = $null
        $fenceLines = $null
        foreach ($line in $lines) {
            if ($fence) {
                if ($line -match ('^ {0,3}' + [regex]::Escape($fence) + '\s*$')) {
                    if ($section -eq 'PARAMETERS' -and $current -and $fenceInfo -in 'yaml', 'yml') {
                        $yaml = @{}
                        foreach ($l in $fenceLines) {
                            if ($l -match '^\s*([^:]+?)\s*:\s*(.*?)\s*$') { $yaml[$Matches[1]] = $Matches[2] }
                        }
                        $parameters[$current].Add($yaml)
                    }
                    $fence = $null
                }
                else { $fenceLines.Add($line) }
                continue
            }
            if ($line -match '^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)') {
                $fence = $Matches[1]
                $fenceInfo = $Matches[2].ToLowerInvariant()
                $fenceLines = [System.Collections.Generic.List[string]]::new()
                continue
            }
            if ($line -match '^#{1,2}\s+(.+?)\s*$') {
                $section = $Matches[1].ToUpperInvariant()
                $current = $null
            }
            elseif ($section -eq 'PARAMETERS' -and $line -match '^###\s+-([A-Za-z_][A-Za-z0-9_]*)\s*$') {
                $current = $Matches[1]
                $parameters[$current] = [System.Collections.Generic.List[hashtable]]::new()
            }
            elseif ($line -match '^###\s') {
                $current = $null
            }
        }
        [pscustomobject]@{
            Text       = $lines -join "`n"
            Parameters = $parameters
        }
    }

    function Get-TypeSpelling {
        # The ways a page may name a parameter's type: short name (String[], SwitchParameter),
        # generic short form (Nullable[Int32], Dictionary[String,String]) or full name.
        param([type] $Type)
        $names = [System.Collections.Generic.List[string]]::new()
        $names.Add($Type.Name)
        if ($Type.FullName) { $names.Add($Type.FullName) }
        if ($Type.IsGenericType) {
            $argumentNames = ($Type.GetGenericArguments() | ForEach-Object { (Get-TypeSpelling $_)[0] }) -join ','
            $base = $Type.Name -replace '`\d+$', ''
            $names.Insert(0, "$base[$argumentNames]")
            $names.Add("$($Type.Name)[$argumentNames]")
        }
        , $names.ToArray()
    }

    function Skip-WithoutPage {
        param([string] $Name)
        if (-not (Test-Path -LiteralPath (Get-DocPagePath $Name))) {
            Set-ItResult -Skipped -Because "docs/en-US/$Name.md does not exist (reported by the 'has a help page' test)"
            return $true
        }
        $false
    }
}

Describe 'PSCodeArtifact module conventions' {

    It 'exports at least one cmdlet' {
        $exportedCmdlets.Count | Should -BeGreaterThan 0 -Because 'the module must export its binary cmdlets'
    }

    Context 'Each exported cmdlet' {

        It '<_> uses an approved verb' -ForEach $cmdletNames {
            $cmd = Get-CmdletUnderTest $_
            $cmd.Verb | Should -BeIn $approvedVerbs -Because "'$($cmd.Verb)' must be listed by Get-Verb"
        }

        It '<_> declares its output type with [OutputType]' -ForEach $cmdletNames {
            $cmd = Get-CmdletUnderTest $_
            $cmd.OutputType.Count | Should -BeGreaterThan 0 -Because "$_ must declare [OutputType(...)] so that Get-Command and tab completion know what it returns"
        }

        It '<_> has help with a real synopsis and at least one example' -ForEach $cmdletNames {
            $name = $_
            $help = Get-Help -Name $name -Full -ErrorAction Stop
            $synopsis = "$($help.Synopsis)".Trim()
            $syntax = ((Get-Command -Name $name -Module $moduleName -Syntax) -replace '\s+', ' ').Trim()

            $synopsis | Should -Not -BeNullOrEmpty -Because "the MAML help of $name must have a SYNOPSIS"
            ($synopsis -replace '\s+', ' ') | Should -Not -Be $syntax -Because "a synopsis equal to the syntax means Get-Help found no MAML help for $name"
            $synopsis | Should -Not -Match ('^' + [regex]::Escape($name) + '\s+(\[|-|<)') -Because "a synopsis that is the syntax means Get-Help found no MAML help for $name"
            @($help.examples.example).Where({ $null -ne $_ }).Count | Should -BeGreaterThan 0 -Because "the help of $name must have at least one example"
        }

        It '<_> has a help page docs/en-US/<_>.md' -ForEach $cmdletNames {
            Get-DocPagePath $_ | Should -Exist
        }

        It '<_> help page has no platyPS placeholder text' -ForEach $cmdletNames {
            if (Skip-WithoutPage $_) { return }
            $placeholders = @(Select-String -LiteralPath (Get-DocPagePath $_) -Pattern '\{\{' | ForEach-Object { "line $($_.LineNumber): $($_.Line.Trim())" })
            $placeholders | Should -BeNullOrEmpty -Because "placeholder text ({{ ... }}) must be replaced with real content"
        }

        It '<_> help page documents exactly the cmdlet''s parameters' -ForEach $cmdletNames {
            if (Skip-WithoutPage $_) { return }
            $cmd = Get-CmdletUnderTest $_
            $expected = @($cmd.Parameters.Keys | Where-Object { $_ -notin $commonParameters })
            $documented = @((Read-DocPage (Get-DocPagePath $_)).Parameters.Keys)

            $missing = @($expected | Where-Object { $_ -notin $documented } | Sort-Object)
            $extra = @($documented | Where-Object { $_ -notin $expected } | Sort-Object)
            $problems = @(
                if ($missing) { "missing: $(($missing | ForEach-Object { "-$_" }) -join ', ')" }
                if ($extra) { "extra (not parameters of $_): $(($extra | ForEach-Object { "-$_" }) -join ', ')" }
            )
            $problems | Should -BeNullOrEmpty -Because "the '### -Name' headings under '## PARAMETERS' must match the cmdlet's parameters (common parameters excluded)"
        }

        It '<_> help page states Required and Position as the cmdlet declares them' -ForEach $cmdletNames {
            if (Skip-WithoutPage $_) { return }
            $cmd = Get-CmdletUnderTest $_
            $cmdletSets = @($cmd.ParameterSets | ForEach-Object Name)
            $page = Read-DocPage (Get-DocPagePath $_)
            $problems = [System.Collections.Generic.List[string]]::new()

            foreach ($name in $page.Parameters.Keys) {
                if (-not $cmd.Parameters.ContainsKey($name)) { continue } # reported by the 'documents exactly' test
                $meta = $cmd.Parameters[$name]
                $setMeta = {
                    param($set)
                    if ($meta.ParameterSets.ContainsKey($set)) { $meta.ParameterSets[$set] }
                    elseif ($meta.ParameterSets.ContainsKey('__AllParameterSets')) { $meta.ParameterSets['__AllParameterSets'] }
                }
                $memberOf = @($cmdletSets | Where-Object { $null -ne (& $setMeta $_) })
                $blocks = $page.Parameters[$name]
                if ($blocks.Count -eq 0) { $problems.Add("-${name}: no yaml block"); continue }

                $covered = [System.Collections.Generic.List[string]]::new()
                foreach ($yaml in $blocks) {
                    foreach ($key in 'Parameter Sets', 'Required', 'Position') {
                        if (-not $yaml.ContainsKey($key)) { $problems.Add("-${name}: yaml lacks '${key}:'") }
                    }
                    if (-not ($yaml.ContainsKey('Parameter Sets') -and $yaml.ContainsKey('Required') -and $yaml.ContainsKey('Position'))) { continue }

                    $docSets = @($yaml['Parameter Sets'] -split ',' | ForEach-Object { $_.Trim() } | Where-Object { $_ })
                    $sets = if ($docSets -contains '(All)') { $cmdletSets } else { $docSets }
                    foreach ($set in $sets) {
                        $label = if ($docSets -notcontains '(All)') { $set } elseif ($cmdletSets.Count -gt 1) { "(All) [$set]" } else { '(All)' }
                        if ($set -notin $cmdletSets) { $problems.Add("-${name}: parameter set '$set' does not exist (sets: $($cmdletSets -join ', '))"); continue }
                        $setInfo = & $setMeta $set
                        if ($null -eq $setInfo) { $problems.Add("-${name}: documented for $label, but the parameter is not in that set"); continue }
                        $covered.Add($set)

                        $expectedRequired = if ($setInfo.IsMandatory) { 'True' } else { 'False' }
                        if ($yaml['Required'] -ne $expectedRequired) { $problems.Add("-${name} ${label}: Required is '$($yaml['Required'])', the cmdlet says $expectedRequired") }

                        $expectedPosition = if ($setInfo.Position -eq [int]::MinValue) { 'Named' } else { "$($setInfo.Position)" }
                        if ($yaml['Position'] -ne $expectedPosition) { $problems.Add("-${name} ${label}: Position is '$($yaml['Position'])', the cmdlet says $expectedPosition") }
                    }
                }
                $uncovered = @($memberOf | Where-Object { $_ -notin $covered })
                if ($uncovered) { $problems.Add("-${name}: not documented for parameter set(s) $($uncovered -join ', ')") }
            }
            $problems | Should -BeNullOrEmpty -Because "the yaml 'Parameter Sets', 'Required' and 'Position' must agree with the cmdlet's parameter metadata"
        }

        It '<_> help page states each parameter''s Type as the cmdlet declares it' -ForEach $cmdletNames {
            if (Skip-WithoutPage $_) { return }
            $cmd = Get-CmdletUnderTest $_
            $page = Read-DocPage (Get-DocPagePath $_)
            $problems = [System.Collections.Generic.List[string]]::new()
            foreach ($name in $page.Parameters.Keys) {
                if (-not $cmd.Parameters.ContainsKey($name)) { continue } # reported by the 'documents exactly' test
                $allowed = Get-TypeSpelling $cmd.Parameters[$name].ParameterType
                foreach ($yaml in $page.Parameters[$name]) {
                    $documentedType = $yaml['Type']
                    if ($documentedType -notin $allowed) { $problems.Add("-${name}: Type is '$documentedType', the cmdlet says '$($allowed[0])'") }
                }
            }
            $problems | Should -BeNullOrEmpty -Because "the yaml 'Type:' must be the parameter type's short name"
        }
    }

    Context 'Each cmdlet whose verb changes state' {

        It '<_> supports -WhatIf and -Confirm (ShouldProcess)' -ForEach $changingCmdletNames {
            $cmd = Get-CmdletUnderTest $_
            $cmd.Parameters.Keys | Should -Contain 'WhatIf' -Because "$_ changes state, so it must declare SupportsShouldProcess"
            $cmd.Parameters.Keys | Should -Contain 'Confirm' -Because "$_ changes state, so it must declare SupportsShouldProcess"
        }
    }

    Context 'Help pages' {

        It 'has docs/en-US/about_PSCodeArtifact.md and Get-Help about_PSCodeArtifact shows it' {
            Join-Path $docsPath 'about_PSCodeArtifact.md' | Should -Exist
            $text = Get-Help -Name about_PSCodeArtifact -ErrorAction Stop | Out-String
            $text.Trim() | Should -Not -BeNullOrEmpty
            $text | Should -Match 'about_PSCodeArtifact' -Because 'the about topic names itself'
        }

        It 'has no cmdlet page that names a cmdlet the module does not export' {
            $pages = @(Get-ChildItem -LiteralPath $docsPath -Filter '*.md' -File | Where-Object { $_.Name -notlike 'about_*' })
            $stale = @($pages | Where-Object { $_.BaseName -cnotin $exportedCmdlets } | ForEach-Object Name)
            $stale | Should -BeNullOrEmpty -Because "every page other than about_* must document an exported cmdlet (exported: $($exportedCmdlets -join ', '))"
        }
    }
}
