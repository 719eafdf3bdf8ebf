using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using PSCodeArtifact.Core.Formats;
using PSCodeArtifact.Core.Storage;

namespace PSCodeArtifact.Core.Services;

/// <summary>An npm package as the registry API shows it: its installable versions, dist-tags and times.</summary>
public sealed class NpmPackage
{
    /// <summary>The full name: <c>@scope/name</c> or <c>name</c>.</summary>
    public required string Name { get; init; }

    /// <summary>
    /// An opaque stamp (the packument's <c>_rev</c> and ETag) that changes whenever a version, a status, a dist-tag or a
    /// deprecation of the package changes.
    /// </summary>
    public required string Stamp { get; init; }

    public required DateTimeOffset Created { get; init; }

    public required DateTimeOffset Modified { get; init; }

    /// <summary>Published and Unlisted versions in SemVer order; Unlisted ones install when pinned but no tag points at them.</summary>
    public required IReadOnlyList<NpmPackageVersion> Versions { get; init; }

    /// <summary>Tag → version; only Published versions carry tags, and <c>latest</c> falls back to the newest Published release.</summary>
    public required IReadOnlyDictionary<string, string> DistTags { get; init; }

    /// <summary>The readme of the <c>latest</c> version (else the newest), if it has one.</summary>
    public string? Readme { get; init; }

    public override string ToString() => Name;
}

/// <summary>One version of an <see cref="NpmPackage"/>.</summary>
public sealed class NpmPackageVersion
{
    /// <summary>The version key (SemVer without build metadata), as npm keys versions.</summary>
    public required string Version { get; init; }

    public required string Status { get; init; }

    public required DateTimeOffset PublishedTime { get; init; }

    /// <summary>The tarball's asset name (<c>name-1.0.0.tgz</c>).</summary>
    public required string AssetName { get; init; }

    public required long Size { get; init; }

    /// <summary>The SHA-1 (hex) npm checks as <c>dist.shasum</c>; empty when a remote published none.</summary>
    public required string Sha1 { get; init; }

    /// <summary>The SHA-512 (hex) of the tarball; empty when a remote published none.</summary>
    public required string Sha512 { get; init; }

    /// <summary>
    /// The exact <c>dist.integrity</c> a remote published for a version only the remote has; null for stored versions, whose
    /// integrity is their <see cref="Sha512"/>.
    /// </summary>
    public string? Integrity { get; init; }

    /// <summary>The repository the version is read from (for a version only a remote has: the one holding the connection).</summary>
    public string? Repository { get; init; }

    /// <summary>The external connection a version only a remote has would be fetched through; null for stored versions.</summary>
    public string? ExternalConnection { get; init; }

    /// <summary>The exact package.json bytes of the tarball; null when the version has none stored.</summary>
    public byte[]? Manifest { get; init; }

    /// <summary>The deprecation message; null when the version is not deprecated.</summary>
    public string? Deprecated { get; init; }

    public override string ToString() => Version;
}

/// <summary>One package found by an npm search: its <c>latest</c> Published version and what its package.json says.</summary>
public sealed class NpmSearchHit
{
    public required string Name { get; init; }

    public required string Version { get; init; }

    public string? Description { get; init; }

    public IReadOnlyList<string> Keywords { get; init; } = [];

    public required DateTimeOffset Date { get; init; }

    public string? HomePage { get; init; }

    public string? Repository { get; init; }

    public string? Bugs { get; init; }

    /// <summary>How well the package matches, from 0 to 1 (1 for an exact name).</summary>
    public required double Score { get; init; }

    public override string ToString() => $"{Name}@{Version}";
}

/// <summary>A page of npm search results and the number of packages that matched in all.</summary>
public sealed record NpmSearchResult(int Total, IReadOnlyList<NpmSearchHit> Objects);

// The npm registry API's operations beyond publishing: packument data with its stamp, dist-tags, deprecations, unpublish
// and search. Names are (scope without '@', name). Visible versions are Published and Unlisted ones; Archived, Unfinished
// and Disposed versions are not shown to npm at all.
public sealed partial class PackageService
{
    /// <summary>The failure code of a dist-tag that does not exist.</summary>
    public const string NpmDistTagNotFound = ErrorCodes.DistTagNotFound;

    /// <summary>The failure code of a dist-tag name npm cannot use.</summary>
    public const string NpmInvalidDistTag = ErrorCodes.InvalidDistTag;

    /// <summary>The failure code of a deprecation message that is too long.</summary>
    public const string NpmInvalidDeprecation = ErrorCodes.InvalidDeprecation;

    private const int NpmMaxDeprecationLength = 1024;
    private const int NpmMaxTagLength = 128;
    private const long NpmBlobCacheBytes = 32L * 1024 * 1024;

