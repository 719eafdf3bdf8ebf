<#
    Helpers for the package Pester tests (Packages, PackageLifecycle, PackageBadInput): the committed fixtures, archives
    built in code with .NET (tar.gz through System.Formats.Tar + GZipStream, zip through ZipArchive), and snapshots of
    a store's catalog and files to prove that a refused publish left nothing behind.
#>

Set-StrictMode -Version Latest

$script:FixtureRoot = (Resolve-Path (Join-Path $PSScriptRoot '../fixtures')).Path

function Get-PackageFixture {
    <# The full path of a committed fixture under tests/fixtures, e.g. 'npm/demo-lib-1.2.3.tgz'; throws when it is missing. #>
    param([Parameter(Mandatory)][string] $Name)
    $path = Join-Path $script:FixtureRoot $Name
    if (-not (Test-Path -LiteralPath $path -PathType Leaf)) { throw "The fixture '$Name' does not exist under '$script:FixtureRoot'." }
    $path
}

function ConvertTo-EntryStream {
    # A readable stream over an entry's content: a string (UTF-8), bytes, or a stream given as is.
    param($Content)
    if ($Content -is [IO.Stream]) { return $Content }
    if ($Content -is [string]) { $Content = [Text.Encoding]::UTF8.GetBytes($Content) }
    [IO.MemoryStream]::new([byte[]] $Content, $false)
}

function New-TestTarGz {
    <#
        Writes a gzip-compressed tar archive to $Path. $Entry is an ordered dictionary (or a list of @{ Name; Content })
        of entry names and contents (string, byte[] or a readable stream, which is disposed). Names are written as
        given, so '..' or absolute names can be tested. Returns the FileInfo.
    #>
    param(
        [Parameter(Mandatory)][string] $Path,
        [Parameter(Mandatory)] $Entry,
        [IO.Compression.CompressionLevel] $CompressionLevel = 'Optimal'
    )
    $pairs = if ($Entry -is [Collections.IDictionary]) { $Entry.GetEnumerator() | ForEach-Object { @{ Name = $_.Key; Content = $_.Value } } } else { $Entry }
    $file = [IO.File]::Create($Path)
    try {
        $gzip = [IO.Compression.GZipStream]::new($file, $CompressionLevel, $true)
        try {
            $tar = [Formats.Tar.TarWriter]::new($gzip, [Formats.Tar.TarEntryFormat]::Pax, $true)
            try {
                foreach ($pair in $pairs) {
                    $tarEntry = [Formats.Tar.PaxTarEntry]::new([Formats.Tar.TarEntryType]::RegularFile, $pair.Name)
                    $tarEntry.Mode = [IO.UnixFileMode] 'UserRead, UserWrite, GroupRead, OtherRead'
                    $data = ConvertTo-EntryStream $pair.Content
                    try {
                        $tarEntry.DataStream = $data
                        $tar.WriteEntry($tarEntry)
                    }
                    finally { $data.Dispose() }
                }
            }
            finally { $tar.Dispose() }
        }
        finally { $gzip.Dispose() }
    }
    finally { $file.Dispose() }
    Get-Item -LiteralPath $Path
}

function New-TestZip {
    <#
        Writes a zip archive to $Path with the entries of $Entry (as New-TestTarGz; names written as given).
        Returns the FileInfo.
    #>
    param(
        [Parameter(Mandatory)][string] $Path,
        [Parameter(Mandatory)] $Entry,
        [IO.Compression.CompressionLevel] $CompressionLevel = 'Optimal'
    )
    $pairs = if ($Entry -is [Collections.IDictionary]) { $Entry.GetEnumerator() | ForEach-Object { @{ Name = $_.Key; Content = $_.Value } } } else { $Entry }
    $file = [IO.File]::Create($Path)
    try {
        $zip = [IO.Compression.ZipArchive]::new($file, [IO.Compression.ZipArchiveMode]::Create, $true)
        try {
            foreach ($pair in $pairs) {
                $zipEntry = $zip.CreateEntry($pair.Name, $CompressionLevel)
                $target = $zipEntry.Open()
                $data = ConvertTo-EntryStream $pair.Content
                try { $data.CopyTo($target) }
                finally { $data.Dispose(); $target.Dispose() }
            }
        }
        finally { $zip.Dispose() }
    }
    finally { $file.Dispose() }
    Get-Item -LiteralPath $Path
}

function New-ZeroStream {
    <#
        A readable stream of $Length zero bytes without holding them in memory: a sparse temp file of that length,
        deleted when the stream is closed.
    #>
    param([Parameter(Mandatory)][long] $Length)
    $path = [IO.Path]::Combine([IO.Path]::GetTempPath(), 'psca-zeros-' + [guid]::NewGuid().ToString('N'))
    $stream = [IO.FileStream]::new($path, 'CreateNew', 'ReadWrite', 'None', 65536, [IO.FileOptions]::DeleteOnClose)
    $stream.SetLength($Length)
    $stream.Position = 0
    $stream
}

