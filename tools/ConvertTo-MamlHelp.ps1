<#
.SYNOPSIS
    Builds MAML external help and about_*.help.txt files from platyPS v1 markdown pages.

.DESCRIPTION
    Reads every cmdlet page (<Verb>-<Noun>.md) in DocsPath and writes one MAML file,
    <OutputPath>/<HelpFileName>, that Get-Help reads for the module's binary cmdlets.
    Every about_<Topic>.md page is converted to a plain-text <OutputPath>/about_<Topic>.help.txt.

    Like platyPS v1 New-ExternalHelp, the markdown is the only input: the module is not imported.

    The script validates each cmdlet page and throws, naming the file and the problem, when:
      - the '# <Verb>-<Noun>' title is missing or does not match the file name;
      - a required section is missing or empty: SYNOPSIS, SYNTAX, DESCRIPTION, EXAMPLES
        (at least one '### ...' example with a code block), PARAMETERS, INPUTS, OUTPUTS;
      - a section appears twice;
      - a '### -Parameter' entry has no yaml block, or the yaml lacks Type, Parameter Sets,
        Required (True/False) or Position (Named or a number);
      - a parameter names a parameter set that has no '### <SetName>' heading under SYNTAX;
      - a SYNTAX code block and the parameters documented for that set disagree;
      - any page (cmdlet or about) contains platyPS placeholder text such as '{{ Fill ... }}'.
    Nothing is written unless every page is valid.

    Other files in DocsPath (for example a module page PSCodeArtifact.md or README.md) are ignored.

.PARAMETER DocsPath
    Folder holding the markdown pages, for example docs/en-US.

.PARAMETER OutputPath
    Folder that receives the help files, for example out/PSCodeArtifact/en-US. Created when missing.

.PARAMETER HelpFileName
    Name of the MAML file. For a binary module it must be '<AssemblyFileName>-Help.xml'.

.EXAMPLE
    ./tools/ConvertTo-MamlHelp.ps1 -DocsPath docs/en-US -OutputPath out/PSCodeArtifact/en-US -HelpFileName PSCodeArtifact.PowerShell.dll-Help.xml

    Writes out/PSCodeArtifact/en-US/PSCodeArtifact.PowerShell.dll-Help.xml and one
    about_<Topic>.help.txt per about page.

.OUTPUTS
    System.IO.FileInfo. The files written.
