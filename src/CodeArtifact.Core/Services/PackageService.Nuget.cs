using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using NuGet.Versioning;
using PSCodeArtifact.Core.Formats;
using PSCodeArtifact.Core.Storage;

namespace PSCodeArtifact.Core.Services;

/// <summary>A NuGet package as the v3 feed shows it: its served versions in NuGet.Versioning order, oldest first.</summary>
public sealed class NugetPackage
{
    /// <summary>The id as first published (ids are case-insensitive; URLs use it lower-cased).</summary>
    public required string Id { get; init; }

    public required IReadOnlyList<NugetPackageVersion> Versions { get; init; }

    public override string ToString() => Id;
}

/// <summary>One served (Published or Unlisted) version of a <see cref="NugetPackage"/>.</summary>
public sealed class NugetPackageVersion
{
    /// <summary>The full version as published, build metadata included (<c>2.0.0-beta.1+build.5</c>).</summary>
    public required string Version { get; init; }

    /// <summary>The normalised version: no build metadata, no zero fourth part, the label's case kept (<c>2.0.0-beta.1</c>).</summary>
    public required string NormalizedVersion { get; init; }

    /// <summary>The normalised version lower-cased: the version's identity and its spelling in URLs.</summary>
    public string LowerVersion => NormalizedVersion.ToLowerInvariant();

    /// <summary>False for Unlisted versions: restorable when pinned, but out of search and autocomplete.</summary>
    public required bool Listed { get; init; }

    public required bool IsPrerelease { get; init; }

    /// <summary>True when the version or a dependency range needs SemVer 2.0.0 (dotted labels or build metadata).</summary>
    public required bool IsSemVer2 { get; init; }

    public required DateTimeOffset PublishedTime { get; init; }

    public required long Size { get; init; }

    /// <summary>The nupkg's SHA-512 in lower-case hexadecimal.</summary>
    public required string Sha512 { get; init; }

    /// <summary>What the nuspec says; null when the version has no metadata document.</summary>
    public PackageMetadata? Metadata { get; init; }

    /// <summary>
    /// For a version only an external connection's remote has: the catalog entry of the remote's registration, as the remote
    /// wrote it (its URLs point at the remote; documents rewrite them). Null for versions a repository holds.
    /// </summary>
    public JsonElement? RemoteCatalogEntry { get; init; }

    public override string ToString() => Version;
}

/// <summary>A NuGet search: the query text, the page, and which versions count.</summary>
public sealed record NugetSearchQuery
{
    /// <summary>Terms that must all match (id, title, description, summary, tags or authors), or <c>field:value</c> terms; empty lists everything.</summary>
    public string? Text { get; init; }

    public int Skip { get; init; }

    public int Take { get; init; } = 20;

    public bool Prerelease { get; init; }

    /// <summary>Whether SemVer 2.0.0 versions count (<c>semVerLevel=2.0.0</c>).</summary>
    public bool SemVer2 { get; init; }

    /// <summary>Only packages of this package type (<c>packageType</c>, SearchQueryService/3.5.0); null for any.</summary>
    public string? PackageType { get; init; }
}

/// <summary>A page of search results: each package with the listed versions the query counts, and how many packages matched in all.</summary>
public sealed record NugetSearchResult(int TotalHits, IReadOnlyList<NugetPackage> Packages);

// The reads and writes behind the NuGet v3 feed. Only Published and Unlisted versions are served (Unlisted ones stay
// restorable and in registrations, marked unlisted, and are left out of search); Archived, Unfinished and Disposed versions
// do not exist for NuGet clients. Versions are identified and ordered by NuGet.Versioning; ids are case-insensitive.
public sealed partial class PackageService
{
    /// <summary>The most search results one page returns, as on nuget.org.</summary>
    public const int NugetMaxTake = 1000;

    private const int NugetMaxCachedMetadata = 20_000;

    // Decrypted metadata documents by domain and SHA-256: content-addressed, so an entry is never stale.
    private readonly ConcurrentDictionary<string, PackageMetadata> _nugetMetadata = new(StringComparer.Ordinal);

    private static bool IsServedOnNuget(string status) => status is Published or Unlisted;

