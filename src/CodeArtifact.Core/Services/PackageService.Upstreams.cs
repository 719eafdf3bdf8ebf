using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using PSCodeArtifact.Core.Formats;
using PSCodeArtifact.Core.Storage;

namespace PSCodeArtifact.Core.Services;

/// <summary>
/// One place a request for a package looks: a repository of the chain (with the package's row there, if it has one), or the
/// external connection of the repository before it (<see cref="External"/> set; <see cref="RepositoryId"/> is its holder).
/// </summary>
internal sealed record ChainMember(long RepositoryId, string Repository, long? PackageId, PackageOriginConfiguration? Origin, ExternalSource? External)
{
    public bool IsExternal => External is not null;
}

/// <summary>
/// Where a package-manager request for one package looks, in order: the asked repository, then (unless its origin
/// configuration says upstream=BLOCK) its external connection and its upstreams depth-first, each repository at most once and
/// at most <see cref="Names.MaxUpstreamsSearched"/> repositories. A repository whose package says upstream=BLOCK hides what lies
/// behind it for that package. Computed on every request from the catalog's package rows and the domain's upstream graph, which
/// is reread whenever the catalog says it changed, so cmdlet changes apply to the next request.
/// </summary>
internal sealed record UpstreamChain(string Domain, long DomainId, IPackageFormat Format, string? Namespace, string Name, string NamespaceKey,
    string NameKey, IReadOnlyList<ChainMember> Members)
{
    public ChainMember Asked => Members[0];

    /// <summary>True when nothing but the asked repository is searched.</summary>
    public bool IsLocalOnly => Members.Count == 1;

    /// <summary>The catalog's random identity (stamps built from its counters never match another catalog's).</summary>
    public long CatalogId { get; init; }

    /// <summary>The catalog's upstream counter when the chain was read (it only grows).</summary>
    public long UpstreamCounter { get; init; }

    /// <summary>The <c>change_seq</c> of each member's package row, by package id: it moves with every change of its versions, assets and tags.</summary>
    public IReadOnlyDictionary<long, long> PackageChanges { get; init; } = new Dictionary<long, long>();

    /// <summary>
    /// Changes whenever anything the chain's repositories hold for the package may have changed: the catalog, its upstream
    /// counter, <see cref="Stamp"/> and each member package's change sequence (what remotes answer is not part of it). Built
    /// from counters that only grow, it never comes back once things changed, so what was read after it may stand for it.
    /// </summary>
    public string ContentStamp
    {
        get
        {
            var text = new System.Text.StringBuilder().Append(CatalogId).Append('|').Append(UpstreamCounter).Append('|').Append(Stamp).Append('|');
            foreach (var (package, changes) in PackageChanges.OrderBy(p => p.Key)) text.Append(package).Append('@').Append(changes).Append(',');
            return text.ToString();
        }
    }

    /// <summary>Changes whenever the chain's composition changes (a link, a connection, a package row, an origin setting).</summary>
    public string Stamp => string.Join(',', Members.Select(m => m.External is { } e
        ? $"x{e.ConnectionId}"
        : $"r{m.RepositoryId}:{m.PackageId}:{m.Origin?.Publish}{m.Origin?.Upstream}"));
}

/// <summary>Where an asset of a version listed by a remote is, and what it must hash to (null digests are not checked).</summary>
internal sealed record RemoteAsset(Uri Url, ExpectedDigests? Expected);

// Upstream repositories and external connections: the chain a request searches, retention of versions served through it,
// ingestion from remotes, and the dependency-confusion check on publish. Per-format merging of metadata lives in the format
// partials; they build on ResolveChain, RemoteVersionsAsync and OpenAssetThroughChainAsync.
public sealed partial class PackageService
{
    /// <summary>How long one ingestion (locating, downloading and storing one asset) may take.</summary>
    private static readonly TimeSpan s_fetchTimeout = TimeSpan.FromMinutes(30);

    private readonly ConcurrentDictionary<string, Task<Outcome<bool>>> _ingests = new(StringComparer.Ordinal);

    // The upstream graph of each domain read so far, current while the catalog's upstream counter has its value.
    private readonly ConcurrentDictionary<string, UpstreamGraph> _upstreamGraphs = new(StringComparer.Ordinal);

