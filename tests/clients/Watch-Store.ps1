<#
.SYNOPSIS
    Watches a store while an upload runs: reads every file under it again and again (with .NET's advisory file locks
    off, so a spool held with FileShare.None is read too) and reports the largest size seen of each file and the files
    that held a marker (hex strings, matched as bytes). Started by Start-StoreWatch in StoreWatch.psm1.
#>
param([string] $Folder, [string] $MarkerFile, [string] $StopFile, [string] $ResultFile)
$latin1 = [Text.Encoding]::Latin1
$markers = @(Get-Content $MarkerFile | ForEach-Object { $latin1.GetString([Convert]::FromHexString($_)) })
$sizes = @{}
$hits = [Collections.Generic.SortedSet[string]]::new()
$unreadable = [Collections.Generic.SortedSet[string]]::new()
$passes = 0
Set-Content "$StopFile.ready" ''
while (-not (Test-Path $StopFile)) {
    $passes++
    foreach ($path in @(Get-ChildItem $Folder -Recurse -File -ErrorAction Ignore).FullName) {
        $relative = [IO.Path]::GetRelativePath($Folder, $path)
        $buffer = [IO.MemoryStream]::new()
        try {
            $stream = [IO.FileStream]::new($path, 'Open', 'Read', 'ReadWrite, Delete', 1MB)
            try { $stream.CopyTo($buffer, 1MB) } finally { $stream.Dispose() }
        }
        catch [IO.FileNotFoundException], [IO.DirectoryNotFoundException] { continue }
        catch { [void] $unreadable.Add("${relative}: $($_.Exception.Message)"); continue }
        if ($buffer.Length -gt [long] $sizes[$relative]) { $sizes[$relative] = $buffer.Length }
        $text = $latin1.GetString($buffer.GetBuffer(), 0, [int] $buffer.Length)
        foreach ($marker in $markers) { if ($text.Contains($marker, [StringComparison]::Ordinal)) { [void] $hits.Add($relative) } }
    }
}
[ordered]@{ Passes = $passes; Sizes = $sizes; Hits = @($hits); Unreadable = @($unreadable) } | ConvertTo-Json -Depth 3 | Set-Content $ResultFile
