using PSCodeArtifact.Core.Formats;

namespace PSCodeArtifact.Core.Services;

// The PyPI simple API across upstream repositories and external connections: project pages merged over the chain, the
// project list over the repositories searched, and downloads that find (and retain, or ingest) a file where the chain has it.
public sealed partial class PackageService
{
    /// <summary>
    /// A project's page as a package manager asking <paramref name="repository"/> sees it: per version, the files of the first
    /// member of the chain that holds the version (so a version held here shadows what upstreams and the remote have of it),
    /// with hashes, Requires-Python and yanked markers as that member has them. A version that came from a remote (retained or
    /// ingested, so it may hold only the files asked for so far) is completed with the other files the same connection lists.
    /// PEP 658 metadata is offered for stored files only. A remote that is down does not hide what the repositories hold; it
    /// fails the page only when nothing else could be listed.
    /// </summary>
    public async Task<Outcome<PypiProject>> GetPypiProjectThroughUpstreamsAsync(string domain, string repository, string project,
        CancellationToken cancellationToken)
    {
        var format = PackageFormats.Pypi;
        if (format.CheckName(null, project) is { } badName) return NotAPypiProject(project, badName.Message);
        var resolved = ResolveChain(domain, repository, format.Name, null, project);
        if (resolved.Failure is { } failure) return failure;
        var chain = resolved.Value!;
        if (chain.IsLocalOnly) return await GetPypiProjectAsync(domain, repository, project, cancellationToken);

        var versions = new Dictionary<string, MergedPypiVersion>(StringComparer.Ordinal);
        string? name = null;
        Failure? remoteFailure = null;
        foreach (var member in chain.Members)
        {
            if (member.External is { } source)
            {
                var page = await PypiRemotePageAsync(chain, source, cancellationToken);
                if (page.Failure is { } unavailable)
                {
                    remoteFailure ??= unavailable;
                    continue;
                }
                if (page.Value is not { } remote) continue;
                name ??= remote.Name;
                MergeRemote(versions, remote, source);
            }
            else if (member.PackageId is { } packageId)
            {
                List<PypiRow> rows;
                using (var connection = _store.Catalog.Open())
                {
                    name ??= Sql.Scalar<string>(connection, "SELECT name FROM packages WHERE id = $p;", null, ("$p", packageId));
                    rows = PypiRows(connection, chain.DomainId, packageId);
                }
                await MergeLocalAsync(versions, rows, domain, cancellationToken);
            }
        }

        var files = versions.Values.Where(v => v.Served).SelectMany(v => v.Files)
            .OrderBy(f => f.Version, Comparer<string>.Create(format.CompareVersions))
            .ThenBy(f => f.FileName, StringComparer.Ordinal)
            .ToList();
        if (files.Count == 0 && remoteFailure is not null) return remoteFailure;
        if (name is null && files.Count == 0)
        {
            return new Failure(ErrorCodes.PackageNotFound, FailureKind.NotFound,
                $"The pypi package '{project}' is not in the repository '{chain.Asked.Repository}' of the domain '{domain}', its upstreams or their external connections.",
                project);
        }
        return new PypiProject
        {
            Name = name ?? chain.NameKey,
            NormalizedName = chain.NameKey,
            Versions = files.Select(f => f.Version).Distinct(StringComparer.Ordinal).ToList(),
            Files = files,
        };
    }