#>
[CmdletBinding()]
[OutputType([System.IO.FileInfo])]
param(
    [Parameter(Mandatory)]
    [string] $DocsPath,

    [Parameter(Mandatory)]
    [string] $OutputPath,

    [ValidateNotNullOrEmpty()]
    [string] $HelpFileName = 'PSCodeArtifact.PowerShell.dll-Help.xml'
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$script:NsMsh = 'http://msh'
$script:NsMaml = 'http://schemas.microsoft.com/maml/2004/10'
$script:NsCommand = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$script:NsDev = 'http://schemas.microsoft.com/maml/dev/2004/10'
$script:NsMSHelp = 'http://msdn.microsoft.com/mshelp'

# Names PowerShell adds to every cmdlet; they belong under '### CommonParameters', not '### -Name'.
$script:CommonParameterNames = [System.Collections.Generic.HashSet[string]]::new(
    [string[]][System.Management.Automation.Cmdlet]::CommonParameters,
    [System.StringComparer]::OrdinalIgnoreCase)

#region Markdown reading

function Stop-Page {
    # Throws a terminating error that names the page (and line when known).
    param([string] $File, [string] $Message, [int] $Line = 0)
    $where = if ($Line -gt 0) { "${File}:$Line" } else { $File }
    throw "$where`: $Message"
}

function Read-MarkdownPage {
    # Returns the page's front matter (ordered hashtable), its body lines and the line number of the first body line.
    param([string] $File)

    $text = [System.IO.File]::ReadAllText($File, [System.Text.Encoding]::UTF8)
    $lines = [string[]]($text -split '\r?\n')

    for ($i = 0; $i -lt $lines.Count; $i++) {
        $m = [regex]::Match($lines[$i], '\{\{.*?\}\}')
        if ($m.Success) {
            Stop-Page $File "contains platyPS placeholder text '$($m.Value)'; replace it with real content." ($i + 1)
        }
    }

    $frontMatter = [ordered]@{}
    $start = 0
    if ($lines.Count -gt 0 -and $lines[0].Trim() -eq '---') {
        $end = -1
        for ($i = 1; $i -lt $lines.Count; $i++) {
            if ($lines[$i].Trim() -eq '---') { $end = $i; break }
            $m = [regex]::Match($lines[$i], '^\s*([^:#][^:]*?)\s*:\s*(.*?)\s*$')
            if ($m.Success) { $frontMatter[$m.Groups[1].Value] = $m.Groups[2].Value.Trim('''"') }
        }
        if ($end -lt 0) { Stop-Page $File "the YAML front matter that starts on line 1 is not closed by '---'." 1 }
        $start = $end + 1
    }

    [pscustomobject]@{
        FrontMatter = $frontMatter
        Lines       = [string[]]@(if ($start -lt $lines.Count) { $lines[$start..($lines.Count - 1)] })
        FirstLine   = $start + 1
    }
}

function Get-MarkdownBlock {
    # Splits markdown lines into Heading, Code and Para blocks. Fenced code is kept verbatim so that
    # '# comment' lines inside code are not mistaken for headings. HTML comments are dropped.
    # Each list item becomes its own Para block (IsListItem).
    param([string[]] $Lines, [int] $FirstLine, [string] $File)

    $blocks = [System.Collections.Generic.List[object]]::new()
    $para = [System.Collections.Generic.List[string]]::new()
    $paraLine = 0
    $paraIsItem = $false

    $flush = {
        if ($para.Count -gt 0) {
            $blocks.Add([pscustomobject]@{ Kind = 'Para'; Lines = [string[]]$para.ToArray(); Line = $paraLine; IsListItem = $paraIsItem; Level = 0; Text = ''; Info = '' })
            $para.Clear()
        }
    }

    $i = 0
    while ($i -lt $Lines.Count) {
        $line = $Lines[$i]
        $lineNo = $FirstLine + $i

        $fence = [regex]::Match($line, '^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)')
        if ($fence.Success) {
            . $flush
            $marker = $fence.Groups[1].Value
            $indent = $line.Length - $line.TrimStart().Length
            $code = [System.Collections.Generic.List[string]]::new()
            $i++
            $closed = $false
            while ($i -lt $Lines.Count) {
                if ($Lines[$i] -match ('^ {0,3}' + [regex]::Escape($marker.Substring(0, 1)) + '{' + $marker.Length + ',}\s*$')) { $closed = $true; break }
                $codeLine = $Lines[$i]
                if ($indent -gt 0 -and $codeLine.Length -ge $indent -and $codeLine.Substring(0, $indent).Trim() -eq '') { $codeLine = $codeLine.Substring($indent) }
                $code.Add($codeLine)
                $i++
            }
            if (-not $closed) { Stop-Page $File "the code fence opened here is never closed." $lineNo }
            $blocks.Add([pscustomobject]@{ Kind = 'Code'; Info = $fence.Groups[2].Value.ToLowerInvariant(); Text = ($code -join "`n").TrimEnd(); Line = $lineNo; Lines = [string[]]@(); IsListItem = $false; Level = 0 })
            $i++
            continue
        }

        if ($line -match '^\s*<!--') {
            . $flush
            while ($i -lt $Lines.Count -and $Lines[$i] -notmatch '-->') { $i++ }
            $i++
            continue
        }

        $heading = [regex]::Match($line, '^ {0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$')
        if ($heading.Success) {
            . $flush
            $blocks.Add([pscustomobject]@{ Kind = 'Heading'; Level = $heading.Groups[1].Value.Length; Text = $heading.Groups[2].Value.Trim(); Line = $lineNo; Lines = [string[]]@(); IsListItem = $false; Info = '' })
            $i++
            continue
        }

        if ($line.Trim() -eq '') {
            . $flush
            $i++
            continue
        }

        $isItem = $line -match '^\s*([-*+]|\d+[.)])\s+\S'
        if ($isItem -and $para.Count -gt 0) { . $flush }
        if ($para.Count -eq 0) { $paraLine = $lineNo; $paraIsItem = $isItem }
        $para.Add($line)
        $i++
    }
    . $flush
    , $blocks.ToArray()
}

function ConvertFrom-MarkdownInline {
    # Removes inline markdown markup: code spans, emphasis, links, images, escapes.
    param([string] $Text)

    # Odd indexes of the split are code-span contents, kept literally.
    $parts = [regex]::Split($Text, '(?<!\\)`+([^`]+?)`+')
    $sb = [System.Text.StringBuilder]::new()
    for ($i = 0; $i -lt $parts.Count; $i++) {
        $part = $parts[$i]
        if ($i % 2 -eq 1) { [void]$sb.Append($part); continue }
        $part = [regex]::Replace($part, '!\[([^\]]*)\]\([^)]*\)', '$1')
        $part = [regex]::Replace($part, '\[([^\]]+)\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)', {
                param($m)
                $label = $m.Groups[1].Value
                $url = $m.Groups[2].Value
                if ($url -match '^[a-z][a-z0-9+.-]*://' -and $url -ne $label) { "$label ($url)" } else { $label }
            })
        $part = [regex]::Replace($part, '\[([^\]]+)\]\[[^\]]*\]', '$1')
        $part = [regex]::Replace($part, '<((?:https?|ftp|mailto):[^>\s]+)>', '$1')
        $part = [regex]::Replace($part, '(?<![\\\w*])\*\*(?=\S)(.+?)(?<=\S)\*\*(?![\w*])', '$1')
        $part = [regex]::Replace($part, '(?<![\\\w_])__(?=\S)(.+?)(?<=\S)__(?![\w_])', '$1')
        $part = [regex]::Replace($part, '(?<![\\\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])', '$1')
        $part = [regex]::Replace($part, '(?<![\\\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])', '$1')
        $part = [regex]::Replace($part, '\\([\\`*_{}\[\]()#+\-.!<>|])', '$1')
        [void]$sb.Append($part)
    }
    $sb.ToString()
}

function ConvertTo-ParagraphText {
    # One Para or Code block as plain text: list items keep their marker, tables and code keep line breaks,
    # ordinary paragraphs are joined into one line (Get-Help wraps them).
    param($Block)

    if ($Block.Kind -eq 'Code') { return $Block.Text }
    if ($Block.Kind -eq 'Heading') { return (ConvertFrom-MarkdownInline $Block.Text) }

    $lines = $Block.Lines
    if ($lines[0].TrimStart().StartsWith('|')) {
        return (($lines | ForEach-Object { ConvertFrom-MarkdownInline $_.Trim() }) -join "`n")
    }
    $text = (($lines | ForEach-Object { $_.Trim() }) -join ' ')
    $text = $text -replace '^>\s?', ''
    if ($Block.IsListItem) {
        $m = [regex]::Match($text, '^([-*+]|\d+[.)])\s+(.*)$')
        $marker = if ($m.Groups[1].Value -match '^\d') { $m.Groups[1].Value } else { '-' }
        return "$marker $(ConvertFrom-MarkdownInline $m.Groups[2].Value)"
    }
    ConvertFrom-MarkdownInline $text
}

function ConvertTo-ParagraphList {
    # Blocks as MAML paragraphs. Consecutive list items share one paragraph, one item a line,
    # so that Get-Help shows the list without blank lines between items.
    param([object[]] $Blocks)
    $paragraphs = [System.Collections.Generic.List[string]]::new()
    $items = [System.Collections.Generic.List[string]]::new()
    foreach ($b in $Blocks) {
        $t = ConvertTo-ParagraphText $b
        if ([string]::IsNullOrWhiteSpace($t)) { continue }
        if ($b.Kind -eq 'Para' -and $b.IsListItem) { $items.Add($t); continue }
        if ($items.Count -gt 0) { $paragraphs.Add($items -join "`n"); $items.Clear() }
        $paragraphs.Add($t)
    }
    if ($items.Count -gt 0) { $paragraphs.Add($items -join "`n") }
    , $paragraphs.ToArray()
}

#endregion

#region Cmdlet page model

function Split-Section {
    # Groups blocks under each heading of the given level: returns an ordered list of @{ Title; Line; Blocks }.
    # Blocks before the first such heading are returned with Title $null.
    param([object[]] $Blocks, [int] $Level)

    $sections = [System.Collections.Generic.List[object]]::new()
    $current = [pscustomobject]@{ Title = $null; Line = 0; Blocks = [System.Collections.Generic.List[object]]::new() }
    foreach ($b in $Blocks) {
        if ($b.Kind -eq 'Heading' -and $b.Level -eq $Level) {
            $sections.Add($current)
            $current = [pscustomobject]@{ Title = $b.Text; Line = $b.Line; Blocks = [System.Collections.Generic.List[object]]::new() }
        }
        else {
            $current.Blocks.Add($b)
        }
    }
    $sections.Add($current)
    , $sections.ToArray()
}

function Test-HasContent {
    param([object[]] $Blocks)
    foreach ($b in $Blocks) { if ($b.Kind -ne 'Heading') { return $true } }
    $false
}

function ConvertFrom-ParameterYaml {
    param([object] $Code, [string] $File, [string] $ParameterName)

    $map = @{}
    foreach ($line in ($Code.Text -split "`n")) {
        if ($line.Trim() -eq '') { continue }
        $m = [regex]::Match($line, '^\s*([A-Za-z][A-Za-z ]*?)\s*:\s*(.*?)\s*$')
        if (-not $m.Success) { Stop-Page $File "the yaml of parameter -$ParameterName has a line that is not 'Key: Value': '$line'." $Code.Line }
        $map[$m.Groups[1].Value.ToLowerInvariant()] = $m.Groups[2].Value
    }
    foreach ($key in 'Type', 'Parameter Sets', 'Required', 'Position') {
        if (-not $map.ContainsKey($key.ToLowerInvariant()) -or [string]::IsNullOrWhiteSpace($map[$key.ToLowerInvariant()])) {
            Stop-Page $File "the yaml of parameter -$ParameterName lacks a value for '${key}:'." $Code.Line
        }
    }
    $required = $map['required']
    if ($required -notmatch '^(?i:true|false)$') { Stop-Page $File "parameter -$ParameterName has 'Required: $required'; expected True or False." $Code.Line }
    $position = $map['position']
    if ($position -notmatch '^(?i:named|\d+)$') { Stop-Page $File "parameter -$ParameterName has 'Position: $position'; expected Named or a number." $Code.Line }
    $globbing = if ($map.ContainsKey('accept wildcard characters')) { $map['accept wildcard characters'] } else { 'False' }
    if ($globbing -notmatch '^(?i:true|false)$') { Stop-Page $File "parameter -$ParameterName has 'Accept wildcard characters: $globbing'; expected True or False." $Code.Line }

    $split = { param($v) [string[]]@(if ($v) { $v -split ',' | ForEach-Object { $_.Trim() } | Where-Object { $_ } }) }
    $sets = [string[]]@(& $split $map['parameter sets'])
    $pipeline = if ($map.ContainsKey('accept pipeline input') -and $map['accept pipeline input']) { $map['accept pipeline input'] } else { 'False' }
    $default = if ($map.ContainsKey('default value') -and $map['default value']) { $map['default value'] } else { 'None' }

    [pscustomobject]@{
        Type           = $map['type']
        ParameterSets  = $sets
        AllSets        = [bool]($sets | Where-Object { $_ -eq '(All)' })
        Aliases        = [string[]]@(& $split $map['aliases'] | Where-Object { $_ -ne 'None' })
        AcceptedValues = [string[]]@(& $split $map['accepted values'])
        Required       = $required -eq 'true'
        Position       = if ($position -match '^\d+$') { $position } else { 'named' }
        DefaultValue   = $default
        PipelineInput  = $pipeline
        Globbing       = $globbing -eq 'true'
        Line           = $Code.Line
    }
}

function Read-CmdletPage {
    param([System.IO.FileInfo] $File)

    $path = $File.FullName
    $name = $File.BaseName
    $page = Read-MarkdownPage $path
    $blocks = Get-MarkdownBlock -Lines $page.Lines -FirstLine $page.FirstLine -File $path

    $title = $blocks | Where-Object { $_.Kind -eq 'Heading' } | Select-Object -First 1
    if (-not $title -or $title.Level -ne 1) { Stop-Page $path "the page must start with the title '# $name'." }
    if ($title.Text -cne $name) { Stop-Page $path "the title '# $($title.Text)' does not match the file name '$name'." $title.Line }

    $sections = @{}
    foreach ($s in (Split-Section $blocks 2)) {
        if ($null -eq $s.Title) { continue }
        $key = $s.Title.ToUpperInvariant()
        if ($sections.ContainsKey($key)) { Stop-Page $path "the section '## $($s.Title)' appears twice." $s.Line }
        $sections[$key] = $s
    }
    foreach ($required in 'SYNOPSIS', 'SYNTAX', 'DESCRIPTION', 'EXAMPLES', 'PARAMETERS', 'INPUTS', 'OUTPUTS') {
        if (-not $sections.ContainsKey($required)) { Stop-Page $path "the required section '## $required' is missing." }
    }
    foreach ($key in $sections.Keys) {
        if ($key -notin 'SYNOPSIS', 'SYNTAX', 'DESCRIPTION', 'EXAMPLES', 'PARAMETERS', 'INPUTS', 'OUTPUTS', 'NOTES', 'RELATED LINKS') {
            Write-Warning "${path}:$($sections[$key].Line): the section '## $($sections[$key].Title)' is not part of the platyPS schema and is not included in the MAML help."
        }
    }

    # SYNOPSIS / DESCRIPTION / NOTES
    $synopsis = ConvertTo-ParagraphList $sections['SYNOPSIS'].Blocks
    if ($synopsis.Count -eq 0) { Stop-Page $path "the section '## SYNOPSIS' is empty." $sections['SYNOPSIS'].Line }
    $description = ConvertTo-ParagraphList $sections['DESCRIPTION'].Blocks
    if ($description.Count -eq 0) { Stop-Page $path "the section '## DESCRIPTION' is empty." $sections['DESCRIPTION'].Line }
    $notes = [string[]]@()
    if ($sections.ContainsKey('NOTES')) { $notes = ConvertTo-ParagraphList $sections['NOTES'].Blocks }

    # SYNTAX: one code block per parameter set, under '### SetName' when there are several sets.
    $syntaxSets = [System.Collections.Generic.List[object]]::new()
    foreach ($s in (Split-Section $sections['SYNTAX'].Blocks 3)) {
        $codes = @($s.Blocks | Where-Object { $_.Kind -eq 'Code' })
        if ($null -eq $s.Title) {
            if ($codes.Count -gt 1) { Stop-Page $path "the section '## SYNTAX' has several code blocks; put each under a '### <ParameterSetName>' heading." $codes[1].Line }
            if ($codes.Count -eq 1) { $syntaxSets.Add([pscustomobject]@{ Name = $null; Code = $codes[0]; Line = $codes[0].Line }) }
            continue
        }
        if ($codes.Count -ne 1) { Stop-Page $path "the syntax heading '### $($s.Title)' must be followed by exactly one code block (found $($codes.Count))." $s.Line }
        $setName = ($s.Title -replace '\s*\((?i:default)\)\s*$', '').Trim()
        $syntaxSets.Add([pscustomobject]@{ Name = $setName; Code = $codes[0]; Line = $s.Line })
    }
    if ($syntaxSets.Count -eq 0) { Stop-Page $path "the section '## SYNTAX' has no code block." $sections['SYNTAX'].Line }
    $namedSets = @($syntaxSets | Where-Object { $null -ne $_.Name })
    if ($namedSets.Count -gt 0 -and $namedSets.Count -ne $syntaxSets.Count) {
        Stop-Page $path "the section '## SYNTAX' mixes a code block without a '### <ParameterSetName>' heading with named sets." $sections['SYNTAX'].Line
    }

    # EXAMPLES
    $examples = [System.Collections.Generic.List[object]]::new()
    foreach ($s in (Split-Section $sections['EXAMPLES'].Blocks 3)) {
        if ($null -eq $s.Title) {
            if (Test-HasContent $s.Blocks) { Stop-Page $path "the section '## EXAMPLES' has content before its first '### Example' heading." $sections['EXAMPLES'].Line }
            continue
        }
        $codes = @($s.Blocks | Where-Object { $_.Kind -eq 'Code' } | ForEach-Object { $_.Text })
        if ($codes.Count -eq 0) { Stop-Page $path "the example '### $($s.Title)' has no code block." $s.Line }
        $examples.Add([pscustomobject]@{
                Title   = ConvertFrom-MarkdownInline $s.Title
                Code    = $codes -join "`n`n"
                Remarks = ConvertTo-ParagraphList @($s.Blocks | Where-Object { $_.Kind -ne 'Code' })
            })
    }
    if ($examples.Count -eq 0) { Stop-Page $path "the section '## EXAMPLES' has no example; add '### Example 1: ...' with a code block." $sections['EXAMPLES'].Line }

    # PARAMETERS
    $parameters = [System.Collections.Generic.List[object]]::new()
    $seen = [System.Collections.Generic.HashSet[string]]::new([System.StringComparer]::OrdinalIgnoreCase)
    foreach ($s in (Split-Section $sections['PARAMETERS'].Blocks 3)) {
        if ($null -eq $s.Title) {
            if (Test-HasContent $s.Blocks) { Stop-Page $path "the section '## PARAMETERS' has content before its first '### -Name' heading." $sections['PARAMETERS'].Line }
            continue
        }
        if ($s.Title -in 'CommonParameters', 'WorkflowCommonParameters') { continue }
        $m = [regex]::Match($s.Title, '^-([A-Za-z_][A-Za-z0-9_]*)$')
        if (-not $m.Success) { Stop-Page $path "the heading '### $($s.Title)' under '## PARAMETERS' is neither '### -ParameterName' nor '### CommonParameters'." $s.Line }
        $pname = $m.Groups[1].Value
        if (-not $seen.Add($pname)) { Stop-Page $path "the parameter -$pname is documented twice." $s.Line }
        $yamlBlocks = @($s.Blocks | Where-Object { $_.Kind -eq 'Code' -and $_.Info -in 'yaml', 'yml' })
        if ($yamlBlocks.Count -eq 0) { Stop-Page $path "the parameter -$pname has no yaml block (Type, Parameter Sets, Required, Position, ...)." $s.Line }
        $metadata = @($yamlBlocks | ForEach-Object { ConvertFrom-ParameterYaml -Code $_ -File $path -ParameterName $pname })
        $parameters.Add([pscustomobject]@{
                Name        = $pname
                Description = ConvertTo-ParagraphList @($s.Blocks | Where-Object { -not ($_.Kind -eq 'Code' -and $_.Info -in 'yaml', 'yml') })
                Metadata    = $metadata
                Line        = $s.Line
            })
    }

    # Syntax items: the parameters of each set, ordered as in that set's syntax code block.
    $syntaxItems = [System.Collections.Generic.List[object]]::new()
    $knownSets = [System.Collections.Generic.HashSet[string]]::new([string[]]@($namedSets | ForEach-Object { $_.Name }), [System.StringComparer]::OrdinalIgnoreCase)
    if ($namedSets.Count -gt 0) {
        foreach ($p in $parameters) {
            foreach ($md in $p.Metadata) {
                foreach ($set in $md.ParameterSets) {
                    if ($set -ne '(All)' -and -not $knownSets.Contains($set)) {
                        Stop-Page $path "parameter -$($p.Name) names the parameter set '$set', which has no '### $set' heading under '## SYNTAX' (sets: $($knownSets -join ', '))." $md.Line
                    }
                }
            }
        }
    }
    foreach ($set in $syntaxSets) {
        $members = [System.Collections.Generic.List[object]]::new()
        foreach ($p in $parameters) {
            $md = $null
            if ($null -eq $set.Name) { $md = $p.Metadata[0] }
            else {
                $md = $p.Metadata | Where-Object { $_.ParameterSets -contains $set.Name } | Select-Object -First 1
                if (-not $md) { $md = $p.Metadata | Where-Object { $_.AllSets } | Select-Object -First 1 }
            }
            if ($md) { $members.Add([pscustomobject]@{ Parameter = $p; Metadata = $md }) }
        }

        $setLabel = if ($set.Name) { "'### $($set.Name)'" } else { "'## SYNTAX'" }
        $inCode = [System.Collections.Generic.List[string]]::new()
        foreach ($m in [regex]::Matches($set.Code.Text, '(?<=^|[\s\[])-([A-Za-z_][A-Za-z0-9_]*)')) {
            $n = $m.Groups[1].Value
            if ($script:CommonParameterNames.Contains($n) -or $inCode.Contains($n)) { continue }
            $inCode.Add($n)
        }
        $ordered = [System.Collections.Generic.List[object]]::new()
        foreach ($n in $inCode) {
            $member = $members | Where-Object { $_.Parameter.Name -eq $n } | Select-Object -First 1
            if (-not $member) {
                $why = if ($seen.Contains($n)) { "its yaml does not list this parameter set" } else { "it has no '### -$n' entry under '## PARAMETERS'" }
                Stop-Page $path "the syntax code block under $setLabel names -$n, but $why." $set.Code.Line
            }
            $ordered.Add($member)
        }
        foreach ($member in $members) {
            if (-not $inCode.Contains($member.Parameter.Name)) {
                Stop-Page $path "parameter -$($member.Parameter.Name) belongs to the set under $setLabel, but that set's syntax code block does not show it." $set.Code.Line
            }
        }
        $syntaxItems.Add($ordered.ToArray())
    }

    # INPUTS / OUTPUTS: '### TypeName' headings, each with an optional description.
    $readTypes = {
        param($sectionName)
        foreach ($s in (Split-Section $sections[$sectionName].Blocks 3)) {
            if ($null -eq $s.Title) {
                if (Test-HasContent $s.Blocks) { Stop-Page $path "the section '## $sectionName' must list types as '### TypeName' headings." $sections[$sectionName].Line }
                continue
            }
            [pscustomobject]@{ Name = ConvertFrom-MarkdownInline $s.Title; Description = ConvertTo-ParagraphList $s.Blocks }
        }
    }
    $inputs = @(& $readTypes 'INPUTS')
    $outputs = @(& $readTypes 'OUTPUTS')

    # RELATED LINKS
    $links = [System.Collections.Generic.List[object]]::new()
    $online = if ($page.FrontMatter.Contains('online version')) { $page.FrontMatter['online version'] } else { '' }
    if ($online) { $links.Add([pscustomobject]@{ Text = 'Online Version:'; Uri = $online }) }
    if ($sections.ContainsKey('RELATED LINKS')) {
        foreach ($b in $sections['RELATED LINKS'].Blocks) {
            if ($b.Kind -ne 'Para') { continue }
            foreach ($line in $b.Lines) {
                $t = ($line.Trim() -replace '^([-*+]|\d+[.)])\s+', '').Trim()
                if (-not $t) { continue }
                $m = [regex]::Match($t, '^\[([^\]]+)\]\(\s*<?([^)\s>]*)>?\s*\)$')
                if ($m.Success) {
                    $uri = if ($m.Groups[2].Value -match '^[a-z][a-z0-9+.-]*://') { $m.Groups[2].Value } else { '' }
                    $links.Add([pscustomobject]@{ Text = ConvertFrom-MarkdownInline $m.Groups[1].Value; Uri = $uri })
                }
                elseif ($t -match '^<?([a-z][a-z0-9+.-]*://[^>\s]+)>?$') {
                    $links.Add([pscustomobject]@{ Text = $Matches[1]; Uri = $Matches[1] })
                }
                else {
                    $links.Add([pscustomobject]@{ Text = ConvertFrom-MarkdownInline $t; Uri = '' })
                }
            }
        }
    }

    $externalHelp = if ($page.FrontMatter.Contains('external help file')) { $page.FrontMatter['external help file'] } else { '' }
    if ($externalHelp -and $externalHelp -ne $HelpFileName) {
        Write-Warning "${path}: front matter says 'external help file: $externalHelp', but the help is written to '$HelpFileName'."
    }

    $verb, $noun = $name -split '-', 2
    [pscustomobject]@{
        Name        = $name
        Verb        = $verb
        Noun        = $noun
        Synopsis    = $synopsis
        Description = $description
        SyntaxItems = $syntaxItems.ToArray()
        Parameters  = $parameters.ToArray()
        Inputs      = $inputs
        Outputs     = $outputs
        Notes       = $notes
        Examples    = $examples.ToArray()
        Links       = $links.ToArray()
    }
}

#endregion

#region MAML writing

function Write-Paragraphs {
    param([System.Xml.XmlWriter] $Writer, [string[]] $Paragraphs)
    foreach ($p in $Paragraphs) { $Writer.WriteElementString('maml', 'para', $script:NsMaml, $p) }
}

function Write-MamlDescription {
    param([System.Xml.XmlWriter] $Writer, [string[]] $Paragraphs)
    $Writer.WriteStartElement('maml', 'description', $script:NsMaml)
    Write-Paragraphs $Writer $Paragraphs
    $Writer.WriteEndElement()
}

function Write-MamlParameter {
    param([System.Xml.XmlWriter] $Writer, [object] $Parameter, [object] $Metadata, [switch] $InSyntax)

    $isSwitch = $Metadata.Type -in 'SwitchParameter', 'System.Management.Automation.SwitchParameter', 'switch'
    $isArray = $Metadata.Type.EndsWith('[]')
    $w = $Writer
    $w.WriteStartElement('command', 'parameter', $script:NsCommand)
    $w.WriteAttributeString('required', $Metadata.Required.ToString().ToLowerInvariant())
    $w.WriteAttributeString('variableLength', $isArray.ToString().ToLowerInvariant())
    $w.WriteAttributeString('globbing', $Metadata.Globbing.ToString().ToLowerInvariant())
    $w.WriteAttributeString('pipelineInput', $Metadata.PipelineInput)
    $w.WriteAttributeString('position', $Metadata.Position)
    $w.WriteAttributeString('aliases', $(if ($Metadata.Aliases.Count -gt 0) { $Metadata.Aliases -join ', ' } else { 'none' }))
    $w.WriteElementString('maml', 'name', $script:NsMaml, $Parameter.Name)
    Write-MamlDescription $w $Parameter.Description
    if ($InSyntax -and $Metadata.AcceptedValues.Count -gt 0) {
        $w.WriteStartElement('command', 'parameterValueGroup', $script:NsCommand)
        foreach ($v in $Metadata.AcceptedValues) {
            $w.WriteStartElement('command', 'parameterValue', $script:NsCommand)
            $w.WriteAttributeString('required', 'false')
            $w.WriteAttributeString('command', 'variableLength', $script:NsCommand, 'false')
            $w.WriteString($v)
            $w.WriteEndElement()
        }
        $w.WriteEndElement()
    }
    if (-not ($InSyntax -and $isSwitch)) {
        $w.WriteStartElement('command', 'parameterValue', $script:NsCommand)
        $w.WriteAttributeString('required', (-not $isSwitch).ToString().ToLowerInvariant())
        $w.WriteAttributeString('variableLength', $isArray.ToString().ToLowerInvariant())
        $w.WriteString($Metadata.Type)
        $w.WriteEndElement()
    }
    $w.WriteStartElement('dev', 'type', $script:NsDev)
    $w.WriteElementString('maml', 'name', $script:NsMaml, $Metadata.Type)
    $w.WriteElementString('maml', 'uri', $script:NsMaml, '')
    $w.WriteEndElement()
    $w.WriteElementString('dev', 'defaultValue', $script:NsDev, $Metadata.DefaultValue)
    $w.WriteEndElement()
}

function Write-MamlCommand {
    param([System.Xml.XmlWriter] $Writer, [object] $Command)

    $w = $Writer
    $w.WriteStartElement('command', 'command', $script:NsCommand)
    $w.WriteAttributeString('xmlns', 'maml', $null, $script:NsMaml)
    $w.WriteAttributeString('xmlns', 'command', $null, $script:NsCommand)
    $w.WriteAttributeString('xmlns', 'dev', $null, $script:NsDev)
    $w.WriteAttributeString('xmlns', 'MSHelp', $null, $script:NsMSHelp)

    $w.WriteStartElement('command', 'details', $script:NsCommand)
    $w.WriteElementString('command', 'name', $script:NsCommand, $Command.Name)
    $w.WriteElementString('command', 'verb', $script:NsCommand, $Command.Verb)
    $w.WriteElementString('command', 'noun', $script:NsCommand, $Command.Noun)
    Write-MamlDescription $w $Command.Synopsis
    $w.WriteEndElement()

    Write-MamlDescription $w $Command.Description

    $w.WriteStartElement('command', 'syntax', $script:NsCommand)
    foreach ($item in $Command.SyntaxItems) {
        $w.WriteStartElement('command', 'syntaxItem', $script:NsCommand)
        $w.WriteElementString('maml', 'name', $script:NsMaml, $Command.Name)
        foreach ($member in $item) { Write-MamlParameter $w $member.Parameter $member.Metadata -InSyntax }
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'parameters', $script:NsCommand)
    foreach ($p in $Command.Parameters) { Write-MamlParameter $w $p $p.Metadata[0] }
    $w.WriteEndElement()

    foreach ($kind in @(@('inputTypes', 'inputType', $Command.Inputs), @('returnValues', 'returnValue', $Command.Outputs))) {
        $w.WriteStartElement('command', $kind[0], $script:NsCommand)
        foreach ($t in $kind[2]) {
            $w.WriteStartElement('command', $kind[1], $script:NsCommand)
            $w.WriteStartElement('dev', 'type', $script:NsDev)
            $w.WriteElementString('maml', 'name', $script:NsMaml, $t.Name)
            $w.WriteEndElement()
            Write-MamlDescription $w $t.Description
            $w.WriteEndElement()
        }
        $w.WriteEndElement()
    }

    if ($Command.Notes.Count -gt 0) {
        $w.WriteStartElement('maml', 'alertSet', $script:NsMaml)
        $w.WriteStartElement('maml', 'alert', $script:NsMaml)
        Write-Paragraphs $w $Command.Notes
        $w.WriteEndElement()
        $w.WriteEndElement()
    }

    $w.WriteStartElement('command', 'examples', $script:NsCommand)
    foreach ($e in $Command.Examples) {
        $w.WriteStartElement('command', 'example', $script:NsCommand)
        $w.WriteElementString('maml', 'title', $script:NsMaml, ('-' * 26) + " $($e.Title) " + ('-' * 26))
        $w.WriteElementString('dev', 'code', $script:NsDev, $e.Code)
        $w.WriteStartElement('dev', 'remarks', $script:NsDev)
        Write-Paragraphs $w $e.Remarks
        # An empty last paragraph makes Get-Help print a blank line before the next example's title.
        Write-Paragraphs $w ''
        $w.WriteEndElement()
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'relatedLinks', $script:NsCommand)
    foreach ($l in $Command.Links) {
        $w.WriteStartElement('maml', 'navigationLink', $script:NsMaml)
        $w.WriteElementString('maml', 'linkText', $script:NsMaml, $l.Text)
        $w.WriteElementString('maml', 'uri', $script:NsMaml, $l.Uri)
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteEndElement()
}

function Write-MamlFile {
    param([string] $Path, [object[]] $Commands)

    $settings = [System.Xml.XmlWriterSettings]::new()
    $settings.Indent = $true
    $settings.IndentChars = '  '
    $settings.NewLineChars = "`n"
    $settings.Encoding = [System.Text.UTF8Encoding]::new($false)
    $writer = [System.Xml.XmlWriter]::Create($Path, $settings)
    try {
        $writer.WriteStartDocument()
        $writer.WriteStartElement('helpItems', $script:NsMsh)
        $writer.WriteAttributeString('schema', 'maml')
        foreach ($c in $Commands) { Write-MamlCommand $writer $c }
        $writer.WriteEndElement()
        $writer.WriteEndDocument()
    }
    finally {
        $writer.Dispose()
    }
}

#endregion

#region about topics

function Format-Wrapped {
    # Word-wraps $Text at $Width columns; the first line starts with $FirstIndent, the rest with $Indent.
    param([string] $Text, [string] $FirstIndent, [string] $Indent, [int] $Width = 80)
    $lines = [System.Collections.Generic.List[string]]::new()
    $current = $FirstIndent
    $empty = $true
    foreach ($word in ($Text -split '\s+' | Where-Object { $_ })) {
        if (-not $empty -and ($current.Length + 1 + $word.Length) -gt $Width) {
            $lines.Add($current)
            $current = $Indent + $word
        }
        elseif ($empty) { $current += $word }
        else { $current += " $word" }
        $empty = $false
    }
    if (-not $empty) { $lines.Add($current) }
    $lines.ToArray()
}

function ConvertTo-AboutText {
    param([System.IO.FileInfo] $File)

    $path = $File.FullName
    $topic = $File.BaseName
    $page = Read-MarkdownPage $path
    $blocks = Get-MarkdownBlock -Lines $page.Lines -FirstLine $page.FirstLine -File $path
    if (-not (Test-HasContent $blocks)) { Stop-Page $path 'the about page has no text.' }

    # Drop the '# about_Topic' title and any heading that merely repeats the topic name.
    $firstHeading = $blocks | Where-Object { $_.Kind -eq 'Heading' } | Select-Object -First 1
    $body = [System.Collections.Generic.List[object]]::new()
    foreach ($b in $blocks) {
        if ($b.Kind -eq 'Heading' -and (($b -eq $firstHeading -and $b.Level -eq 1) -or $b.Text -eq $topic)) { continue }
        $body.Add($b)
    }

    # Pull out the SHORT DESCRIPTION section: Get-Help shows line 5 of the file as the topic's synopsis,
    # so the short description goes there, unwrapped.
    $short = ''
    $shortHeading = $body | Where-Object { $_.Kind -eq 'Heading' -and $_.Text -match '^(?i)short\s+description$' } | Select-Object -First 1
    if ($shortHeading) {
        $index = $body.IndexOf($shortHeading)
        $body.RemoveAt($index)
        $shortBlocks = [System.Collections.Generic.List[object]]::new()
        while ($index -lt $body.Count -and -not ($body[$index].Kind -eq 'Heading' -and $body[$index].Level -le $shortHeading.Level)) {
            $shortBlocks.Add($body[$index])
            $body.RemoveAt($index)
        }
        $short = (ConvertTo-ParagraphList $shortBlocks.ToArray()) -join ' '
    }
    if (-not $short) {
        Write-Warning "${path}: the about page has no 'SHORT DESCRIPTION' section with text; Get-Help shows no synopsis for $topic."
    }

    $out = [System.Collections.Generic.List[string]]::new()
    foreach ($l in 'TOPIC', "    $topic", '', 'SHORT DESCRIPTION', "    $short", '') { $out.Add($l) }
    $previous = 'Heading'
    foreach ($b in $body) {
        $kind = if ($b.Kind -eq 'Para' -and $b.IsListItem) { 'Item' } else { $b.Kind }
        if ($previous -eq 'Item' -and $kind -ne 'Item') { $out.Add('') }
        switch ($kind) {
            'Heading' {
                $out.Add('')
                $text = ConvertFrom-MarkdownInline $b.Text
                # Level 1-2 headings are sections (upper case, flush left); deeper ones are indented sub-headings.
                if ($b.Level -le 2) { $out.Add($text.ToUpperInvariant()) } else { $out.Add("  $text") }
            }
            'Code' {
                foreach ($l in ($b.Text -split "`n")) { $out.Add("        $l") }
                $out.Add('')
            }
            'Item' {
                $text = ConvertTo-ParagraphText $b
                $marker = ($text -split ' ', 2)[0]
                foreach ($l in (Format-Wrapped $text '    ' (' ' * (5 + $marker.Length)))) { $out.Add($l) }
            }
            'Para' {
                $text = ConvertTo-ParagraphText $b
                if ($text.Contains("`n")) {
                    # A table: keep its lines.
                    foreach ($l in ($text -split "`n")) { $out.Add("    $l") }
                }
                else {
                    foreach ($l in (Format-Wrapped $text '    ' '    ')) { $out.Add($l) }
                }
                $out.Add('')
            }
        }
        $previous = $kind
    }

    # Collapse repeated blank lines, drop trailing spaces and trailing blank lines.
    $final = [System.Collections.Generic.List[string]]::new()
    foreach ($l in $out) {
        $l = $l.TrimEnd()
        if ($l -eq '' -and $final.Count -gt 0 -and $final[$final.Count - 1] -eq '') { continue }
        $final.Add($l)
    }
    while ($final.Count -gt 0 -and $final[$final.Count - 1] -eq '') { $final.RemoveAt($final.Count - 1) }
    ($final -join "`n") + "`n"
}

#endregion

if (-not (Test-Path -LiteralPath $DocsPath -PathType Container)) {
    throw "DocsPath '$DocsPath' is not a folder."
}
$docs = Get-Item -LiteralPath $DocsPath
$files = @(Get-ChildItem -LiteralPath $docs.FullName -Filter '*.md' -File | Sort-Object Name)
$cmdletFiles = @($files | Where-Object { $_.Name -match '^[A-Za-z]+-[A-Za-z0-9]+\.md$' })
$aboutFiles = @($files | Where-Object { $_.Name -match '^about_[A-Za-z0-9_.-]+\.md$' })
foreach ($f in $files) {
    if ($f -notin $cmdletFiles -and $f -notin $aboutFiles) { Write-Verbose "Skipping '$($f.Name)': neither a <Verb>-<Noun>.md cmdlet page nor an about_*.md page." }
}
if ($cmdletFiles.Count -eq 0) { Write-Warning "No cmdlet pages (<Verb>-<Noun>.md) in '$($docs.FullName)'; the MAML file has no commands." }

# Validate and convert everything before writing anything.
$commands = @(foreach ($f in $cmdletFiles) { Write-Verbose "Reading $($f.Name)"; Read-CmdletPage $f })
$abouts = @(foreach ($f in $aboutFiles) { [pscustomobject]@{ Topic = $f.BaseName; Text = ConvertTo-AboutText $f } })

$null = New-Item -ItemType Directory -Path $OutputPath -Force
$outDir = (Resolve-Path -LiteralPath $OutputPath).ProviderPath

$mamlPath = Join-Path $outDir $HelpFileName
Write-MamlFile -Path $mamlPath -Commands $commands
Get-Item -LiteralPath $mamlPath

$utf8 = [System.Text.UTF8Encoding]::new($false)
foreach ($a in $abouts) {
    $target = Join-Path $outDir "$($a.Topic).help.txt"
    [System.IO.File]::WriteAllText($target, $a.Text, $utf8)
    Get-Item -LiteralPath $target
}
