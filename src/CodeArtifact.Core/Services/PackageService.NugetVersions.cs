using System.Security.Cryptography;
using System.Text;
using NuGet.Versioning;
using PSCodeArtifact.Core.Formats;
using PSCodeArtifact.Core.Storage;

namespace PSCodeArtifact.Core.Services;

/// <summary>
/// Where a flat container's version list (<c>{id}/index.json</c>) comes from, found cheaply: the chain with the change
/// sequence of each member's package (one prepared query) and the remotes' cached answers, no version row. <see cref="Stamp"/>
/// changes whenever the list may, so it keys rendered lists; <see cref="ListAsync"/> reads the list itself.
/// </summary>
public sealed class NugetVersionsSource
{
    private readonly Func<CancellationToken, Task<Outcome<IReadOnlyList<string>>>> _list;

    internal NugetVersionsSource(string stamp, Func<CancellationToken, Task<Outcome<IReadOnlyList<string>>>> list)
    {
        Stamp = stamp;
        _list = list;
    }

    /// <summary>The stamp of everything the list is made of: the same stamp, the same list.</summary>
    public string Stamp { get; }

    /// <summary>
    /// The lower-cased normalised versions, oldest first, as <see cref="PackageService.ListNugetVersionsThroughUpstreamsAsync"/>
    /// gives them (and its failure when nothing is served).
    /// </summary>
    public Task<Outcome<IReadOnlyList<string>>> ListAsync(CancellationToken cancellationToken) => _list(cancellationToken);

    public override string ToString() => Stamp;
}

// The flat container's version list, the request a restore makes for every package: its stamp comes from the catalog's
// change sequences (see NugetVersionsSource), so the endpoint renders a list once per change and answers later requests with
// one catalog query. The list is the one ListNugetVersions and ListNugetVersionsThroughUpstreamsAsync give; when it would be
// empty, they answer, so failures read exactly as theirs.
public sealed partial class PackageService
{
    private const string NugetVersionRowsQuery = $"""
        SELECT v.package_id, v.version_key, v.status,
               EXISTS (SELECT 1 FROM assets a JOIN blobs b ON b.domain_id = $domain AND b.sha256 = a.sha256 WHERE a.version_id = v.id)
        FROM package_versions v WHERE v.package_id IN (SELECT value FROM json_each($packages));
        """;

    /// <summary>The stamp of the flat container's version list of a package through the repository's chain, and how to read it.</summary>
    public async Task<Outcome<NugetVersionsSource>> GetNugetVersionsSourceAsync(string domain, string repository, string id, CancellationToken cancellationToken)
    {
        var resolved = NugetChain(domain, repository, id);
        if (resolved.Failure is { } failure) return failure;
        var chain = resolved.Value!;
        var text = new StringBuilder("nuget-flat\n").Append(chain.ContentStamp).Append('\n');
        var remotes = new Dictionary<int, Outcome<(IReadOnlyList<NuGetVersion>? Versions, string Identity)>>();
        for (var i = 0; i < chain.Members.Count; i++)
        {
            if (chain.Members[i].External is not { } source) continue;
            var remote = remotes[i] = await NugetRemoteFlatAsync(chain, source, cancellationToken);
            text.Append(i).Append(':').Append(remote.Failure is { } refused ? "!" + refused.Code : remote.Value.Identity).Append('\n');
        }
        var stamp = "n-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())).AsSpan(0, 16));
        return new NugetVersionsSource(stamp, token => NugetFlatVersionsAsync(chain, remotes, domain, repository, id, token));
    }

    /// <summary>The merged list from the members' version rows (one query) and the remote answers already read.</summary>
    private async Task<Outcome<IReadOnlyList<string>>> NugetFlatVersionsAsync(UpstreamChain chain,
        Dictionary<int, Outcome<(IReadOnlyList<NuGetVersion>? Versions, string Identity)>> remotes, string domain, string repository, string id,
        CancellationToken cancellationToken)
    {
        var rows = new Dictionary<long, List<(string VersionKey, string Status, bool HasNupkg)>>();
        var packages = chain.Members.Where(m => !m.IsExternal && m.PackageId is not null).Select(m => m.PackageId!.Value).Distinct().ToList();
        if (packages.Count > 0)
        {
            using var reader = _store.Catalog.RentReader();
            using var read = reader.Statement(NugetVersionRowsQuery, ("$domain", chain.DomainId), ("$packages", "[" + string.Join(',', packages) + "]")).ExecuteReader();
            while (read.Read())
            {
                var package = read.GetInt64(0);
                if (!rows.TryGetValue(package, out var list)) rows[package] = list = [];
                list.Add((read.GetString(1), read.GetString(2), read.GetInt64(3) != 0));
            }
        }
        var decided = new Dictionary<string, NuGetVersion?>(StringComparer.Ordinal);
        for (var i = 0; i < chain.Members.Count; i++)
        {
            var member = chain.Members[i];
            if (member.IsExternal)
            {
                foreach (var version in remotes[i].Value.Versions ?? []) decided.TryAdd(version.ToNormalizedString().ToLowerInvariant(), version);
                continue;
            }
            if (member.PackageId is not { } packageId) continue;
            foreach (var (versionKey, status, hasNupkg) in rows.GetValueOrDefault(packageId) ?? [])
            {
                // The first holder decides: a version it does not serve (another status, no nupkg) is hidden, not looked up further along.
                if (decided.ContainsKey(versionKey)) continue;
                decided[versionKey] = IsServedOnNuget(status) && hasNupkg && NuGetVersion.TryParse(versionKey, out var parsed) ? parsed : null;
            }
        }
        var served = decided.Values.OfType<NuGetVersion>().ToList();
        // Nothing to list: the full path gives the failure (a missing package, nothing served, a remote down), or a list when
        // the catalog changed meanwhile.
        if (served.Count == 0) return await ListNugetVersionsThroughUpstreamsAsync(domain, repository, id, cancellationToken);
        return served.Order(VersionComparer.Default).Select(v => v.ToNormalizedString().ToLowerInvariant()).ToList();
    }
}