function New-TestNpmTarball {
    <#
        Writes an npm tarball to $Path: package/package.json with $PackageJson (a string, or an object converted to
        JSON), plus the $Extra entries (ordered dictionary of entry name → content) after it. Returns the FileInfo.
    #>
    param(
        [Parameter(Mandatory)][string] $Path,
        [Parameter(Mandatory)] $PackageJson,
        [Collections.IDictionary] $Extra = [ordered]@{}
    )
    $json = if ($PackageJson -is [string]) { $PackageJson } else { $PackageJson | ConvertTo-Json -Depth 10 }
    $entries = [ordered]@{ 'package/package.json' = $json }
    foreach ($key in $Extra.Keys) { $entries[$key] = $Extra[$key] }
    New-TestTarGz -Path $Path -Entry $entries
}

function New-TestNupkg {
    <# Writes a minimal .nupkg to $Path whose root .nuspec ($NuspecName) holds $Nuspec, plus the $Extra entries. Returns the FileInfo. #>
    param(
        [Parameter(Mandatory)][string] $Path,
        [Parameter(Mandatory)][string] $Nuspec,
        [string] $NuspecName = 'Demo.Bad.nuspec',
        [Collections.IDictionary] $Extra = [ordered]@{}
    )
    $entries = [ordered]@{ $NuspecName = $Nuspec }
    foreach ($key in $Extra.Keys) { $entries[$key] = $Extra[$key] }
    New-TestZip -Path $Path -Entry $entries
}

function Copy-ZipWithEntry {
    <#
        Copies the zip archive $Source (a wheel, nupkg or jar) to $Destination and adds the $Entry entries (ordered
        dictionary of name → content, names written as given): the same package with other bytes, or with a hostile
        entry. Returns the FileInfo.
    #>
    param([Parameter(Mandatory)][string] $Source, [Parameter(Mandatory)][string] $Destination, [Parameter(Mandatory)][Collections.IDictionary] $Entry)
    Copy-Item -LiteralPath $Source -Destination $Destination -Force
    $zip = [IO.Compression.ZipFile]::Open($Destination, [IO.Compression.ZipArchiveMode]::Update)
    try {
        foreach ($name in $Entry.Keys) {
            $target = $zip.CreateEntry($name).Open()
            $data = ConvertTo-EntryStream $Entry[$name]
            try { $data.CopyTo($target) }
            finally { $data.Dispose(); $target.Dispose() }
        }
    }
    finally { $zip.Dispose() }
    Get-Item -LiteralPath $Destination
}

function Copy-TarGzWithEntry {
    <#
        Rewrites the tar.gz archive $Source (an npm tarball or an sdist) to $Destination with every entry it has plus
        the $Entry entries (as Copy-ZipWithEntry). Returns the FileInfo.
    #>
    param([Parameter(Mandatory)][string] $Source, [Parameter(Mandatory)][string] $Destination, [Parameter(Mandatory)][Collections.IDictionary] $Entry)
    $entries = [Collections.Generic.List[object]]::new()
    $sourceFile = [IO.File]::OpenRead($Source)
    try {
        $gzip = [IO.Compression.GZipStream]::new($sourceFile, [IO.Compression.CompressionMode]::Decompress)
        $tar = [Formats.Tar.TarReader]::new($gzip)
        try {
            while ($null -ne ($tarEntry = $tar.GetNextEntry($true))) {
                if ($tarEntry.EntryType -notin 'RegularFile', 'V7RegularFile' -or $null -eq $tarEntry.DataStream) { continue }
                $buffer = [IO.MemoryStream]::new()
                $tarEntry.DataStream.CopyTo($buffer)
                $entries.Add(@{ Name = $tarEntry.Name; Content = $buffer.ToArray() })
            }
        }
        finally { $tar.Dispose(); $gzip.Dispose() }
    }
    finally { $sourceFile.Dispose() }
    foreach ($name in $Entry.Keys) { $entries.Add(@{ Name = $name; Content = $Entry[$name] }) }
    New-TestTarGz -Path $Destination -Entry $entries
}

function Copy-TruncatedFile {
    <# Copies the first half (or $Bytes bytes) of $Source to $Destination: a cut-off download. Returns the FileInfo. #>
    param([Parameter(Mandatory)][string] $Source, [Parameter(Mandatory)][string] $Destination, [int] $Bytes = -1)
    $all = [IO.File]::ReadAllBytes($Source)
    $keep = if ($Bytes -ge 0) { $Bytes } else { [int][Math]::Floor($all.Length / 2) }
    [IO.File]::WriteAllBytes($Destination, $all[0..($keep - 1)])
    Get-Item -LiteralPath $Destination
}

