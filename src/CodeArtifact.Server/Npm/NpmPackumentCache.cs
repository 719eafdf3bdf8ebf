using System.IO.Compression;
using Microsoft.Extensions.Caching.Memory;

namespace PSCodeArtifact.Server.Npm;

/// <summary>A rendered packument: its bytes (gzipped too when worth it) and its ETag. A null body means "no visible version".</summary>
internal sealed record NpmRendered(byte[]? Body, byte[]? Gzip, string ETag);

/// <summary>
/// Rendered packuments in memory, keyed by store, repository URL, variant and the package stamp. The stamp changes with
/// every change npm could see, so an entry is never stale: a new stamp simply misses, and old entries age out by size.
/// </summary>
internal static class NpmPackumentCache
{
    private const int GzipThreshold = 1024;

    private static readonly MemoryCache s_cache = new(new MemoryCacheOptions { SizeLimit = 64L * 1024 * 1024, CompactionPercentage = 0.25 });

    public static string Key(string storePath, string repositoryUrl, string stamp, bool abbreviated) =>
        string.Join('\n', storePath, repositoryUrl, stamp, abbreviated ? "corgi" : "full");

    public static NpmRendered? Get(string key) => s_cache.TryGetValue(key, out NpmRendered? cached) ? cached : null;

    public static NpmRendered Add(string key, byte[]? body, string etag)
    {
        var rendered = new NpmRendered(body, body is { Length: > GzipThreshold } ? Gzip(body) : null, etag);
        s_cache.Set(key, rendered, new MemoryCacheEntryOptions
        {
            Size = 256 + (body?.Length ?? 0) + (rendered.Gzip?.Length ?? 0),
            SlidingExpiration = TimeSpan.FromMinutes(30),
        });
        return rendered;
    }

    private static byte[] Gzip(byte[] body)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest))
        {
            gzip.Write(body);
        }
        return buffer.ToArray();
    }
}
