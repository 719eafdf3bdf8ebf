using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using PSCodeArtifact.Core.Formats;
using PSCodeArtifact.Core.Storage;

namespace PSCodeArtifact.Core.Services;

/// <summary>
/// Where a packument request reads a package from, found cheaply (the catalog's change sequences and the cached remote
/// documents, no version row, no blob): the asked repository alone, or its whole upstream chain with the remotes' answers.
/// <see cref="CacheKey"/> changes whenever any of it does, so it keys rendered packuments; <see cref="Stamp"/> is the
/// packument's <c>_rev</c> and ETag.
/// </summary>
public sealed class NpmPackumentSource
{
    private readonly Lazy<string> _stamp;

    internal NpmPackumentSource(string domain, string repository, string? scope, string name, string cacheKey, Func<string> stamp, UpstreamChain? chain,
        IReadOnlyDictionary<int, Outcome<NpmRemoteAnswer>> remotes)
    {
        Domain = domain;
        Repository = repository;
        Scope = scope;
        Name = name;
        CacheKey = cacheKey;
        _stamp = new Lazy<string>(stamp);
        Chain = chain;
        Remotes = remotes;
    }

    public string Domain { get; }

    public string Repository { get; }

    public string? Scope { get; }

    public string Name { get; }

    /// <summary>
    /// Changes whenever anything the packument shows may have: the catalog, the chain, each member package's change sequence
    /// and each remote document. The same key, the same packument.
    /// </summary>
    public string CacheKey { get; }

    /// <summary>
    /// The stamp of everything the packument shows: the chain, each member's package, and each remote document (read from the
    /// catalog when first asked for).
    /// </summary>
    public string Stamp => _stamp.Value;

    /// <summary>True when only the asked repository's own package is read (no upstream, no external connection).</summary>
    public bool IsLocalOnly => Chain is null;

    /// <summary>The chain when upstreams take part; null when only the asked repository is read.</summary>
    internal UpstreamChain? Chain { get; }

    /// <summary>Each external member's answer, by its index in the chain.</summary>
    internal IReadOnlyDictionary<int, Outcome<NpmRemoteAnswer>> Remotes { get; }

    public override string ToString() => $"{Repository}/{Name} {CacheKey}";
}

// Npm through upstreams: packuments and dist-tags merged across the chain (the asked repository, its upstreams depth-first,
// and the remotes of their external connections). The first member holding a version decides it: it serves the version, or
// hides it when its copy is not visible to npm. Dist-tags overlay in search order, so an upstream wins on the same tag
// (CodeArtifact's rule). A remote that cannot answer leaves out its part; only when nothing else can be served is it a failure.
public sealed partial class PackageService
{
    /// <summary>
    /// Where a packument of the package comes from and its stamp. With <paramref name="includeUpstreams"/> false (npm's
    /// <c>?write=true</c>, which reads what it will change) only the asked repository's package is read.
    /// </summary>
    public async Task<Outcome<NpmPackumentSource>> GetNpmPackumentSourceAsync(string domain, string repository, string? scope, string name,
        bool includeUpstreams, CancellationToken cancellationToken)
    {
        if (!includeUpstreams)
        {
            var stamp = GetNpmStamp(domain, repository, scope, name);
            if (stamp.Failure is { } failure) return failure;
            return new NpmPackumentSource(domain, repository, scope, name, stamp.Value!, () => stamp.Value!, null, s_noRemotes);
        }
        var resolvedChain = ResolveChain(domain, repository, "npm", scope, name);
        if (resolvedChain.Failure is { } noChain) return noChain;
        var chain = resolvedChain.Value!;
        if (chain.IsLocalOnly)
        {
            if (chain.Asked.PackageId is not { } id) return NpmNotInRepository(chain);
            return new NpmPackumentSource(domain, repository, scope, name, NpmCacheKey(chain, s_noRemotes), () =>
            {
                using var reader = _store.Catalog.RentReader();
                return NpmStamps(reader, [id])[id];
            }, null, s_noRemotes);
        }
        var remotes = await NpmRemoteAnswersAsync(chain, cancellationToken);
        return new NpmPackumentSource(domain, repository, scope, name, NpmCacheKey(chain, remotes), () =>
        {
            using var reader = _store.Catalog.RentReader();
            return NpmMergedStamp(chain, NpmMemberStamps(reader, chain), remotes);
        }, chain, remotes);
    }

    /// <summary>The cache key of a packument read through a chain: its content stamp and the identity of each remote document.</summary>
    private static string NpmCacheKey(UpstreamChain chain, IReadOnlyDictionary<int, Outcome<NpmRemoteAnswer>> remotes)
    {
        var text = new StringBuilder("npm\n").Append(chain.ContentStamp).Append('\n');
        foreach (var (index, answer) in remotes.OrderBy(r => r.Key)) AppendRemoteIdentity(text.Append(index).Append(':'), answer).Append('\n');
        return "k-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())).AsSpan(0, 16));
    }