    // Decrypted manifests and metadata documents by domain and SHA-256: content-addressed, so an entry is never stale.
    private readonly ConcurrentDictionary<string, byte[]> _npmBlobCache = new(StringComparer.Ordinal);
    private long _npmBlobCacheSize;

    private static bool IsVisibleOnNpm(string status) => status is Published or Unlisted;

    /// <summary>
    /// The package's current stamp, cheap to compute from the catalog (no blob is read): the key of cached packuments and the
    /// <c>_rev</c> that unpublish requests must present.
    /// </summary>
    public Outcome<string> GetNpmStamp(string domain, string repository, string? scope, string name)
    {
        long packageId;
        using (var connection = _store.Catalog.Open())
        {
            var resolved = ResolvePackage(connection, null, domain, repository, "npm", scope, name);
            if (resolved.Failure is { } failure) return failure;
            packageId = resolved.Value!.Id;
        }
        using var reader = _store.Catalog.RentReader();
        return NpmStamps(reader, [packageId])[packageId];
    }

    /// <summary>Everything a packument shows, read in one catalog snapshot with the stamp that describes it.</summary>
    public async Task<Outcome<NpmPackage>> GetNpmPackageAsync(string domain, string repository, string? scope, string name, CancellationToken cancellationToken)
    {
        ResolvedPackage package;
        string stamp;
        long created;
        List<VersionRow> rows;
        Dictionary<long, NpmAssetRow> assets;
        Dictionary<string, string> storedTags;
        using (var connection = _store.Catalog.Open())
        using (var snapshot = connection.BeginTransaction(deferred: true))
        {
            var resolved = ResolvePackage(connection, snapshot, domain, repository, "npm", scope, name);
            if (resolved.Failure is { } failure) return failure;
            package = resolved.Value!;
            stamp = NpmStamp(connection, snapshot, package.Id);
            created = Sql.Scalar<long>(connection, "SELECT created_time FROM packages WHERE id = $p;", snapshot, ("$p", package.Id));
            rows = ListVersionRows(connection, snapshot, package.Id).Where(v => IsVisibleOnNpm(v.Status)).ToList();
            assets = NpmAssets(connection, snapshot, package.DomainId, package.Id);
            storedTags = NpmStoredTags(connection, snapshot, package.Id);
        }

        var format = package.Format;
        rows.Sort((a, b) => format.CompareVersions(a.VersionKey, b.VersionKey));
        var tags = NpmEffectiveTags(format, rows, storedTags);
        var key = _store.Domains.GetKey(domain);
        if (key.Failure is { } noKey) return noKey;
        using var domainKey = key.Value!;
        var versions = new List<NpmPackageVersion>(rows.Count);
        var modified = created;
        string? readme = null;
        var readmeVersion = tags.GetValueOrDefault("latest") ?? rows.LastOrDefault()?.VersionKey;
        foreach (var row in rows)
        {
            // A version without its tarball cannot be installed, so npm must not see it.
            if (!assets.TryGetValue(row.Id, out var asset)) continue;
            var metadata = await NpmReadMetadataAsync(domainKey, row.MetadataSha256, cancellationToken);
            if (row.VersionKey == readmeVersion) readme = metadata?.Readme;
            modified = Math.Max(modified, row.PublishedTime);
            versions.Add(await NpmStoredVersionAsync(domainKey, row, asset, metadata, package.Info.Repository, null, cancellationToken));
        }
        return new NpmPackage
        {
            Name = package.Info.DisplayName,
            Stamp = stamp,
            Created = Sql.Time(created),
            Modified = Sql.Time(modified),
            Versions = versions,
            DistTags = tags,
            Readme = readme,
        };
    }

    /// <summary>The dist-tags npm sees: those of Published versions, and <c>latest</c> computed when its version is not Published.</summary>
    public Outcome<IReadOnlyDictionary<string, string>> GetNpmDistTags(string domain, string repository, string? scope, string name)
    {
        using var connection = _store.Catalog.Open();
        var resolved = ResolvePackage(connection, null, domain, repository, "npm", scope, name);
        if (resolved.Failure is { } failure) return failure;
        var p = resolved.Value!;
        var rows = ListVersionRows(connection, null, p.Id).Where(v => IsVisibleOnNpm(v.Status)).ToList();
        return Outcome<IReadOnlyDictionary<string, string>>.From(NpmEffectiveTags(p.Format, rows, NpmStoredTags(connection, null, p.Id)));
    }

