using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.Data.Sqlite;
using PSCodeArtifact.Core.Formats;
using PSCodeArtifact.Core.Storage;

namespace PSCodeArtifact.Core.Services;

/// <summary>A Maven artifact's versions as its <c>maven-metadata.xml</c> lists them: Published versions only.</summary>
public sealed class MavenArtifactVersions
{
    public required string GroupId { get; init; }

    public required string ArtifactId { get; init; }

    /// <summary>The Published versions in Maven's order, oldest first.</summary>
    public required IReadOnlyList<string> Versions { get; init; }

    /// <summary>The newest version, SNAPSHOTs included.</summary>
    public required string Latest { get; init; }

    /// <summary>The newest version that is not a SNAPSHOT; null when every version is one.</summary>
    public string? Release { get; init; }

    /// <summary>When a listed version last changed.</summary>
    public required DateTimeOffset LastUpdated { get; init; }

    public override string ToString() => $"{GroupId}:{ArtifactId}";
}

/// <summary>One file of a SNAPSHOT build as <c>&lt;snapshotVersions&gt;</c> lists it.</summary>
public sealed class MavenSnapshotFile
{
    public string? Classifier { get; init; }

    /// <summary>The extension (<c>jar</c>, <c>pom</c>, <c>tar.gz</c>, <c>jar.asc</c>, …).</summary>
    public required string Extension { get; init; }

    /// <summary>The timestamped version in the file name, for example <c>1.0-20261125.101010-3</c>.</summary>
    public required string Value { get; init; }

    public required DateTimeOffset Updated { get; init; }

    public override string ToString() => Classifier is null ? $"{Value}.{Extension}" : $"{Value}-{Classifier}.{Extension}";
}

/// <summary>The current build of a SNAPSHOT version, as its version-level <c>maven-metadata.xml</c> describes it.</summary>
public sealed class MavenSnapshot
{
    public required string GroupId { get; init; }

    public required string ArtifactId { get; init; }

    /// <summary>The base version, ending in <c>-SNAPSHOT</c>.</summary>
    public required string Version { get; init; }

    /// <summary>The build's timestamp, <c>yyyyMMdd.HHmmss</c> (UTC), as the deploying client wrote it.</summary>
    public required string Timestamp { get; init; }

    public required int BuildNumber { get; init; }

    public required DateTimeOffset LastUpdated { get; init; }

    /// <summary>The build's files, one per classifier and extension.</summary>
    public required IReadOnlyList<MavenSnapshotFile> Files { get; init; }

    public override string ToString() => $"{GroupId}:{ArtifactId}:{Version} ({Timestamp}-{BuildNumber})";
}

/// <summary>Which directory of the layout a <c>maven-metadata.xml</c> describes.</summary>
public enum MavenMetadataLevel
{
    /// <summary><c>{groupId}/maven-metadata.xml</c>: plugin prefixes.</summary>
    Group,

    /// <summary><c>{groupId}/{artifactId}/maven-metadata.xml</c>: the versions.</summary>
    Artifact,

    /// <summary><c>{groupId}/{artifactId}/{version}/maven-metadata.xml</c>: a SNAPSHOT's builds.</summary>
    Version,
}

/// <summary>What a deploying client's <c>maven-metadata.xml</c> did: its level and the versions it published.</summary>
public sealed class MavenMetadataReceipt
{
    public required MavenMetadataLevel Level { get; init; }

    /// <summary>The versions that are Published now because of it (including ones that already were).</summary>
    public required IReadOnlyList<PackageVersionInfo> Versions { get; init; }
}

// The Maven repository layout on top of the one publish path. Files are PUT one at a time into a version that stays
// Unfinished (not downloadable, not listed) until the client's maven-metadata.xml arrives, as in CodeArtifact. Checksum
// files are never stored: uploads are verified against the stored bytes and downloads are answered from the asset's
// digests. SNAPSHOT builds (timestamped file names) arrive as assets of the -SNAPSHOT version; when a build is finished,
// the files of older builds move to a version of their own named after the build (1.0-20261125.101010-1), Unlisted,
// so the SNAPSHOT version holds its current build and the old builds stay downloadable by their exact names.
public sealed partial class PackageService
{
    private const string MavenSnapshotSuffix = "-SNAPSHOT";
    private const int MaxMavenMetadataBytes = PackageLimits.MaxManifestBytes;

    // Maven's checksum extensions and the asset digest each one is.
    private static readonly Dictionary<string, (string Hash, int HexLength)> s_mavenChecksums = new(StringComparer.Ordinal)
    {
        ["md5"] = ("MD5", 32),
        ["sha1"] = ("SHA-1", 40),
        ["sha256"] = ("SHA-256", 64),
        ["sha512"] = ("SHA-512", 128),
    };

    [GeneratedRegex(@"^(?<timestamp>[0-9]{8}\.[0-9]{6})-(?<build>[1-9][0-9]{0,8})", RegexOptions.CultureInvariant)]
    private static partial Regex MavenQualifierPattern();