    /// <summary>What identifies a remote's answer: its failure, its absence, or when its document was fetched and its length.</summary>
    private static StringBuilder AppendRemoteIdentity(StringBuilder text, Outcome<NpmRemoteAnswer> answer) =>
        answer.Failure is { } failure ? text.Append('!').Append(failure.Code)
        : answer.Value!.Document is { } document ? text.Append(document.FetchedAt.UtcTicks).Append('/').Append(document.Body.Length)
        : text.Append("none");

    /// <summary>
    /// The packument data of a source: the asked repository's package as <see cref="GetNpmPackageAsync(string, string, string?, string, CancellationToken)"/>
    /// reads it, or merged across the chain. <see cref="NpmPackage.Stamp"/> is the stamp of what was read (it may be newer
    /// than the source's). A package nothing holds is a NotFound failure; one only a failing remote could give is that failure.
    /// </summary>
    public async Task<Outcome<NpmPackage>> GetNpmPackageAsync(NpmPackumentSource source, CancellationToken cancellationToken)
    {
        if (source.Chain is not { } chain) return await GetNpmPackageAsync(source.Domain, source.Repository, source.Scope, source.Name, cancellationToken);
        var planned = NpmPlan(chain, source.Remotes);
        if (planned.Failure is { } failure) return failure;
        var plan = planned.Value!;

        var key = _store.Domains.GetKey(chain.Domain);
        if (key.Failure is { } noKey) return noKey;
        using var domainKey = key.Value!;
        var versions = new List<NpmPackageVersion>(plan.Versions.Count);
        var readmeVersion = plan.Tags.GetValueOrDefault("latest") ?? plan.Versions.LastOrDefault()?.VersionKey;
        string? readme = null;
        var modified = plan.Created;
        foreach (var candidate in plan.Versions)
        {
            // The stored metadata is read once: for the version's deprecation and, of the readme version, its readme.
            var metadata = candidate.Remote is null ? await NpmReadMetadataAsync(domainKey, candidate.Row!.MetadataSha256, cancellationToken) : null;
            var version = candidate.Remote is { } remote
                ? NpmRemoteVersionOf(chain, candidate, remote, plan)
                : await NpmStoredVersionOf(chain, domainKey, candidate, plan, metadata, cancellationToken);
            if (candidate.VersionKey == readmeVersion)
            {
                readme = candidate.Remote is not null ? plan.Remotes[candidate.MemberIndex]?.Readme : metadata?.Readme;
            }
            if (version.PublishedTime > modified) modified = version.PublishedTime;
            versions.Add(version);
        }
        foreach (var remote in plan.Remotes.Values)
        {
            if (remote?.Modified is { } remoteModified && remoteModified > modified) modified = remoteModified;
        }
        return new NpmPackage
        {
            Name = DisplayName("npm", chain.Namespace, chain.Name),
            Stamp = plan.Stamp,
            Created = plan.Created,
            Modified = modified,
            Versions = versions,
            DistTags = plan.Tags,
            Readme = readme,
        };
    }

    /// <summary>The dist-tags npm sees through the repository: merged across its chain (an upstream wins on the same tag).</summary>
    public async Task<Outcome<IReadOnlyDictionary<string, string>>> GetNpmDistTagsThroughUpstreamsAsync(string domain, string repository, string? scope,
        string name, CancellationToken cancellationToken)
    {
        var source = await GetNpmPackumentSourceAsync(domain, repository, scope, name, includeUpstreams: true, cancellationToken);
        if (source.Failure is { } failure) return failure;
        if (source.Value!.Chain is not { } chain) return GetNpmDistTags(domain, repository, scope, name);
        var plan = NpmPlan(chain, source.Value.Remotes);
        return plan.Failure is { } noPlan ? noPlan : Outcome<IReadOnlyDictionary<string, string>>.From(plan.Value!.Tags);
    }

    // ------------------------------------------------------------------ npm merge helpers

    private static readonly IReadOnlyDictionary<int, Outcome<NpmRemoteAnswer>> s_noRemotes = new Dictionary<int, Outcome<NpmRemoteAnswer>>();

    /// <summary>A version the merged packument shows, and where it comes from: a stored row (with its tarball) or a remote's listing.</summary>
    private sealed record NpmCandidate(string VersionKey, string Status, int MemberIndex, VersionRow? Row, NpmAssetRow? Asset, NpmRemoteVersion? Remote);