    /// <summary>Points a dist-tag at a Published version (<c>npm dist-tag add</c>); returns the tags npm sees afterwards.</summary>
    public Outcome<IReadOnlyDictionary<string, string>> SetNpmDistTag(string domain, string repository, string? scope, string name, string tag, string version)
    {
        if (NpmCheckTag(tag) is { } badTag) return badTag;
        using (var connection = _store.Catalog.Open())
        using (var transaction = connection.BeginTransaction(deferred: false))
        {
            var resolved = ResolvePackage(connection, transaction, domain, repository, "npm", scope, name);
            if (resolved.Failure is { } failure) return failure;
            var p = resolved.Value!;
            if (FindVersionRow(connection, transaction, p, version) is not { } row || !IsVisibleOnNpm(row.Status))
            {
                return new Failure(ErrorCodes.PackageVersionNotFound, FailureKind.NotFound,
                    $"Version {version} of '{p.Info.DisplayName}' does not exist in the repository '{p.Info.Repository}'.", version);
            }
            if (row.Status != Published)
            {
                return new Failure(ErrorCodes.InvalidStatus, FailureKind.Conflict,
                    $"Version {row.Version} of '{p.Info.DisplayName}' is {row.Status}; only Published versions can carry a dist-tag.", version);
            }
            Sql.Execute(connection, """
                INSERT INTO dist_tags (package_id, tag, version_key) VALUES ($p, $tag, $v)
                ON CONFLICT (package_id, tag) DO UPDATE SET version_key = excluded.version_key;
                """, transaction, ("$p", p.Id), ("$tag", tag), ("$v", row.VersionKey));
            transaction.Commit();
        }
        return GetNpmDistTags(domain, repository, scope, name);
    }

    /// <summary>Removes a dist-tag (<c>npm dist-tag rm</c>); <c>latest</c> cannot be removed, only moved.</summary>
    public Outcome<IReadOnlyDictionary<string, string>> RemoveNpmDistTag(string domain, string repository, string? scope, string name, string tag)
    {
        if (tag == "latest")
        {
            return new Failure(NpmInvalidDistTag, FailureKind.Invalid,
                "The 'latest' dist-tag cannot be removed; point it at another version with 'npm dist-tag add <pkg>@<version> latest'.", tag);
        }
        using (var connection = _store.Catalog.Open())
        using (var transaction = connection.BeginTransaction(deferred: false))
        {
            var resolved = ResolvePackage(connection, transaction, domain, repository, "npm", scope, name);
            if (resolved.Failure is { } failure) return failure;
            var p = resolved.Value!;
            if (Sql.Execute(connection, "DELETE FROM dist_tags WHERE package_id = $p AND tag = $tag;", transaction, ("$p", p.Id), ("$tag", tag)) == 0)
            {
                return new Failure(NpmDistTagNotFound, FailureKind.NotFound, $"'{p.Info.DisplayName}' has no dist-tag '{tag}'.", tag);
            }
            transaction.Commit();
        }
        return GetNpmDistTags(domain, repository, scope, name);
    }

    /// <summary>
    /// Sets or clears the deprecation message of versions (<c>npm deprecate</c>; an empty or null message clears it). The
    /// message lives in the version's metadata document, so a change rewrites that document and changes the revision.
    /// Every version must be Published or Unlisted, else nothing changes. Returns the versions whose message changed.
    /// </summary>
    public async Task<Outcome<IReadOnlyList<string>>> SetNpmDeprecationsAsync(string domain, string repository, string? scope, string name,
        IReadOnlyDictionary<string, string?> messages, CancellationToken cancellationToken)
    {
        if (messages.Values.FirstOrDefault(m => m?.Length > NpmMaxDeprecationLength) is { } tooLong)
        {
            return new Failure(NpmInvalidDeprecation, FailureKind.Invalid,
                $"A deprecation message has at most {NpmMaxDeprecationLength} characters; this one has {tooLong.Length}.");
        }
        var key = _store.Domains.GetKey(domain);
        if (key.Failure is { } noKey) return noKey;
        using var domainKey = key.Value!;

        var changes = new List<(VersionRow Row, StagedBlob Document)>();
        long domainId;
        try
        {
            ResolvedPackage package;
            using (var connection = _store.Catalog.Open())
            {
                var resolved = ResolvePackage(connection, null, domain, repository, "npm", scope, name);
                if (resolved.Failure is { } failure) return failure;
                package = resolved.Value!;
                domainId = package.DomainId;
                var rows = new List<(VersionRow Row, string? Message)>();
                foreach (var (version, message) in messages)
                {
                    if (FindVersionRow(connection, null, package, version) is not { } row || !IsVisibleOnNpm(row.Status))
                    {
                        return new Failure(ErrorCodes.PackageVersionNotFound, FailureKind.NotFound,
                            $"Version {version} of '{package.Info.DisplayName}' does not exist in the repository '{package.Info.Repository}'.", version);
                    }
                    rows.Add((row, string.IsNullOrEmpty(message) ? null : message));
                }
                foreach (var (row, message) in rows)
                {
                    var metadata = await NpmReadMetadataAsync(domainKey, row.MetadataSha256, cancellationToken)
                        ?? new PackageMetadata { DisplayName = package.Info.DisplayName };
                    var current = metadata.Properties.GetValueOrDefault("deprecated") is { Length: > 0 } text ? text : null;
                    if (current == message) continue;
                    var properties = new Dictionary<string, string>(metadata.Properties, StringComparer.Ordinal);
                    if (message is null) properties.Remove("deprecated");
                    else properties["deprecated"] = message;
                    var document = JsonSerializer.SerializeToUtf8Bytes(metadata with { Properties = properties }, s_json);
                    changes.Add((row, await StageBytes(domainKey, document, cancellationToken)));
                }
            }
            if (changes.Count == 0) return Outcome<IReadOnlyList<string>>.From([]);

            using (var connection = _store.Catalog.Open())
            using (var transaction = connection.BeginTransaction(deferred: false))
            {
                var now = Sql.Now();
                foreach (var (row, document) in changes)
                {
                    var current = Sql.Scalar<string>(connection, "SELECT metadata_sha256 FROM package_versions WHERE id = $v;", transaction, ("$v", row.Id));
                    if (current != row.MetadataSha256)
                    {
                        return new Failure(ErrorCodes.MismatchedRevision, FailureKind.Conflict,
                            $"Version {row.Version} changed while it was being deprecated; try again.", row.Version);
                    }
                    _store.Blobs.Commit(document);
                    BlobCatalog.AddReference(connection, transaction, domainId, document.Digests);
                    if (current is not null) BlobCatalog.ReleaseReference(connection, transaction, domainId, current);
                    Sql.Execute(connection, "UPDATE package_versions SET metadata_sha256 = $sha WHERE id = $v;", transaction,
                        ("$sha", document.Digests.Sha256), ("$v", row.Id));
                    UpdateRevision(connection, transaction, row.Id, now);
                }
                transaction.Commit();
            }
        }
        finally
        {
            foreach (var (_, document) in changes) document.Dispose();
        }
        FreeBlobs(domain, domainId);
        return Outcome<IReadOnlyList<string>>.From(changes.Select(c => c.Row.VersionKey).ToList());
    }