    [GeneratedRegex("^[A-Za-z0-9_-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex MavenClassifierPattern();

    /// <summary>The checksum extensions Maven uses (<c>md5</c>, <c>sha1</c>, <c>sha256</c>, <c>sha512</c>).</summary>
    public static IReadOnlyCollection<string> MavenChecksumExtensions => s_mavenChecksums.Keys;

    /// <summary>The key of <see cref="AssetInfo.Hashes"/> a checksum extension names (<c>sha1</c> → <c>SHA-1</c>).</summary>
    public static string MavenChecksumHash(string extension) => s_mavenChecksums[extension].Hash;

    /// <summary>Publishes one file PUT at its place in the layout; a version this creates stays Unfinished until its metadata arrives.</summary>
    public Task<Outcome<PackageVersionInfo>> PublishMavenFileAsync(string domain, string repository, string groupId, string artifactId,
        string version, string fileName, Stream content, CancellationToken cancellationToken)
    {
        var request = new PublishRequest(domain, repository, fileName)
        {
            Format = PackageFormats.Maven.Name,
            Namespace = groupId,
            Package = artifactId,
            Version = version,
            Unfinished = true,
        };
        return PublishAsync(request, content, cancellationToken);
    }

    /// <summary>A file of a Published or Unlisted version (an old SNAPSHOT build is found under its build version).</summary>
    public Outcome<AssetInfo> GetMavenFile(string domain, string repository, string groupId, string artifactId, string version, string fileName)
    {
        if (FindServedAsset(domain, repository, PackageFormats.Maven, groupId, artifactId, version, fileName) is { } served)
        {
            return ToAssetInfo(served.Package, served.Version, served.Asset);
        }
        var found = FindMavenAsset(domain, repository, groupId, artifactId, version, fileName, servedOnly: true);
        return found.Failure is { } failure ? failure : ToAssetInfo(found.Value.Package, found.Value.Version, found.Value.Asset);
    }

    /// <summary>Opens a file of a Published or Unlisted version for download.</summary>
    public async Task<Outcome<(AssetInfo Asset, Stream Content)>> OpenMavenFileAsync(string domain, string repository, string groupId,
        string artifactId, string version, string fileName, CancellationToken cancellationToken)
    {
        try
        {
            // The file of the version asked for, as most downloads are: one prepared query, the cached key.
            if (FindServedAsset(domain, repository, PackageFormats.Maven, groupId, artifactId, version, fileName) is { } served)
            {
                return await OpenServedAssetAsync(served, cancellationToken);
            }
            var found = FindMavenAsset(domain, repository, groupId, artifactId, version, fileName, servedOnly: true);
            if (found.Failure is { } failure) return failure;
            var (package, row, asset) = found.Value;
            var key = _store.Domains.GetKey(domain);
            if (key.Failure is { } noKey) return noKey;
            using var domainKey = key.Value!;
            var stream = await _store.Blobs.OpenReadAsync(domainKey, asset.Sha256, cancellationToken);
            return (ToAssetInfo(package, row, asset), stream);
        }
        catch (FileNotFoundException)
        {
            // Deleted between the lookup and the open.
            return MavenFileNotFound(fileName, $"'{fileName}' no longer exists.");
        }
    }

    /// <summary>
    /// Checks a checksum file a client uploads after its file (CodeArtifact: the file must be there, 404 otherwise, and the
    /// value must be the lower-case hex digest of the stored bytes, 400 otherwise). Nothing is stored either way.
    /// </summary>
    public Outcome<AssetInfo> VerifyMavenChecksum(string domain, string repository, string groupId, string artifactId, string version,
        string fileName, string extension, string content)
    {
        if (!s_mavenChecksums.TryGetValue(extension, out var checksum))
        {
            return new Failure(ErrorCodes.InvalidAssetName, FailureKind.Invalid,
                $"'.{extension}' is not a checksum Maven uses; use .md5, .sha1, .sha256 or .sha512.", extension);
        }
        var found = FindMavenAsset(domain, repository, groupId, artifactId, version, fileName, servedOnly: false);
        if (found.Failure is { } failure)
        {
            return failure.Kind == FailureKind.NotFound
                ? MavenFileNotFound($"{fileName}.{extension}", $"'{fileName}' has not been uploaded to {groupId}:{artifactId}:{version}; upload the file before its checksum.")
                : failure;
        }
        var (package, row, asset) = found.Value;
        var info = ToAssetInfo(package, row, asset);
        var expected = info.Hashes[checksum.Hash];
        var given = ChecksumValue(content);
        if (!string.Equals(given, expected, StringComparison.Ordinal))
        {
            var why = given.Length == 0 ? "the checksum file is empty"
                : given.Length != checksum.HexLength || !given.All(char.IsAsciiHexDigit) ? $"'{Shorten(given)}' is not a {checksum.Hash} digest ({checksum.HexLength} hex digits)"
                : $"it says {given}, but the stored '{fileName}' has {checksum.Hash} {expected} (lower-case hex)";
            return new Failure(ErrorCodes.DigestMismatch, FailureKind.Invalid, $"The {checksum.Hash} checksum of '{fileName}' does not match: {why}.", $"{fileName}.{extension}");
        }
        return info;
    }

    /// <summary>
    /// Checks a checksum uploaded for a <c>maven-metadata.xml</c>. The server renders its own metadata (and serves checksums
    /// of the bytes it renders), so the value is only checked for its shape, never kept.
    /// </summary>
    public static Failure? CheckMavenMetadataChecksum(string extension, string content)
    {
        if (!s_mavenChecksums.TryGetValue(extension, out var checksum))
        {
            return new Failure(ErrorCodes.InvalidAssetName, FailureKind.Invalid,
                $"'.{extension}' is not a checksum Maven uses; use .md5, .sha1, .sha256 or .sha512.", extension);
        }
        var given = ChecksumValue(content);
        return given.Length == checksum.HexLength && given.All(char.IsAsciiHexDigit)
            ? null
            : new Failure(ErrorCodes.DigestMismatch, FailureKind.Invalid,
                $"'{Shorten(given)}' is not a {checksum.Hash} digest ({checksum.HexLength} hex digits).", "maven-metadata.xml." + extension);
    }

    /// <summary>The Published versions of an artifact for its <c>maven-metadata.xml</c>; NotFound when it has none.</summary>
    public Outcome<MavenArtifactVersions> GetMavenArtifactVersions(string domain, string repository, string groupId, string artifactId)
    {
        var format = PackageFormats.Maven;
        using var connection = _store.Catalog.Open();
        var resolved = ResolvePackage(connection, null, domain, repository, format.Name, groupId, artifactId);
        if (resolved.Failure is { } failure) return failure;
        var package = resolved.Value!;
        var versions = new List<(string Version, long Updated)>();
        using (var command = Sql.Command(connection, "SELECT version, updated_time FROM package_versions WHERE package_id = $p AND status = $published;",
            null, ("$p", package.Id), ("$published", Published)))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read()) versions.Add((reader.GetString(0), reader.GetInt64(1)));
        }
        if (versions.Count == 0)
        {
            return new Failure(ErrorCodes.PackageVersionNotFound, FailureKind.NotFound,
                $"'{package.Info.DisplayName}' has no Published version in '{package.Info.Repository}' (versions are Published when their maven-metadata.xml is uploaded).",
                artifactId);
        }
        var ordered = versions.Select(v => v.Version).Order(Comparer<string>.Create(format.CompareVersions)).ToList();
        return new MavenArtifactVersions
        {
            GroupId = package.Info.Namespace ?? groupId,
            ArtifactId = package.Info.Package,
            Versions = ordered,
            Latest = ordered[^1],
            Release = ordered.LastOrDefault(v => !IsMavenSnapshot(v)),
            LastUpdated = Sql.Time(versions.Max(v => v.Updated)),
        };
    }