    /// <summary>
    /// Pushes a nupkg as <c>dotnet nuget push</c> does: through <see cref="PublishAsync"/>, but a version that already exists
    /// is a conflict even when the bytes are the same, because NuGet versions are immutable and <c>--skip-duplicate</c> relies
    /// on hearing so (nuget.org answers 409 to any second push).
    /// </summary>
    public async Task<Outcome<PackageVersionInfo>> PushNugetAsync(string domain, string repository, string fileName, Stream nupkg,
        CancellationToken cancellationToken)
    {
        // The same bytes again succeed without a change in the core; NuGet answers a second push of a version with 409.
        var published = await PublishWithResultAsync(new PublishRequest(domain, repository, fileName) { Format = PackageFormats.Nuget.Name }, nupkg, cancellationToken);
        if (published.Failure is { } failure) return failure;
        var version = published.Value!.Version;
        if (published.Value.AssetAdded) return version;
        return new Failure(ErrorCodes.VersionAlreadyExists, FailureKind.Conflict,
            $"Version {version.Version} of '{version.DisplayName}' already exists in '{version.Repository}' ({version.Status}); a NuGet version cannot be pushed twice, so push a new version.",
            version.Version);
    }

    /// <summary>
    /// Unlists (<c>dotnet nuget delete</c>) or relists a version. Only Published and Unlisted versions take part; setting the
    /// status a version already has succeeds without a change. <paramref name="version"/> may be any spelling of the version.
    /// </summary>
    public Outcome<PackageVersionResult> SetNugetListed(string domain, string repository, string id, string version, bool listed)
    {
        if (!NuGetVersion.TryParse(version, out _))
        {
            return new Failure(ErrorCodes.PackageVersionNotFound, FailureKind.NotFound, $"'{version}' is not a NuGet version, so '{id}' has no such version.", version);
        }
        var found = FindVersion(domain, repository, PackageFormats.Nuget.Name, null, id, version);
        if (found.Failure is { } failure) return failure;
        var (package, row) = found.Value;
        if (!IsServedOnNuget(row.Status))
        {
            return new Failure(ErrorCodes.InvalidStatus, FailureKind.Conflict,
                $"Version {row.Version} of '{package.Info.DisplayName}' is {row.Status}: NuGet clients do not see it, so it cannot be {(listed ? "relisted" : "unlisted")} from one; change its status with Set-CaPackageVersionStatus.",
                version);
        }
        var updated = UpdateStatus(domain, repository, PackageFormats.Nuget.Name, null, package.Info.Package, [row.Version], listed ? Published : Unlisted,
            expectedStatus: row.Status);
        if (updated.Failure is { } refused) return refused;
        var result = updated.Value!.Single();
        return result.Succeeded
            ? result
            : new Failure(ErrorCodes.MismatchedRevision, FailureKind.Conflict, $"Version {row.Version} of '{package.Info.DisplayName}' changed meanwhile: {result.ErrorMessage} Try again.", version);
    }

    /// <summary>The lower-cased normalised versions of a package's served versions, oldest first (the flat container's index); no blob is read.</summary>
    public Outcome<IReadOnlyList<string>> ListNugetVersions(string domain, string repository, string id)
    {
        var loaded = NugetLoad(domain, repository, id);
        if (loaded.Failure is { } failure) return failure;
        var rows = loaded.Value!.SelectMany(p => p.Rows).ToList();
        if (rows.Count == 0) return NugetNotServed(id);
        return rows.Select(r => r.Parsed).Order(VersionComparer.Default).Select(v => v.ToNormalizedString().ToLowerInvariant()).ToList();
    }

    /// <summary>A package with every served version and its metadata, oldest first (registrations); not found when none is served.</summary>
    public async Task<Outcome<NugetPackage>> GetNugetPackageAsync(string domain, string repository, string id, CancellationToken cancellationToken)
    {
        var loaded = NugetLoad(domain, repository, id);
        if (loaded.Failure is { } failure) return failure;
        var packages = loaded.Value!;
        if (packages.Count == 0 || packages[0].Rows.Count == 0) return NugetNotServed(id);
        var key = _store.Domains.GetKey(domain);
        if (key.Failure is { } noKey) return noKey;
        using var domainKey = key.Value!;
        return await NugetPackageOf(domain, domainKey, packages[0], _ => true, cancellationToken);
    }