    /// <summary>
    /// npm's unpublish of some versions (<c>PUT /{name}/-rev/{rev}</c>): the visible versions not in <paramref name="keep"/>
    /// are deleted, tags pointing at them go, and <c>latest</c> is recomputed. <paramref name="stamp"/> must be the current
    /// stamp, so a version published after the client read the packument is never deleted by accident. Returns the deleted versions.
    /// </summary>
    public Outcome<IReadOnlyList<string>> UnpublishNpmVersions(string domain, string repository, string? scope, string name, string stamp,
        IReadOnlyCollection<string> keep)
    {
        long domainId;
        var deleted = new List<string>();
        using (var connection = _store.Catalog.Open())
        using (var transaction = connection.BeginTransaction(deferred: false))
        {
            var resolved = ResolvePackage(connection, transaction, domain, repository, "npm", scope, name);
            if (resolved.Failure is { } failure) return failure;
            var p = resolved.Value!;
            domainId = p.DomainId;
            if (NpmCheckStamp(connection, transaction, p, stamp) is { } stale) return stale;
            var kept = keep.Select(v => p.Format.NormalizeVersion(v).Value).OfType<string>().ToHashSet(StringComparer.Ordinal);
            foreach (var row in ListVersionRows(connection, transaction, p.Id).Where(v => IsVisibleOnNpm(v.Status) && !kept.Contains(v.VersionKey)))
            {
                DeleteVersionRow(connection, transaction, domainId, row.Id);
                deleted.Add(row.VersionKey);
            }
            NpmRestoreLatest(connection, transaction, p);
            transaction.Commit();
        }
        if (deleted.Count > 0) FreeBlobs(domain, domainId);
        return Outcome<IReadOnlyList<string>>.From(deleted);
    }

    /// <summary>npm's unpublish of a whole package (<c>DELETE /{name}/-rev/{rev}</c>): every version, tag and the package go.</summary>
    public Outcome<PackageInfo> UnpublishNpmPackage(string domain, string repository, string? scope, string name, string stamp)
    {
        long domainId;
        PackageInfo removed;
        using (var connection = _store.Catalog.Open())
        using (var transaction = connection.BeginTransaction(deferred: false))
        {
            var resolved = ResolvePackage(connection, transaction, domain, repository, "npm", scope, name);
            if (resolved.Failure is { } failure) return failure;
            var p = resolved.Value!;
            domainId = p.DomainId;
            if (NpmCheckStamp(connection, transaction, p, stamp) is { } stale) return stale;
            foreach (var version in ListVersionRows(connection, transaction, p.Id)) DeleteVersionRow(connection, transaction, domainId, version.Id);
            Sql.Execute(connection, "DELETE FROM dist_tags WHERE package_id = $p; DELETE FROM packages WHERE id = $p;", transaction, ("$p", p.Id));
            transaction.Commit();
            removed = p.Info;
        }
        FreeBlobs(domain, domainId);
        return removed;
    }