    /// <summary>
    /// The merge decided from the catalog and the remote documents (no blob read): the versions in SemVer order, the tags, the
    /// earliest creation time, each external member's packument (null when it had none) and the stamp of what was read.
    /// </summary>
    private sealed record NpmMergePlan(string Stamp, List<NpmCandidate> Versions, Dictionary<string, string> Tags, DateTimeOffset Created,
        Dictionary<int, NpmRemotePackument?> Remotes);

    private sealed record NpmMemberRows(long Created, List<VersionRow> Rows, Dictionary<long, NpmAssetRow> Assets, Dictionary<string, string> Tags);

    private Outcome<NpmMergePlan> NpmPlan(UpstreamChain chain, IReadOnlyDictionary<int, Outcome<NpmRemoteAnswer>> answers)
    {
        var members = new Dictionary<int, NpmMemberRows>();
        Dictionary<int, string> stamps;
        using (var connection = _store.Catalog.Open())
        using (var snapshot = connection.BeginTransaction(deferred: true))
        {
            stamps = NpmMemberStamps(connection, snapshot, chain);
            for (var i = 0; i < chain.Members.Count; i++)
            {
                if (chain.Members[i] is not { External: null, PackageId: { } packageId }) continue;
                members[i] = new NpmMemberRows(
                    Sql.Scalar<long>(connection, "SELECT created_time FROM packages WHERE id = $p;", snapshot, ("$p", packageId)),
                    ListVersionRows(connection, snapshot, packageId),
                    NpmAssets(connection, snapshot, chain.DomainId, packageId),
                    NpmStoredTags(connection, snapshot, packageId));
            }
        }

        var decided = new Dictionary<string, NpmCandidate?>(StringComparer.Ordinal);
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        var remotes = new Dictionary<int, NpmRemotePackument?>();
        Failure? remoteFailure = null;
        DateTimeOffset? created = null;
        for (var i = 0; i < chain.Members.Count; i++)
        {
            if (chain.Members[i].External is not null)
            {
                var answer = answers[i];
                remoteFailure ??= answer.Failure;
                if (answer.Value?.Packument is not { } packument)
                {
                    remotes[i] = null;
                    continue;
                }
                remotes[i] = packument;
                foreach (var (versionKey, remote) in packument.Versions) decided.TryAdd(versionKey, new NpmCandidate(versionKey, Published, i, null, null, remote));
                foreach (var (tag, versionKey) in packument.DistTags) tags[tag] = versionKey;
                if (packument.Created is { } remoteCreated && (created is null || remoteCreated < created)) created = remoteCreated;
                continue;
            }
            if (!members.TryGetValue(i, out var member)) continue;
            var memberCreated = Sql.Time(member.Created);
            if (created is null || memberCreated < created) created = memberCreated;
            foreach (var row in member.Rows)
            {
                if (decided.ContainsKey(row.VersionKey)) continue;
                // The first repository holding the version decides: a copy npm must not see hides it (downloads stop there too).
                if (!IsVisibleOnNpm(row.Status)) decided[row.VersionKey] = null;
                else if (member.Assets.TryGetValue(row.Id, out var asset)) decided[row.VersionKey] = new NpmCandidate(row.VersionKey, row.Status, i, row, asset, null);
            }
            var published = member.Rows.Where(r => r.Status == Published).Select(r => r.VersionKey).ToHashSet(StringComparer.Ordinal);
            foreach (var (tag, versionKey) in member.Tags.Where(t => published.Contains(t.Value))) tags[tag] = versionKey;
        }

        var format = chain.Format;
        var versions = decided.Values.OfType<NpmCandidate>().ToList();
        if (versions.Count == 0 && remoteFailure is not null) return remoteFailure;
        if (members.Count == 0 && remotes.Values.All(r => r is null)) return NpmNotInRepository(chain);
        versions.Sort((a, b) => format.CompareVersions(a.VersionKey, b.VersionKey));
        var publishedKeys = versions.Where(v => v.Status == Published).Select(v => v.VersionKey).ToHashSet(StringComparer.Ordinal);
        var effective = tags.Where(t => publishedKeys.Contains(t.Value)).OrderBy(t => t.Key, StringComparer.Ordinal)
            .ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
        if (!effective.ContainsKey("latest") && NpmNewest(format, publishedKeys) is { } latest) effective["latest"] = latest;
        return new NpmMergePlan(NpmMergedStamp(chain, stamps, answers), versions, effective, created ?? DateTimeOffset.UnixEpoch, remotes);
    }

