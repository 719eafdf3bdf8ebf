using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using PSCodeArtifact.Core.Formats;
using PSCodeArtifact.Core.Storage;

namespace PSCodeArtifact.Core.Services;

/// <summary>What to publish: the target, the file's name, and what the caller already knows about it.</summary>
public sealed record PublishRequest(string Domain, string Repository, string FileName)
{
    /// <summary>The format; null detects it from <see cref="FileName"/>.</summary>
    public string? Format { get; init; }

    public string? Namespace { get; init; }

    public string? Package { get; init; }

    public string? Version { get; init; }

    /// <summary>
    /// Generic and Maven: a version this creates stays Unfinished so more assets can follow (CodeArtifact's <c>unfinished</c>;
    /// the Maven endpoint finishes it when <c>maven-metadata.xml</c> arrives).
    /// </summary>
    public bool Unfinished { get; init; }

    /// <summary>A SHA-256 the content must have (required for generic assets over HTTP); verified while streaming.</summary>
    public string? ExpectedSha256 { get; init; }

    /// <summary>npm only: the dist-tag to point at the version; null applies the <c>latest</c> rule.</summary>
    public string? DistTag { get; init; }

    /// <summary>Digests a remote published for the file (ingestion); checked while streaming.</summary>
    internal ExpectedDigests? Expected { get; init; }

    /// <summary>Set when the file comes from a remote through this external connection: an EXTERNAL version, no publish checks.</summary>
    internal ExternalSource? IngestedFrom { get; init; }
}

/// <summary>A published version, and whether the publish added the file (false: the same bytes were already there).</summary>
public sealed record PublishResult(PackageVersionInfo Version, bool AssetAdded);

/// <summary>
/// Packages, versions and assets of repositories: the one publish path (cmdlets and endpoints alike), the version
/// life-cycle with CodeArtifact's batch semantics, copies, downloads, readmes, dependencies and origin controls.
/// </summary>
public sealed partial class PackageService
{
    public const string Published = "Published";
    public const string Unfinished = "Unfinished";
    public const string Unlisted = "Unlisted";
    public const string Archived = "Archived";
    public const string Disposed = "Disposed";
    public const string Deleted = "Deleted";
    public const int MaxVersionsPerCall = 100;