    /// <summary>
    /// npm's removal of a tarball (<c>DELETE /{tarball}/-rev/{rev}</c>, the last step of unpublishing a version). The version
    /// is normally gone already (false); if it is still there and <paramref name="stamp"/> is current, it is deleted (true).
    /// </summary>
    public Outcome<bool> DeleteNpmTarball(string domain, string repository, string? scope, string name, string fileName, string stamp)
    {
        long domainId;
        using (var connection = _store.Catalog.Open())
        using (var transaction = connection.BeginTransaction(deferred: false))
        {
            var resolved = ResolvePackage(connection, transaction, domain, repository, "npm", scope, name);
            if (resolved.Failure is { Kind: FailureKind.NotFound, Code: ErrorCodes.PackageNotFound }) return false;
            if (resolved.Failure is { } failure) return failure;
            var p = resolved.Value!;
            domainId = p.DomainId;
            var versionId = Sql.Scalar<long?>(connection, $"""
                SELECT v.id FROM package_versions v JOIN assets a ON a.version_id = v.id
                WHERE v.package_id = $p AND a.name = $name AND v.status IN ('{Published}', '{Unlisted}');
                """, transaction, ("$p", p.Id), ("$name", fileName));
            if (versionId is not { } id) return false;
            if (NpmCheckStamp(connection, transaction, p, stamp) is { } stale) return stale;
            DeleteVersionRow(connection, transaction, domainId, id);
            NpmRestoreLatest(connection, transaction, p);
            transaction.Commit();
        }
        FreeBlobs(domain, domainId);
        return true;
    }