    private async Task<NpmPackageVersion> NpmStoredVersionOf(UpstreamChain chain, DomainKey domainKey, NpmCandidate candidate, NpmMergePlan plan,
        PackageMetadata? metadata, CancellationToken cancellationToken)
    {
        var row = candidate.Row!;
        // A version fetched from a remote keeps the remote's deprecation, which usually comes after the tarball was fetched.
        var remoteDeprecation = row.OriginType == "EXTERNAL"
            ? plan.Remotes.Values.Select(r => r?.Versions.GetValueOrDefault(row.VersionKey)?.Deprecated).FirstOrDefault(d => d is not null)
            : null;
        return await NpmStoredVersionAsync(domainKey, row, candidate.Asset!, metadata, chain.Members[candidate.MemberIndex].Repository,
            remoteDeprecation, cancellationToken);
    }

    private static NpmPackageVersion NpmRemoteVersionOf(UpstreamChain chain, NpmCandidate candidate, NpmRemoteVersion remote, NpmMergePlan plan)
    {
        var packument = plan.Remotes[candidate.MemberIndex]!;
        var member = chain.Members[candidate.MemberIndex];
        return new NpmPackageVersion
        {
            Version = candidate.VersionKey,
            Status = Published,
            PublishedTime = remote.Time ?? packument.Modified ?? packument.Created ?? plan.Created,
            AssetName = NpmTarballName(chain.Name, candidate.VersionKey),
            Size = 0,
            Sha1 = remote.Shasum ?? "",
            Sha512 = remote.Expected.Sha512 ?? "",
            Integrity = remote.Integrity,
            Repository = member.Repository,
            ExternalConnection = member.External!.Name,
            Manifest = remote.Document,
            Deprecated = remote.Deprecated,
        };
    }

    /// <summary>Each repository member's package stamp, by chain index (members without the package have none).</summary>
    private static Dictionary<int, string> NpmMemberStamps(SqliteConnection connection, SqliteTransaction? transaction, UpstreamChain chain)
    {
        var ids = NpmMemberPackages(chain);
        using var command = Sql.Command(connection, NpmStampQuery, transaction, ("$packages", "[" + string.Join(',', ids.Values.Distinct()) + "]"));
        var byPackage = NpmStamps(command, ids.Values.Distinct().ToList());
        return ids.ToDictionary(m => m.Key, m => byPackage[m.Value]);
    }

    private static Dictionary<int, string> NpmMemberStamps(CatalogReader reader, UpstreamChain chain)
    {
        var ids = NpmMemberPackages(chain);
        var byPackage = NpmStamps(reader, ids.Values.Distinct().ToList());
        return ids.ToDictionary(m => m.Key, m => byPackage[m.Value]);
    }

    /// <summary>The package id of each repository member that holds the package, by chain index.</summary>
    private static Dictionary<int, long> NpmMemberPackages(UpstreamChain chain)
    {
        var ids = new Dictionary<int, long>();
        for (var i = 0; i < chain.Members.Count; i++)
        {
            if (chain.Members[i] is { External: null, PackageId: { } packageId }) ids[i] = packageId;
        }
        return ids;
    }

    private async Task<Dictionary<int, Outcome<NpmRemoteAnswer>>> NpmRemoteAnswersAsync(UpstreamChain chain, CancellationToken cancellationToken)
    {
        var answers = new Dictionary<int, Outcome<NpmRemoteAnswer>>();
        for (var i = 0; i < chain.Members.Count; i++)
        {
            if (chain.Members[i].External is { } source) answers[i] = await NpmRemotePackumentAsync(chain, source, cancellationToken);
        }
        return answers;
    }

    /// <summary>
    /// The stamp of a merged packument: the chain's composition, each member's package stamp and the identity of each remote
    /// document (when it was fetched and its length; a failure or a 404 too, so the packument changes when the remote recovers).
    /// </summary>
    private static string NpmMergedStamp(UpstreamChain chain, Dictionary<int, string> stamps, IReadOnlyDictionary<int, Outcome<NpmRemoteAnswer>> remotes)
    {
        var text = new StringBuilder(chain.Stamp).Append('\n');
        for (var i = 0; i < chain.Members.Count; i++)
        {
            text.Append(i).Append(':');
            if (remotes.TryGetValue(i, out var answer))
            {
                AppendRemoteIdentity(text, answer);
            }
            else
            {
                text.Append(stamps.GetValueOrDefault(i) ?? "-");
            }
            text.Append('\n');
        }
        return "m-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())).AsSpan(0, 16));
    }

    private static Failure NpmNotInRepository(UpstreamChain chain) => new(ErrorCodes.PackageNotFound, FailureKind.NotFound,
        chain.IsLocalOnly
            ? $"The npm package '{DisplayName("npm", chain.Namespace, chain.Name)}' does not exist in the repository '{chain.Asked.Repository}' of the domain '{chain.Domain}'."
            : $"The npm package '{DisplayName("npm", chain.Namespace, chain.Name)}' does not exist in the repository '{chain.Asked.Repository}' of the domain '{chain.Domain}' or its upstreams.",
        chain.Name);
}