    /// <summary>The current build of a Published or Unlisted SNAPSHOT version; NotFound when it has no timestamped build.</summary>
    public Outcome<MavenSnapshot> GetMavenSnapshot(string domain, string repository, string groupId, string artifactId, string version)
    {
        if (!IsMavenSnapshot(version))
        {
            return MavenFileNotFound("maven-metadata.xml", $"{version} is not a SNAPSHOT version; only SNAPSHOT versions have version-level metadata.");
        }
        using var connection = _store.Catalog.Open();
        var found = FindMavenVersionRow(connection, domain, repository, groupId, artifactId, version);
        if (found.Failure is { } failure) return failure;
        var (package, row) = found.Value;
        if (row.Status is not (Published or Unlisted))
        {
            return MavenFileNotFound("maven-metadata.xml",
                $"Version {row.Version} of '{package.Info.DisplayName}' is {row.Status}; it is served once its maven-metadata.xml has been uploaded.");
        }
        var assets = MavenAssetList(connection, null, row.Id);
        var source = Sql.Scalar<string>(connection, "SELECT metadata_source FROM package_versions WHERE id = $v;", null, ("$v", row.Id));
        var files = assets.Select(a => (Asset: a, Parts: SplitMavenFileName(package.Info.Package, row.Version, a.Name)))
            .Where(f => f.Parts?.Qualifier is not null).ToList();
        var sourceBuild = source is null ? null : SplitMavenFileName(package.Info.Package, row.Version, source)?.Qualifier;
        var current = sourceBuild is not null && files.Any(f => f.Parts!.Value.Qualifier == sourceBuild)
            ? sourceBuild
            : files.Select(f => f.Parts!.Value.Qualifier!).OrderBy(q => q, s_qualifierOrder).LastOrDefault();
        if (current is null)
        {
            return MavenFileNotFound("maven-metadata.xml", $"Version {row.Version} of '{package.Info.DisplayName}' has no timestamped build.");
        }
        var build = files.Where(f => f.Parts!.Value.Qualifier == current).ToList();
        var value = SnapshotBase(row.Version) + current;
        var qualifier = MavenQualifierPattern().Match(current);
        return new MavenSnapshot
        {
            GroupId = package.Info.Namespace ?? groupId,
            ArtifactId = package.Info.Package,
            Version = row.Version,
            Timestamp = qualifier.Groups["timestamp"].Value,
            BuildNumber = int.Parse(qualifier.Groups["build"].Value, CultureInfo.InvariantCulture),
            LastUpdated = Sql.Time(build.Max(f => f.Asset.Created)),
            Files = build
                .Select(f => new MavenSnapshotFile { Classifier = f.Parts!.Value.Classifier, Extension = f.Parts.Value.Extension, Value = value, Updated = Sql.Time(f.Asset.Created) })
                .OrderBy(f => f.Extension, StringComparer.Ordinal).ThenBy(f => f.Classifier ?? "", StringComparer.Ordinal)
                .ToList(),
        };
    }

