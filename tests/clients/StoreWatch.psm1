# Watching a store's files while an upload runs, to prove that no plaintext of the upload ever reaches the disk.
Import-Module (Join-Path $PSScriptRoot '../pester/TestHelpers.psm1')

$script:WatchScript = Join-Path $PSScriptRoot 'Watch-Store.ps1'

function Start-StoreWatch([string] $StorePath, [string] $WorkFolder, [string[]] $Markers) {
    $id = [guid]::NewGuid().ToString('N')
    $watch = [pscustomobject]@{
        MarkerFile = Join-Path $WorkFolder "markers-$id.txt"
        StopFile   = Join-Path $WorkFolder "stop-$id"
        ResultFile = Join-Path $WorkFolder "watch-$id.json"
        Process    = $null
    }
    Set-Content -Path $watch.MarkerFile -Value $Markers
    $env:DOTNET_SYSTEM_IO_DISABLEFILELOCKING = 'true'
    try {
        $watch.Process = Start-TestPwsh -ScriptPath $script:WatchScript -StorePath $StorePath `
            -ArgumentList $StorePath, $watch.MarkerFile, $watch.StopFile, $watch.ResultFile
    }
    finally { Remove-Item env:DOTNET_SYSTEM_IO_DISABLEFILELOCKING }
    Wait-TestFile -Path "$($watch.StopFile).ready" -Process $watch.Process
    $watch
}

function Stop-StoreWatch($Watch) {
    Set-Content -Path $Watch.StopFile -Value ''
    $exited = Wait-TestPwsh -Process $Watch.Process
    if ($exited.ExitCode -ne 0 -or -not (Test-Path $Watch.ResultFile)) { throw "The store watch failed: $($exited.ErrorOutput)" }
    Get-Content $Watch.ResultFile -Raw | ConvertFrom-Json -AsHashtable
}

# The files under $Folder that hold one of the markers now.
function Find-Marker([string] $Folder, [string[]] $Markers) {
    $latin1 = [Text.Encoding]::Latin1
    $texts = $Markers | ForEach-Object { $latin1.GetString([Convert]::FromHexString($_)) }
    foreach ($file in Get-ChildItem $Folder -Recurse -File) {
        $content = $latin1.GetString([IO.File]::ReadAllBytes($file.FullName))
        if ($texts | Where-Object { $content.Contains($_, [StringComparison]::Ordinal) }) { [IO.Path]::GetRelativePath($Folder, $file.FullName) }
    }
}

# Markers of an upload: a text it carries as is, and windows of the file's own bytes (random, so only it holds them).
function Get-UploadMarker([string] $Text, [byte[]] $File) {
    [Convert]::ToHexString([Text.Encoding]::UTF8.GetBytes($Text))
    foreach ($fraction in 0.3, 0.5, 0.7) { [Convert]::ToHexString($File, [int] ($File.Length * $fraction), 48) }
}

Export-ModuleMember -Function Start-StoreWatch, Stop-StoreWatch, Find-Marker, Get-UploadMarker