    /// <summary>
    /// The chain a package-manager request for one package searches (see <see cref="UpstreamChain"/>). The domain's upstream
    /// graph comes from memory while the catalog's <c>upstreams</c> counter says it is current (see <see cref="UpstreamGraph"/>);
    /// the package rows of every repository the chain could reach are read with the counter in one prepared query.
    /// </summary>
    internal Outcome<UpstreamChain> ResolveChain(string domain, string repository, string format, string? @namespace, string package)
    {
        var formatOutcome = PackageFormats.Get(format);
        if (formatOutcome.Failure is { } badFormat) return badFormat;
        var f = formatOutcome.Value!;
        @namespace = StripScope(f, @namespace);
        var nsKey = f.NormalizeNamespace(@namespace);
        var nameKey = f.NormalizeName(package);

        using var reader = _store.Catalog.RentReader();
        var graph = _upstreamGraphs.GetValueOrDefault(domain);
        for (var fresh = graph is null; ; fresh = true)
        {
            if (fresh)
            {
                graph = LoadUpstreamGraph(domain);
                if (graph is null) return DomainService.NotFound(domain);
            }
            if (!graph!.TryFind(repository, out var repositoryId))
            {
                // The repository may be newer than the graph in memory.
                if (!fresh) continue;
                return RepositoryService.NotFound(domain, repository);
            }
            var (counter, rows, changes) = ChainPackageRows(reader, graph.Reachable(repositoryId), f.Name, nsKey, nameKey);
            // Changed since the graph was read: read it again (once; a graph read just now is as current as these rows).
            if (counter != graph.Counter && !fresh) continue;
            var chain = BuildChain(graph, domain, repositoryId, f, @namespace, package, nsKey, nameKey, rows);
            var members = chain.Members.Where(m => m.PackageId is not null).Select(m => m.PackageId!.Value).ToHashSet();
            return chain with { CatalogId = graph.CatalogId, UpstreamCounter = counter, PackageChanges = changes.Where(c => members.Contains(c.Key)).ToDictionary() };
        }
    }

    private UpstreamGraph? LoadUpstreamGraph(string domain)
    {
        UpstreamGraph? graph;
        using (var connection = _store.Catalog.Open())
        {
            graph = UpstreamGraph.Load(connection, domain);
        }
        if (graph is null)
        {
            _upstreamGraphs.TryRemove(domain, out _);
            return null;
        }
        // Domains come and go; a removed one's graph is only dropped here, so start over now and then rather than grow.
        if (_upstreamGraphs.Count > 1024) _upstreamGraphs.Clear();
        return _upstreamGraphs.AddOrUpdate(domain, graph, (_, known) => known.Counter > graph.Counter ? known : graph);
    }

    /// <summary>
    /// The upstream counter, the package's row in each of <paramref name="repositories"/> (a JSON array of ids) that has one,
    /// and each such package's change sequence.
    /// </summary>
    private static (long Counter, Dictionary<long, PackageRow> Rows, Dictionary<long, long> Changes) ChainPackageRows(CatalogReader reader, string repositories,
        string format, string nsKey, string nameKey)
    {
        using var rows = reader.Statement("""
            SELECT c.value, p.repository_id, p.id, p.namespace, p.name, p.origin_publish, p.origin_upstream, p.change_seq FROM catalog_counters c
            LEFT JOIN packages p ON p.repository_id IN (SELECT value FROM json_each($repositories))
                AND p.format = $format AND p.namespace_key = $ns AND p.name_key = $name
            WHERE c.name = 'upstreams';
            """, ("$repositories", repositories), ("$format", format), ("$ns", nsKey), ("$name", nameKey)).ExecuteReader();
        long counter = -1;
        var found = new Dictionary<long, PackageRow>();
        var changes = new Dictionary<long, long>();
        while (rows.Read())
        {
            counter = rows.GetInt64(0);
            if (rows.IsDBNull(1)) continue;
            found[rows.GetInt64(1)] = new PackageRow(rows.GetInt64(2), rows.GetString(3), rows.GetString(4),
                new PackageOriginConfiguration(rows.GetString(5), rows.GetString(6)));
            changes[rows.GetInt64(2)] = rows.GetInt64(7);
        }
        return (counter, found, changes);
    }