    /// <summary>
    /// Receives a client's <c>maven-metadata.xml</c> for the directory <paramref name="directory"/> (the path segments before
    /// the file name). Its coordinates must match the directory. Artifact level: every Unfinished version it lists is
    /// published. Version level: the SNAPSHOT version is published with the build the metadata names (older builds move
    /// to build versions). Group level (plugin prefixes): accepted and ignored. The document itself is never stored:
    /// the endpoint renders its own from the catalog.
    /// </summary>
    public async Task<Outcome<MavenMetadataReceipt>> PutMavenMetadataAsync(string domain, string repository, IReadOnlyList<string> directory,
        Stream content, CancellationToken cancellationToken)
    {
        var bytes = await ReadCappedAsync(content, MaxMavenMetadataBytes, cancellationToken);
        if (bytes is null) return PackageErrors.InvalidFile("maven-metadata.xml", $"the metadata is larger than {MaxMavenMetadataBytes} bytes.");
        var parsed = ParseMavenMetadata(bytes, directory);
        if (parsed.Failure is { } invalid) return invalid;
        var (level, groupId, artifactId, version, listed, build) = parsed.Value!;
        if (level == MavenMetadataLevel.Group) return new MavenMetadataReceipt { Level = level, Versions = [] };

        if (level == MavenMetadataLevel.Version)
        {
            var finished = await FinishMavenVersionAsync(domain, repository, groupId!, artifactId!, version!, build, cancellationToken);
            if (finished.Failure is { } failure) return failure;
            return new MavenMetadataReceipt { Level = level, Versions = [finished.Value!] };
        }

        List<string> unfinished;
        using (var connection = _store.Catalog.Open())
        {
            var resolved = ResolvePackage(connection, null, domain, repository, PackageFormats.Maven.Name, groupId, artifactId!);
            if (resolved.Failure is { } missing)
            {
                return missing.Kind == FailureKind.NotFound && missing.Code == ErrorCodes.PackageNotFound
                    ? new Failure(ErrorCodes.PackageNotFound, FailureKind.NotFound, missing.Message + " Upload its files before its maven-metadata.xml.", artifactId)
                    : missing;
            }
            var listedSet = listed.ToHashSet(StringComparer.Ordinal);
            unfinished = ListVersionRows(connection, null, resolved.Value!.Id)
                .Where(v => v.Status == Unfinished && listedSet.Contains(v.Version)).Select(v => v.Version).ToList();
        }
        var versions = new List<PackageVersionInfo>();
        foreach (var each in unfinished)
        {
            var finished = await FinishMavenVersionAsync(domain, repository, groupId!, artifactId!, each, null, cancellationToken);
            if (finished.Failure is { } failure) return failure;
            versions.Add(finished.Value!);
        }
        return new MavenMetadataReceipt { Level = level, Versions = versions };
    }

