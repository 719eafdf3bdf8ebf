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
/// Rendered NuGet documents in memory, keyed by store, document kind and a stamp that changes with everything the document
/// shows (see <c>NugetVersionsSource</c>), so an entry is never stale: a new stamp simply misses, old entries age out by size.
/// </summary>
internal static class NugetDocumentCache
{
    private static readonly MemoryCache s_cache = new(new MemoryCacheOptions { SizeLimit = 16L * 1024 * 1024, CompactionPercentage = 0.25 });

    /// <summary>The document under this stamp, rendered now if it is not cached; a null stamp renders without caching.</summary>
    public static NugetRendered Get(string storePath, string kind, string? stamp, Func<byte[]> render)
    {
        if (stamp is null) return NugetRendered.Of(render());
        var key = string.Join('\n', storePath, kind, stamp);
        if (s_cache.TryGetValue(key, out NugetRendered? cached)) return cached!;
        var rendered = NugetRendered.Of(render());
        s_cache.Set(key, rendered, new MemoryCacheEntryOptions { Size = 256 + rendered.Body.Length, SlidingExpiration = TimeSpan.FromMinutes(30) });
        return rendered;
    }
}