    /// <summary>
    /// The projects a package manager asking <paramref name="repository"/> can find: those with files in it or in the
    /// repositories it searches (remotes are not listed). A project whose package here blocks upstreams is listed only if
    /// this repository has files of it.
    /// </summary>
    public Outcome<IReadOnlyList<PypiProjectName>> ListPypiProjectsThroughUpstreams(string domain, string repository)
    {
        var order = _store.Repositories.ResolveSearchOrder(domain, repository);
        if (order.Failure is { } failure) return failure;
        if (order.Value!.Count == 1) return ListPypiProjects(domain, repository);
        HashSet<string> blocked;
        using (var connection = _store.Catalog.Open())
        {
            var repo = ResolveRepository(connection, null, domain, repository);
            if (repo.Failure is { } missing) return missing;
            using var command = Sql.Command(connection, """
                SELECT name_key FROM packages WHERE repository_id = $repo AND format = 'pypi' AND origin_upstream = $block;
                """, null, ("$repo", repo.Value.RepositoryId), ("$block", PackageOriginConfiguration.Block));
            using var reader = command.ExecuteReader();
            blocked = new HashSet<string>(StringComparer.Ordinal);
            while (reader.Read()) blocked.Add(reader.GetString(0));
        }
        var projects = new Dictionary<string, PypiProjectName>(StringComparer.Ordinal);
        foreach (var (member, index) in order.Value.Select((member, index) => (member, index)))
        {
            var listed = ListPypiProjects(domain, member);
            // A repository removed since the search order was read lists nothing.
            if (listed.Failure is not null) continue;
            foreach (var project in listed.Value!)
            {
                if (index > 0 && blocked.Contains(project.NormalizedName)) continue;
                projects.TryAdd(project.NormalizedName, project);
            }
        }
        return projects.Values.OrderBy(p => p.NormalizedName, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Opens a distribution file for a package manager through the chain: the first repository holding the version serves it
    /// (and the asked repository retains it); a file only a remote has is fetched once, verified against the SHA-256 the
    /// remote lists, and stored.
    /// </summary>
    public async Task<Outcome<(AssetInfo Asset, Stream Content)>> OpenPypiFileThroughUpstreamsAsync(string domain, string repository, string project,
        string version, string fileName, CancellationToken cancellationToken)
    {
        if (PackageFormats.Pypi.CheckName(null, project) is { } badName) return NotAPypiProject(project, badName.Message);
        return await OpenAssetThroughUpstreamsAsync(domain, repository, PackageFormats.Pypi.Name, null, project, version, fileName, cancellationToken);
    }

    /// <summary>
    /// Opens the PEP 658 core metadata of a wheel from the first repository of the chain that holds its version with that file
    /// (project pages offer metadata for stored files only, so a remote is never asked).
    /// </summary>
    public async Task<Outcome<(AssetInfo Asset, Stream Content)>> OpenPypiCoreMetadataThroughUpstreamsAsync(string domain, string repository,
        string project, string version, string fileName, CancellationToken cancellationToken)
    {
        var format = PackageFormats.Pypi;
        if (format.CheckName(null, project) is { } badName) return NotAPypiProject(project, badName.Message);
        var resolved = ResolveChain(domain, repository, format.Name, null, project);
        if (resolved.Failure is { } failure) return failure;
        var chain = resolved.Value!;
        if (chain.IsLocalOnly) return await OpenPypiCoreMetadataAsync(domain, repository, project, version, fileName, cancellationToken);
        var versionKey = format.NormalizeVersion(version).Value ?? version;
        foreach (var member in chain.Members)
        {
            if (member.IsExternal || member.PackageId is not { } packageId) continue;
            using (var connection = _store.Catalog.Open())
            {
                if (FindVersion(connection, null, packageId, versionKey) is not { } row) continue;
                // As for files: the first repository holding the version decides, unless it lacks the file.
                if (IsServedOnPypi(row.Status) && !AssetRows(connection, chain.DomainId, row.Id).Any(a => a.Name == fileName)) continue;
            }
            return await OpenPypiCoreMetadataAsync(domain, member.Repository, project, version, fileName, cancellationToken);
        }
        return new Failure(ErrorCodes.AssetNotFound, FailureKind.NotFound,
            $"'{fileName}' is not stored in '{chain.Asked.Repository}' or its upstreams, so it has no core metadata file here (PEP 658 metadata is served for stored wheels only).",
            fileName + ".metadata");
    }

    /// <summary>A version of the merged page: who listed it first, whether it is served, and its files so far.</summary>
    private sealed class MergedPypiVersion(string version, bool served, bool yanked, string? externalEntry)
    {
        // The names in Files: a remote may list hundreds of thousands of files for one version.
        private readonly HashSet<string> _names = new(StringComparer.Ordinal);

        public string Version { get; } = version;

        public bool Served { get; } = served;

        /// <summary>The first holder's Unlisted status yanks the files other members complete it with.</summary>
        public bool Yanked { get; } = yanked;

        /// <summary>The external connection the version came from, when it did; only that connection's files complete it.</summary>
        public string? ExternalEntry { get; } = externalEntry;

        public List<PypiFile> Files { get; } = [];

        public bool CompletesFrom(string? externalEntry) =>
            Served && ExternalEntry is not null && string.Equals(ExternalEntry, externalEntry, StringComparison.OrdinalIgnoreCase);

        public void Complete(PypiFile file)
        {
            if (!_names.Add(file.FileName)) return;
            Files.Add(Yanked && !file.Yanked ? file with { Yanked = true } : file);
        }
    }

    private async Task MergeLocalAsync(Dictionary<string, MergedPypiVersion> versions, List<PypiRow> rows, string domain, CancellationToken cancellationToken)
    {
        foreach (var held in rows.GroupBy(r => r.VersionKey, StringComparer.Ordinal))
        {
            var first = held.First();
            var served = IsServedOnPypi(first.Status);
            var entry = first.OriginType == "EXTERNAL" ? first.EntryExternal : null;
            if (!versions.TryGetValue(held.Key, out var merged))
            {
                versions[held.Key] = merged = new MergedPypiVersion(first.Version, served, first.Status == Unlisted, entry);
            }
            else if (!(served && merged.CompletesFrom(entry)))
            {
                continue;
            }
            if (!served) continue;
            foreach (var row in held.Where(r => r.File is not null)) merged.Complete(await ToPypiFileAsync(domain, row, cancellationToken));
        }
    }

    private static void MergeRemote(Dictionary<string, MergedPypiVersion> versions, PypiRemotePage page, ExternalSource source)
    {
        foreach (var file in page.Files)
        {
            if (!versions.TryGetValue(file.VersionKey, out var merged))
            {
                versions[file.VersionKey] = merged = new MergedPypiVersion(file.VersionKey, served: true, yanked: false, source.Name);
            }
            else if (!merged.CompletesFrom(source.Name))
            {
                continue;
            }
            merged.Complete(new PypiFile
            {
                FileName = file.FileName,
                Version = merged.Version,
                Size = file.Size,
                Sha256 = file.Sha256,
                RequiresPython = file.RequiresPython,
                UploadTime = file.UploadTime,
                Yanked = file.Yanked,
                YankedReason = file.YankedReason,
            });
        }
    }
}