    /// <summary>
    /// Publishes a Maven version (Unfinished → Published); for a SNAPSHOT, also makes <paramref name="build"/>
    /// (<c>yyyyMMdd.HHmmss-N</c>; null or absent: the newest build present) its current build: the version's metadata
    /// comes from that build's POM, and the files of older builds move to Unlisted build versions. Archived and Disposed
    /// versions are refused; finishing a finished version again changes nothing.
    /// </summary>
    public async Task<Outcome<PackageVersionInfo>> FinishMavenVersionAsync(string domain, string repository, string groupId, string artifactId,
        string version, string? build, CancellationToken cancellationToken)
    {
        var format = PackageFormats.Maven;
        ResolvedPackage package;
        VersionRow row;
        string? current = null;
        StagedBlob? metadata = null;
        string? metadataSource = null;
        // Held until the staged metadata is committed: the blob's address is keyed with it.
        DomainKey? domainKey = null;
        try
        {
            using (var connection = _store.Catalog.Open())
            {
                var found = FindMavenVersionRow(connection, domain, repository, groupId, artifactId, version);
                if (found.Failure is { } failure)
                {
                    return failure.Kind == FailureKind.NotFound
                        ? new Failure(failure.Code, failure.Kind, failure.Message + " Upload its files before its maven-metadata.xml.", failure.Target)
                        : failure;
                }
                (package, row) = found.Value;
                if (row.Status is Archived or Disposed)
                {
                    return new Failure(ErrorCodes.VersionNotPublishable, FailureKind.Conflict,
                        $"Version {row.Version} of '{package.Info.DisplayName}' is {row.Status} and cannot be published again; delete it first.", row.Version);
                }
                if (IsMavenSnapshot(row.Version))
                {
                    var assets = MavenAssetList(connection, null, row.Id);
                    var builds = assets.Select(a => SplitMavenFileName(package.Info.Package, row.Version, a.Name)?.Qualifier)
                        .OfType<string>().Distinct(StringComparer.Ordinal).ToList();
                    current = build is not null && builds.Contains(build) ? build : builds.OrderBy(q => q, s_qualifierOrder).LastOrDefault();
                    var source = Sql.Scalar<string>(connection, "SELECT metadata_source FROM package_versions WHERE id = $v;", null, ("$v", row.Id));
                    var pom = current is null ? null : assets.FirstOrDefault(a => a.Name == $"{package.Info.Package}-{SnapshotBase(row.Version)}{current}.pom");
                    if (pom is not null && pom.Name != source)
                    {
                        var key = _store.Domains.GetKey(domain);
                        if (key.Failure is { } noKey) return noKey;
                        domainKey = key.Value!;
                        var staged = await StageMavenMetadataAsync(domainKey, package, row.Version, pom, cancellationToken);
                        if (staged.Failure is { } unreadable) return unreadable;
                        (metadata, metadataSource) = (staged.Value!, pom.Name);
                    }
                }
            }

            var released = false;
            using (var connection = _store.Catalog.Open())
            using (var transaction = connection.BeginTransaction(deferred: false))
            {
                var again = FindVersion(connection, transaction, package.Id, row.VersionKey);
                if (again is null || again.Id != row.Id || again.Status is Archived or Disposed)
                {
                    return new Failure(ErrorCodes.PackageVersionNotFound, FailureKind.NotFound,
                        $"Version {row.Version} of '{package.Info.DisplayName}' changed while it was being published; upload its maven-metadata.xml again.", row.Version);
                }
                var now = Sql.Now();
                var changed = false;
                if (current is not null) (changed, released) = MoveOlderBuilds(connection, transaction, package, again, current, metadata is not null, now);
                if (metadata is not null)
                {
                    _store.Blobs.Commit(metadata);
                    BlobCatalog.AddReference(connection, transaction, package.DomainId, metadata.Digests);
                    if (Sql.Scalar<string>(connection, "SELECT metadata_sha256 FROM package_versions WHERE id = $v;", transaction, ("$v", row.Id)) is { } previous)
                    {
                        released |= BlobCatalog.ReleaseReference(connection, transaction, package.DomainId, previous);
                    }
                    Sql.Execute(connection, "UPDATE package_versions SET metadata_sha256 = $sha, metadata_source = $source WHERE id = $v;", transaction,
                        ("$sha", metadata.Digests.Sha256), ("$source", metadataSource), ("$v", row.Id));
                    changed = true;
                }
                if (again.Status == Unfinished) Finish(connection, transaction, row.Id, now);
                if (changed) UpdateRevision(connection, transaction, row.Id, now);
                transaction.Commit();
            }
            if (released) FreeBlobs(domain, package.DomainId);
        }
        finally
        {
            metadata?.Dispose();
            domainKey?.Dispose();
        }
        return await GetVersionAsync(domain, repository, format.Name, groupId, artifactId, version, cancellationToken);
    }

