using System.Formats.Tar;
using System.IO.Compression;

namespace PSCodeArtifact.Core.Formats;

/// <summary>
/// Reads untrusted zip and tar.gz archives: entry names must be relative and stay inside the archive, and entry
/// counts, expanded sizes and compression ratios are capped so a decompression bomb fails fast.
/// </summary>
public static class SafeArchive
{
    /// <summary>Why an entry name is unsafe (absolute, climbing out with '..', a drive or NUL), or null when it is fine.</summary>
    public static string? CheckEntryName(string name)
    {
        if (string.IsNullOrEmpty(name)) return "an entry has an empty name";
        if (name.Contains('\0')) return $"the entry name '{name}' contains NUL";
        var normalized = name.Replace('\\', '/');
        if (normalized.StartsWith('/') || (normalized.Length >= 2 && normalized[1] == ':')) return $"the entry '{name}' has an absolute path";
        if (normalized.Split('/').Any(part => part == "..")) return $"the entry '{name}' climbs out of the archive with '..'";
        return null;
    }

    /// <summary>Opens a zip archive and checks every entry's name, the entry count, the declared sizes and their ratios.</summary>
    public static Outcome<ZipArchive> OpenZip(Stream content, string fileName)
    {
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(content, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            return PackageErrors.InvalidFile(fileName, $"it is not a readable zip archive ({e.Message})");
        }
        try
        {
            if (zip.Entries.Count > PackageLimits.MaxArchiveEntries)
            {
                zip.Dispose();
                return PackageErrors.InvalidFile(fileName, $"it has more than {PackageLimits.MaxArchiveEntries} entries.");
            }
            long expanded = 0;
            foreach (var entry in zip.Entries)
            {
                if (CheckEntryName(entry.FullName) is { } unsafeName)
                {
                    zip.Dispose();
                    return PackageErrors.InvalidFile(fileName, unsafeName + ".");
                }
                expanded += entry.Length;
                if (expanded > PackageLimits.MaxExpandedBytes || IsBomb(entry.Length, entry.CompressedLength))
                {
                    zip.Dispose();
                    return PackageErrors.InvalidFile(fileName, "it expands far beyond its size (a decompression bomb).");
                }
            }
        }
        catch (InvalidDataException e)
        {
            zip.Dispose();
            return PackageErrors.InvalidFile(fileName, $"it is not a readable zip archive ({e.Message})");
        }
        return zip;
    }

    /// <summary>Reads one zip entry, refusing one larger than <paramref name="maxBytes"/> whatever its header claims.</summary>
    public static Outcome<byte[]> ReadEntry(ZipArchiveEntry entry, int maxBytes, string fileName)
    {
        if (entry.Length > maxBytes) return PackageErrors.InvalidFile(fileName, $"'{entry.FullName}' is larger than {maxBytes} bytes.");
        try
        {
            using var stream = entry.Open();
            return ReadCapped(stream, maxBytes, entry.FullName, fileName);
        }
        catch (InvalidDataException e)
        {
            return PackageErrors.InvalidFile(fileName, $"'{entry.FullName}' cannot be decompressed ({e.Message})");
        }
    }

    /// <summary>
    /// Walks a gzip-compressed tar archive and returns the bytes of the regular-file entries <paramref name="wanted"/> selects
    /// (each at most <paramref name="maxBytes"/>). Every entry name is checked; expansion is capped as it streams.
    /// </summary>
    public static Outcome<IReadOnlyDictionary<string, byte[]>> ReadTarGz(Stream content, string fileName, Func<string, bool> wanted,
        int maxBytes, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        try
        {
            var compressed = new CountingStream(content);
            using var gzip = new GZipStream(compressed, CompressionMode.Decompress, leaveOpen: true);
            var expanded = new CountingStream(gzip, () => compressed.Count);
            using var tar = new TarReader(expanded, leaveOpen: true);
            var entries = 0;
            while (tar.GetNextEntry() is { } entry)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (++entries > PackageLimits.MaxArchiveEntries)
                {
                    return PackageErrors.InvalidFile(fileName, $"it has more than {PackageLimits.MaxArchiveEntries} entries.");
                }
                if (CheckEntryName(entry.Name) is { } unsafeName) return PackageErrors.InvalidFile(fileName, unsafeName + ".");
                if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile && wanted(entry.Name) && entry.DataStream is { } data)
                {
                    if (entry.Length > maxBytes) return PackageErrors.InvalidFile(fileName, $"'{entry.Name}' is larger than {maxBytes} bytes.");
                    var bytes = ReadCapped(data, maxBytes, entry.Name, fileName);
                    if (bytes.Failure is { } tooLarge) return tooLarge;
                    found.TryAdd(entry.Name, bytes.Value!);
                }
            }
            // Read to the end so GZipStream checks the CRC of a complete trailer; a cut trailer is only caught by comparing its
            // length field with what was really inflated (GZipStream treats a truncated stream as a normal end).
            expanded.CopyTo(Stream.Null);
            if (content.CanSeek && !TrailerMatches(content, expanded.Count))
            {
                return PackageErrors.InvalidFile(fileName, "the gzip stream is truncated or damaged (its length trailer does not match).");
            }
        }
        catch (DecompressionBombException)
        {
            return PackageErrors.InvalidFile(fileName, "it expands far beyond its size (a decompression bomb).");
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException or ArgumentException)
        {
            return PackageErrors.InvalidFile(fileName, $"it is not a readable tar.gz archive ({e.Message})");
        }
        return found;
    }

    private static bool TrailerMatches(Stream content, long inflated)
    {
        if (content.Length < 18) return false;
        Span<byte> trailer = stackalloc byte[8];
        content.Seek(-8, SeekOrigin.End);
        content.ReadExactly(trailer);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]) == (uint)inflated;
    }

    private static bool IsBomb(long expanded, long compressed) =>
        expanded > 16 * 1024 * 1024 && expanded > Math.Max(compressed, 1) * PackageLimits.MaxCompressionRatio;

    private static Outcome<byte[]> ReadCapped(Stream stream, int maxBytes, string entryName, string fileName)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + read > maxBytes) return PackageErrors.InvalidFile(fileName, $"'{entryName}' is larger than {maxBytes} bytes.");
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private sealed class DecompressionBombException : IOException;

    /// <summary>A read-only pass-through that counts bytes and, when given the compressed count, enforces the expansion caps.</summary>
    private sealed class CountingStream(Stream inner, Func<long>? compressedCount = null) : Stream
    {
        public long Count { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => Count;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var read = inner.Read(buffer);
            Count += read;
            if (compressedCount is not null && (Count > PackageLimits.MaxExpandedBytes || IsBomb(Count, compressedCount())))
            {
                throw new DecompressionBombException();
            }
            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