    /// <summary>The chain from the asked repository: depth-first through upstreams in order, each repository once, at most 25.</summary>
    private static UpstreamChain BuildChain(UpstreamGraph graph, string domain, long repositoryId, IPackageFormat f, string? @namespace, string package,
        string nsKey, string nameKey, Dictionary<long, PackageRow> rows)
    {
        var asked = rows.GetValueOrDefault(repositoryId);
        var members = new List<ChainMember> { new(repositoryId, graph.Names[repositoryId], asked?.Id, asked?.Origin, null) };
        // Generic packages are never fetched through upstreams (CodeArtifact); a package that blocks upstreams sees only itself.
        if (f is GenericFormat || asked?.Origin.Upstream == PackageOriginConfiguration.Block)
        {
            return new UpstreamChain(domain, graph.DomainId, f, @namespace, package, nsKey, nameKey, members);
        }

        var seen = new HashSet<long> { repositoryId };
        Expand(repositoryId);
        return new UpstreamChain(domain, graph.DomainId, f, @namespace, package, nsKey, nameKey, members);

        void Expand(long id)
        {
            if (graph.External.TryGetValue(id, out var source) && source.Format == f.Name)
            {
                var holder = members.Last(m => m.RepositoryId == id);
                members.Add(new ChainMember(id, graph.Names[id], holder.PackageId, holder.Origin, source));
            }
            foreach (var upstream in graph.Upstreams.GetValueOrDefault(id) ?? [])
            {
                if (seen.Count >= Names.MaxUpstreamsSearched || !seen.Add(upstream)) continue;
                var row = rows.GetValueOrDefault(upstream);
                members.Add(new ChainMember(upstream, graph.Names[upstream], row?.Id, row?.Origin, null));
                if (row?.Origin.Upstream != PackageOriginConfiguration.Block) Expand(upstream);
            }
        }
    }

    /// <summary>
    /// Opens an asset for a package manager, searching the chain: the first repository holding the version serves it. A version
    /// found upstream is retained in the asked repository (metadata only); one found on a remote is fetched once, verified,
    /// stored in the repository holding the external connection and retained in the asked one.
    /// </summary>
    public async Task<Outcome<(AssetInfo Asset, Stream Content)>> OpenAssetThroughUpstreamsAsync(string domain, string repository, string format,
        string? @namespace, string package, string version, string asset, CancellationToken cancellationToken)
    {
        // The asked repository comes first in every chain: when it serves the asset itself, nothing else is looked at.
        if (await TryOpenServedAssetAsync(domain, repository, format, @namespace, package, version, asset, null, cancellationToken) is { } served) return served;
        var resolved = ResolveChain(domain, repository, format, @namespace, package);
        if (resolved.Failure is { } failure) return failure;
        var chain = resolved.Value!;
        if (chain.IsLocalOnly) return await OpenAssetByLookupAsync(domain, repository, format, @namespace, package, version, asset, null, cancellationToken);
        var versionKey = chain.Format.NormalizeVersion(version).Value ?? version;

        Failure? firstMiss = null;
        Failure? remoteDown = null;
        for (var i = 0; i < chain.Members.Count; i++)
        {
            var member = chain.Members[i];
            if (member.External is { } source)
            {
                var ingested = await IngestAsync(chain, source, version, asset, cancellationToken);
                if (ingested.Failure is { } remoteFailure)
                {
                    // A remote that is down does not hide what later members of the chain hold; its failure is the answer
                    // only when nobody else has the version (then a 502 that says why, never a 404).
                    if (remoteFailure.Kind == FailureKind.NotFound) firstMiss ??= remoteFailure;
                    else remoteDown ??= remoteFailure;
                    continue;
                }
                if (!ingested.Value) continue;
                return await OpenRetainedAsync(chain, source.HolderRepositoryId, versionKey, asset, cancellationToken);
            }
            if (member.PackageId is not { } packageId) continue;
            using (var connection = _store.Catalog.Open())
            {
                if (FindVersion(connection, null, packageId, versionKey) is not { } row) continue;
                // The first repository holding the version decides whether it can be downloaded.
                if (row.Status is Archived or Unfinished or Disposed)
                {
                    return await OpenAssetByLookupAsync(domain, member.Repository, format, @namespace, package, version, asset, null, cancellationToken);
                }
                if (!AssetRows(connection, chain.DomainId, row.Id).Any(a => a.Name == asset))
                {
                    firstMiss ??= new Failure(ErrorCodes.AssetNotFound, FailureKind.NotFound,
                        $"Version {row.Version} of '{DisplayName(chain.Format.Name, chain.Namespace, chain.Name)}' has no asset '{asset}'.", asset);
                    continue;
                }
            }
            return await OpenRetainedAsync(chain, member.RepositoryId, versionKey, asset, cancellationToken);
        }
        return remoteDown ?? firstMiss ?? new Failure(ErrorCodes.PackageVersionNotFound, FailureKind.NotFound,
            $"Version {version} of '{DisplayName(chain.Format.Name, chain.Namespace, chain.Name)}' is not in '{repository}' or its upstreams.", version);
    }