    /// <summary>
    /// Moves the files of builds older than <paramref name="current"/> to their build versions (created Unlisted). The
    /// SNAPSHOT version's metadata goes along when it came from one of those builds and is about to be replaced.
    /// Returns whether files moved and whether a blob lost its last reference.
    /// </summary>
    private static (bool Moved, bool Released) MoveOlderBuilds(SqliteConnection connection, SqliteTransaction transaction, ResolvedPackage package, VersionRow snapshot,
        string current, bool replacingMetadata, long now)
    {
        var (moved, released) = (false, false);
        var source = Sql.Scalar<string>(connection, "SELECT metadata_source FROM package_versions WHERE id = $v;", transaction, ("$v", snapshot.Id));
        var sourceBuild = source is null ? null : SplitMavenFileName(package.Info.Package, snapshot.Version, source)?.Qualifier;
        var older = MavenAssetList(connection, transaction, snapshot.Id)
            .Select(a => (Asset: a, Qualifier: SplitMavenFileName(package.Info.Package, snapshot.Version, a.Name)?.Qualifier))
            .Where(a => a.Qualifier is not null && s_qualifierOrder.Compare(a.Qualifier, current) < 0)
            .GroupBy(a => a.Qualifier!, StringComparer.Ordinal);
        foreach (var group in older)
        {
            moved = true;
            var buildVersion = SnapshotBase(snapshot.Version) + group.Key;
            var target = FindVersion(connection, transaction, package.Id, buildVersion);
            var targetId = target?.Id ?? Sql.Scalar<long>(connection, """
                INSERT INTO package_versions (package_id, version, version_key, status, revision, origin_type, entry_repository, entry_external,
                                              published_time, updated_time)
                SELECT package_id, $version, $version, $unlisted, '', origin_type, entry_repository, entry_external, $published, $now
                FROM package_versions WHERE id = $v RETURNING id;
                """, transaction, ("$version", buildVersion), ("$unlisted", Unlisted), ("$published", group.Min(a => a.Asset.Created)),
                ("$now", now), ("$v", snapshot.Id));
            foreach (var (asset, _) in group)
            {
                var taken = Sql.Scalar<long?>(connection, "SELECT id FROM assets WHERE version_id = $v AND name = $name;", transaction,
                    ("$v", targetId), ("$name", asset.Name));
                if (taken is null)
                {
                    Sql.Execute(connection, "UPDATE assets SET version_id = $target WHERE id = $id;", transaction, ("$target", targetId), ("$id", asset.Id));
                    continue;
                }
                // The build version already has this file (a build deployed again): keep one copy.
                Sql.Execute(connection, "DELETE FROM assets WHERE id = $id;", transaction, ("$id", asset.Id));
                released |= BlobCatalog.ReleaseReference(connection, transaction, package.DomainId, asset.Sha256);
                if (asset.ManifestSha256 is { } manifest) released |= BlobCatalog.ReleaseReference(connection, transaction, package.DomainId, manifest);
            }
            var hasMetadata = Sql.Scalar<string>(connection, "SELECT metadata_sha256 FROM package_versions WHERE id = $v;", transaction, ("$v", targetId)) is not null;
            if (replacingMetadata && sourceBuild == group.Key && !hasMetadata
                && Sql.Scalar<string>(connection, "SELECT metadata_sha256 FROM package_versions WHERE id = $v;", transaction, ("$v", snapshot.Id)) is { } metadata)
            {
                // The build keeps the metadata of its own POM (one more reference; the SNAPSHOT version drops its own).
                Sql.Execute(connection, "UPDATE blobs SET ref_count = ref_count + 1 WHERE domain_id = $d AND sha256 = $sha;", transaction,
                    ("$d", package.DomainId), ("$sha", metadata));
                Sql.Execute(connection, "UPDATE package_versions SET metadata_sha256 = $sha, metadata_source = $source WHERE id = $v;", transaction,
                    ("$sha", metadata), ("$source", source), ("$v", targetId));
            }
            UpdateRevision(connection, transaction, targetId, now);
        }
        return (moved, released);
    }

    private async Task<Outcome<StagedBlob>> StageMavenMetadataAsync(DomainKey domainKey, ResolvedPackage package, string version, MavenAsset pom,
        CancellationToken cancellationToken)
    {
        Outcome<ParsedAsset> parsed;
        await using (var stream = await _store.Blobs.OpenReadAsync(domainKey, pom.Sha256, cancellationToken))
        {
            parsed = PackageFormats.Maven.Parse(stream, pom.Name, new PackageCoordinates(package.Info.Namespace, package.Info.Package, version), cancellationToken);
        }
        if (parsed.Failure is { } failure) return failure;
        if (parsed.Value!.Metadata is not { } metadata) return PackageErrors.InvalidFile(pom.Name, "the POM carries no metadata.");
        return await StageBytes(domainKey, JsonSerializer.SerializeToUtf8Bytes(metadata, s_json), cancellationToken);
    }

    // ------------------------------------------------------------------ lookups

    private sealed record MavenAsset(long Id, string Name, string Sha256, string? ManifestSha256, long Created);

    private static List<MavenAsset> MavenAssetList(SqliteConnection connection, SqliteTransaction? transaction, long versionId)
    {
        using var command = Sql.Command(connection, "SELECT id, name, sha256, manifest_sha256, created_time FROM assets WHERE version_id = $v ORDER BY name;",
            transaction, ("$v", versionId));
        using var reader = command.ExecuteReader();
        var assets = new List<MavenAsset>();
        while (reader.Read())
        {
            assets.Add(new MavenAsset(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetInt64(4)));
        }
        return assets;
    }