    private static readonly string[] s_statuses = [Published, Unfinished, Unlisted, Archived, Disposed];
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = false };
    private readonly CaStore _store;

    internal PackageService(CaStore store)
    {
        _store = store;
    }

    /// <summary>The statuses a version can be listed or filtered by.</summary>
    public static IReadOnlyList<string> Statuses => s_statuses;

    // ------------------------------------------------------------------ publish

    /// <summary>
    /// Publishes one file: stages it encrypted while hashing, parses and validates it from the staged copy, then makes the
    /// version, asset and revision visible in one catalog transaction. Bad input leaves no row, no blob and no staging file.
    /// </summary>
    public async Task<Outcome<PackageVersionInfo>> PublishAsync(PublishRequest request, Stream content, CancellationToken cancellationToken)
    {
        var published = await PublishWithResultAsync(request, content, cancellationToken);
        return published.Failure is { } failure ? failure : published.Value!.Version;
    }

    /// <summary>
    /// <see cref="PublishAsync"/>, also telling whether the file was added (false when the version already held the same
    /// bytes under the same name, which changes nothing): the 201-or-200 and duplicate answers of the endpoints.
    /// </summary>
    public async Task<Outcome<PublishResult>> PublishWithResultAsync(PublishRequest request, Stream content, CancellationToken cancellationToken)
    {
        var detected = request.Format is null ? PackageFormats.Detect(request.FileName) : PackageFormats.Get(request.Format);
        if (detected.Failure is { } unknown) return unknown;
        var format = detected.Value!;
        if (_store.Repositories.Get(request.Domain, request.Repository).Failure is { } missing) return missing;

        var known = request.Namespace is null && request.Package is null && request.Version is null
            ? null
            : new PackageCoordinates(StripScope(format, request.Namespace), request.Package, request.Version);
        if (format is GenericFormat)
        {
            if (known?.Name is null || known.Version is null) return PackageErrors.InvalidFile(request.FileName, "a generic asset needs -Namespace, -Package and -Version.");
            var invalid = format.CheckName(known.Namespace, known.Name) ?? format.NormalizeVersion(known.Version).Failure
                ?? GenericFormat.CheckAssetName(request.FileName);
            if (invalid is not null) return invalid;
        }

        var key = _store.Domains.GetKey(request.Domain);
        if (key.Failure is { } noKey) return noKey;
        using var domainKey = key.Value!;
        var expected = request.Expected ?? (request.ExpectedSha256 is null ? null : new ExpectedDigests(Sha256: request.ExpectedSha256));
        var staging = await _store.Blobs.StageAsync(domainKey, content, expected, cancellationToken);
        if (staging.Failure is { } mismatch) return mismatch;
        using var staged = staging.Value!;

        Outcome<ParsedAsset> parsing;
        await using (var plaintext = await staged.OpenReadAsync(cancellationToken))
        {
            parsing = format.Parse(plaintext, request.FileName, known, cancellationToken);
        }
        if (parsing.Failure is { } unparsable) return unparsable;
        var parsed = parsing.Value!;
        var versionKey = format.NormalizeVersion(parsed.Version);
        var refused = format.CheckName(parsed.Namespace, parsed.Name) ?? versionKey.Failure ?? GenericFormat.CheckAssetName(parsed.AssetName);
        if (refused is not null) return refused;

        if (request.IngestedFrom is null && format is not GenericFormat
            && await CheckNotReachableUpstreamAsync(request.Domain, request.Repository, format, parsed.Namespace, parsed.Name, versionKey.Value!, cancellationToken) is { } shadowing)
        {
            return shadowing;
        }

        using var manifest = parsed.Manifest is null ? null : await StageBytes(domainKey, parsed.Manifest, cancellationToken);
        using var metadata = parsed.Metadata is null ? null
            : await StageBytes(domainKey, JsonSerializer.SerializeToUtf8Bytes(parsed.Metadata, s_json), cancellationToken);

        var target = new Target(request.Domain, request.Repository, format, parsed.Namespace, parsed.Name, versionKey.Value!, parsed.Version);
        var committed = Commit(target, parsed.AssetName, staged, manifest, metadata, request);
        if (committed.Failure is { } conflict) return conflict;
        var version = await GetVersionAsync(request.Domain, request.Repository, format.Name, parsed.Namespace, parsed.Name, parsed.Version, cancellationToken);
        return version.Failure is { } gone ? gone : new PublishResult(version.Value!, AssetAdded: committed.Value);
    }

    private sealed record Target(string Domain, string Repository, IPackageFormat Format, string? Namespace, string Name, string VersionKey, string Version);

    private async Task<StagedBlob> StageBytes(DomainKey key, byte[] bytes, CancellationToken cancellationToken)
    {
        var staged = await _store.Blobs.StageAsync(key, new MemoryStream(bytes, writable: false), null, cancellationToken);
        return staged.Value ?? throw new InvalidOperationException("Staging bytes without expected digests cannot fail.");
    }

    /// <summary>Adds the asset; the value is false when the version already held the same bytes under the name (nothing changed).</summary>
    private Outcome<bool> Commit(Target target, string assetName, StagedBlob asset, StagedBlob? manifest, StagedBlob? metadata, PublishRequest request)
    {
        var format = target.Format;
        using var connection = _store.Catalog.Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        if (DomainService.Id(connection, target.Domain, transaction) is not { } domainId) return DomainService.NotFound(target.Domain);
        if (RepositoryService.Id(connection, domainId, target.Repository, transaction) is not { } repositoryId)
        {
            return RepositoryService.NotFound(target.Domain, target.Repository);
        }
        var repositoryName = Sql.Scalar<string>(connection, "SELECT name FROM repositories WHERE id = $id;", transaction, ("$id", repositoryId))!;
        var nsKey = format.NormalizeNamespace(target.Namespace);
        var nameKey = format.NormalizeName(target.Name);

        var package = FindPackage(connection, transaction, repositoryId, format.Name, nsKey, nameKey);
        var ingested = request.IngestedFrom;
        if (ingested is not null && package is { } blocking && blocking.Origin.Upstream == PackageOriginConfiguration.Block)
        {
            return new Failure(ErrorCodes.PublishBlocked, FailureKind.Conflict,
                $"'{DisplayName(format.Name, target.Namespace, target.Name)}' in '{target.Repository}' does not take versions from upstream (upstream=BLOCK).", target.Name);
        }
        if (ingested is null && package is { } existingPackage && existingPackage.Origin.Publish == PackageOriginConfiguration.Block)
        {
            return new Failure(ErrorCodes.PublishBlocked, FailureKind.Conflict,
                $"Publishing to '{DisplayName(format.Name, target.Namespace, target.Name)}' in '{target.Repository}' is blocked by its origin configuration (publish=BLOCK); change it with Set-CaPackageOriginConfiguration.",
                target.Name);
        }
        var packageId = package?.Id ?? Sql.Scalar<long>(connection, """
            INSERT INTO packages (repository_id, format, namespace, namespace_key, name, name_key, origin_publish, origin_upstream, created_time)
            VALUES ($repo, $format, $ns, $nsKey, $name, $nameKey, $publish, $upstream, $now) RETURNING id;
            """, transaction, ("$repo", repositoryId), ("$format", format.Name), ("$ns", target.Namespace ?? ""), ("$nsKey", nsKey),
            ("$name", target.Name), ("$nameKey", nameKey), ("$publish", (ingested is null ? PackageOriginConfiguration.Internal : PackageOriginConfiguration.External).Publish),
            ("$upstream", (ingested is null ? PackageOriginConfiguration.Internal : PackageOriginConfiguration.External).Upstream), ("$now", Sql.Now()));

        var now = Sql.Now();
        var version = FindVersion(connection, transaction, packageId, target.VersionKey);
        long versionId;
        string status;
        if (version is { } existing)
        {
            versionId = existing.Id;
            status = existing.Status;
            if (status is Archived or Disposed)
            {
                return new Failure(ErrorCodes.VersionNotPublishable, FailureKind.Conflict,
                    $"Version {existing.Version} of '{DisplayName(format.Name, target.Namespace, target.Name)}' is {status} and cannot be published again; delete it first.",
                    target.Version);
            }
            var current = Sql.Scalar<string>(connection, "SELECT sha256 FROM assets WHERE version_id = $v AND name = $name;", transaction,
                ("$v", versionId), ("$name", assetName));
            if (!format.AllowsMultipleAssets && current != asset.Digests.Sha256)
            {
                return new Failure(ErrorCodes.VersionAlreadyExists, FailureKind.Conflict,
                    $"Version {existing.Version} of '{DisplayName(format.Name, target.Namespace, target.Name)}' already exists with other content; each {format.Name} version has exactly one file and cannot be published again (delete the version first).",
                    target.Version);
            }
            if (current is not null)
            {
                if (!string.Equals(current, asset.Digests.Sha256, StringComparison.Ordinal))
                {
                    return new Failure(ErrorCodes.AssetConflict, FailureKind.Conflict,
                        $"Version {existing.Version} of '{DisplayName(format.Name, target.Namespace, target.Name)}' already has an asset '{assetName}' with other content (SHA-256 {current}); delete the version to replace it.",
                        assetName);
                }
                // The same bytes again: nothing changes, except that a generic publish without -Unfinished finishes the version.
                if (status == Unfinished && !request.Unfinished && format is GenericFormat) Finish(connection, transaction, versionId, now);
                transaction.Commit();
                return false;
            }
            if (format is GenericFormat && status != Unfinished)
            {
                return new Failure(ErrorCodes.VersionAlreadyExists, FailureKind.Conflict,
                    $"Version {existing.Version} of '{DisplayName(format.Name, target.Namespace, target.Name)}' is {status}; assets can only be added to a generic version while it is Unfinished (publish with -Unfinished until the last asset).",
                    target.Version);
            }
        }
        else
        {
            status = request.Unfinished && format is GenericFormat or MavenFormat ? Unfinished : Published;
            versionId = Sql.Scalar<long>(connection, """
                INSERT INTO package_versions (package_id, version, version_key, status, revision, origin_type, entry_repository, entry_external,
                                              published_time, updated_time)
                VALUES ($p, $version, $key, $status, '', $origin, $repo, $external, $now, $now) RETURNING id;
                """, transaction, ("$p", packageId), ("$version", target.Version), ("$key", target.VersionKey), ("$status", status),
                ("$origin", ingested is null ? "INTERNAL" : "EXTERNAL"), ("$repo", repositoryName), ("$external", ingested?.Name), ("$now", now));
        }

        _store.Blobs.Commit(asset);
        BlobCatalog.AddReference(connection, transaction, domainId, asset.Digests);
        string? manifestSha = null;
        if (manifest is not null)
        {
            _store.Blobs.Commit(manifest);
            BlobCatalog.AddReference(connection, transaction, domainId, manifest.Digests);
            manifestSha = manifest.Digests.Sha256;
        }
        Sql.Execute(connection, "INSERT INTO assets (version_id, name, sha256, manifest_sha256, created_time) VALUES ($v, $name, $sha, $manifest, $now);",
            transaction, ("$v", versionId), ("$name", assetName), ("$sha", asset.Digests.Sha256), ("$manifest", manifestSha), ("$now", now));
        if (metadata is not null && TakesMetadata(connection, transaction, versionId, assetName) is var (takes, previous) && takes)
        {
            _store.Blobs.Commit(metadata);
            BlobCatalog.AddReference(connection, transaction, domainId, metadata.Digests);
            if (previous is not null) BlobCatalog.ReleaseReference(connection, transaction, domainId, previous);
            Sql.Execute(connection, "UPDATE package_versions SET metadata_sha256 = $sha, metadata_source = $source WHERE id = $v;", transaction,
                ("$sha", metadata.Digests.Sha256), ("$source", assetName), ("$v", versionId));
        }
        if (status == Unfinished && !request.Unfinished) Finish(connection, transaction, versionId, now);
        UpdateRevision(connection, transaction, versionId, now);
        if (format.Name == "npm" && ingested is null) SetPublishTag(connection, transaction, format, packageId, target.VersionKey, request.DistTag);
        transaction.Commit();
        return true;
    }

    /// <summary>
    /// Whether a new asset's metadata becomes the version's: the first asset's does, and a wheel's replaces an sdist's, since
    /// sdists often lack dependency metadata (setuptools keeps Requires-Dist out of PKG-INFO).
    /// </summary>
    private static (bool Takes, string? Previous) TakesMetadata(SqliteConnection connection, SqliteTransaction transaction, long versionId, string assetName)
    {
        using var command = Sql.Command(connection, "SELECT metadata_sha256, metadata_source FROM package_versions WHERE id = $v;", transaction, ("$v", versionId));
        using var reader = command.ExecuteReader();
        reader.Read();
        if (reader.IsDBNull(0)) return (true, null);
        var source = reader.IsDBNull(1) ? "" : reader.GetString(1);
        var upgrade = assetName.EndsWith(".whl", StringComparison.OrdinalIgnoreCase) && !source.EndsWith(".whl", StringComparison.OrdinalIgnoreCase);
        return (upgrade, upgrade ? reader.GetString(0) : null);
    }

    private static void Finish(SqliteConnection connection, SqliteTransaction transaction, long versionId, long now) =>
        Sql.Execute(connection, "UPDATE package_versions SET status = 'Published', published_time = $now, updated_time = $now WHERE id = $v;",
            transaction, ("$now", now), ("$v", versionId));

    /// <summary>npm's rule: the given tag moves to the version; without one, <c>latest</c> does when it is missing or older and the version is a release.</summary>
    private static void SetPublishTag(SqliteConnection connection, SqliteTransaction transaction, IPackageFormat format, long packageId, string versionKey, string? tag)
    {
        if (tag is null)
        {
            var latest = Sql.Scalar<string>(connection, "SELECT version_key FROM dist_tags WHERE package_id = $p AND tag = 'latest';", transaction, ("$p", packageId));
            var isRelease = !versionKey.Contains('-');
            if (latest is not null && (!isRelease || format.CompareVersions(versionKey, latest) <= 0)) return;
            tag = "latest";
        }
        Sql.Execute(connection, """
            INSERT INTO dist_tags (package_id, tag, version_key) VALUES ($p, $tag, $v)
            ON CONFLICT (package_id, tag) DO UPDATE SET version_key = excluded.version_key;
            """, transaction, ("$p", packageId), ("$tag", tag), ("$v", versionKey));
    }

    /// <summary>The revision: a digest of the version's asset names and contents and its metadata, so it changes exactly when they do.</summary>
    private static void UpdateRevision(SqliteConnection connection, SqliteTransaction transaction, long versionId, long now)
    {
        var text = new StringBuilder();
        text.Append(Sql.Scalar<string>(connection, "SELECT version_key FROM package_versions WHERE id = $v;", transaction, ("$v", versionId))).Append('\n');
        text.Append(Sql.Scalar<string>(connection, "SELECT metadata_sha256 FROM package_versions WHERE id = $v;", transaction, ("$v", versionId))).Append('\n');
        using (var command = Sql.Command(connection, "SELECT name, sha256 FROM assets WHERE version_id = $v ORDER BY name;", transaction, ("$v", versionId)))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read()) text.Append(reader.GetString(0)).Append('\0').Append(reader.GetString(1)).Append('\n');
        }
        var revision = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
        Sql.Execute(connection, "UPDATE package_versions SET revision = $r, updated_time = $now WHERE id = $v;", transaction,
            ("$r", revision), ("$now", now), ("$v", versionId));
    }

    // ------------------------------------------------------------------ packages

    /// <summary>Packages of a repository, optionally filtered by format, namespace and name prefix (ListPackages).</summary>
    public Outcome<IReadOnlyList<PackageInfo>> ListPackages(string domain, string repository, string? format = null)
    {
        if (format is not null && PackageFormats.Get(format).Failure is { } badFormat) return badFormat;
        using var connection = _store.Catalog.Open();
        var repo = ResolveRepository(connection, null, domain, repository);
        if (repo.Failure is { } missing) return missing;
        var (_, repositoryId, repositoryName) = repo.Value;
        using var command = Sql.Command(connection, $"""
            SELECT format, namespace, name, origin_publish, origin_upstream FROM packages
            WHERE repository_id = $repo {(format is null ? "" : "AND format = $format")}
            ORDER BY format, namespace_key, name_key;
            """, null, ("$repo", repositoryId), ("$format", format?.ToLowerInvariant()));
        using var reader = command.ExecuteReader();
        var packages = new List<PackageInfo>();
        while (reader.Read())
        {
            packages.Add(ToPackageInfo(domain, repositoryName, reader.GetString(0), reader.GetString(1), reader.GetString(2),
                new PackageOriginConfiguration(reader.GetString(3), reader.GetString(4))));
        }
        return packages;
    }

    public Outcome<PackageInfo> GetPackage(string domain, string repository, string format, string? @namespace, string package)
    {
        using var connection = _store.Catalog.Open();
        var resolved = ResolvePackage(connection, null, domain, repository, format, @namespace, package);
        return resolved.Failure is { } failure ? failure : resolved.Value!.Info;
    }

    /// <summary>Deletes a package with all its versions and assets (DeletePackage); blobs nobody else uses are freed.</summary>
    public Outcome<PackageInfo> RemovePackage(string domain, string repository, string format, string? @namespace, string package)
    {
        long domainId;
        PackageInfo removed;
        using (var connection = _store.Catalog.Open())
        using (var transaction = connection.BeginTransaction(deferred: false))
        {
            var resolved = ResolvePackage(connection, transaction, domain, repository, format, @namespace, package);
            if (resolved.Failure is { } failure) return failure;
            var p = resolved.Value!;
            domainId = p.DomainId;
            foreach (var version in ListVersionRows(connection, transaction, p.Id)) DeleteVersionRow(connection, transaction, domainId, version.Id);
            Sql.Execute(connection, "DELETE FROM dist_tags WHERE package_id = $p;", transaction, ("$p", p.Id));
            Sql.Execute(connection, "DELETE FROM packages WHERE id = $p;", transaction, ("$p", p.Id));
            transaction.Commit();
            removed = p.Info;
        }
        FreeBlobs(domain, domainId);
        return removed;
    }

    public Outcome<PackageOriginConfiguration> GetOriginConfiguration(string domain, string repository, string format, string? @namespace, string package)
    {
        var info = GetPackage(domain, repository, format, @namespace, package);
        return info.Failure is { } failure ? failure : info.Value!.OriginConfiguration;
    }

    /// <summary>Sets a package's origin controls (PutPackageOriginConfiguration); a package that does not exist yet is created empty to hold them.</summary>
    public Outcome<PackageInfo> SetOriginConfiguration(string domain, string repository, string format, string? @namespace, string package,
        string publish, string upstream)
    {
        foreach (var value in new[] { publish, upstream })
        {
            if (value is not PackageOriginConfiguration.Allow and not PackageOriginConfiguration.Block)
            {
                return new Failure(ErrorCodes.InvalidOriginConfiguration, FailureKind.Invalid, $"'{value}' is not an origin setting; use ALLOW or BLOCK.", value);
            }
        }
        var formatOutcome = PackageFormats.Get(format);
        if (formatOutcome.Failure is { } badFormat) return badFormat;
        var f = formatOutcome.Value!;
        @namespace = StripScope(f, @namespace);
        if (f.CheckName(@namespace, package) is { } badName) return badName;
        using var connection = _store.Catalog.Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        var repo = ResolveRepository(connection, transaction, domain, repository);
        if (repo.Failure is { } missing) return missing;
        var (_, repositoryId, repositoryName) = repo.Value;
        var nsKey = f.NormalizeNamespace(@namespace);
        var nameKey = f.NormalizeName(package);
        if (FindPackage(connection, transaction, repositoryId, f.Name, nsKey, nameKey) is { } existing)
        {
            Sql.Execute(connection, "UPDATE packages SET origin_publish = $pub, origin_upstream = $up WHERE id = $id;", transaction,
                ("$pub", publish), ("$up", upstream), ("$id", existing.Id));
        }
        else
        {
            Sql.Execute(connection, """
                INSERT INTO packages (repository_id, format, namespace, namespace_key, name, name_key, origin_publish, origin_upstream, created_time)
                VALUES ($repo, $format, $ns, $nsKey, $name, $nameKey, $pub, $up, $now);
                """, transaction, ("$repo", repositoryId), ("$format", f.Name), ("$ns", @namespace ?? ""), ("$nsKey", nsKey),
                ("$name", package), ("$nameKey", nameKey), ("$pub", publish), ("$up", upstream), ("$now", Sql.Now()));
        }
        var info = FindPackage(connection, transaction, repositoryId, f.Name, nsKey, nameKey)!;
        transaction.Commit();
        return ToPackageInfo(domain, repositoryName, f.Name, info.Namespace, info.Name, new PackageOriginConfiguration(publish, upstream));
    }

    // ------------------------------------------------------------------ versions

    /// <summary>The versions of a package (ListPackageVersions), all statuses unless <paramref name="status"/> is given, newest published last.</summary>
    public Outcome<IReadOnlyList<PackageVersionInfo>> ListVersions(string domain, string repository, string format, string? @namespace, string package, string? status = null)
    {
        if (status is not null && !s_statuses.Contains(status, StringComparer.OrdinalIgnoreCase))
        {
            return new Failure(ErrorCodes.InvalidStatus, FailureKind.Invalid, $"'{status}' is not a version status; use one of {string.Join(", ", s_statuses)}.", status);
        }
        using var connection = _store.Catalog.Open();
        var resolved = ResolvePackage(connection, null, domain, repository, format, @namespace, package);
        if (resolved.Failure is { } failure) return failure;
        var p = resolved.Value!;
        return ListVersionRows(connection, null, p.Id)
            .Where(v => status is null || string.Equals(v.Status, status, StringComparison.OrdinalIgnoreCase))
            .Select(v => ToVersionInfo(p, v, null))
            .ToList();
    }

    /// <summary>One version with its metadata (DescribePackageVersion).</summary>
    public async Task<Outcome<PackageVersionInfo>> GetVersionAsync(string domain, string repository, string format, string? @namespace, string package,
        string version, CancellationToken cancellationToken)
    {
        var found = FindVersion(domain, repository, format, @namespace, package, version);
        if (found.Failure is { } failure) return failure;
        var (p, v) = found.Value;
        var metadata = await ReadMetadataAsync(domain, v, cancellationToken);
        return ToVersionInfo(p, v, metadata);
    }

    public async Task<Outcome<PackageVersionReadme>> GetReadmeAsync(string domain, string repository, string format, string? @namespace, string package,
        string version, CancellationToken cancellationToken)
    {
        var found = FindVersion(domain, repository, format, @namespace, package, version);
        if (found.Failure is { } failure) return failure;
        var (p, v) = found.Value;
        var metadata = await ReadMetadataAsync(domain, v, cancellationToken);
        return new PackageVersionReadme
        {
            Format = p.Info.Format,
            Namespace = p.Info.Namespace,
            Package = p.Info.Package,
            Version = v.Version,
            Revision = v.Revision,
            Readme = metadata?.Readme,
        };
    }

    public async Task<Outcome<IReadOnlyList<PackageVersionDependency>>> GetDependenciesAsync(string domain, string repository, string format,
        string? @namespace, string package, string version, CancellationToken cancellationToken)
    {
        var found = FindVersion(domain, repository, format, @namespace, package, version);
        if (found.Failure is { } failure) return failure;
        var (p, v) = found.Value;
        var metadata = await ReadMetadataAsync(domain, v, cancellationToken);
        return (metadata?.Dependencies ?? []).Select(d => new PackageVersionDependency
        {
            Format = p.Info.Format,
            DependentNamespace = p.Info.Namespace,
            DependentPackage = p.Info.Package,
            DependentVersion = v.Version,
            Namespace = d.Namespace,
            Package = d.Package,
            DependencyType = d.DependencyType,
            VersionRequirement = d.VersionRequirement,
        }).ToList();
    }

    /// <summary>The assets of a version (ListPackageVersionAssets), optionally pinned to a revision.</summary>
    public Outcome<IReadOnlyList<AssetInfo>> ListAssets(string domain, string repository, string format, string? @namespace, string package,
        string version, string? revision = null)
    {
        var found = FindVersion(domain, repository, format, @namespace, package, version);
        if (found.Failure is { } failure) return failure;
        var (p, v) = found.Value;
        if (revision is not null && revision != v.Revision) return RevisionMismatch(v, revision);
        using var connection = _store.Catalog.Open();
        return AssetRows(connection, p.DomainId, v.Id).Select(a => ToAssetInfo(p, v, a)).ToList();
    }

    /// <summary>Opens an asset's content (GetPackageVersionAsset): a seekable stream that decrypts and authenticates as it is read.</summary>
    public async Task<Outcome<(AssetInfo Asset, Stream Content)>> OpenAssetAsync(string domain, string repository, string format, string? @namespace,
        string package, string version, string asset, string? revision, CancellationToken cancellationToken)
    {
        if (await TryOpenServedAssetAsync(domain, repository, format, @namespace, package, version, asset, revision, cancellationToken) is { } served) return served;
        return await OpenAssetByLookupAsync(domain, repository, format, @namespace, package, version, asset, revision, cancellationToken);
    }

    /// <summary><see cref="OpenAssetAsync(string, string, string, string?, string, string, string, string?, CancellationToken)"/> without its fast path: finds out why an asset cannot be served.</summary>
    private async Task<Outcome<(AssetInfo Asset, Stream Content)>> OpenAssetByLookupAsync(string domain, string repository, string format, string? @namespace,
        string package, string version, string asset, string? revision, CancellationToken cancellationToken)
    {
        // One catalog connection for the whole lookup.
        using var connection = _store.Catalog.Open();
        var found = FindVersion(connection, domain, repository, format, @namespace, package, version);
        if (found.Failure is { } failure) return failure;
        return await OpenAssetAsync(connection, found.Value.Package, found.Value.Version, asset, revision, cancellationToken);
    }

    /// <summary>Opens an asset of a version the caller has already found (the format endpoints' download paths).</summary>
    private async Task<Outcome<(AssetInfo Asset, Stream Content)>> OpenAssetAsync(SqliteConnection connection, ResolvedPackage p, VersionRow v,
        string asset, string? revision, CancellationToken cancellationToken)
    {
        if (revision is not null && revision != v.Revision) return RevisionMismatch(v, revision);
        var assets = AssetRows(connection, p.DomainId, v.Id);
        if (assets.FirstOrDefault(a => a.Name == asset) is not { } row)
        {
            return new Failure(ErrorCodes.AssetNotFound, FailureKind.NotFound,
                $"Version {v.Version} of '{p.Info.DisplayName}' has no asset '{asset}'" +
                (assets.Count == 0 ? "." : $"; it has {string.Join(", ", assets.Select(a => $"'{a.Name}'"))}."), asset);
        }
        // As in CodeArtifact, Archived and Unfinished versions keep their assets but do not hand them out.
        if (v.Status is Archived or Unfinished)
        {
            return new Failure(ErrorCodes.AssetNotAvailable, FailureKind.Conflict,
                $"Version {v.Version} of '{p.Info.DisplayName}' is {v.Status}; its assets cannot be downloaded until it is Published or Unlisted.", asset);
        }
        var key = _store.Domains.GetKey(connection, p.Info.Domain);
        if (key.Failure is { } noKey) return noKey;
        using var domainKey = key.Value!;
        var stream = await _store.Blobs.OpenReadAsync(domainKey, row.Sha256, cancellationToken);
        return (ToAssetInfo(p, v, row), stream);
    }

    // ------------------------------------------------------------------ batch operations

    /// <summary>Changes the status of versions (UpdatePackageVersionsStatus) to Published, Unlisted or Archived, all or nothing.</summary>
    public Outcome<IReadOnlyList<PackageVersionResult>> UpdateStatus(string domain, string repository, string format, string? @namespace, string package,
        IReadOnlyList<string> versions, string targetStatus, string? expectedStatus = null, IReadOnlyDictionary<string, string>? revisions = null)
    {
        var target = s_statuses.FirstOrDefault(s => string.Equals(s, targetStatus, StringComparison.OrdinalIgnoreCase));
        if (target is not (Published or Unlisted or Archived))
        {
            return new Failure(ErrorCodes.InvalidStatus, FailureKind.Invalid,
                $"'{targetStatus}' cannot be set as a status; use Published, Unlisted or Archived (Remove-CaPackageVersion deletes or disposes).", targetStatus);
        }
        return RunBatch(domain, repository, format, @namespace, package, versions, expectedStatus, revisions,
            v => v.Status == Disposed ? $"Version {v.Version} is Disposed; a disposed version cannot change status." : null,
            (ctx, v) =>
            {
                if (v.Status == Unfinished && target == Published)
                {
                    Finish(ctx.Connection, ctx.Transaction, v.Id, Sql.Now());
                }
                else if (v.Status != target)
                {
                    Sql.Execute(ctx.Connection, "UPDATE package_versions SET status = $s, updated_time = $now WHERE id = $v;", ctx.Transaction,
                        ("$s", target), ("$now", Sql.Now()), ("$v", v.Id));
                }
                return target;
            });
    }

    /// <summary>Deletes versions (DeletePackageVersions): the records go, and a deleted version may be published again.</summary>
    public Outcome<IReadOnlyList<PackageVersionResult>> DeleteVersions(string domain, string repository, string format, string? @namespace, string package,
        IReadOnlyList<string> versions, string? expectedStatus = null, IReadOnlyDictionary<string, string>? revisions = null) =>
        RunBatch(domain, repository, format, @namespace, package, versions, expectedStatus, revisions, _ => null, (ctx, v) =>
        {
            DeleteVersionRow(ctx.Connection, ctx.Transaction, ctx.Package.DomainId, v.Id);
            return Deleted;
        });

    /// <summary>Disposes versions (DisposePackageVersions): their assets are deleted and a Disposed record stays.</summary>
    public Outcome<IReadOnlyList<PackageVersionResult>> DisposeVersions(string domain, string repository, string format, string? @namespace, string package,
        IReadOnlyList<string> versions, string? expectedStatus = null, IReadOnlyDictionary<string, string>? revisions = null) =>
        RunBatch(domain, repository, format, @namespace, package, versions, expectedStatus, revisions, _ => null, (ctx, v) =>
        {
            ReleaseAssets(ctx.Connection, ctx.Transaction, ctx.Package.DomainId, v.Id);
            Sql.Execute(ctx.Connection, "UPDATE package_versions SET status = 'Disposed' WHERE id = $v;", ctx.Transaction, ("$v", v.Id));
            UpdateRevision(ctx.Connection, ctx.Transaction, v.Id, Sql.Now());
            return Disposed;
        });

    /// <summary>
    /// Copies versions between repositories of one domain (CopyPackageVersions) as metadata only: no blob is copied.
    /// npm dist-tags that point at a copied version come along. All or nothing; a destination package with publish=BLOCK
    /// fails every version with NOT_ALLOWED.
    /// </summary>
    public Outcome<IReadOnlyList<PackageVersionResult>> CopyVersions(string domain, string sourceRepository, string destinationRepository,
        string format, string? @namespace, string package, IReadOnlyList<string> versions, bool allowOverwrite = false,
        IReadOnlyDictionary<string, string>? revisions = null)
    {
        if (CheckVersionList(versions) is { } badList) return badList;
        long domainId;
        List<PackageVersionResult> results;
        using (var connection = _store.Catalog.Open())
        using (var transaction = connection.BeginTransaction(deferred: false))
        {
            var source = ResolvePackage(connection, transaction, domain, sourceRepository, format, @namespace, package);
            if (source.Failure is { } failure) return failure;
            var p = source.Value!;
            domainId = p.DomainId;
            var destination = ResolveRepository(connection, transaction, domain, destinationRepository);
            if (destination.Failure is { } noDestination) return noDestination;
            var (_, destinationId, destinationName) = destination.Value;
            if (destinationId == p.RepositoryId)
            {
                return new Failure(ErrorCodes.SameRepository, FailureKind.Invalid, "The source and destination repositories are the same.", destinationRepository);
            }
            var destinationPackage = FindPackage(connection, transaction, destinationId, p.Format.Name, p.NamespaceKey, p.NameKey);

            var rows = new List<(string Requested, VersionRow? Row)>();
            foreach (var requested in versions) rows.Add((requested, FindVersionRow(connection, transaction, p, requested)));
            results = [];
            foreach (var (requested, row) in rows)
            {
                string? code = null, message = null;
                if (row is null) (code, message) = ("NOT_FOUND", $"Version {requested} does not exist in '{p.Info.Repository}'.");
                else if (revisions?.GetValueOrDefault(requested) is { } wanted && wanted != row.Revision)
                {
                    (code, message) = ("MISMATCHED_REVISION", $"Version {requested} has revision {row.Revision}, not {wanted}.");
                }
                else if (row.Status is Disposed or Unfinished) (code, message) = ("NOT_ALLOWED", $"Version {requested} is {row.Status} and cannot be copied.");
                else if (destinationPackage?.Origin.Publish == PackageOriginConfiguration.Block)
                {
                    // A copy adds versions the way a publish does, so publish=BLOCK (also set ahead of time on an empty package) refuses it.
                    (code, message) = ("NOT_ALLOWED",
                        $"'{p.Info.DisplayName}' in '{destinationName}' takes no copied versions: its origin configuration is publish=BLOCK; change it with Set-CaPackageOriginConfiguration.");
                }
                else if (!allowOverwrite && destinationPackage is not null && FindVersion(connection, transaction, destinationPackage.Id, row.VersionKey) is not null)
                {
                    (code, message) = ("ALREADY_EXISTS", $"Version {requested} already exists in '{destinationName}'; use -AllowOverwrite to replace it.");
                }
                results.Add(Result(p.Info, destinationName, requested, row, code, message));
            }
            if (results.Any(r => !r.Succeeded)) return Skipped(results);

            var destinationPackageId = destinationPackage?.Id ?? Sql.Scalar<long>(connection, """
                INSERT INTO packages (repository_id, format, namespace, namespace_key, name, name_key, origin_publish, origin_upstream, created_time)
                SELECT $repo, format, namespace, namespace_key, name, name_key, origin_publish, origin_upstream, $now FROM packages WHERE id = $p RETURNING id;
                """, transaction, ("$repo", destinationId), ("$now", Sql.Now()), ("$p", p.Id));
            results = [];
            foreach (var (requested, row) in rows)
            {
                if (FindVersion(connection, transaction, destinationPackageId, row!.VersionKey) is { } replaced)
                {
                    DeleteVersionRow(connection, transaction, domainId, replaced.Id);
                }
                var copyId = Sql.Scalar<long>(connection, """
                    INSERT INTO package_versions (package_id, version, version_key, status, revision, origin_type, entry_repository, entry_external,
                                                  metadata_sha256, metadata_source, published_time, updated_time)
                    SELECT $dest, version, version_key, status, revision, origin_type, entry_repository, entry_external, metadata_sha256, metadata_source,
                           published_time, $now
                    FROM package_versions WHERE id = $v RETURNING id;
                    """, transaction, ("$dest", destinationPackageId), ("$now", Sql.Now()), ("$v", row.Id));
                Sql.Execute(connection, """
                    INSERT INTO assets (version_id, name, sha256, manifest_sha256, created_time)
                    SELECT $copy, name, sha256, manifest_sha256, created_time FROM assets WHERE version_id = $v;
                    """, transaction, ("$copy", copyId), ("$v", row.Id));
                foreach (var sha in ReferencedBlobs(connection, transaction, copyId))
                {
                    Sql.Execute(connection, "UPDATE blobs SET ref_count = ref_count + 1 WHERE domain_id = $d AND sha256 = $sha;", transaction,
                        ("$d", domainId), ("$sha", sha));
                }
                Sql.Execute(connection, """
                    INSERT INTO dist_tags (package_id, tag, version_key)
                    SELECT $dest, tag, version_key FROM dist_tags WHERE package_id = $p AND version_key = $key
                    ON CONFLICT (package_id, tag) DO UPDATE SET version_key = excluded.version_key;
                    """, transaction, ("$dest", destinationPackageId), ("$p", p.Id), ("$key", row.VersionKey));
                results.Add(Result(p.Info, destinationName, requested, row with { }, null, null));
            }
            transaction.Commit();
        }
        FreeBlobs(domain, domainId);
        return results;
    }

    /// <summary>npm dist-tags of a package (tag → version as published).</summary>
    public Outcome<IReadOnlyDictionary<string, string>> GetDistTags(string domain, string repository, string? @namespace, string package)
    {
        using var connection = _store.Catalog.Open();
        var resolved = ResolvePackage(connection, null, domain, repository, "npm", @namespace, package);
        if (resolved.Failure is { } failure) return failure;
        using var command = Sql.Command(connection, """
            SELECT t.tag, v.version FROM dist_tags t JOIN package_versions v ON v.package_id = t.package_id AND v.version_key = t.version_key
            WHERE t.package_id = $p ORDER BY t.tag;
            """, null, ("$p", resolved.Value!.Id));
        using var reader = command.ExecuteReader();
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read()) tags[reader.GetString(0)] = reader.GetString(1);
        return tags;
    }

    private sealed record BatchContext(SqliteConnection Connection, SqliteTransaction Transaction, ResolvedPackage Package);

    private Outcome<IReadOnlyList<PackageVersionResult>> RunBatch(string domain, string repository, string format, string? @namespace, string package,
        IReadOnlyList<string> versions, string? expectedStatus, IReadOnlyDictionary<string, string>? revisions,
        Func<VersionRow, string?> notAllowed, Func<BatchContext, VersionRow, string> apply)
    {
        if (CheckVersionList(versions) is { } badList) return badList;
        var expected = expectedStatus is null ? null : s_statuses.FirstOrDefault(s => string.Equals(s, expectedStatus, StringComparison.OrdinalIgnoreCase));
        if (expectedStatus is not null && expected is null)
        {
            return new Failure(ErrorCodes.InvalidStatus, FailureKind.Invalid, $"'{expectedStatus}' is not a version status; use one of {string.Join(", ", s_statuses)}.", expectedStatus);
        }
        long domainId;
        var results = new List<PackageVersionResult>();
        using (var connection = _store.Catalog.Open())
        using (var transaction = connection.BeginTransaction(deferred: false))
        {
            var resolved = ResolvePackage(connection, transaction, domain, repository, format, @namespace, package);
            if (resolved.Failure is { } failure) return failure;
            var p = resolved.Value!;
            domainId = p.DomainId;
            var rows = versions.Select(requested => (requested, Row: FindVersionRow(connection, transaction, p, requested))).ToList();
            foreach (var (requested, row) in rows)
            {
                string? code = null, message = null;
                if (row is null) (code, message) = ("NOT_FOUND", $"Version {requested} does not exist in '{p.Info.Repository}'.");
                else if (expected is not null && row.Status != expected) (code, message) = ("MISMATCHED_STATUS", $"Version {requested} is {row.Status}, not {expected}.");
                else if (revisions?.GetValueOrDefault(requested) is { } wanted && wanted != row.Revision)
                {
                    (code, message) = ("MISMATCHED_REVISION", $"Version {requested} has revision {row.Revision}, not {wanted}.");
                }
                else if (notAllowed(row) is { } why) (code, message) = ("NOT_ALLOWED", why);
                results.Add(Result(p.Info, p.Info.Repository, requested, row, code, message));
            }
            if (results.Any(r => !r.Succeeded)) return Skipped(results);

            var context = new BatchContext(connection, transaction, p);
            results = [];
            foreach (var (requested, row) in rows)
            {
                var status = apply(context, row!);
                var revision = status == Deleted ? row!.Revision
                    : Sql.Scalar<string>(connection, "SELECT revision FROM package_versions WHERE id = $v;", transaction, ("$v", row!.Id));
                results.Add(Result(p.Info, p.Info.Repository, requested, row with { Status = status, Revision = revision! }, null, null));
            }
            transaction.Commit();
        }
        FreeBlobs(domain, domainId);
        return results;
    }

    private static Failure? CheckVersionList(IReadOnlyList<string> versions)
    {
        if (versions.Count == 0) return new Failure(ErrorCodes.NoVersionsGiven, FailureKind.Invalid, "Give at least one version.");
        return versions.Count > MaxVersionsPerCall
            ? new Failure(ErrorCodes.TooManyVersions, FailureKind.LimitExceeded, $"{versions.Count} versions were given; at most {MaxVersionsPerCall} are allowed per call.")
            : null;
    }

    /// <summary>CodeArtifact's all-or-nothing rule: when any version fails, the others are reported as SKIPPED and nothing changes.</summary>
    private static List<PackageVersionResult> Skipped(List<PackageVersionResult> results) =>
        results.Select(r => r.Succeeded
            ? new PackageVersionResult
            {
                Domain = r.Domain, Repository = r.Repository, Format = r.Format, Namespace = r.Namespace, Package = r.Package, Version = r.Version,
                ErrorCode = "SKIPPED", ErrorMessage = $"Version {r.Version} was skipped because another version of the request failed.",
            }
            : r).ToList();

    private static PackageVersionResult Result(PackageInfo package, string repository, string requested, VersionRow? row, string? code, string? message) => new()
    {
        Domain = package.Domain,
        Repository = repository,
        Format = package.Format,
        Namespace = package.Namespace,
        Package = package.Package,
        Version = row?.Version ?? requested,
        Status = code is null ? row?.Status : null,
        Revision = code is null ? row?.Revision : null,
        ErrorCode = code,
        ErrorMessage = message,
    };

    // ------------------------------------------------------------------ rows and lookups

    private sealed record PackageRow(long Id, string Namespace, string Name, PackageOriginConfiguration Origin);

    private sealed record ResolvedPackage(long DomainId, long RepositoryId, long Id, IPackageFormat Format, string NamespaceKey, string NameKey, PackageInfo Info);

    private sealed record VersionRow(long Id, string Version, string VersionKey, string Status, string Revision, string OriginType,
        string? EntryRepository, string? EntryExternal, string? MetadataSha256, long PublishedTime);

    private sealed record AssetRow(string Name, string Sha256, string Sha1, string Md5, string Sha512, long Size);

    private static string? StripScope(IPackageFormat format, string? @namespace) =>
        format.Name == "npm" && @namespace is not null && @namespace.StartsWith('@') ? @namespace[1..] : @namespace;

    private static Outcome<(long DomainId, long RepositoryId, string RepositoryName)> ResolveRepository(SqliteConnection connection,
        SqliteTransaction? transaction, string domain, string repository)
    {
        // One query: this runs on every download.
        using var command = Sql.Command(connection, """
            SELECT d.id, r.id, r.name FROM domains d LEFT JOIN repositories r ON r.domain_id = d.id AND r.name_key = $key
            WHERE d.name = $domain;
            """, transaction, ("$domain", domain), ("$key", repository.ToLowerInvariant()));
        using var reader = command.ExecuteReader();
        if (!reader.Read()) return DomainService.NotFound(domain);
        if (reader.IsDBNull(1)) return RepositoryService.NotFound(domain, repository);
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2));
    }

    private static Outcome<ResolvedPackage> ResolvePackage(SqliteConnection connection, SqliteTransaction? transaction, string domain,
        string repository, string format, string? @namespace, string package)
    {
        var formatOutcome = PackageFormats.Get(format);
        if (formatOutcome.Failure is { } badFormat) return badFormat;
        var f = formatOutcome.Value!;
        var repo = ResolveRepository(connection, transaction, domain, repository);
        if (repo.Failure is { } missing) return missing;
        var (domainId, repositoryId, repositoryName) = repo.Value;
        @namespace = StripScope(f, @namespace);
        var nsKey = f.NormalizeNamespace(@namespace);
        var nameKey = f.NormalizeName(package);
        if (FindPackage(connection, transaction, repositoryId, f.Name, nsKey, nameKey) is not { } row)
        {
            return new Failure(ErrorCodes.PackageNotFound, FailureKind.NotFound,
                $"The {f.Name} package '{DisplayName(f.Name, @namespace, package)}' does not exist in the repository '{repositoryName}' of the domain '{domain}'.",
                package);
        }
        return new ResolvedPackage(domainId, repositoryId, row.Id, f, nsKey, nameKey, ToPackageInfo(domain, repositoryName, f.Name, row.Namespace, row.Name, row.Origin));
    }

    private Outcome<(ResolvedPackage Package, VersionRow Version)> FindVersion(string domain, string repository, string format, string? @namespace,
        string package, string version)
    {
        using var connection = _store.Catalog.Open();
        return FindVersion(connection, domain, repository, format, @namespace, package, version);
    }

    private static Outcome<(ResolvedPackage Package, VersionRow Version)> FindVersion(SqliteConnection connection, string domain, string repository,
        string format, string? @namespace, string package, string version)
    {
        var resolved = ResolvePackage(connection, null, domain, repository, format, @namespace, package);
        if (resolved.Failure is { } failure) return failure;
        var p = resolved.Value!;
        return FindVersionRow(connection, null, p, version) is { } row
            ? (p, row)
            : new Failure(ErrorCodes.PackageVersionNotFound, FailureKind.NotFound,
                $"Version {version} of '{p.Info.DisplayName}' does not exist in the repository '{p.Info.Repository}'.", version);
    }

    private static VersionRow? FindVersionRow(SqliteConnection connection, SqliteTransaction? transaction, ResolvedPackage package, string version)
    {
        var key = package.Format.NormalizeVersion(version);
        return FindVersion(connection, transaction, package.Id, key.Value ?? version);
    }

    private static PackageRow? FindPackage(SqliteConnection connection, SqliteTransaction? transaction, long repositoryId, string format, string nsKey, string nameKey)
    {
        using var command = Sql.Command(connection, """
            SELECT id, namespace, name, origin_publish, origin_upstream FROM packages
            WHERE repository_id = $repo AND format = $format AND namespace_key = $ns AND name_key = $name;
            """, transaction, ("$repo", repositoryId), ("$format", format), ("$ns", nsKey), ("$name", nameKey));
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? new PackageRow(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), new PackageOriginConfiguration(reader.GetString(3), reader.GetString(4)))
            : null;
    }

    private const string VersionColumns = "id, version, version_key, status, revision, origin_type, entry_repository, entry_external, metadata_sha256, published_time";

    private static VersionRow ReadVersion(SqliteDataReader reader) => new(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
        reader.GetString(4), reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetString(7),
        reader.IsDBNull(8) ? null : reader.GetString(8), reader.GetInt64(9));

    private static VersionRow? FindVersion(SqliteConnection connection, SqliteTransaction? transaction, long packageId, string versionKey)
    {
        using var command = Sql.Command(connection, $"SELECT {VersionColumns} FROM package_versions WHERE package_id = $p AND version_key = $key;",
            transaction, ("$p", packageId), ("$key", versionKey));
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadVersion(reader) : null;
    }

    private static List<VersionRow> ListVersionRows(SqliteConnection connection, SqliteTransaction? transaction, long packageId)
    {
        using var command = Sql.Command(connection, $"SELECT {VersionColumns} FROM package_versions WHERE package_id = $p ORDER BY published_time, id;",
            transaction, ("$p", packageId));
        using var reader = command.ExecuteReader();
        var rows = new List<VersionRow>();
        while (reader.Read()) rows.Add(ReadVersion(reader));
        return rows;
    }

    private static List<AssetRow> AssetRows(SqliteConnection connection, long domainId, long versionId)
    {
        using var command = Sql.Command(connection, """
            SELECT a.name, a.sha256, b.sha1, b.md5, b.sha512, b.size FROM assets a
            JOIN blobs b ON b.domain_id = $d AND b.sha256 = a.sha256 WHERE a.version_id = $v ORDER BY a.name;
            """, null, ("$d", domainId), ("$v", versionId));
        using var reader = command.ExecuteReader();
        var rows = new List<AssetRow>();
        while (reader.Read()) rows.Add(new AssetRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetInt64(5)));
        return rows;
    }

    /// <summary>Every blob a version refers to: its assets, their manifests and its metadata document.</summary>
    private static List<string> ReferencedBlobs(SqliteConnection connection, SqliteTransaction transaction, long versionId)
    {
        using var command = Sql.Command(connection, """
            SELECT sha256 FROM assets WHERE version_id = $v
            UNION ALL SELECT manifest_sha256 FROM assets WHERE version_id = $v AND manifest_sha256 IS NOT NULL
            UNION ALL SELECT metadata_sha256 FROM package_versions WHERE id = $v AND metadata_sha256 IS NOT NULL;
            """, transaction, ("$v", versionId));
        using var reader = command.ExecuteReader();
        var shas = new List<string>();
        while (reader.Read()) shas.Add(reader.GetString(0));
        return shas;
    }

    private static void ReleaseAssets(SqliteConnection connection, SqliteTransaction transaction, long domainId, long versionId)
    {
        using (var command = Sql.Command(connection, """
            SELECT sha256 FROM assets WHERE version_id = $v
            UNION ALL SELECT manifest_sha256 FROM assets WHERE version_id = $v AND manifest_sha256 IS NOT NULL;
            """, transaction, ("$v", versionId)))
        {
            var shas = new List<string>();
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read()) shas.Add(reader.GetString(0));
            }
            foreach (var sha in shas) BlobCatalog.ReleaseReference(connection, transaction, domainId, sha);
        }
        Sql.Execute(connection, "DELETE FROM assets WHERE version_id = $v;", transaction, ("$v", versionId));
    }

    private static void DeleteVersionRow(SqliteConnection connection, SqliteTransaction transaction, long domainId, long versionId)
    {
        ReleaseAssets(connection, transaction, domainId, versionId);
        if (Sql.Scalar<string>(connection, "SELECT metadata_sha256 FROM package_versions WHERE id = $v;", transaction, ("$v", versionId)) is { } metadata)
        {
            BlobCatalog.ReleaseReference(connection, transaction, domainId, metadata);
        }
        Sql.Execute(connection, """
            DELETE FROM dist_tags WHERE package_id = (SELECT package_id FROM package_versions WHERE id = $v)
              AND version_key = (SELECT version_key FROM package_versions WHERE id = $v);
            DELETE FROM package_versions WHERE id = $v;
            """, transaction, ("$v", versionId));
    }

    /// <summary>Deletes every package of a repository inside the caller's transaction, releasing the blobs they refer to.</summary>
    internal static void DeleteRepositoryContent(SqliteConnection connection, SqliteTransaction transaction, long domainId, long repositoryId)
    {
        var packages = new List<long>();
        using (var command = Sql.Command(connection, "SELECT id FROM packages WHERE repository_id = $r;", transaction, ("$r", repositoryId)))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read()) packages.Add(reader.GetInt64(0));
        }
        foreach (var package in packages)
        {
            foreach (var version in ListVersionRows(connection, transaction, package)) DeleteVersionRow(connection, transaction, domainId, version.Id);
            Sql.Execute(connection, "DELETE FROM dist_tags WHERE package_id = $p; DELETE FROM packages WHERE id = $p;", transaction, ("$p", package));
        }
    }

    /// <summary>Deletes the files of blobs whose last reference went away (in its own write transaction; see <see cref="BlobCatalog"/>).</summary>
    internal void FreeBlobs(string domain, long domainId)
    {
        var key = _store.Domains.GetKey(domain);
        if (!key.Succeeded) return;
        using var domainKey = key.Value!;
        BlobCatalog.DeleteUnreferenced(_store.Catalog, domainId,
            sha256 => _store.Blobs.DeleteAsync(domainKey, sha256, CancellationToken.None).GetAwaiter().GetResult());
    }

    private async Task<PackageMetadata?> ReadMetadataAsync(string domain, VersionRow version, CancellationToken cancellationToken)
    {
        if (version.MetadataSha256 is null) return null;
        var key = _store.Domains.GetKey(domain);
        if (!key.Succeeded) return null;
        using var domainKey = key.Value!;
        await using var stream = await _store.Blobs.OpenReadAsync(domainKey, version.MetadataSha256, cancellationToken);
        return await JsonSerializer.DeserializeAsync<PackageMetadata>(stream, s_json, cancellationToken);
    }

    private static Failure RevisionMismatch(VersionRow version, string revision) =>
        new(ErrorCodes.MismatchedRevision, FailureKind.Conflict,
            $"Version {version.Version} is at revision {version.Revision}, not {revision}.", revision);

    private static string DisplayName(string format, string? @namespace, string name) => PackageFormats.DisplayName(format, @namespace, name);

    private static PackageInfo ToPackageInfo(string domain, string repository, string format, string @namespace, string name, PackageOriginConfiguration origin) => new()
    {
        Domain = domain,
        Repository = repository,
        Format = format,
        Namespace = @namespace.Length == 0 ? null : @namespace,
        Package = name,
        DisplayName = DisplayName(format, @namespace, name),
        OriginConfiguration = origin,
    };

    private static PackageVersionInfo ToVersionInfo(ResolvedPackage package, VersionRow version, PackageMetadata? metadata) => new()
    {
        Domain = package.Info.Domain,
        Repository = package.Info.Repository,
        Format = package.Info.Format,
        Namespace = package.Info.Namespace,
        Package = package.Info.Package,
        DisplayName = package.Info.DisplayName,
        Version = version.Version,
        Status = version.Status,
        Revision = version.Revision,
        Origin = new PackageVersionOrigin(version.OriginType, version.EntryRepository, version.EntryExternal),
        PublishedTime = Sql.Time(version.PublishedTime),
        Summary = metadata?.Summary,
        HomePage = metadata?.HomePage,
        SourceCodeRepository = metadata?.SourceCodeRepository,
        Licenses = metadata?.Licenses ?? [],
    };

    private static AssetInfo ToAssetInfo(ResolvedPackage package, VersionRow version, AssetRow asset) => new()
    {
        Domain = package.Info.Domain,
        Repository = package.Info.Repository,
        Format = package.Info.Format,
        Namespace = package.Info.Namespace,
        Package = package.Info.Package,
        Version = version.Version,
        Revision = version.Revision,
        Name = asset.Name,
        Size = asset.Size,
        Hashes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["MD5"] = asset.Md5,
            ["SHA-1"] = asset.Sha1,
            ["SHA-256"] = asset.Sha256,
            ["SHA-512"] = asset.Sha512,
        },
    };
}
