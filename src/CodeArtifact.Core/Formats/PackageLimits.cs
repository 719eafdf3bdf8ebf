namespace PSCodeArtifact.Core.Formats;

/// <summary>Caps that keep a hostile upload from exhausting memory or disk while it is inspected.</summary>
public static class PackageLimits
{
    /// <summary>The largest manifest (package.json, METADATA, POM, nuspec) read into memory.</summary>
    public const int MaxManifestBytes = 1024 * 1024;

    /// <summary>The largest readme kept.</summary>
    public const int MaxReadmeBytes = 1024 * 1024;

    /// <summary>The most entries an archive may have.</summary>
    public const int MaxArchiveEntries = 100_000;

    /// <summary>The most bytes an archive may expand to (across all entries read or listed).</summary>
    public const long MaxExpandedBytes = 4L * 1024 * 1024 * 1024;

    /// <summary>The highest expansion ratio of one compressed entry or stream before it counts as a decompression bomb.</summary>
    public const int MaxCompressionRatio = 200;
}