    private static Outcome<(ResolvedPackage Package, VersionRow Version)> FindMavenVersionRow(SqliteConnection connection, string domain, string repository,
        string groupId, string artifactId, string version)
    {
        var resolved = ResolvePackage(connection, null, domain, repository, PackageFormats.Maven.Name, groupId, artifactId);
        if (resolved.Failure is { } failure) return failure;
        var package = resolved.Value!;
        return FindVersionRow(connection, null, package, version) is { } row
            ? (package, row)
            : new Failure(ErrorCodes.PackageVersionNotFound, FailureKind.NotFound,
                $"Version {version} of '{package.Info.DisplayName}' does not exist in the repository '{package.Info.Repository}'.", version);
    }

    /// <summary>
    /// Finds a file in its version directory; a timestamped SNAPSHOT file that is not there is looked for in its build
    /// version (where finished older builds live). <paramref name="servedOnly"/>: only Published and Unlisted versions count.
    /// </summary>
    private Outcome<(ResolvedPackage Package, VersionRow Version, AssetRow Asset)> FindMavenAsset(string domain, string repository, string groupId,
        string artifactId, string version, string fileName, bool servedOnly)
    {
        using var connection = _store.Catalog.Open();
        var resolved = ResolvePackage(connection, null, domain, repository, PackageFormats.Maven.Name, groupId, artifactId);
        if (resolved.Failure is { } failure) return failure;
        var package = resolved.Value!;
        var candidates = new List<string> { version };
        if (IsMavenSnapshot(version) && SplitMavenFileName(package.Info.Package, version, fileName)?.Qualifier is { } qualifier)
        {
            candidates.Add(SnapshotBase(version) + qualifier);
        }
        foreach (var candidate in candidates)
        {
            if (FindVersionRow(connection, null, package, candidate) is not { } row) continue;
            if (AssetRows(connection, package.DomainId, row.Id).FirstOrDefault(a => a.Name == fileName) is not { } asset) continue;
            if (servedOnly && row.Status is not (Published or Unlisted))
            {
                return MavenFileNotFound(fileName, row.Status == Unfinished
                    ? $"Version {row.Version} of '{package.Info.DisplayName}' is Unfinished: its files can be downloaded once its maven-metadata.xml has been uploaded."
                    : $"Version {row.Version} of '{package.Info.DisplayName}' is {row.Status}; its files cannot be downloaded.");
            }
            if (row.Status == Disposed) continue;
            return (package, row, asset);
        }
        return MavenFileNotFound(fileName, $"'{fileName}' does not exist in {package.Info.DisplayName} {version} of '{package.Info.Repository}'.");
    }

    private static Failure MavenFileNotFound(string fileName, string message) => new(ErrorCodes.AssetNotFound, FailureKind.NotFound, message, fileName);

    // ------------------------------------------------------------------ file names and documents

    /// <summary>True for a version that ends in <c>-SNAPSHOT</c>.</summary>
    public static bool IsMavenSnapshot(string version) => version.EndsWith(MavenSnapshotSuffix, StringComparison.Ordinal);

    // "1.0-SNAPSHOT" → "1.0-": a build qualifier follows.
    private static string SnapshotBase(string version) => version[..^"SNAPSHOT".Length];

    /// <summary>
    /// Splits a file name of a version directory into its build qualifier (<c>yyyyMMdd.HHmmss-N</c> of a timestamped
    /// SNAPSHOT file; null for a plain one), classifier and extension; null when the name is not
    /// <c>{artifactId}-{version}[-{classifier}].{extension}</c>.
    /// </summary>
    internal static (string? Qualifier, string? Classifier, string Extension)? SplitMavenFileName(string artifactId, string version, string fileName)
    {
        var plain = artifactId + "-" + version;
        if (fileName.StartsWith(plain, StringComparison.Ordinal) && SplitMavenTail(fileName[plain.Length..]) is { } parts)
        {
            return (null, parts.Classifier, parts.Extension);
        }
        if (!IsMavenSnapshot(version)) return null;
        var timestamped = artifactId + "-" + SnapshotBase(version);
        if (!fileName.StartsWith(timestamped, StringComparison.Ordinal)) return null;
        var rest = fileName[timestamped.Length..];
        var qualifier = MavenQualifierPattern().Match(rest);
        if (!qualifier.Success) return null;
        return SplitMavenTail(rest[qualifier.Length..]) is { } tail ? (qualifier.Value, tail.Classifier, tail.Extension) : null;
    }

    private static (string? Classifier, string Extension)? SplitMavenTail(string tail)
    {
        if (tail.Length > 1 && tail[0] == '.') return (null, tail[1..]);
        if (tail.Length < 4 || tail[0] != '-' || tail.IndexOf('.', StringComparison.Ordinal) is not (var dot and > 1) || dot == tail.Length - 1) return null;
        var classifier = tail[1..dot];
        return MavenClassifierPattern().IsMatch(classifier) ? (classifier, tail[(dot + 1)..]) : null;
    }

