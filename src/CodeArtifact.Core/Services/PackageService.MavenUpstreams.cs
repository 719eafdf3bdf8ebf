using PSCodeArtifact.Core.Formats;

namespace PSCodeArtifact.Core.Services;

// Maven through upstream repositories and external connections. The artifact-level maven-metadata.xml merges the chain: the
// union of the versions of every repository and the remote, where the first member holding a version decides whether it is
// listed (Published) or not; latest/release are recomputed in Maven's order and lastUpdated is the newest of what is listed.
// It is rendered per request from the catalog and the connection's metadata cache, so cmdlet changes show at once and the
// checksums the endpoint serves are computed over the same bytes. Version-level (SNAPSHOT) metadata is never merged and never
// comes from a remote: it is the newest build held by a repository of the chain. Files are served by the first member holding
// them (retained in the asked repository, ingested from the remote when only it has them); the asked repository is looked at
// first, so a retained file costs no more than a local one.
public sealed partial class PackageService
{
    /// <summary>
    /// The versions of an artifact for its <c>maven-metadata.xml</c>, merged across the repository's upstream chain and external
    /// connection. The remote failing does not hide what the repositories hold; it is the failure only when nothing is listed.
    /// </summary>
    public async Task<Outcome<MavenArtifactVersions>> GetMavenArtifactVersionsThroughUpstreamsAsync(string domain, string repository, string groupId,
        string artifactId, CancellationToken cancellationToken)
    {
        var resolved = ResolveChain(domain, repository, PackageFormats.Maven.Name, groupId, artifactId);
        if (resolved.Failure is { } failure) return failure;
        var chain = resolved.Value!;
        if (chain.IsLocalOnly) return GetMavenArtifactVersions(domain, repository, groupId, artifactId);

        var listed = new Dictionary<string, bool>(StringComparer.Ordinal);
        DateTimeOffset? lastUpdated = null;
        Failure? remoteFailure = null;
        foreach (var member in chain.Members)
        {
            if (member.External is { } source)
            {
                var remote = await MavenRemoteMetadataAsync(chain, source, cancellationToken);
                if (remote.Failure is { } unavailable)
                {
                    remoteFailure ??= unavailable;
                    continue;
                }
                if (remote.Value is not { } metadata) continue;
                var added = false;
                foreach (var version in metadata.Versions) added |= listed.TryAdd(version, true);
                if (added && metadata.LastUpdated is { } remoteUpdated) lastUpdated = Later(lastUpdated, remoteUpdated);
                continue;
            }
            if (member.PackageId is not { } packageId) continue;
            foreach (var (version, status, updated) in MavenVersionStates(packageId))
            {
                // The first repository holding a version decides: an Unfinished or Archived copy there hides the others.
                if (listed.TryAdd(version, status == Published) && status == Published) lastUpdated = Later(lastUpdated, updated);
            }
        }

        var versions = listed.Where(v => v.Value).Select(v => v.Key).Order(Comparer<string>.Create(PackageFormats.Maven.CompareVersions)).ToList();
        if (versions.Count == 0)
        {
            return remoteFailure ?? new Failure(ErrorCodes.PackageVersionNotFound, FailureKind.NotFound,
                $"'{groupId}:{artifactId}' has no Published version in '{repository}' or its upstreams.", artifactId);
        }
        return new MavenArtifactVersions
        {
            GroupId = chain.Namespace ?? groupId,
            ArtifactId = chain.Name,
            Versions = versions,
            Latest = versions[^1],
            Release = versions.LastOrDefault(v => !IsMavenSnapshot(v)),
            LastUpdated = lastUpdated ?? DateTimeOffset.UnixEpoch,
        };
    }

    /// <summary>
    /// The current build of a SNAPSHOT version for its version-level <c>maven-metadata.xml</c>: the newest build held by a
    /// repository of the chain (the asked one first on a tie). Never merged, never from a remote (SNAPSHOTs are not ingested).
    /// </summary>
    public Outcome<MavenSnapshot> GetMavenSnapshotThroughUpstreams(string domain, string repository, string groupId, string artifactId, string version)
    {
        var resolved = ResolveChain(domain, repository, PackageFormats.Maven.Name, groupId, artifactId);
        if (resolved.Failure is { } failure) return failure;
        var chain = resolved.Value!;
        if (chain.IsLocalOnly) return GetMavenSnapshot(domain, repository, groupId, artifactId, version);

        MavenSnapshot? newest = null;
        Failure? firstMiss = null;
        foreach (var member in chain.Members.Where(m => !m.IsExternal && m.PackageId is not null))
        {
            var snapshot = GetMavenSnapshot(domain, member.Repository, groupId, artifactId, version);
            if (snapshot.Failure is { } miss)
            {
                firstMiss ??= miss;
                continue;
            }
            if (newest is null || CompareBuilds(snapshot.Value!, newest) > 0) newest = snapshot.Value!;
        }
        if (newest is not null) return newest;
        return firstMiss ?? new Failure(ErrorCodes.PackageNotFound, FailureKind.NotFound,
            $"The maven package '{groupId}:{artifactId}' does not exist in '{repository}' or its upstream repositories.", artifactId);
    }