    /// <summary>Retains the version (and the asset) from <paramref name="sourceRepositoryId"/> in the asked repository, then opens it there.</summary>
    private async Task<Outcome<(AssetInfo Asset, Stream Content)>> OpenRetainedAsync(UpstreamChain chain, long sourceRepositoryId, string versionKey,
        string asset, CancellationToken cancellationToken)
    {
        var servedFrom = chain.Asked.Repository;
        if (sourceRepositoryId != chain.Asked.RepositoryId && !Retain(chain, sourceRepositoryId, versionKey))
        {
            // The asked repository cannot take the version (its package blocks upstreams since): serve it from where it is.
            servedFrom = chain.Members.First(m => m.RepositoryId == sourceRepositoryId).Repository;
        }
        using var connection = _store.Catalog.Open();
        var found = FindVersion(connection, chain.Domain, servedFrom, chain.Format.Name, chain.Namespace, chain.Name, versionKey);
        if (found.Failure is { } failure) return failure;
        return await OpenAssetAsync(connection, found.Value.Package, found.Value.Version, asset, null, cancellationToken);
    }

    /// <summary>
    /// Retention: makes the asked repository hold the version as the source repository has it (metadata only: the rows refer to
    /// the same blobs). Assets the retained copy lacks are added. False when the asked repository's package blocks upstreams.
    /// </summary>
    private bool Retain(UpstreamChain chain, long sourceRepositoryId, string versionKey)
    {
        using var connection = _store.Catalog.Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        var source = FindPackage(connection, transaction, sourceRepositoryId, chain.Format.Name, chain.NamespaceKey, chain.NameKey);
        if (source is null || FindVersion(connection, transaction, source.Id, versionKey) is not { } sourceVersion) return false;
        var targetId = chain.Asked.RepositoryId;
        var target = FindPackage(connection, transaction, targetId, chain.Format.Name, chain.NamespaceKey, chain.NameKey);
        if (target is not null && target.Origin.Upstream == PackageOriginConfiguration.Block) return false;
        var now = Sql.Now();
        var targetPackageId = target?.Id ?? Sql.Scalar<long>(connection, """
            INSERT INTO packages (repository_id, format, namespace, namespace_key, name, name_key, origin_publish, origin_upstream, created_time)
            SELECT $repo, format, namespace, namespace_key, name, name_key, $publish, $upstream, $now FROM packages WHERE id = $p RETURNING id;
            """, transaction, ("$repo", targetId), ("$publish", PackageOriginConfiguration.External.Publish),
            ("$upstream", PackageOriginConfiguration.External.Upstream), ("$now", now), ("$p", source.Id));
        var targetVersion = FindVersion(connection, transaction, targetPackageId, versionKey);
        long copyId;
        if (targetVersion is null)
        {
            copyId = Sql.Scalar<long>(connection, """
                INSERT INTO package_versions (package_id, version, version_key, status, revision, origin_type, entry_repository, entry_external,
                                              metadata_sha256, metadata_source, published_time, updated_time)
                SELECT $dest, version, version_key, status, revision, origin_type, entry_repository, entry_external, metadata_sha256, metadata_source,
                       published_time, $now
                FROM package_versions WHERE id = $v RETURNING id;
                """, transaction, ("$dest", targetPackageId), ("$now", now), ("$v", sourceVersion.Id));
            if (sourceVersion.MetadataSha256 is { } metadata) BlobCatalog.AddReference(connection, transaction, chain.DomainId, metadata);
        }
        else
        {
            copyId = targetVersion.Id;
        }
        var added = new List<string>();
        using (var command = Sql.Command(connection, """
            INSERT INTO assets (version_id, name, sha256, manifest_sha256, created_time)
            SELECT $copy, s.name, s.sha256, s.manifest_sha256, s.created_time FROM assets s
            WHERE s.version_id = $v AND NOT EXISTS (SELECT 1 FROM assets t WHERE t.version_id = $copy AND t.name = s.name)
            RETURNING sha256, manifest_sha256;
            """, transaction, ("$copy", copyId), ("$v", sourceVersion.Id)))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                added.Add(reader.GetString(0));
                if (!reader.IsDBNull(1)) added.Add(reader.GetString(1));
            }
        }
        foreach (var sha in added) BlobCatalog.AddReference(connection, transaction, chain.DomainId, sha);
        if (targetVersion is not null && added.Count > 0) UpdateRevision(connection, transaction, copyId, now);
        transaction.Commit();
        return true;
    }

    /// <summary>
    /// Fetches one asset of a version from a remote, verifies it against the digests the remote published, and stores it as an
    /// EXTERNAL version in the repository holding the connection. Concurrent requests for one asset share one fetch. False
    /// when the remote does not list the version or the asset; a NotFound failure when it lists it but has no file.
    /// </summary>
    private async Task<Outcome<bool>> IngestAsync(UpstreamChain chain, ExternalSource source, string version, string asset, CancellationToken cancellationToken)
    {
        var versionKey = chain.Format.NormalizeVersion(version).Value ?? version;
        // Already stored by an earlier request (the holder is also searched before its connection, so this is a race only).
        if (HolderHasAsset(chain, source, versionKey, asset)) return true;
        var key = string.Join('\n', source.ConnectionId, source.HolderRepositoryId, chain.Format.Name, chain.NamespaceKey, chain.NameKey, versionKey, asset);
        var mine = new TaskCompletionSource<Outcome<bool>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var shared = _ingests.GetOrAdd(key, mine.Task);
        if (shared == mine.Task)
        {
            try
            {
                // A fetch that finished between the check above and GetOrAdd has stored the asset: no second remote request.
                mine.SetResult(HolderHasAsset(chain, source, versionKey, asset) ? true : await FetchAndStoreAsync(chain, source, version, asset));
            }
            catch (Exception e)
            {
                mine.SetException(e);
            }
            finally
            {
                _ingests.TryRemove(new KeyValuePair<string, Task<Outcome<bool>>>(key, mine.Task));
            }
        }
        return await shared.WaitAsync(cancellationToken);
    }

    private bool HolderHasAsset(UpstreamChain chain, ExternalSource source, string versionKey, string asset)
    {
        using var connection = _store.Catalog.Open();
        var holder = FindPackage(connection, null, source.HolderRepositoryId, chain.Format.Name, chain.NamespaceKey, chain.NameKey);
        return holder is not null && FindVersion(connection, null, holder.Id, versionKey) is { } stored
            && AssetRows(connection, chain.DomainId, stored.Id).Any(a => a.Name == asset);
    }

    private async Task<Outcome<bool>> FetchAndStoreAsync(UpstreamChain chain, ExternalSource source, string version, string asset)
    {
        // Not tied to the first requester: the others wait for the same fetch.
        using var timeout = new CancellationTokenSource(s_fetchTimeout);
        var located = await LocateRemoteAssetAsync(chain, source, version, asset, timeout.Token);
        if (located.Failure is { } notLocated) return notLocated;
        if (located.Value is not { } remote) return false;
        var opened = await _store.Remote.OpenAssetAsync(source, remote.Url, timeout.Token);
        if (opened.Failure is { } notOpened) return notOpened;
        await using var content = opened.Value!;
        var request = new PublishRequest(chain.Domain, source.HolderRepository, asset)
        {
            Format = chain.Format.Name,
            Namespace = chain.Namespace,
            Package = chain.Name,
            Version = version,
            Expected = remote.Expected,
            IngestedFrom = source,
        };
        Outcome<PublishResult> published;
        try
        {
            published = await PublishWithResultAsync(request, content, timeout.Token);
        }
        catch (RemoteRegistry.RemoteReadException broken)
        {
            // The remote broke off while sending: its failure (a 502 that says why), not ours; the staged part is gone.
            return RemoteRegistry.Unavailable(source, $"the download of {remote.Url} broke off ({broken.Message.TrimEnd('.')})");
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return RemoteRegistry.Unavailable(source, $"the download of {remote.Url} did not finish in {s_fetchTimeout.TotalMinutes} minutes");
        }
        if (published.Failure is { } refused)
        {
            // The remote's bytes are not what it promised (a digest mismatch, not a package, another version): nothing is stored.
            return refused.Kind is FailureKind.Invalid || refused.Code == ErrorCodes.DigestMismatch
                ? RemoteRegistry.Invalid(source, $"{remote.Url} is not a valid {chain.Format.Name} file for version {version}: {refused.Message}")
                : refused;
        }
        return true;
    }

    /// <summary>
    /// The versions a remote lists for the package, as the remote writes them; null when the remote has no such package. A
    /// remote that is down with nothing cached, or that answers garbage, is a failure.
    /// </summary>
    internal Task<Outcome<IReadOnlyList<string>?>> RemoteVersionsAsync(UpstreamChain chain, ExternalSource source, CancellationToken cancellationToken) =>
        chain.Format.Name switch
        {
            "npm" => NpmRemoteVersionsAsync(chain, source, cancellationToken),
            "pypi" => PypiRemoteVersionsAsync(chain, source, cancellationToken),
            "maven" => MavenRemoteVersionsAsync(chain, source, cancellationToken),
            "nuget" => NugetRemoteVersionsAsync(chain, source, cancellationToken),
            _ => Task.FromResult(Outcome<IReadOnlyList<string>?>.From(null)),
        };

    /// <summary>Where an asset of a remote version is and its published digests; null when the remote does not list it.</summary>
    private Task<Outcome<RemoteAsset?>> LocateRemoteAssetAsync(UpstreamChain chain, ExternalSource source, string version, string asset,
        CancellationToken cancellationToken) =>
        chain.Format.Name switch
        {
            "npm" => NpmLocateRemoteAssetAsync(chain, source, version, asset, cancellationToken),
            "pypi" => PypiLocateRemoteAssetAsync(chain, source, version, asset, cancellationToken),
            "maven" => MavenLocateRemoteAssetAsync(chain, source, version, asset, cancellationToken),
            "nuget" => NugetLocateRemoteAssetAsync(chain, source, version, asset, cancellationToken),
            _ => Task.FromResult(Outcome<RemoteAsset?>.From(null)),
        };

    /// <summary>
    /// Dependency-confusion check before a direct publish: a package the asked repository does not hold yet must not be reachable
    /// through its upstreams or external connection, and with publish=ALLOW, upstream=ALLOW the version itself must not be.
    /// </summary>
    private async Task<Failure?> CheckNotReachableUpstreamAsync(string domain, string repository, IPackageFormat format, string? @namespace, string name,
        string versionKey, CancellationToken cancellationToken)
    {
        var resolved = ResolveChain(domain, repository, format.Name, @namespace, name);
        if (resolved.Failure is { } failure) return failure.Kind == FailureKind.NotFound ? null : failure;
        var chain = resolved.Value!;
        if (chain.IsLocalOnly) return null;
        var wholePackage = chain.Asked.PackageId is null;
        foreach (var member in chain.Members.Skip(1))
        {
            string? where = null;
            if (member.External is { } source)
            {
                var listed = await RemoteVersionsAsync(chain, source, cancellationToken);
                if (listed.Failure is { } remoteFailure)
                {
                    return remoteFailure with
                    {
                        Message = $"Cannot check whether '{DisplayName(format.Name, chain.Namespace, name)}' exists on the external connection '{source.Name}' of '{source.HolderRepository}', so it is not published: {remoteFailure.Message}",
                    };
                }
                if (listed.Value is { } versions
                    && (wholePackage ? versions.Count > 0 : versions.Any(v => (format.NormalizeVersion(v).Value ?? v) == versionKey)))
                {
                    where = $"the external connection '{source.Name}' of '{source.HolderRepository}'";
                }
            }
            else if (member.PackageId is { } packageId)
            {
                using var connection = _store.Catalog.Open();
                var visible = ListVersionRows(connection, null, packageId).Where(v => v.Status is Published or Unlisted);
                if (wholePackage ? visible.Any() : visible.Any(v => v.VersionKey == versionKey)) where = $"the upstream repository '{member.Repository}'";
            }
            if (where is null) continue;
            var display = DisplayName(format.Name, chain.Namespace, name);
            return new Failure(ErrorCodes.PackageReachableUpstream, FailureKind.Conflict, wholePackage
                ? $"'{display}' is available to '{repository}' through {where}; publishing it here would shadow it (dependency confusion). To make it a package of '{repository}', set its origin configuration first: Set-CaPackageOriginConfiguration -Publish ALLOW -Upstream BLOCK."
                : $"Version {versionKey} of '{display}' is available to '{repository}' through {where}, and the package allows both publish and upstream; a version present upstream cannot be published here. Publish another version, or set -Upstream BLOCK with Set-CaPackageOriginConfiguration.",
                name);
        }
        return null;
    }
}