    /// <summary>
    /// npm search over a repository's npm packages: each package with a Published version is matched, by its <c>latest</c>
    /// version, against every term of <paramref name="text"/> (name, description or keyword contains it; <c>keywords:a,b</c>
    /// and <c>scope:s</c> qualifiers too). Best matches first.
    /// </summary>
    public async Task<Outcome<NpmSearchResult>> SearchNpmAsync(string domain, string repository, string? text, int from, int size,
        CancellationToken cancellationToken)
    {
        var candidates = new List<(string Name, string? Scope, string Version, long Published, string? Manifest)>();
        using (var connection = _store.Catalog.Open())
        using (var snapshot = connection.BeginTransaction(deferred: true))
        {
            var repo = ResolveRepository(connection, snapshot, domain, repository);
            if (repo.Failure is { } missing) return missing;
            var packages = new List<(long Id, string Namespace, string Name)>();
            using (var command = Sql.Command(connection, "SELECT id, namespace, name FROM packages WHERE repository_id = $r AND format = 'npm' ORDER BY namespace_key, name_key;",
                snapshot, ("$r", repo.Value.RepositoryId)))
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read()) packages.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2)));
            }
            foreach (var (id, scope, name) in packages)
            {
                var rows = ListVersionRows(connection, snapshot, id).Where(v => IsVisibleOnNpm(v.Status)).ToList();
                if (NpmEffectiveTags(PackageFormats.Npm, rows, NpmStoredTags(connection, snapshot, id)).GetValueOrDefault("latest") is not { } latest) continue;
                var row = rows.First(r => r.VersionKey == latest);
                var manifest = Sql.Scalar<string>(connection, "SELECT manifest_sha256 FROM assets WHERE version_id = $v;", snapshot, ("$v", row.Id));
                candidates.Add((name, scope.Length == 0 ? null : scope, latest, row.PublishedTime, manifest));
            }
        }

        var terms = (text ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var key = _store.Domains.GetKey(domain);
        if (key.Failure is { } noKey) return noKey;
        using var domainKey = key.Value!;
        var hits = new List<NpmSearchHit>();
        foreach (var candidate in candidates)
        {
            var manifest = candidate.Manifest is null ? null : await NpmReadBlobAsync(domainKey, candidate.Manifest, cancellationToken);
            var hit = NpmSearchHitOf(PackageFormats.DisplayName("npm", candidate.Scope, candidate.Name), candidate.Version, Sql.Time(candidate.Published), manifest);
            if (NpmSearchScore(hit, candidate.Scope, terms) is { } score) hits.Add(NpmWithScore(hit, score));
        }
        var ordered = hits.OrderByDescending(h => h.Score).ThenBy(h => h.Name, StringComparer.Ordinal).ToList();
        return new NpmSearchResult(ordered.Count, ordered.Skip(Math.Max(0, from)).Take(Math.Clamp(size, 0, 250)).ToList());
    }

    // ------------------------------------------------------------------ npm helpers

    private sealed record NpmAssetRow(string Name, string? Manifest, string Sha1, string Sha512, long Size);

    /// <summary>
    /// A stored version as npm sees it (own packuments and merged ones alike): its tarball's digests, its exact package.json
    /// and its deprecation (<paramref name="remoteDeprecation"/> stands in when the stored metadata has none).
    /// </summary>
    private async Task<NpmPackageVersion> NpmStoredVersionAsync(DomainKey domainKey, VersionRow row, NpmAssetRow asset, PackageMetadata? metadata,
        string repository, string? remoteDeprecation, CancellationToken cancellationToken) => new()
    {
        Version = row.VersionKey,
        Status = row.Status,
        PublishedTime = Sql.Time(row.PublishedTime),
        AssetName = asset.Name,
        Size = asset.Size,
        Sha1 = asset.Sha1,
        Sha512 = asset.Sha512,
        Repository = repository,
        Manifest = asset.Manifest is null ? null : await NpmReadBlobAsync(domainKey, asset.Manifest, cancellationToken),
        Deprecated = metadata?.Properties.GetValueOrDefault("deprecated") is { Length: > 0 } message ? message : remoteDeprecation,
    };

    /// <summary>
    /// A digest of everything a packument shows that the catalog knows: the package, each version's status, revision (assets
    /// and metadata, so deprecations too) and last update, and the tags. Prefixed with the number of visible versions.
    /// </summary>
    private static string NpmStamp(SqliteConnection connection, SqliteTransaction? transaction, long packageId)
    {
        using var command = Sql.Command(connection, NpmStampQuery, transaction, ("$packages", $"[{packageId}]"));
        return NpmStamps(command, [packageId])[packageId];
    }

    /// <summary>The stamps of several packages (see <see cref="NpmStamp(SqliteConnection, SqliteTransaction?, long)"/>) with one prepared query.</summary>
    private static Dictionary<long, string> NpmStamps(CatalogReader reader, IReadOnlyCollection<long> packageIds) =>
        NpmStamps(reader.Statement(NpmStampQuery, ("$packages", "[" + string.Join(',', packageIds) + "]")), packageIds);

    // Rows by package, then kind: the package row (0), its versions by id (1), its tags (2).
    private const string NpmStampQuery = """
        SELECT p.id, 0, p.id, p.namespace, p.name, p.created_time, NULL FROM packages p WHERE p.id IN (SELECT value FROM json_each($packages))
        UNION ALL
        SELECT v.package_id, 1, v.id, v.version_key, v.status, v.revision, v.updated_time FROM package_versions v
        WHERE v.package_id IN (SELECT value FROM json_each($packages))
        UNION ALL
        SELECT t.package_id, 2, NULL, t.tag, t.version_key, NULL, NULL FROM dist_tags t WHERE t.package_id IN (SELECT value FROM json_each($packages))
        ORDER BY 1, 2, 3;
        """;

    private static Dictionary<long, string> NpmStamps(SqliteCommand command, IReadOnlyCollection<long> packageIds)
    {
        var texts = new Dictionary<long, (StringBuilder Text, int Visible, List<(string Tag, string Version)> Tags)>();
        foreach (var id in packageIds) texts[id] = (new StringBuilder(), 0, []);
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                var id = reader.GetInt64(0);
                var (text, visible, tags) = texts[id];
                switch (reader.GetInt64(1))
                {
                    case 0:
                        text.Append(reader.GetInt64(2)).Append('\0').Append(reader.GetString(3)).Append('\0').Append(reader.GetString(4)).Append('\0')
                            .Append(reader.GetInt64(5)).Append('\n');
                        break;
                    case 1:
                        if (IsVisibleOnNpm(reader.GetString(4))) texts[id] = (text, visible + 1, tags);
                        text.Append(reader.GetInt64(2)).Append('\0').Append(reader.GetString(3)).Append('\0').Append(reader.GetString(4)).Append('\0')
                            .Append(reader.GetString(5)).Append('\0').Append(reader.GetInt64(6)).Append('\n');
                        break;
                    default:
                        tags.Add((reader.GetString(3), reader.GetString(4)));
                        break;
                }
            }
        }
        var stamps = new Dictionary<long, string>(texts.Count);
        foreach (var (id, (text, visible, tags)) in texts)
        {
            text.Append("tags\n");
            foreach (var (tag, version) in tags.OrderBy(t => t.Tag, StringComparer.Ordinal)) text.Append(tag).Append('\0').Append(version).Append('\n');
            var digest = SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
            stamps[id] = $"{visible}-{Convert.ToHexStringLower(digest.AsSpan(0, 16))}";
        }
        return stamps;
    }

    private static Failure? NpmCheckStamp(SqliteConnection connection, SqliteTransaction transaction, ResolvedPackage package, string stamp)
    {
        var current = NpmStamp(connection, transaction, package.Id);
        return current == stamp ? null : new Failure(ErrorCodes.MismatchedRevision, FailureKind.Conflict,
            $"'{package.Info.DisplayName}' is at revision {current}, not {stamp}: it changed since it was read; fetch it again and retry.", stamp);
    }

    private static Dictionary<string, string> NpmStoredTags(SqliteConnection connection, SqliteTransaction? transaction, long packageId)
    {
        using var command = Sql.Command(connection, "SELECT tag, version_key FROM dist_tags WHERE package_id = $p;", transaction, ("$p", packageId));
        using var reader = command.ExecuteReader();
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read()) tags[reader.GetString(0)] = reader.GetString(1);
        return tags;
    }

    private static Dictionary<long, NpmAssetRow> NpmAssets(SqliteConnection connection, SqliteTransaction transaction, long domainId, long packageId)
    {
        using var command = Sql.Command(connection, """
            SELECT a.version_id, a.name, a.manifest_sha256, b.sha1, b.sha512, b.size FROM assets a
            JOIN package_versions v ON v.id = a.version_id
            JOIN blobs b ON b.domain_id = $d AND b.sha256 = a.sha256
            WHERE v.package_id = $p;
            """, transaction, ("$d", domainId), ("$p", packageId));
        using var reader = command.ExecuteReader();
        var assets = new Dictionary<long, NpmAssetRow>();
        while (reader.Read())
        {
            assets[reader.GetInt64(0)] = new NpmAssetRow(reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.GetString(3), reader.GetString(4), reader.GetInt64(5));
        }
        return assets;
    }

    /// <summary>
    /// The tags npm sees: only Published versions carry tags (an Unlisted version installs only when pinned), and when
    /// <c>latest</c> is missing or hidden it falls back to the newest Published release (else the newest Published version).
    /// Computed when read, so a status change never writes tags.
    /// </summary>
    private static Dictionary<string, string> NpmEffectiveTags(IPackageFormat format, List<VersionRow> visible, Dictionary<string, string> stored)
    {
        var published = visible.Where(v => v.Status == Published).Select(v => v.VersionKey).ToHashSet(StringComparer.Ordinal);
        var tags = stored.Where(t => published.Contains(t.Value)).OrderBy(t => t.Key, StringComparer.Ordinal)
            .ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
        if (!tags.ContainsKey("latest") && NpmNewest(format, published) is { } latest) tags["latest"] = latest;
        return tags;
    }

    private static string? NpmNewest(IPackageFormat format, IEnumerable<string> versionKeys)
    {
        var keys = versionKeys.ToList();
        var candidates = keys.Where(k => !k.Contains('-', StringComparison.Ordinal)).ToList();
        if (candidates.Count == 0) candidates = keys;
        return candidates.Count == 0 ? null : candidates.Aggregate((a, b) => format.CompareVersions(a, b) >= 0 ? a : b);
    }

    /// <summary>After versions were deleted: a missing <c>latest</c> is stored again for the newest Published release.</summary>
    private static void NpmRestoreLatest(SqliteConnection connection, SqliteTransaction transaction, ResolvedPackage package)
    {
        var stored = NpmStoredTags(connection, transaction, package.Id);
        if (stored.ContainsKey("latest")) return;
        var published = ListVersionRows(connection, transaction, package.Id).Where(v => v.Status == Published).Select(v => v.VersionKey);
        if (NpmNewest(package.Format, published) is not { } latest) return;
        Sql.Execute(connection, "INSERT INTO dist_tags (package_id, tag, version_key) VALUES ($p, 'latest', $v);", transaction,
            ("$p", package.Id), ("$v", latest));
    }

    private static Failure? NpmCheckTag(string tag)
    {
        string? why = null;
        if (tag.Length == 0) why = "it is empty.";
        else if (tag.Length > NpmMaxTagLength) why = $"it is longer than {NpmMaxTagLength} characters.";
        else if (tag.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '/' or '%' or '\\' or '?' or '#')) why = "it contains a space, a control character or one of / % \\ ? #.";
        else if (NpmSemVer.TryParse(tag, out _) is not null || NpmSemVer.TryParse(tag.TrimStart('v', 'V', '='), out _) is not null)
        {
            why = "it looks like a version, and npm would read it as one.";
        }
        return why is null ? null : new Failure(NpmInvalidDistTag, FailureKind.Invalid, $"'{tag}' cannot be a dist-tag: {why}", tag);
    }

    private async Task<PackageMetadata?> NpmReadMetadataAsync(DomainKey domainKey, string? sha256, CancellationToken cancellationToken)
    {
        if (sha256 is null) return null;
        var bytes = await NpmReadBlobAsync(domainKey, sha256, cancellationToken);
        return bytes is null ? null : JsonSerializer.Deserialize<PackageMetadata>(bytes, s_json);
    }

    private async Task<byte[]?> NpmReadBlobAsync(DomainKey domainKey, string sha256, CancellationToken cancellationToken)
    {
        var cacheKey = domainKey.Domain + "/" + sha256;
        if (_npmBlobCache.TryGetValue(cacheKey, out var cached)) return cached;
        byte[] bytes;
        try
        {
            await using var stream = await _store.Blobs.OpenReadAsync(domainKey, sha256, cancellationToken);
            bytes = new byte[stream.Length];
            await stream.ReadExactlyAsync(bytes, cancellationToken);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        // A crude bound: the cache only saves decryption, so starting over is harmless.
        if (Interlocked.Add(ref _npmBlobCacheSize, bytes.Length) > NpmBlobCacheBytes)
        {
            _npmBlobCache.Clear();
            Interlocked.Exchange(ref _npmBlobCacheSize, bytes.Length);
        }
        _npmBlobCache[cacheKey] = bytes;
        return bytes;
    }

    private static NpmSearchHit NpmSearchHitOf(string name, string version, DateTimeOffset date, byte[]? manifest)
    {
        string? description = null, homePage = null, repository = null, bugs = null;
        var keywords = new List<string>();
        if (manifest is not null)
        {
            try
            {
                using var document = JsonDocument.Parse(manifest);
                var root = document.RootElement;
                if (root.ValueKind == JsonValueKind.Object)
                {
                    description = NpmText(root, "description");
                    homePage = NpmText(root, "homepage");
                    repository = NpmText(root, "repository") ?? (root.TryGetProperty("repository", out var r) ? NpmText(r, "url") : null);
                    bugs = NpmText(root, "bugs") ?? (root.TryGetProperty("bugs", out var b) ? NpmText(b, "url") : null);
                    if (root.TryGetProperty("keywords", out var k))
                    {
                        if (k.ValueKind == JsonValueKind.Array) keywords.AddRange(k.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!));
                        else if (k.ValueKind == JsonValueKind.String) keywords.AddRange(k.GetString()!.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries));
                    }
                }
            }
            catch (JsonException)
            {
                // A manifest that is not JSON never reached the catalog; search what is known.
            }
        }
        return new NpmSearchHit
        {
            Name = name, Version = version, Description = description, Keywords = keywords, Date = date,
            HomePage = homePage, Repository = repository, Bugs = bugs, Score = 0,
        };
    }

    private static NpmSearchHit NpmWithScore(NpmSearchHit hit, double score) => new()
    {
        Name = hit.Name, Version = hit.Version, Description = hit.Description, Keywords = hit.Keywords, Date = hit.Date,
        HomePage = hit.HomePage, Repository = hit.Repository, Bugs = hit.Bugs, Score = score,
    };

    /// <summary>Null when a term does not match; else 1 for an exact name, 0.8 when the name holds every plain term, 0.5 otherwise.</summary>
    private static double? NpmSearchScore(NpmSearchHit hit, string? scope, string[] terms)
    {
        var plain = new List<string>();
        foreach (var term in terms)
        {
            var colon = term.IndexOf(':', StringComparison.Ordinal);
            var qualifier = colon > 0 ? term[..colon].ToLowerInvariant() : null;
            var value = colon > 0 ? term[(colon + 1)..] : term;
            switch (qualifier)
            {
                case "keywords":
                    var wanted = value.Split(',', StringSplitOptions.RemoveEmptyEntries);
                    if (!wanted.Any(w => hit.Keywords.Contains(w, StringComparer.OrdinalIgnoreCase))) return null;
                    break;
                case "scope":
                    if (!string.Equals(scope, value.TrimStart('@'), StringComparison.OrdinalIgnoreCase)) return null;
                    break;
                case "author" or "maintainer" or "is" or "not" or "boost-exact":
                    // Nothing here records authors or maintainers, and npm's ranking switches do not filter.
                    break;
                default:
                    plain.Add(term);
                    if (!hit.Name.Contains(term, StringComparison.OrdinalIgnoreCase)
                        && !(hit.Description?.Contains(term, StringComparison.OrdinalIgnoreCase) ?? false)
                        && !hit.Keywords.Any(k => k.Contains(term, StringComparison.OrdinalIgnoreCase)))
                    {
                        return null;
                    }
                    break;
            }
        }
        if (plain.Count == 1 && string.Equals(hit.Name, plain[0], StringComparison.OrdinalIgnoreCase)) return 1;
        return plain.Count > 0 && plain.All(t => hit.Name.Contains(t, StringComparison.OrdinalIgnoreCase)) ? 0.8 : 0.5;
    }

    private static string? NpmText(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            && value.GetString() is { Length: > 0 } text ? text : null;
}