    /// <summary>
    /// Opens a file for a download through the chain: the asked repository's own file when it has it, else the first member
    /// holding it (retained in the asked repository; fetched, verified and stored when only the remote has it). A timestamped
    /// SNAPSHOT file that is not in its SNAPSHOT version is looked for in its build version.
    /// </summary>
    public async Task<Outcome<(AssetInfo Asset, Stream Content)>> OpenMavenFileThroughUpstreamsAsync(string domain, string repository, string groupId,
        string artifactId, string version, string fileName, CancellationToken cancellationToken)
    {
        var local = await OpenMavenFileAsync(domain, repository, groupId, artifactId, version, fileName, cancellationToken);
        if (local.Failure is not { Kind: FailureKind.NotFound } || !HasUpstreams(domain, repository, groupId, artifactId)) return local;
        var opened = await OpenAssetThroughUpstreamsAsync(domain, repository, PackageFormats.Maven.Name, groupId, artifactId, version, fileName, cancellationToken);
        if (opened.Failure is { Kind: FailureKind.NotFound } && MavenBuildVersionOf(artifactId, version, fileName) is { } build)
        {
            var fromBuild = await OpenAssetThroughUpstreamsAsync(domain, repository, PackageFormats.Maven.Name, groupId, artifactId, build, fileName, cancellationToken);
            if (fromBuild.Failure is not { Kind: FailureKind.NotFound }) return fromBuild;
        }
        return opened;
    }

    /// <summary>
    /// A file's digests for its checksum files, through the chain like <see cref="OpenMavenFileThroughUpstreamsAsync"/>: a file
    /// only an upstream or the remote has is retained (or ingested) first, and its checksums come from the stored bytes.
    /// </summary>
    public async Task<Outcome<AssetInfo>> GetMavenFileThroughUpstreamsAsync(string domain, string repository, string groupId, string artifactId,
        string version, string fileName, CancellationToken cancellationToken)
    {
        var local = GetMavenFile(domain, repository, groupId, artifactId, version, fileName);
        if (local.Failure is not { Kind: FailureKind.NotFound } || !HasUpstreams(domain, repository, groupId, artifactId)) return local;
        var opened = await OpenMavenFileThroughUpstreamsAsync(domain, repository, groupId, artifactId, version, fileName, cancellationToken);
        if (opened.Failure is { } failure) return failure;
        await opened.Value.Content.DisposeAsync();
        return opened.Value.Asset;
    }

    private bool HasUpstreams(string domain, string repository, string groupId, string artifactId) =>
        ResolveChain(domain, repository, PackageFormats.Maven.Name, groupId, artifactId).Value is { IsLocalOnly: false };

    /// <summary>The build version (<c>1.0-20261125.101010-3</c>) a timestamped file of a SNAPSHOT version belongs to; null for other files.</summary>
    private static string? MavenBuildVersionOf(string artifactId, string version, string fileName) =>
        IsMavenSnapshot(version) && SplitMavenFileName(artifactId, version, fileName)?.Qualifier is { } qualifier ? SnapshotBase(version) + qualifier : null;

    /// <summary>Every version of a package with its status and when it last changed (the merge decides per version).</summary>
    private List<(string Version, string Status, DateTimeOffset Updated)> MavenVersionStates(long packageId)
    {
        using var connection = _store.Catalog.Open();
        using var command = Sql.Command(connection, "SELECT version, status, updated_time FROM package_versions WHERE package_id = $p ORDER BY id;",
            null, ("$p", packageId));
        using var reader = command.ExecuteReader();
        var states = new List<(string, string, DateTimeOffset)>();
        while (reader.Read()) states.Add((reader.GetString(0), reader.GetString(1), Sql.Time(reader.GetInt64(2))));
        return states;
    }

    private static int CompareBuilds(MavenSnapshot left, MavenSnapshot right)
    {
        var byTime = string.CompareOrdinal(left.Timestamp, right.Timestamp);
        return byTime != 0 ? byTime : left.BuildNumber.CompareTo(right.BuildNumber);
    }

    private static DateTimeOffset Later(DateTimeOffset? current, DateTimeOffset candidate) =>
        current is { } known && known >= candidate ? known : candidate;
}