    // Build qualifiers order by timestamp, then build number.
    private static readonly Comparer<string> s_qualifierOrder = Comparer<string>.Create((left, right) =>
    {
        var l = MavenQualifierPattern().Match(left);
        var r = MavenQualifierPattern().Match(right);
        var byTime = string.CompareOrdinal(l.Groups["timestamp"].Value, r.Groups["timestamp"].Value);
        return byTime != 0 ? byTime
            : long.Parse(l.Groups["build"].Value, CultureInfo.InvariantCulture).CompareTo(long.Parse(r.Groups["build"].Value, CultureInfo.InvariantCulture));
    });

    private sealed record MavenMetadataDocument(MavenMetadataLevel Level, string? GroupId, string? ArtifactId, string? Version,
        IReadOnlyList<string> Versions, string? Build);

    /// <summary>Reads a client's metadata (no DTDs, no entities) and checks that it describes the directory it was PUT in.</summary>
    private static Outcome<MavenMetadataDocument> ParseMavenMetadata(byte[] bytes, IReadOnlyList<string> directory)
    {
        const string name = "maven-metadata.xml";
        var loaded = SafeXml.Load(bytes, name);
        if (loaded.Failure is { } unreadable) return unreadable;
        var root = loaded.Value!.Root;
        if (root is null || root.Name.LocalName != "metadata") return PackageErrors.InvalidFile(name, "the root element is not <metadata>.");
        static string? Text(XElement? parent, string child) =>
            parent?.Elements().FirstOrDefault(e => e.Name.LocalName == child)?.Value.Trim() is { Length: > 0 } value ? value : null;
        var groupId = Text(root, "groupId");
        var artifactId = Text(root, "artifactId");
        var version = Text(root, "version");
        var versioning = root.Elements().FirstOrDefault(e => e.Name.LocalName == "versioning");
        var where = string.Join('/', directory);

        if (artifactId is null)
        {
            // Group level: plugin prefixes (or an empty document); nothing here is kept.
            if (groupId is not null && groupId != string.Join('.', directory))
            {
                return PackageErrors.Mismatch(name, $"it is for the group {groupId} but was uploaded to {where}/.");
            }
            return new MavenMetadataDocument(MavenMetadataLevel.Group, groupId, null, null, [], null);
        }
        if (groupId is null) return PackageErrors.InvalidFile(name, "it names an <artifactId> but no <groupId>.");

        if (version is not null && directory.Count >= 3 && directory[^1] == version)
        {
            var expected = $"{string.Join('.', directory.Take(directory.Count - 2))}:{directory[^2]}:{directory[^1]}";
            if ($"{groupId}:{artifactId}:{version}" != expected)
            {
                return PackageErrors.Mismatch(name, $"it is for {groupId}:{artifactId}:{version} but was uploaded to {where}/ ({expected}).");
            }
            var snapshot = versioning?.Elements().FirstOrDefault(e => e.Name.LocalName == "snapshot");
            var timestamp = Text(snapshot, "timestamp");
            var buildNumber = Text(snapshot, "buildNumber");
            var build = timestamp is not null && buildNumber is not null && MavenQualifierPattern().Match($"{timestamp}-{buildNumber}") is { Success: true } match
                && match.Length == timestamp.Length + 1 + buildNumber.Length
                ? match.Value
                : null;
            return new MavenMetadataDocument(MavenMetadataLevel.Version, groupId, artifactId, version, [version], build);
        }

        var artifactLevel = directory.Count >= 2 ? $"{string.Join('.', directory.Take(directory.Count - 1))}:{directory[^1]}" : where;
        if ($"{groupId}:{artifactId}" != artifactLevel)
        {
            return PackageErrors.Mismatch(name, $"it is for {groupId}:{artifactId}" + (version is null ? "" : $":{version}") + $" but was uploaded to {where}/.");
        }
        var listed = versioning?.Elements().FirstOrDefault(e => e.Name.LocalName == "versions")?.Elements()
            .Where(e => e.Name.LocalName == "version").Select(e => e.Value.Trim()).Where(v => v.Length > 0).ToList() ?? [];
        // Maven 2 clients put the version being deployed in <version> of the artifact-level document too.
        if (version is not null) listed.Add(version);
        foreach (var entry in new[] { Text(versioning, "release"), Text(versioning, "latest") }) if (entry is not null) listed.Add(entry);
        return new MavenMetadataDocument(MavenMetadataLevel.Artifact, groupId, artifactId, null, listed, null);
    }

    private static string ChecksumValue(string content)
    {
        // The resolver's own reading: the first non-empty line, up to the first space ("hex  file-name" tools).
        var line = content.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? "";
        var space = line.IndexOfAny([' ', '\t']);
        return space < 0 ? line : line[..space];
    }

    private static string Shorten(string value) => value.Length <= 40 ? value : value[..40] + "…";

    private static async Task<byte[]?> ReadCappedAsync(Stream content, int limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await content.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
