using System.Runtime.CompilerServices;
using System.Text.Json;
using NuGet.Versioning;
using PSCodeArtifact.Core.Formats;
using PSCodeArtifact.Core.Storage;

namespace PSCodeArtifact.Core.Services;

/// <summary>What a remote NuGet v3 feed's service index offers: the flat container, and a registration hive and search when it has them.</summary>
internal sealed record NugetRemoteFeed(Uri PackageBaseAddress, Uri? Registrations, Uri? Search);

/// <summary>One version of a remote registration: the parsed version and the leaf's inlined catalog entry as the remote wrote it.</summary>
internal sealed record NugetRemoteLeaf(NuGetVersion Version, JsonElement CatalogEntry);

/// <summary>One package of a remote search answer (the fields NuGet's search result documents).</summary>
internal sealed record NugetRemoteHit(string Id, IReadOnlyList<NuGetVersion> Versions, NuGetVersion Latest, JsonElement Result);

/// <summary>A remote search answer: the packages it returned and how many it says matched in all.</summary>
internal sealed record NugetRemoteSearch(int TotalHits, IReadOnlyList<NugetRemoteHit> Hits);

// Nuget: the remote side of external connections. The connection's URI is the remote's service index; every document is
// fetched through RemoteRegistry (TTL, negative caching, coalescing, stale-if-error) and validated here: a remote that answers
// something that is not what NuGet's v3 protocol promises is UpstreamInvalid, never a silently empty answer.
public sealed partial class PackageService
{
    private const string NugetJson = "application/json";

    // Parsed remote documents by the cached body they came from: the registry hands out the same array while the document is
    // cached, so each fetch is parsed once and a refetch (a new array) is parsed again. One table per kind of document: one body
    // can be read as two kinds (a feed whose registrations and flat container share a URL, a page whose @id is its index), and
    // each reading must find its own parse, never another kind's.
    private readonly ConditionalWeakTable<byte[], object> _nugetRemoteParsed = new();
    private readonly ConditionalWeakTable<byte[], NugetRemoteFeed> _nugetRemoteFeeds = new();
    private readonly ConditionalWeakTable<byte[], IReadOnlyList<NugetRemotePage>> _nugetRemoteIndexes = new();
    private readonly ConditionalWeakTable<byte[], IReadOnlyList<NugetRemotePage>> _nugetRemotePages = new();
    private readonly ConditionalWeakTable<byte[], NugetRemoteSearch> _nugetRemoteSearches = new();

    private async Task<Outcome<IReadOnlyList<string>?>> NugetRemoteVersionsAsync(UpstreamChain chain, ExternalSource source, CancellationToken cancellationToken)
    {
        var versions = await NugetRemoteFlatVersionsAsync(chain, source, cancellationToken);
        if (versions.Failure is { } failure) return failure;
        return Outcome<IReadOnlyList<string>?>.From(versions.Value?.Select(v => v.ToNormalizedString()).ToList());
    }

    private async Task<Outcome<RemoteAsset?>> NugetLocateRemoteAssetAsync(UpstreamChain chain, ExternalSource source, string version, string asset,
        CancellationToken cancellationToken)
    {
        if (!NuGetVersion.TryParse(version, out var wanted)) return Outcome<RemoteAsset?>.From(null);
        var lowerVersion = wanted.ToNormalizedString().ToLowerInvariant();
        // Only the nupkg comes from a remote; the nuspec is read out of it once stored.
        if (!string.Equals(asset, $"{chain.NameKey}.{lowerVersion}.nupkg", StringComparison.OrdinalIgnoreCase)) return Outcome<RemoteAsset?>.From(null);
        var feed = await NugetRemoteFeedAsync(source, cancellationToken);
        if (feed.Failure is { } noFeed) return noFeed;
        var listed = await NugetRemoteFlatVersionsAsync(chain, source, cancellationToken);
        if (listed.Failure is { } notListed) return notListed;
        if (listed.Value?.Any(v => VersionComparer.Default.Equals(v, wanted)) != true) return Outcome<RemoteAsset?>.From(null);

        var id = Uri.EscapeDataString(chain.NameKey);
        var escapedVersion = Uri.EscapeDataString(lowerVersion);
        var url = new Uri(feed.Value!.PackageBaseAddress, $"{id}/{escapedVersion}/{id}.{escapedVersion}.nupkg");
        ExpectedDigests? expected = null;
        if (feed.Value.Registrations is not null)
        {
            var leaves = await NugetRemoteRegistrationAsync(chain, source, (lower, upper) => lower <= wanted && wanted <= upper, cancellationToken);
            if (leaves.Failure is { } noRegistration) return noRegistration;
            if (leaves.Value?.FirstOrDefault(l => VersionComparer.Default.Equals(l.Version, wanted)) is { } leaf)
            {
                var digest = NugetPackageHash(source, leaf.CatalogEntry);
                if (digest.Failure is { } badHash) return badHash;
                expected = digest.Value is { } sha512 ? new ExpectedDigests(Sha512: sha512) : null;
            }
        }
        return new RemoteAsset(url, expected);
    }

