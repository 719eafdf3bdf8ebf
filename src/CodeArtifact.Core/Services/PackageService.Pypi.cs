using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using PSCodeArtifact.Core.Formats;
using PSCodeArtifact.Core.Storage;

namespace PSCodeArtifact.Core.Services;

/// <summary>A project as the PyPI simple API's project list names it.</summary>
public sealed record PypiProjectName(string Name, string NormalizedName);

/// <summary>A distribution file as the PyPI simple API lists it (PEP 503, 592, 658, 691, 700).</summary>
public sealed record PypiFile
{
    public required string FileName { get; init; }

    /// <summary>The version as published.</summary>
    public required string Version { get; init; }

    /// <summary>The size in bytes; null for a remote file whose index page does not say (PEP 503 HTML has no sizes).</summary>
    public required long? Size { get; init; }

    public required string Sha256 { get; init; }

    /// <summary>The SHA-256 of the PEP 658 core metadata file (the wheel's exact METADATA bytes); null when none is served.</summary>
    public string? CoreMetadataSha256 { get; init; }

    /// <summary>The file's own <c>Requires-Python</c>; null when it declares none.</summary>
    public string? RequiresPython { get; init; }

    /// <summary>When the file was stored; null for a remote file whose index page does not say.</summary>
    public required DateTimeOffset? UploadTime { get; init; }

    /// <summary>True for files of Unlisted versions and files a remote lists as yanked: PEP 592, so only an exact pin installs them.</summary>
    public required bool Yanked { get; init; }

    /// <summary>The reason a remote gave for yanking the file; null when it gave none (and for Unlisted versions).</summary>
    public string? YankedReason { get; init; }

    public override string ToString() => FileName;
}

/// <summary>A PyPI project's installable files, oldest version first.</summary>
public sealed record PypiProject
{
    /// <summary>The name as first published.</summary>
    public required string Name { get; init; }

    /// <summary>The PEP 503 normalised name.</summary>
    public required string NormalizedName { get; init; }

    /// <summary>Every version that has a listed file, in PEP 440 order (PEP 700's <c>versions</c>).</summary>
    public required IReadOnlyList<string> Versions { get; init; }

    public required IReadOnlyList<PypiFile> Files { get; init; }

    public override string ToString() => Name;
}

// The reads behind the PyPI simple API. Only Published and Unlisted versions are served: Archived and Unfinished versions
// keep their files but hand none out, and Disposed versions have none.
public sealed partial class PackageService
{
    private const int MaxCachedRequiresPython = 50_000;

    // Requires-Python of a manifest blob, keyed by domain and the manifest's SHA-256: content-addressed, so never stale.
    private readonly ConcurrentDictionary<string, string?> _pypiRequiresPython = new(StringComparer.Ordinal);

    private static bool IsServedOnPypi(string status) => status is Published or Unlisted;

    /// <summary>
    /// PEP 658 metadata is offered for wheels only: an sdist's PKG-INFO may lack its dependencies (setuptools keeps
    /// Requires-Dist in requires.txt before Metadata-Version 2.2), and pip would resolve with what it advertises.
    /// </summary>
    private static bool HasCoreMetadata(string fileName) => fileName.EndsWith(".whl", StringComparison.Ordinal);

    /// <summary>The PyPI projects of a repository that have at least one file to install, by normalised name.</summary>
    public Outcome<IReadOnlyList<PypiProjectName>> ListPypiProjects(string domain, string repository)
    {
        using var connection = _store.Catalog.Open();
        var repo = ResolveRepository(connection, null, domain, repository);
        if (repo.Failure is { } missing) return missing;
        using var command = Sql.Command(connection, """
            SELECT p.name, p.name_key FROM packages p
            WHERE p.repository_id = $repo AND p.format = 'pypi' AND EXISTS (
                SELECT 1 FROM package_versions v JOIN assets a ON a.version_id = v.id
                WHERE v.package_id = p.id AND v.status IN ($published, $unlisted))
            ORDER BY p.name_key;
            """, null, ("$repo", repo.Value.RepositoryId), ("$published", Published), ("$unlisted", Unlisted));
        using var reader = command.ExecuteReader();
        var projects = new List<PypiProjectName>();
        while (reader.Read()) projects.Add(new PypiProjectName(reader.GetString(0), reader.GetString(1)));
        return projects;
    }