    /// <summary>Opens the nupkg of a served version (the flat container's download).</summary>
    public async Task<Outcome<(AssetInfo Asset, Stream Content)>> OpenNugetPackageAsync(string domain, string repository, string id, string version,
        CancellationToken cancellationToken)
    {
        var served = FindServedNugetVersion(domain, repository, id, version);
        if (served.Failure is { } failure) return failure;
        var (package, row) = served.Value;
        using var connection = _store.Catalog.Open();
        return await OpenAssetAsync(connection, package, row, $"{package.NameKey}.{row.VersionKey}.nupkg", null, cancellationToken);
    }

    /// <summary>Opens the exact nuspec inside the nupkg of a served version. The returned asset describes those bytes (<c>{id}.nuspec</c>).</summary>
    public async Task<Outcome<(AssetInfo Asset, Stream Content)>> OpenNugetManifestAsync(string domain, string repository, string id, string version,
        CancellationToken cancellationToken)
    {
        var served = FindServedNugetVersion(domain, repository, id, version);
        if (served.Failure is { } failure) return failure;
        var (package, row) = served.Value;
        AssetRow? manifest = null;
        using (var connection = _store.Catalog.Open())
        using (var command = Sql.Command(connection, """
            SELECT a.manifest_sha256, b.sha1, b.md5, b.sha512, b.size FROM assets a
            JOIN blobs b ON b.domain_id = $d AND b.sha256 = a.manifest_sha256
            WHERE a.version_id = $v;
            """, null, ("$d", package.DomainId), ("$v", row.Id)))
        using (var reader = command.ExecuteReader())
        {
            if (reader.Read())
            {
                manifest = new AssetRow(package.NameKey + ".nuspec", reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4));
            }
        }
        if (manifest is null)
        {
            return new Failure(ErrorCodes.AssetNotFound, FailureKind.NotFound, $"Version {row.Version} of '{package.Info.DisplayName}' has no nuspec stored.", package.NameKey + ".nuspec");
        }
        var key = _store.Domains.GetKey(domain);
        if (key.Failure is { } noKey) return noKey;
        using var domainKey = key.Value!;
        var stream = await _store.Blobs.OpenReadAsync(domainKey, manifest.Sha256, cancellationToken);
        return (ToAssetInfo(package, row, manifest), stream);
    }

    /// <summary>
    /// Searches the repository's NuGet packages. Only listed (Published) versions count, filtered by the query's prerelease and
    /// SemVer 2.0.0 switches; a package matches by its latest counted version. Exact ids first, then ids that start with the
    /// text, then ids that contain it, then the rest; alphabetically within each.
    /// </summary>
    public async Task<Outcome<NugetSearchResult>> SearchNugetAsync(string domain, string repository, NugetSearchQuery query, CancellationToken cancellationToken)
    {
        var key = _store.Domains.GetKey(domain);
        if (key.Failure is { } noKey) return noKey;
        using var domainKey = key.Value!;
        var hits = await NugetSearchHitsAsync(domain, repository, domainKey, query, NugetSearchTerm.Parse(query.Text), cancellationToken);
        if (hits.Failure is { } failure) return failure;
        var ordered = hits.Value!.OrderBy(h => h.Rank).ThenBy(h => h.Package.Id, StringComparer.OrdinalIgnoreCase).Select(h => h.Package).ToList();
        return new NugetSearchResult(ordered.Count, ordered.Skip(Math.Max(0, query.Skip)).Take(Math.Clamp(query.Take, 0, NugetMaxTake)).ToList());
    }

    /// <summary>Every package of the repository that matches the query (see <see cref="SearchNugetAsync"/>), with its rank, unordered.</summary>
    private async Task<Outcome<List<(NugetPackage Package, int Rank)>>> NugetSearchHitsAsync(string domain, string repository, DomainKey domainKey,
        NugetSearchQuery query, IReadOnlyList<NugetSearchTerm> terms, CancellationToken cancellationToken)
    {
        var loaded = NugetLoad(domain, repository, null);
        if (loaded.Failure is { } failure) return failure;
        var hits = new List<(NugetPackage Package, int Rank)>();
        foreach (var candidate in loaded.Value!)
        {
            var package = await NugetPackageOf(domain, domainKey, candidate, v => v.Listed && (query.Prerelease || !v.IsPrerelease) && (query.SemVer2 || !v.IsSemVer2),
                cancellationToken);
            if (package.Versions.Count == 0) continue;
            var latest = package.Versions[^1];
            if (query.PackageType is { Length: > 0 } type && !NugetPackageTypes(latest.Metadata).Contains(type, StringComparer.OrdinalIgnoreCase)) continue;
            if (NugetRank(package.Id, latest.Metadata, terms) is { } rank) hits.Add((package, rank));
        }
        return hits;
    }

    /// <summary>The package types a version declares; <c>Dependency</c> when it declares none (NuGet's default).</summary>
    public static IReadOnlyList<string> NugetPackageTypes(PackageMetadata? metadata) =>
        metadata?.Properties.GetValueOrDefault("packagetypes") is { Length: > 0 } types
            ? types.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : ["Dependency"];

    /// <summary>The tags of a nuspec: separated by spaces (pack turns <c>a;b</c> into <c>a b</c>; commas and semicolons are accepted too).</summary>
    public static IReadOnlyList<string> NugetTags(PackageMetadata? metadata) =>
        metadata?.Properties.GetValueOrDefault("tags") is { Length: > 0 } tags
            ? tags.Split([' ', ',', ';', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries)
            : [];

    // ------------------------------------------------------------------ NuGet helpers

    private sealed record NugetRow(VersionRow Version, NuGetVersion Parsed, long Size, string Sha512);

    private sealed record NugetCandidate(string Name, List<NugetRow> Rows);

    private static Failure NugetNotServed(string id) =>
        new(ErrorCodes.PackageNotFound, FailureKind.NotFound, $"'{id}' has no Published or Unlisted version here, so NuGet clients cannot see it.", id);

    /// <summary>
    /// The served versions (and their nupkg sizes and SHA-512s) of one package, or of every NuGet package of the repository
    /// when <paramref name="id"/> is null, read in one catalog query. An unknown package is a failure; a package without a
    /// served version is an empty candidate.
    /// </summary>
    private Outcome<List<NugetCandidate>> NugetLoad(string domain, string repository, string? id)
    {
        var format = PackageFormats.Nuget;
        if (id is not null && format.CheckName(null, id) is { } badName)
        {
            return new Failure(ErrorCodes.PackageNotFound, FailureKind.NotFound, $"'{id}' is not a NuGet id: {badName.Message}", id);
        }
        using var connection = _store.Catalog.Open();
        long domainId;
        long repositoryId;
        long? packageId = null;
        if (id is null)
        {
            var repo = ResolveRepository(connection, null, domain, repository);
            if (repo.Failure is { } missing) return missing;
            (domainId, repositoryId, _) = repo.Value;
        }
        else
        {
            var resolved = ResolvePackage(connection, null, domain, repository, format.Name, null, id);
            if (resolved.Failure is { } missing) return missing;
            (domainId, repositoryId, packageId) = (resolved.Value!.DomainId, resolved.Value.RepositoryId, resolved.Value.Id);
        }
        return NugetQuery(connection, domainId, repositoryId, packageId);
    }

    /// <summary>The served versions of one package (by id) or of every NuGet package of a repository, in one catalog query.</summary>
    private static List<NugetCandidate> NugetQuery(SqliteConnection connection, long domainId, long repositoryId, long? packageId)
    {
        using var command = Sql.Command(connection, $"""
            SELECT v.id, v.version, v.version_key, v.status, v.revision, v.origin_type, v.entry_repository, v.entry_external, v.metadata_sha256,
                   v.published_time, p.id, p.name, b.size, b.sha512
            FROM packages p
            LEFT JOIN package_versions v ON v.package_id = p.id AND v.status IN ($published, $unlisted)
            LEFT JOIN assets a ON a.version_id = v.id
            LEFT JOIN blobs b ON b.domain_id = $d AND b.sha256 = a.sha256
            WHERE p.repository_id = $r AND p.format = 'nuget' {(packageId is null ? "" : "AND p.id = $p")}
            ORDER BY p.name_key, v.id;
            """, null, ("$published", Published), ("$unlisted", Unlisted), ("$d", domainId), ("$r", repositoryId), ("$p", packageId ?? 0));
        using var reader = command.ExecuteReader();
        var candidates = new List<NugetCandidate>();
        var byPackage = new Dictionary<long, NugetCandidate>();
        while (reader.Read())
        {
            var package = reader.GetInt64(10);
            if (!byPackage.TryGetValue(package, out var candidate))
            {
                candidate = new NugetCandidate(reader.GetString(11), []);
                byPackage[package] = candidate;
                candidates.Add(candidate);
            }
            // A version without its nupkg (none was ever stored) has nothing to restore, so NuGet clients must not see it.
            if (reader.IsDBNull(0) || reader.IsDBNull(12)) continue;
            var row = ReadVersion(reader);
            if (!NuGetVersion.TryParse(row.Version, out var parsed)) continue;
            candidate.Rows.Add(new NugetRow(row, parsed, reader.GetInt64(12), reader.GetString(13)));
        }
        return candidates;
    }

    private async Task<NugetPackage> NugetPackageOf(string domain, DomainKey domainKey, NugetCandidate candidate, Func<NugetPackageVersion, bool> include,
        CancellationToken cancellationToken)
    {
        var versions = new List<NugetPackageVersion>(candidate.Rows.Count);
        foreach (var row in candidate.Rows.OrderBy(r => r.Parsed, VersionComparer.Default))
        {
            var metadata = await NugetMetadataAsync(domain, domainKey, row.Version.MetadataSha256, cancellationToken);
            var version = new NugetPackageVersion
            {
                Version = row.Parsed.ToFullString(),
                NormalizedVersion = row.Parsed.ToNormalizedString(),
                Listed = row.Version.Status == Published,
                IsPrerelease = row.Parsed.IsPrerelease,
                IsSemVer2 = row.Parsed.IsSemVer2 || metadata?.Properties.GetValueOrDefault("semver2") == "true",
                PublishedTime = Sql.Time(row.Version.PublishedTime),
                Size = row.Size,
                Sha512 = row.Sha512,
                Metadata = metadata,
            };
            if (include(version)) versions.Add(version);
        }
        return new NugetPackage { Id = candidate.Name, Versions = versions };
    }

    private async Task<PackageMetadata?> NugetMetadataAsync(string domain, DomainKey domainKey, string? sha256, CancellationToken cancellationToken)
    {
        if (sha256 is null) return null;
        var cacheKey = domain + "/" + sha256;
        if (_nugetMetadata.TryGetValue(cacheKey, out var cached)) return cached;
        PackageMetadata? metadata;
        try
        {
            await using var stream = await _store.Blobs.OpenReadAsync(domainKey, sha256, cancellationToken);
            metadata = await JsonSerializer.DeserializeAsync<PackageMetadata>(stream, s_json, cancellationToken);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        if (metadata is null) return null;
        // A crude bound: the cache only saves blob reads, so starting over is harmless.
        if (_nugetMetadata.Count >= NugetMaxCachedMetadata) _nugetMetadata.Clear();
        _nugetMetadata[cacheKey] = metadata;
        return metadata;
    }

    private Outcome<(ResolvedPackage Package, VersionRow Version)> FindServedNugetVersion(string domain, string repository, string id, string version)
    {
        if (PackageFormats.Nuget.CheckName(null, id) is { } badName)
        {
            return new Failure(ErrorCodes.PackageNotFound, FailureKind.NotFound, $"'{id}' is not a NuGet id: {badName.Message}", id);
        }
        if (!NuGetVersion.TryParse(version, out _))
        {
            return new Failure(ErrorCodes.PackageVersionNotFound, FailureKind.NotFound, $"'{version}' is not a NuGet version.", version);
        }
        var found = FindVersion(domain, repository, PackageFormats.Nuget.Name, null, id, version);
        if (found.Failure is { } failure) return failure;
        var (package, row) = found.Value;
        if (!IsServedOnNuget(row.Status))
        {
            return new Failure(ErrorCodes.PackageVersionNotFound, FailureKind.NotFound,
                $"Version {row.Version} of '{package.Info.DisplayName}' is {row.Status}; only Published and Unlisted versions are served to NuGet clients.", version);
        }
        return (package, row);
    }

    /// <summary>Null when a term does not match; else 0 for an exact id, 1 for an id that starts with the text, 2 for one that contains it, 3 otherwise.</summary>
    private static int? NugetRank(string id, PackageMetadata? metadata, IReadOnlyList<NugetSearchTerm> terms)
    {
        var tags = NugetTags(metadata);
        var authors = metadata?.Properties.GetValueOrDefault("authors");
        var title = metadata?.Properties.GetValueOrDefault("title");
        var plain = new List<string>();
        foreach (var term in terms)
        {
            var matches = term.Field switch
            {
                "id" => Contains(id, term.Value),
                "packageid" => string.Equals(id, term.Value, StringComparison.OrdinalIgnoreCase),
                "tag" or "tags" => tags.Any(t => string.Equals(t, term.Value, StringComparison.OrdinalIgnoreCase)),
                "author" or "authors" => Contains(authors, term.Value),
                "title" => Contains(title, term.Value),
                "description" => Contains(metadata?.Description, term.Value),
                "summary" => Contains(metadata?.Summary, term.Value),
                // Nothing here records owners; an owner filter cannot exclude anything.
                "owner" or "owners" => true,
                _ => Contains(id, term.Value) || Contains(title, term.Value) || Contains(metadata?.Description, term.Value)
                     || Contains(metadata?.Summary, term.Value) || Contains(authors, term.Value) || tags.Any(t => Contains(t, term.Value)),
            };
            if (!matches) return null;
            if (term.Field is null) plain.Add(term.Value);
        }
        var text = string.Join(' ', plain);
        if (text.Length == 0) return 3;
        if (string.Equals(id, text, StringComparison.OrdinalIgnoreCase)) return 0;
        if (id.StartsWith(text, StringComparison.OrdinalIgnoreCase)) return 1;
        return plain.All(t => Contains(id, t)) ? 2 : 3;

        static bool Contains(string? haystack, string needle) => haystack?.Contains(needle, StringComparison.OrdinalIgnoreCase) == true;
    }

    /// <summary>One search term: a plain word, or <c>field:value</c> with a field NuGet's search knows (values may be quoted).</summary>
    private sealed record NugetSearchTerm(string? Field, string Value)
    {
        private static readonly HashSet<string> s_fields = new(StringComparer.OrdinalIgnoreCase)
        {
            "id", "packageid", "tag", "tags", "author", "authors", "title", "description", "summary", "owner", "owners",
        };

        public static IReadOnlyList<NugetSearchTerm> Parse(string? text)
        {
            var terms = new List<NugetSearchTerm>();
            var rest = (text ?? "").AsSpan().Trim();
            while (rest.Length > 0)
            {
                string? field = null;
                var colon = rest.IndexOf(':');
                var space = rest.IndexOfAny(' ', '\t');
                if (colon > 0 && (space < 0 || colon < space) && s_fields.Contains(rest[..colon].ToString()))
                {
                    field = rest[..colon].ToString().ToLowerInvariant();
                    rest = rest[(colon + 1)..];
                }
                string value;
                if (rest.Length > 0 && rest[0] == '"' && rest[1..].IndexOf('"') is var close and >= 0)
                {
                    value = rest.Slice(1, close).ToString();
                    rest = rest[(close + 2)..];
                }
                else
                {
                    var end = rest.IndexOfAny(' ', '\t');
                    value = (end < 0 ? rest : rest[..end]).ToString();
                    rest = end < 0 ? [] : rest[end..];
                }
                rest = rest.TrimStart();
                // nuget.org reads a trailing '*' as a prefix search; a contains match covers it.
                value = value.Trim('*');
                if (value.Length > 0) terms.Add(new NugetSearchTerm(field, value));
            }
            return terms;
        }
    }
}