    /// <summary>The remote's service index, parsed: where its flat container, registrations (SemVer 2.0.0 hive preferred) and search are.</summary>
    private async Task<Outcome<NugetRemoteFeed>> NugetRemoteFeedAsync(ExternalSource source, CancellationToken cancellationToken)
    {
        var fetched = await _store.Remote.GetMetadataAsync(source, source.BaseUri, NugetJson, cancellationToken);
        if (fetched.Failure is { } failure) return failure;
        if (fetched.Value is not { } document)
        {
            return RemoteRegistry.Invalid(source, $"it has no service index at {source.BaseUri} (404); the connection's URI must be a NuGet v3 service index (…/v3/index.json)");
        }
        if (_nugetRemoteFeeds.TryGetValue(document.Body, out var known)) return known;
        var parsed = ParseNugetServiceIndex(source, document);
        if (parsed.Value is { } feed) _nugetRemoteFeeds.AddOrUpdate(document.Body, feed);
        return parsed;
    }

    private static Outcome<NugetRemoteFeed> ParseNugetServiceIndex(ExternalSource source, RemoteDocument document)
    {
        var resources = new List<(string Type, Uri Id)>();
        try
        {
            using var json = JsonDocument.Parse(document.Body);
            if (json.RootElement.ValueKind != JsonValueKind.Object || !json.RootElement.TryGetProperty("resources", out var list) || list.ValueKind != JsonValueKind.Array)
            {
                return RemoteRegistry.Invalid(source, $"its service index {document.Url} has no 'resources' array");
            }
            foreach (var resource in list.EnumerateArray())
            {
                if (resource.ValueKind != JsonValueKind.Object || !resource.TryGetProperty("@id", out var id) || id.ValueKind != JsonValueKind.String
                    || !Uri.TryCreate(id.GetString(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")) continue;
                // @type is a string, or (in some feeds) an array of strings.
                if (!resource.TryGetProperty("@type", out var type)) continue;
                var types = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().ToArray() : [type];
                foreach (var t in types.Where(t => t.ValueKind == JsonValueKind.String)) resources.Add((t.GetString()!, uri));
            }
        }
        catch (JsonException e)
        {
            return RemoteRegistry.Invalid(source, $"its service index {document.Url} is not JSON ({e.Message})");
        }
        Uri? Find(params string[] types) => types.Select(t => resources.FirstOrDefault(r => r.Type == t).Id).FirstOrDefault(u => u is not null);
        var baseAddress = Find("PackageBaseAddress/3.0.0");
        if (baseAddress is null) return RemoteRegistry.Invalid(source, $"its service index {document.Url} offers no PackageBaseAddress/3.0.0 resource");
        var registrations = Find("RegistrationsBaseUrl/3.6.0")
            ?? resources.FirstOrDefault(r => r.Type.StartsWith("RegistrationsBaseUrl", StringComparison.Ordinal)).Id;
        var search = Find("SearchQueryService/3.5.0", "SearchQueryService/3.4.0", "SearchQueryService/3.0.0-beta", "SearchQueryService/3.0.0-rc", "SearchQueryService");
        return new NugetRemoteFeed(Directory(baseAddress), registrations is null ? null : Directory(registrations), search);

        // Resource URLs are bases to append to; the client trims and adds the slash itself, so both spellings occur.
        static Uri Directory(Uri uri) => uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
    }

    /// <summary>The versions the remote's flat container lists for the package; null when it has no such package (404).</summary>
    private async Task<Outcome<IReadOnlyList<NuGetVersion>?>> NugetRemoteFlatVersionsAsync(UpstreamChain chain, ExternalSource source, CancellationToken cancellationToken)
    {
        var listed = await NugetRemoteFlatAsync(chain, source, cancellationToken);
        return listed.Failure is { } failure ? failure : Outcome<IReadOnlyList<NuGetVersion>?>.From(listed.Value.Versions);
    }

    /// <summary>
    /// <see cref="NugetRemoteFlatVersionsAsync"/> with the identity of the document the versions come from (its URL, when it was
    /// fetched and its length; <c>none</c> for a 404), which changes whenever the remote's answer may have.
    /// </summary>
    private async Task<Outcome<(IReadOnlyList<NuGetVersion>? Versions, string Identity)>> NugetRemoteFlatAsync(UpstreamChain chain, ExternalSource source,
        CancellationToken cancellationToken)
    {
        var feed = await NugetRemoteFeedAsync(source, cancellationToken);
        if (feed.Failure is { } noFeed) return noFeed;
        var url = new Uri(feed.Value!.PackageBaseAddress, Uri.EscapeDataString(chain.NameKey) + "/index.json");
        var fetched = await _store.Remote.GetMetadataAsync(source, url, NugetJson, cancellationToken);
        if (fetched.Failure is { } failure) return failure;
        if (fetched.Value is not { } document) return (null, "none");
        var identity = $"{document.Url} {document.FetchedAt.UtcTicks} {document.Body.Length}";
        if (_nugetRemoteParsed.TryGetValue(document.Body, out var known)) return ((IReadOnlyList<NuGetVersion>)known, identity);
        var versions = new List<NuGetVersion>();
        try
        {
            using var json = JsonDocument.Parse(document.Body);
            if (json.RootElement.ValueKind != JsonValueKind.Object || !json.RootElement.TryGetProperty("versions", out var list) || list.ValueKind != JsonValueKind.Array)
            {
                return RemoteRegistry.Invalid(source, $"{document.Url} has no 'versions' array");
            }
            foreach (var item in list.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String || !NuGetVersion.TryParse(item.GetString(), out var version))
                {
                    return RemoteRegistry.Invalid(source, $"{document.Url} lists {item.GetRawText()}, which is not a NuGet version");
                }
                versions.Add(version);
            }
        }
        catch (JsonException e)
        {
            return RemoteRegistry.Invalid(source, $"{document.Url} is not JSON ({e.Message})");
        }
        _nugetRemoteParsed.AddOrUpdate(document.Body, versions);
        return (versions, identity);
    }

    /// <summary>
    /// The leaves of the remote's registration of the package, from the pages <paramref name="wantPage"/> accepts (by their
    /// lower and upper bounds; all pages when null); pages that are not inlined are fetched. Null when the remote has no
    /// registration resource or no registration for the package.
    /// </summary>
    private async Task<Outcome<IReadOnlyList<NugetRemoteLeaf>?>> NugetRemoteRegistrationAsync(UpstreamChain chain, ExternalSource source,
        Func<NuGetVersion, NuGetVersion, bool>? wantPage, CancellationToken cancellationToken)
    {
        var feed = await NugetRemoteFeedAsync(source, cancellationToken);
        if (feed.Failure is { } noFeed) return noFeed;
        if (feed.Value!.Registrations is not { } registrations) return Outcome<IReadOnlyList<NugetRemoteLeaf>?>.From(null);
        var url = new Uri(registrations, Uri.EscapeDataString(chain.NameKey) + "/index.json");
        var fetched = await _store.Remote.GetMetadataAsync(source, url, NugetJson, cancellationToken);
        if (fetched.Failure is { } failure) return failure;
        if (fetched.Value is not { } index) return Outcome<IReadOnlyList<NugetRemoteLeaf>?>.From(null);
        var pages = ParseNugetRegistrationPages(source, index, expectIndex: true);
        if (pages.Failure is { } badIndex) return badIndex;

        var leaves = new List<NugetRemoteLeaf>();
        var fetchedPages = 0;
        foreach (var page in pages.Value!)
        {
            if (wantPage is not null && page.Lower is { } lower && page.Upper is { } upper && !wantPage(lower, upper)) continue;
            var items = page.Leaves;
            if (items is null)
            {
                // A registration that makes every request fetch thousands of pages is not one a feed serves.
                if (++fetchedPages > NugetMaxRemotePages)
                {
                    return RemoteRegistry.Invalid(source, $"its registration index {url} has more than {NugetMaxRemotePages} pages to fetch");
                }
                var pageDocument = await _store.Remote.GetMetadataAsync(source, page.Url!, NugetJson, cancellationToken);
                if (pageDocument.Failure is { } pageFailure) return pageFailure;
                if (pageDocument.Value is not { } fetchedPage) return RemoteRegistry.Invalid(source, $"its registration page {page.Url} does not exist (404)");
                var parsedPage = ParseNugetRegistrationPages(source, fetchedPage, expectIndex: false);
                if (parsedPage.Failure is { } badPage) return badPage;
                items = parsedPage.Value!.Single().Leaves;
                if (items is null) return RemoteRegistry.Invalid(source, $"its registration page {page.Url} has no 'items'");
            }
            leaves.AddRange(items);
        }
        return Outcome<IReadOnlyList<NugetRemoteLeaf>?>.From(leaves);
    }

    /// <summary>The most registration pages one remote registration may need fetched (128 pages hold some 8,000 versions).</summary>
    private const int NugetMaxRemotePages = 128;

    private sealed record NugetRemotePage(Uri? Url, NuGetVersion? Lower, NuGetVersion? Upper, IReadOnlyList<NugetRemoteLeaf>? Leaves);

    /// <summary>A registration index (its pages) or one page document (a list of that one page); parsed once per fetched body.</summary>
    private Outcome<IReadOnlyList<NugetRemotePage>> ParseNugetRegistrationPages(ExternalSource source, RemoteDocument document, bool expectIndex)
    {
        var parsedPages = expectIndex ? _nugetRemoteIndexes : _nugetRemotePages;
        if (parsedPages.TryGetValue(document.Body, out var known)) return Outcome<IReadOnlyList<NugetRemotePage>>.From(known);
        var pages = new List<NugetRemotePage>();
        try
        {
            using var json = JsonDocument.Parse(document.Body);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return RemoteRegistry.Invalid(source, $"the registration {document.Url} is not a JSON object");
            if (expectIndex)
            {
                if (!root.TryGetProperty("items", out var items) || items.ValueKind != JsonValueKind.Array)
                {
                    return RemoteRegistry.Invalid(source, $"the registration {document.Url} has no 'items' array of pages");
                }
                foreach (var page in items.EnumerateArray())
                {
                    var parsed = ParsePage(page, document.Url, requireItems: false);
                    if (parsed.Failure is { } bad) return bad;
                    pages.Add(parsed.Value!);
                }
            }
            else
            {
                var parsed = ParsePage(root, document.Url, requireItems: true);
                if (parsed.Failure is { } bad) return bad;
                pages.Add(parsed.Value!);
            }
        }
        catch (JsonException e)
        {
            return RemoteRegistry.Invalid(source, $"the registration {document.Url} is not JSON ({e.Message})");
        }
        parsedPages.AddOrUpdate(document.Body, pages);
        return pages;

        Outcome<NugetRemotePage> ParsePage(JsonElement page, Uri where, bool requireItems)
        {
            if (page.ValueKind != JsonValueKind.Object) return RemoteRegistry.Invalid(source, $"the registration {where} has a page that is not an object");
            var lower = NugetVersionOf(page, "lower");
            var upper = NugetVersionOf(page, "upper");
            if (!page.TryGetProperty("items", out var items) || items.ValueKind != JsonValueKind.Array)
            {
                if (requireItems) return RemoteRegistry.Invalid(source, $"the registration page {where} has no 'items' array");
                // A page that is not inlined is fetched by its @id.
                return page.TryGetProperty("@id", out var id) && id.ValueKind == JsonValueKind.String && Uri.TryCreate(id.GetString(), UriKind.Absolute, out var url)
                    && url.Scheme is "http" or "https"
                    ? new NugetRemotePage(url, lower, upper, null)
                    : RemoteRegistry.Invalid(source, $"the registration {where} has a page with neither 'items' nor an absolute '@id'");
            }
            var leaves = new List<NugetRemoteLeaf>();
            foreach (var leaf in items.EnumerateArray())
            {
                if (leaf.ValueKind != JsonValueKind.Object || !leaf.TryGetProperty("catalogEntry", out var entry) || entry.ValueKind != JsonValueKind.Object)
                {
                    return RemoteRegistry.Invalid(source, $"the registration {where} has a leaf without an inlined 'catalogEntry' object");
                }
                if (NugetVersionOf(entry, "version") is not { } version)
                {
                    return RemoteRegistry.Invalid(source, $"the registration {where} has a catalog entry without a valid NuGet 'version'");
                }
                leaves.Add(new NugetRemoteLeaf(version, entry.Clone()));
            }
            return new NugetRemotePage(null, lower, upper, leaves);
        }
    }

    /// <summary>The remote's search results for a query (its first <paramref name="take"/>); null when the remote offers no search.</summary>
    private async Task<Outcome<NugetRemoteSearch?>> NugetRemoteSearchAsync(ExternalSource source, NugetSearchQuery query, int take, CancellationToken cancellationToken)
    {
        var feed = await NugetRemoteFeedAsync(source, cancellationToken);
        if (feed.Failure is { } noFeed) return noFeed;
        if (feed.Value!.Search is not { } search) return Outcome<NugetRemoteSearch?>.From(null);
        var parameters = $"q={Uri.EscapeDataString(query.Text ?? "")}&skip=0&take={take}&prerelease={(query.Prerelease ? "true" : "false")}"
            + (query.SemVer2 ? "&semVerLevel=2.0.0" : "")
            + (query.PackageType is { Length: > 0 } type ? "&packageType=" + Uri.EscapeDataString(type) : "");
        var url = new UriBuilder(search) { Query = parameters }.Uri;
        var fetched = await _store.Remote.GetMetadataAsync(source, url, NugetJson, cancellationToken);
        if (fetched.Failure is { } failure) return failure;
        if (fetched.Value is not { } document) return Outcome<NugetRemoteSearch?>.From(null);
        if (_nugetRemoteSearches.TryGetValue(document.Body, out var known)) return Outcome<NugetRemoteSearch?>.From(known);
        var hits = new List<NugetRemoteHit>();
        int total;
        try
        {
            using var json = JsonDocument.Parse(document.Body);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
            {
                return RemoteRegistry.Invalid(source, $"its search answer {document.Url} has no 'data' array");
            }
            total = root.TryGetProperty("totalHits", out var totalHits) && totalHits.TryGetInt32(out var count) ? count : data.GetArrayLength();
            foreach (var result in data.EnumerateArray())
            {
                if (result.ValueKind != JsonValueKind.Object || !result.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String
                    || PackageFormats.Nuget.CheckName(null, id.GetString()!) is not null || NugetVersionOf(result, "version") is not { } latest)
                {
                    return RemoteRegistry.Invalid(source, $"its search answer {document.Url} has a result without a valid 'id' and 'version'");
                }
                var versions = new List<NuGetVersion>();
                if (result.TryGetProperty("versions", out var list) && list.ValueKind == JsonValueKind.Array)
                {
                    foreach (var item in list.EnumerateArray())
                    {
                        if (item.ValueKind == JsonValueKind.Object && NugetVersionOf(item, "version") is { } version) versions.Add(version);
                    }
                }
                if (!versions.Contains(latest, VersionComparer.Default)) versions.Add(latest);
                hits.Add(new NugetRemoteHit(id.GetString()!, versions.OrderBy(v => v, VersionComparer.Default).ToList(), latest, result.Clone()));
            }
        }
        catch (JsonException e)
        {
            return RemoteRegistry.Invalid(source, $"its search answer {document.Url} is not JSON ({e.Message})");
        }
        var answer = new NugetRemoteSearch(total, hits);
        _nugetRemoteSearches.AddOrUpdate(document.Body, answer);
        return Outcome<NugetRemoteSearch?>.From(answer);
    }

    /// <summary>The SHA-512 (lower-case hex) a catalog entry publishes for its nupkg; null when it gives none or another algorithm.</summary>
    private static Outcome<string?> NugetPackageHash(ExternalSource source, JsonElement entry)
    {
        if (!entry.TryGetProperty("packageHash", out var hash) || hash.ValueKind != JsonValueKind.String) return Outcome<string?>.From(null);
        var algorithm = entry.TryGetProperty("packageHashAlgorithm", out var named) && named.ValueKind == JsonValueKind.String ? named.GetString() : null;
        if (!string.Equals(algorithm, "SHA512", StringComparison.OrdinalIgnoreCase)) return Outcome<string?>.From(null);
        var bytes = new byte[64];
        if (!Convert.TryFromBase64String(hash.GetString()!, bytes, out var written) || written != 64)
        {
            return RemoteRegistry.Invalid(source, $"the packageHash '{hash.GetString()}' is not a base64 SHA-512");
        }
        return Outcome<string?>.From(Convert.ToHexStringLower(bytes));
    }

    private static NuGetVersion? NugetVersionOf(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String && NuGetVersion.TryParse(value.GetString(), out var version)
            ? version
            : null;
}