    /// <summary>
    /// A project's served files with their sizes, hashes, upload times, yanked flags and core metadata digests (one catalog
    /// query), and each file's Requires-Python from its own manifest. <paramref name="project"/> may be any spelling.
    /// </summary>
    public async Task<Outcome<PypiProject>> GetPypiProjectAsync(string domain, string repository, string project, CancellationToken cancellationToken)
    {
        var format = PackageFormats.Pypi;
        if (format.CheckName(null, project) is { } badName) return NotAPypiProject(project, badName.Message);
        List<PypiRow> rows;
        ResolvedPackage package;
        using (var connection = _store.Catalog.Open())
        {
            var resolved = ResolvePackage(connection, null, domain, repository, format.Name, null, project);
            if (resolved.Failure is { } failure) return failure;
            package = resolved.Value!;
            rows = PypiRows(connection, package.DomainId, package.Id);
        }

        var files = new List<PypiFile>(rows.Count);
        foreach (var row in rows.Where(r => r.File is not null && IsServedOnPypi(r.Status))
            .OrderBy(r => r.Version, Comparer<string>.Create(format.CompareVersions))
            .ThenBy(r => r.File!.Name, StringComparer.Ordinal))
        {
            files.Add(await ToPypiFileAsync(domain, row, cancellationToken));
        }
        return new PypiProject
        {
            Name = package.Info.Package,
            NormalizedName = package.NameKey,
            Versions = files.Select(f => f.Version).Distinct(StringComparer.Ordinal).ToList(),
            Files = files,
        };
    }

    /// <summary>A version of a PyPI package with one of its files (none: <see cref="File"/> is null), as the simple API needs them.</summary>
    private sealed record PypiRow(string Version, string VersionKey, string Status, string OriginType, string? EntryExternal, PypiRowFile? File);

    private sealed record PypiRowFile(string Name, string Sha256, string? Manifest, long Created, long Size);

