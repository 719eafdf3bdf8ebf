using System.Security.Cryptography;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Net.Http.Headers;

namespace PSCodeArtifact.Server.Nuget;

/// <summary>A rendered NuGet document and its strong ETag.</summary>
internal sealed record NugetRendered(byte[] Body, EntityTagHeaderValue ETag)
{
    public static NugetRendered Of(byte[] body) => new(body, new EntityTagHeaderValue("\"" + Convert.ToHexStringLower(SHA256.HashData(body)[..16]) + "\""));
}

/// <summary>
/// Rendered NuGet documents in memory, keyed by store and a stamp that changes with everything the document shows and names
/// its kind (see <c>NugetVersionsSource</c>), so an entry is never stale: a new stamp simply misses, old entries age out by size.
/// </summary>
internal static class NugetDocumentCache
{
    private static readonly MemoryCache s_cache = new(new MemoryCacheOptions { SizeLimit = 16L * 1024 * 1024, CompactionPercentage = 0.25 });

    /// <summary>The document rendered under this stamp, or null.</summary>
    public static NugetRendered? Get(string storePath, string stamp) => s_cache.TryGetValue(Key(storePath, stamp), out NugetRendered? cached) ? cached : null;

    /// <summary>Keeps a document rendered from what the stamp describes.</summary>
    public static NugetRendered Add(string storePath, string stamp, byte[] body)
    {
        var rendered = NugetRendered.Of(body);
        s_cache.Set(Key(storePath, stamp), rendered, new MemoryCacheEntryOptions { Size = 256 + body.Length, SlidingExpiration = TimeSpan.FromMinutes(30) });
        return rendered;
    }

    private static string Key(string storePath, string stamp) => storePath + "\n" + stamp;
}