function New-RandomFile {
    <# Writes $Length random bytes to $Path (a corrupt archive whatever its name says). Returns the FileInfo. #>
    param([Parameter(Mandatory)][string] $Path, [int] $Length = 4096)
    $bytes = [Security.Cryptography.RandomNumberGenerator]::GetBytes($Length)
    # Never start like a gzip or zip file by chance.
    $bytes[0] = 0x42
    [IO.File]::WriteAllBytes($Path, $bytes)
    Get-Item -LiteralPath $Path
}

function Get-StoreFile {
    <# The files under <store>/<Folder> (blobs, tmp, blobs/<domain>, …) as paths relative to the store, sorted; none when the folder is missing. #>
    param([Parameter(Mandatory)][string] $StorePath, [Parameter(Mandatory)][string] $Folder)
    $root = Join-Path $StorePath $Folder
    if (-not (Test-Path -LiteralPath $root)) { return @() }
    @(Get-ChildItem -LiteralPath $root -Recurse -File -Force | ForEach-Object { [IO.Path]::GetRelativePath($StorePath, $_.FullName) } | Sort-Object)
}

function Get-PackageStoreSnapshot {
    <#
        What a refused publish must not change: the packages of each repository of $Domain, their versions with status
        and revision, the domain's AssetSizeBytes, and the files under <store>/blobs and <store>/tmp.
    #>
    param([Parameter(Mandatory)][string] $StorePath, [Parameter(Mandatory)][string] $Domain)
    $versions = foreach ($repository in @(Get-CaRepository -Domain $Domain)) {
        foreach ($package in @(Get-CaPackage -Domain $Domain -Repository $repository.Name)) {
            "package $($repository.Name)/$($package.Format)/$($package.DisplayName)"
            foreach ($version in @($package | Get-CaPackageVersion)) {
                "version $($repository.Name)/$($package.Format)/$($package.DisplayName) $($version.Version) $($version.Status) $($version.Revision)"
            }
        }
    }
    [pscustomobject]@{
        Versions       = @($versions)
        AssetSizeBytes = (Get-CaDomain -Name $Domain).AssetSizeBytes
        BlobFiles      = Get-StoreFile -StorePath $StorePath -Folder 'blobs'
        TmpFiles       = Get-StoreFile -StorePath $StorePath -Folder 'tmp'
    }
}

function Test-StoreContainsText {
    <# Whether any file of the store (catalog, WAL, keys, blobs, tmp) contains $Text as UTF-8 or UTF-16 bytes. #>
    param([Parameter(Mandatory)][string] $StorePath, [Parameter(Mandatory)][string] $Text)
    $needles = @([Text.Encoding]::UTF8.GetBytes($Text), [Text.Encoding]::Unicode.GetBytes($Text)) | ForEach-Object { [Convert]::ToHexString($_) }
    foreach ($file in @(Get-ChildItem -LiteralPath $StorePath -Recurse -File -Force)) {
        $stream = [IO.File]::Open($file.FullName, 'Open', 'Read', 'ReadWrite, Delete')
        try {
            $buffer = [IO.MemoryStream]::new()
            $stream.CopyTo($buffer)
        }
        finally { $stream.Dispose() }
        $haystack = [Convert]::ToHexString($buffer.ToArray())
        foreach ($needle in $needles) {
            $at = $haystack.IndexOf($needle, [StringComparison]::Ordinal)
            while ($at -ge 0) {
                if ($at % 2 -eq 0) { return $true }
                $at = $haystack.IndexOf($needle, $at + 1, [StringComparison]::Ordinal)
            }
        }
    }
    $false
}

function Get-ErrorText {
    <# Everything a user could read of an ErrorRecord: its text, message, details, target and the inner exceptions. #>
    param([Parameter(Mandatory)][Management.Automation.ErrorRecord] $ErrorRecord)
    $parts = [Collections.Generic.List[string]]::new()
    $parts.Add($ErrorRecord.ToString())
    if ($ErrorRecord.ErrorDetails) { $parts.Add($ErrorRecord.ErrorDetails.Message) }
    $parts.Add("$($ErrorRecord.TargetObject)")
    $parts.Add("$($ErrorRecord.CategoryInfo)")
    for ($e = $ErrorRecord.Exception; $e; $e = $e.InnerException) { $parts.Add($e.ToString()) }
    $parts -join "`n"
}

Export-ModuleMember -Function Get-PackageFixture, New-TestTarGz, New-TestZip, New-ZeroStream, New-TestNpmTarball, New-TestNupkg,
    Copy-ZipWithEntry, Copy-TarGzWithEntry, Copy-TruncatedFile, New-RandomFile, Get-StoreFile, Get-PackageStoreSnapshot, Test-StoreContainsText, Get-ErrorText