    /// <summary>Every version of a package (any status) with each of its files, in one catalog query.</summary>
    private static List<PypiRow> PypiRows(SqliteConnection connection, long domainId, long packageId)
    {
        using var command = Sql.Command(connection, """
            SELECT v.version, v.version_key, v.status, v.origin_type, v.entry_external, a.name, a.sha256, a.manifest_sha256, a.created_time, b.size
            FROM package_versions v
            LEFT JOIN assets a ON a.version_id = v.id
            LEFT JOIN blobs b ON b.domain_id = $d AND b.sha256 = a.sha256
            WHERE v.package_id = $p;
            """, null, ("$d", domainId), ("$p", packageId));
        using var reader = command.ExecuteReader();
        var rows = new List<PypiRow>();
        while (reader.Read())
        {
            var file = reader.IsDBNull(5) || reader.IsDBNull(9) ? null
                : new PypiRowFile(reader.GetString(5), reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetString(7), reader.GetInt64(8), reader.GetInt64(9));
            rows.Add(new PypiRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), file));
        }
        return rows;
    }

    /// <summary>A stored file as the simple API lists it; Requires-Python comes from its own manifest.</summary>
    private async Task<PypiFile> ToPypiFileAsync(string domain, PypiRow row, CancellationToken cancellationToken)
    {
        var file = row.File!;
        return new PypiFile
        {
            FileName = file.Name,
            Version = row.Version,
            Size = file.Size,
            Sha256 = file.Sha256,
            CoreMetadataSha256 = HasCoreMetadata(file.Name) ? file.Manifest : null,
            RequiresPython = file.Manifest is null ? null : await RequiresPythonAsync(domain, file.Manifest, cancellationToken),
            UploadTime = Sql.Time(file.Created),
            Yanked = row.Status == Unlisted,
        };
    }

    /// <summary>Opens a distribution file of a Published or Unlisted version; any other version's files are not found.</summary>
    public async Task<Outcome<(AssetInfo Asset, Stream Content)>> OpenPypiFileAsync(string domain, string repository, string project,
        string version, string fileName, CancellationToken cancellationToken)
    {
        var served = FindServedPypiVersion(domain, repository, project, version, fileName);
        if (served.Failure is { } failure) return failure;
        using var connection = _store.Catalog.Open();
        return await OpenAssetAsync(connection, served.Value.Package, served.Value.Version, fileName, null, cancellationToken);
    }

    /// <summary>
    /// Opens the PEP 658 core metadata of a wheel: the exact METADATA bytes it holds, whose SHA-256 the project page
    /// advertises. The returned asset describes those bytes (name <c>{file}.metadata</c>).
    /// </summary>
    public async Task<Outcome<(AssetInfo Asset, Stream Content)>> OpenPypiCoreMetadataAsync(string domain, string repository, string project,
        string version, string fileName, CancellationToken cancellationToken)
    {
        var served = FindServedPypiVersion(domain, repository, project, version, fileName);
        if (served.Failure is { } failure) return failure;
        var (package, row) = served.Value;
        AssetRow? manifest = null;
        using (var connection = _store.Catalog.Open())
        {
            using var command = Sql.Command(connection, """
                SELECT a.manifest_sha256, b.sha1, b.md5, b.sha512, b.size FROM assets a
                JOIN blobs b ON b.domain_id = $d AND b.sha256 = a.manifest_sha256
                WHERE a.version_id = $v AND a.name = $name;
                """, null, ("$d", package.DomainId), ("$v", row.Id), ("$name", fileName));
            using var reader = command.ExecuteReader();
            if (reader.Read())
            {
                manifest = new AssetRow(fileName + ".metadata", reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4));
            }
        }
        if (manifest is null || !HasCoreMetadata(fileName))
        {
            return new Failure(ErrorCodes.AssetNotFound, FailureKind.NotFound,
                $"'{fileName}' has no core metadata file; PEP 658 metadata is served for wheels only.", fileName + ".metadata");
        }
        var key = _store.Domains.GetKey(domain);
        if (key.Failure is { } noKey) return noKey;
        using var domainKey = key.Value!;
        var stream = await _store.Blobs.OpenReadAsync(domainKey, manifest.Sha256, cancellationToken);
        return (ToAssetInfo(package, row, manifest), stream);
    }

    private Outcome<(ResolvedPackage Package, VersionRow Version)> FindServedPypiVersion(string domain, string repository, string project,
        string version, string fileName)
    {
        if (PackageFormats.Pypi.CheckName(null, project) is { } badName) return NotAPypiProject(project, badName.Message);
        var found = FindVersion(domain, repository, PackageFormats.Pypi.Name, null, project, version);
        if (found.Failure is { } failure) return failure;
        var (package, row) = found.Value;
        if (!IsServedOnPypi(row.Status))
        {
            return new Failure(ErrorCodes.AssetNotFound, FailureKind.NotFound,
                $"Version {row.Version} of '{package.Info.DisplayName}' is {row.Status}; only Published and Unlisted versions are served, so '{fileName}' is not.",
                fileName);
        }
        return (package, row);
    }

    private static Failure NotAPypiProject(string project, string why) =>
        new(ErrorCodes.PackageNotFound, FailureKind.NotFound, $"'{project}' is not a PyPI project name: {why}", project);

    private async Task<string?> RequiresPythonAsync(string domain, string manifestSha256, CancellationToken cancellationToken)
    {
        var cacheKey = domain + "/" + manifestSha256;
        if (_pypiRequiresPython.TryGetValue(cacheKey, out var cached)) return cached;
        var key = _store.Domains.GetKey(domain);
        if (!key.Succeeded) return null;
        byte[] bytes;
        using (var domainKey = key.Value!)
        {
            try
            {
                await using var stream = await _store.Blobs.OpenReadAsync(domainKey, manifestSha256, cancellationToken);
                if (stream.Length > PackageLimits.MaxManifestBytes) return null;
                bytes = new byte[stream.Length];
                await stream.ReadExactlyAsync(bytes, cancellationToken);
            }
            catch (FileNotFoundException)
            {
                return null;
            }
        }
        var requiresPython = CoreMetadata.TryParse(bytes, out var metadata) is null
            && metadata.Get("Requires-Python")?.Trim() is { Length: > 0 } value
            ? value
            : null;
        // A crude bound: the cache only saves blob reads, so starting over is harmless.
        if (_pypiRequiresPython.Count >= MaxCachedRequiresPython) _pypiRequiresPython.Clear();
        _pypiRequiresPython[cacheKey] = requiresPython;
        return requiresPython;
    }
}
