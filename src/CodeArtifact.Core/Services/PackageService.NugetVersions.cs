using System.Security.Cryptography;
using System.Text;
using NuGet.Versioning;
using PSCodeArtifact.Core.Formats;
using PSCodeArtifact.Core.Storage;

namespace PSCodeArtifact.Core.Services;

/// <summary>
/// What a flat container's version list (<c>{id}/index.json</c>) shows, read cheaply: the chain, each member's version rows
/// (one prepared query, no blob) and the remotes' cached lists. <see cref="Stamp"/> changes whenever the list may, so it keys
/// rendered lists; it is null for a list the full path computed (not worth keeping).
/// </summary>
public sealed class NugetVersionsSource
{
    private readonly Func<IReadOnlyList<string>> _compute;
    private IReadOnlyList<string>? _versions;

    internal NugetVersionsSource(string? stamp, Func<IReadOnlyList<string>> compute)
    {
        Stamp = stamp;
        _compute = compute;
    }

    /// <summary>The stamp of everything the list is made of; null when the list is not to be cached.</summary>
    public string? Stamp { get; }

    /// <summary>The lower-cased normalised versions, oldest first (computed on first use).</summary>
    public IReadOnlyList<string> Versions => _versions ??= _compute();

    public override string ToString() => Stamp ?? "(uncached)";
}

// The flat container's version list, the request a restore makes for every package: read with a stamp (see
// NugetVersionsSource) so that the endpoint renders it once per change. The list is the one ListNugetVersions and
// ListNugetVersionsThroughUpstreamsAsync give; when it would be empty, they answer, so failures read exactly as theirs.
public sealed partial class PackageService
{
    private const string NugetVersionRowsQuery = $"""
        SELECT v.package_id, v.version, v.version_key, v.status,
               EXISTS (SELECT 1 FROM assets a JOIN blobs b ON b.domain_id = $domain AND b.sha256 = a.sha256 WHERE a.version_id = v.id)
        FROM package_versions v WHERE v.package_id IN (SELECT value FROM json_each($packages)) ORDER BY v.package_id, v.id;
        """;

    /// <summary>The flat container's version list of a package through the repository's chain, with its stamp.</summary>
    public async Task<Outcome<NugetVersionsSource>> GetNugetVersionsSourceAsync(string domain, string repository, string id, CancellationToken cancellationToken)
    {
        var resolved = NugetChain(domain, repository, id);
        if (resolved.Failure is { } failure) return failure;
        var chain = resolved.Value!;
        var packages = chain.Members.Where(m => !m.IsExternal && m.PackageId is not null).Select(m => m.PackageId!.Value).Distinct().ToList();
        var rows = new Dictionary<long, List<(string Version, string VersionKey, string Status, bool HasNupkg)>>();
        if (packages.Count > 0)
        {
            using var reader = _store.Catalog.RentReader();
            using var read = reader.Statement(NugetVersionRowsQuery, ("$domain", chain.DomainId), ("$packages", "[" + string.Join(',', packages) + "]")).ExecuteReader();
            while (read.Read())
            {
                var package = read.GetInt64(0);
                if (!rows.TryGetValue(package, out var list)) rows[package] = list = [];
                list.Add((read.GetString(1), read.GetString(2), read.GetString(3), read.GetInt64(4) != 0));
            }
        }

        var text = new StringBuilder(chain.Stamp).Append('\n');
        var decided = new Dictionary<string, NuGetVersion?>(StringComparer.Ordinal);
        foreach (var member in chain.Members)
        {
            if (member.External is { } source)
            {
                var remote = await NugetRemoteFlatAsync(chain, source, cancellationToken);
                if (remote.Failure is { } refused)
                {
                    text.Append('!').Append(refused.Code).Append('\n');
                    continue;
                }
                text.Append(remote.Value.Identity).Append('\n');
                foreach (var version in remote.Value.Versions ?? []) decided.TryAdd(version.ToNormalizedString().ToLowerInvariant(), version);
                continue;
            }
            if (member.PackageId is not { } packageId) continue;
            text.Append('p').Append(packageId).Append('\n');
            foreach (var (version, versionKey, status, hasNupkg) in rows.GetValueOrDefault(packageId) ?? [])
            {
                text.Append(versionKey).Append('\0').Append(status).Append('\0').Append(hasNupkg ? '1' : '0').Append('\0').Append(version).Append('\n');
                // The first holder decides: a version it does not serve (another status, no nupkg) is hidden, not looked up further along.
                if (decided.ContainsKey(versionKey)) continue;
                decided[versionKey] = IsServedOnNuget(status) && hasNupkg && NuGetVersion.TryParse(version, out var parsed) ? parsed : null;
            }
        }

        var served = decided.Values.OfType<NuGetVersion>().ToList();
        if (served.Count == 0)
        {
            // Nothing to list: the full path gives the failure (a missing package, nothing served, a remote down), or a list
            // when the catalog changed meanwhile.
            var listed = await ListNugetVersionsThroughUpstreamsAsync(domain, repository, id, cancellationToken);
            if (listed.Failure is { } notListed) return notListed;
            return new NugetVersionsSource(null, () => listed.Value!);
        }
        var stamp = "n-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())).AsSpan(0, 16));
        return new NugetVersionsSource(stamp,
            () => served.Order(VersionComparer.Default).Select(v => v.ToNormalizedString().ToLowerInvariant()).ToList());
    }
}
