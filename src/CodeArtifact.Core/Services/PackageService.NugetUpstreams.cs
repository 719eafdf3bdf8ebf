using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using NuGet.Versioning;
using PSCodeArtifact.Core.Formats;
using PSCodeArtifact.Core.Storage;

namespace PSCodeArtifact.Core.Services;

// NuGet across upstream repositories and external connections: the flat container's version list, registrations and search
// merged over the chain a request searches, and downloads through it. For each version the first member of the chain holding
// it decides (a version Archived there is hidden even if a later member has it Published); remote versions come from the
// remote's flat container and registration. When a remote fails, what the repositories hold is still served; only when
// nothing at all can be served does the remote's failure (502) become the answer. Chains of the asked repository alone take
// the plain paths of PackageService.Nuget.cs.
public sealed partial class PackageService
{
    // Search is not about one package; a name no NuGet id can have yields the chain of repositories and connections unpruned.
    private const string NugetAnyPackage = " ";

    /// <summary>The flat container's <c>{id}/index.json</c> through upstreams: the lower-cased normalised versions of the merged package, oldest first.</summary>
    public async Task<Outcome<IReadOnlyList<string>>> ListNugetVersionsThroughUpstreamsAsync(string domain, string repository, string id,
        CancellationToken cancellationToken)
    {
        var resolved = NugetChain(domain, repository, id);
        if (resolved.Failure is { } failure) return failure;
        if (resolved.Value!.IsLocalOnly) return ListNugetVersions(domain, repository, id);
        var merged = await NugetMergeAsync(resolved.Value, withMetadata: false, cancellationToken);
        if (merged.Failure is { } notMerged) return notMerged;
        return merged.Value!.Versions.Select(v => v.LowerVersion).ToList();
    }

    /// <summary>
    /// A package with every version the chain serves, oldest first (registrations). Versions only a remote has carry the
    /// remote's catalog entry in <see cref="NugetPackageVersion.RemoteCatalogEntry"/>.
    /// </summary>
    public async Task<Outcome<NugetPackage>> GetNugetPackageThroughUpstreamsAsync(string domain, string repository, string id, CancellationToken cancellationToken)
    {
        var resolved = NugetChain(domain, repository, id);
        if (resolved.Failure is { } failure) return failure;
        if (resolved.Value!.IsLocalOnly) return await GetNugetPackageAsync(domain, repository, id, cancellationToken);
        return await NugetMergeAsync(resolved.Value, withMetadata: true, cancellationToken);
    }

    /// <summary>
    /// Opens a nupkg for a package manager through the chain (<see cref="OpenAssetThroughUpstreamsAsync"/>): a version found
    /// upstream is retained in the asked repository, one found on a remote is fetched, verified and stored.
    /// </summary>
    public async Task<Outcome<(AssetInfo Asset, Stream Content)>> OpenNugetPackageThroughUpstreamsAsync(string domain, string repository, string id,
        string version, CancellationToken cancellationToken)
    {
        // The asked repository comes first in every chain: a nupkg it serves itself is opened without looking further.
        if (PackageFormats.Nuget.CheckName(null, id) is null && NuGetVersion.TryParse(version, out var asked))
        {
            var fileName = $"{PackageFormats.Nuget.NormalizeName(id)}.{asked.ToNormalizedString().ToLowerInvariant()}.nupkg";
            if (FindServedAsset(domain, repository, PackageFormats.Nuget, null, id, version, fileName) is { } served)
            {
                return await OpenServedAssetAsync(served, cancellationToken);
            }
        }
        var resolved = NugetChain(domain, repository, id);
        if (resolved.Failure is { } failure) return failure;
        var chain = resolved.Value!;
        if (chain.IsLocalOnly || !NuGetVersion.TryParse(version, out var parsed)) return await OpenNugetPackageAsync(domain, repository, id, version, cancellationToken);
        var asset = $"{chain.NameKey}.{parsed.ToNormalizedString().ToLowerInvariant()}.nupkg";
        return await OpenAssetThroughUpstreamsAsync(domain, repository, PackageFormats.Nuget.Name, null, id, version, asset, cancellationToken);
    }

    /// <summary>
    /// Opens the nuspec of a version through the chain: from the first repository holding the version; a version only a
    /// remote has is ingested first (as its nupkg download would), since the nuspec is read out of the stored nupkg.
    /// </summary>
    public async Task<Outcome<(AssetInfo Asset, Stream Content)>> OpenNugetManifestThroughUpstreamsAsync(string domain, string repository, string id,
        string version, CancellationToken cancellationToken)
    {
        var resolved = NugetChain(domain, repository, id);
        if (resolved.Failure is { } failure) return failure;
        var chain = resolved.Value!;
        if (chain.IsLocalOnly || !NuGetVersion.TryParse(version, out var parsed)) return await OpenNugetManifestAsync(domain, repository, id, version, cancellationToken);
        var versionKey = parsed.ToNormalizedString().ToLowerInvariant();
        var holder = FirstNugetHolder(chain, versionKey);
        if (holder is null && chain.Members.Any(m => m.IsExternal))
        {
            var fetched = await OpenNugetPackageThroughUpstreamsAsync(domain, repository, id, version, cancellationToken);
            if (fetched.Failure is { } notFetched) return notFetched;
            await fetched.Value.Content.DisposeAsync();
            var again = NugetChain(domain, repository, id);
            if (again.Failure is { } gone) return gone;
            holder = FirstNugetHolder(again.Value!, versionKey);
        }
        if (holder is null)
        {
            return new Failure(ErrorCodes.PackageVersionNotFound, FailureKind.NotFound,
                $"Version {version} of '{id}' is not in '{repository}' or its upstreams.", version);
        }
        return await OpenNugetManifestAsync(domain, holder, id, version, cancellationToken);
    }

    /// <summary>
    /// Searches the NuGet packages of the repository, its upstreams and their external connections' search services. An id
    /// found in several members is one result: its spelling from the first, each counted version from the first member that
    /// has it; a package whose origin configuration blocks upstreams hides what lies behind it. Remote results are re-checked
    /// against the query the same way local ones are, and only the remote's first pages are asked for, so what is shown is
    /// consistent rather than exhaustive.
    /// </summary>
    public async Task<Outcome<NugetSearchResult>> SearchNugetThroughUpstreamsAsync(string domain, string repository, NugetSearchQuery query,
        CancellationToken cancellationToken)
    {
        var resolved = ResolveChain(domain, repository, PackageFormats.Nuget.Name, null, NugetAnyPackage);
        if (resolved.Failure is { } failure) return failure;
        var chain = resolved.Value!;
        if (chain.IsLocalOnly) return await SearchNugetAsync(domain, repository, query, cancellationToken);
        var key = _store.Domains.GetKey(domain);
        if (key.Failure is { } noKey) return noKey;
        using var domainKey = key.Value!;
        var terms = NugetSearchTerm.Parse(query.Text);

        var candidates = new Dictionary<string, List<(int Member, NugetPackage Package, int Rank)>>(StringComparer.Ordinal);
        var blockedFrom = new Dictionary<string, int>(StringComparer.Ordinal);
        Failure? remoteFailure = null;
        var remoteNotFetched = 0;
        for (var i = 0; i < chain.Members.Count; i++)
        {
            var member = chain.Members[i];
            if (member.External is { } source)
            {
                var take = Math.Clamp(query.Skip + query.Take, 1, NugetMaxTake);
                var remote = await NugetRemoteSearchAsync(source, query, take, cancellationToken);
                if (remote.Failure is { } remoteRefused)
                {
                    remoteFailure ??= remoteRefused;
                    continue;
                }
                if (remote.Value is not { } answer) continue;
                remoteNotFetched += Math.Max(0, answer.TotalHits - answer.Hits.Count);
                foreach (var hit in answer.Hits)
                {
                    var package = NugetPackageOfRemoteHit(hit);
                    if (NugetRank(package.Id, package.Versions[^1].Metadata, terms) is { } rank) Add(i, package, rank);
                }
                continue;
            }
            var local = await NugetSearchHitsAsync(domain, member.Repository, domainKey, query, terms, cancellationToken);
            if (local.Failure is { } localFailure) return localFailure;
            foreach (var (package, rank) in local.Value!) Add(i, package, rank);
            foreach (var blocked in NugetUpstreamBlocked(member.RepositoryId)) blockedFrom.TryAdd(blocked, i);
        }

        var winners = new List<(NugetPackage Package, int Rank)>();
        foreach (var (nameKey, list) in candidates)
        {
            var visible = list;
            if (blockedFrom.TryGetValue(nameKey, out var blocking) && list.Any(c => c.Member > blocking))
            {
                // A member blocks upstreams for this id: only the id's own chain tells which of the later members it still sees.
                var exact = blocking == 0 ? null : ResolveChain(domain, repository, PackageFormats.Nuget.Name, null, list[0].Package.Id).Value;
                var seen = exact?.Members.Select(m => (m.RepositoryId, m.IsExternal)).ToHashSet() ?? [(chain.Asked.RepositoryId, false)];
                visible = list.Where(c => seen.Contains((chain.Members[c.Member].RepositoryId, chain.Members[c.Member].IsExternal))).ToList();
            }
            if (visible.Count > 0) winners.Add(NugetMergeHits(visible));
        }
        if (winners.Count == 0 && remoteFailure is not null) return remoteFailure;
        var ordered = winners.OrderBy(h => h.Rank).ThenBy(h => h.Package.Id, StringComparer.OrdinalIgnoreCase).Select(h => h.Package).ToList();
        return new NugetSearchResult(ordered.Count + remoteNotFetched, ordered.Skip(Math.Max(0, query.Skip)).Take(Math.Clamp(query.Take, 0, NugetMaxTake)).ToList());

        void Add(int member, NugetPackage package, int rank)
        {
            var nameKey = PackageFormats.Nuget.NormalizeName(package.Id);
            if (!candidates.TryGetValue(nameKey, out var list)) candidates[nameKey] = list = [];
            list.Add((member, package, rank));
        }
    }

    // ------------------------------------------------------------------ merging

    /// <summary>
    /// One search hit from the hits of several members (in chain order) for one id: the first member's spelling of the id,
    /// each version from the first member that has it, and the best rank.
    /// </summary>
    private static (NugetPackage Package, int Rank) NugetMergeHits(List<(int Member, NugetPackage Package, int Rank)> hits)
    {
        if (hits.Count == 1) return (hits[0].Package, hits[0].Rank);
        var versions = new Dictionary<string, NugetPackageVersion>(StringComparer.Ordinal);
        foreach (var hit in hits)
        {
            foreach (var version in hit.Package.Versions) versions.TryAdd(version.LowerVersion, version);
        }
        var merged = new NugetPackage
        {
            Id = hits[0].Package.Id,
            Versions = versions.Values.OrderBy(v => NuGetVersion.Parse(v.Version), VersionComparer.Default).ToList(),
        };
        return (merged, hits.Min(h => h.Rank));
    }

    private Outcome<UpstreamChain> NugetChain(string domain, string repository, string id)
    {
        if (PackageFormats.Nuget.CheckName(null, id) is { } badName)
        {
            return new Failure(ErrorCodes.PackageNotFound, FailureKind.NotFound, $"'{id}' is not a NuGet id: {badName.Message}", id);
        }
        return ResolveChain(domain, repository, PackageFormats.Nuget.Name, null, id);
    }

    /// <summary>
    /// The package as the chain serves it: for each version the first member holding it decides (a local version that is not
    /// Published or Unlisted hides it); with <paramref name="withMetadata"/> local versions carry their metadata and remote
    /// ones their registration's catalog entry.
    /// </summary>
    private async Task<Outcome<NugetPackage>> NugetMergeAsync(UpstreamChain chain, bool withMetadata, CancellationToken cancellationToken)
    {
        var decided = new Dictionary<string, NugetPackageVersion?>(StringComparer.Ordinal);
        string? displayId = null;
        Failure? remoteFailure = null;
        DomainKey? domainKey = null;
        try
        {
            foreach (var member in chain.Members)
            {
                if (member.External is { } source)
                {
                    var remote = await NugetRemoteVersionsOfAsync(chain, source, withMetadata, cancellationToken);
                    if (remote.Failure is { } refused)
                    {
                        remoteFailure ??= refused;
                        continue;
                    }
                    foreach (var version in remote.Value!.Versions)
                    {
                        if (decided.TryAdd(version.LowerVersion, version)) displayId ??= remote.Value.Id;
                    }
                    continue;
                }
                if (member.PackageId is not { } packageId) continue;
                List<NugetCandidate> loaded;
                List<VersionRow> rows;
                using (var connection = _store.Catalog.Open())
                {
                    loaded = NugetQuery(connection, chain.DomainId, member.RepositoryId, packageId);
                    rows = ListVersionRows(connection, null, packageId);
                }
                if (loaded.Count == 0) continue;
                var candidate = loaded[0];
                var served = candidate.Rows.ToDictionary(r => r.Version.VersionKey, StringComparer.Ordinal);
                var fresh = new NugetCandidate(candidate.Name, []);
                foreach (var row in rows.Where(r => !decided.ContainsKey(r.VersionKey)))
                {
                    // The first holder decides: a version it does not serve is hidden, not looked up further along.
                    decided[row.VersionKey] = null;
                    if (served.TryGetValue(row.VersionKey, out var servable)) fresh.Rows.Add(servable);
                }
                if (fresh.Rows.Count == 0) continue;
                if (withMetadata && domainKey is null)
                {
                    var key = _store.Domains.GetKey(chain.Domain);
                    if (key.Failure is { } noKey) return noKey;
                    domainKey = key.Value!;
                }
                var package = withMetadata
                    ? await NugetPackageOf(chain.Domain, domainKey!, fresh, _ => true, cancellationToken)
                    : NugetPackageWithoutMetadata(fresh);
                displayId ??= package.Id;
                foreach (var version in package.Versions) decided[version.LowerVersion] = version;
            }
        }
        finally
        {
            domainKey?.Dispose();
        }
        var versions = decided.Values.OfType<NugetPackageVersion>().OrderBy(v => NuGetVersion.Parse(v.Version), VersionComparer.Default).ToList();
        if (versions.Count == 0) return remoteFailure ?? NugetNotServed(chain.Name);
        return new NugetPackage { Id = displayId ?? chain.Name, Versions = versions };
    }

    private static NugetPackage NugetPackageWithoutMetadata(NugetCandidate candidate) => new()
    {
        Id = candidate.Name,
        Versions = candidate.Rows.Select(row => new NugetPackageVersion
        {
            Version = row.Parsed.ToFullString(),
            NormalizedVersion = row.Parsed.ToNormalizedString(),
            Listed = row.Version.Status == Published,
            IsPrerelease = row.Parsed.IsPrerelease,
            IsSemVer2 = row.Parsed.IsSemVer2,
            PublishedTime = Sql.Time(row.Version.PublishedTime),
            Size = row.Size,
            Sha512 = row.Sha512,
        }).ToList(),
    };

    /// <summary>The first repository of the chain that holds the version (in any status), or null.</summary>
    private string? FirstNugetHolder(UpstreamChain chain, string versionKey)
    {
        using var connection = _store.Catalog.Open();
        return chain.Members.FirstOrDefault(m => !m.IsExternal && m.PackageId is { } id && FindVersion(connection, null, id, versionKey) is not null)?.Repository;
    }

    /// <summary>
    /// The versions a remote serves for the chain's package: from its registration (catalog entries included) when
    /// <paramref name="withMetadata"/> and it has one, else from its flat container. None when it has no such package.
    /// </summary>
    private async Task<Outcome<NugetPackage>> NugetRemoteVersionsOfAsync(UpstreamChain chain, ExternalSource source, bool withMetadata,
        CancellationToken cancellationToken)
    {
        if (withMetadata)
        {
            var feed = await NugetRemoteFeedAsync(source, cancellationToken);
            if (feed.Failure is { } noFeed) return noFeed;
            if (feed.Value!.Registrations is not null)
            {
                var leaves = await NugetRemoteRegistrationAsync(chain, source, null, cancellationToken);
                if (leaves.Failure is { } noLeaves) return noLeaves;
                var entries = leaves.Value ?? [];
                var id = entries.Select(l => l.CatalogEntry.TryGetProperty("id", out var named) && named.ValueKind == JsonValueKind.String ? named.GetString() : null)
                    .FirstOrDefault(n => n is not null) ?? chain.Name;
                return new NugetPackage { Id = id, Versions = entries.Select(NugetRemoteVersion).ToList() };
            }
        }
        var listed = await NugetRemoteFlatVersionsAsync(chain, source, cancellationToken);
        if (listed.Failure is { } notListed) return notListed;
        return new NugetPackage
        {
            Id = chain.Name,
            Versions = (listed.Value ?? []).Select(v => NugetRemoteVersion(v, null)).ToList(),
        };
    }

    private static NugetPackageVersion NugetRemoteVersion(NugetRemoteLeaf leaf) => NugetRemoteVersion(leaf.Version, leaf.CatalogEntry);

    /// <summary>A version only a remote has: what its catalog entry says (when there is one) about listing, date, size and hash.</summary>
    private static NugetPackageVersion NugetRemoteVersion(NuGetVersion version, JsonElement? entry)
    {
        var listed = entry is not { } e || !e.TryGetProperty("listed", out var flag) || flag.ValueKind != JsonValueKind.False;
        var published = entry is { } p && p.TryGetProperty("published", out var date) && date.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(date.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time : DateTimeOffset.UnixEpoch;
        var size = entry is { } s && s.TryGetProperty("packageSize", out var bytes) && bytes.TryGetInt64(out var length) ? length : 0;
        var hash = entry is { } h && h.TryGetProperty("packageHash", out var value) && value.ValueKind == JsonValueKind.String
            && h.TryGetProperty("packageHashAlgorithm", out var algorithm) && string.Equals(algorithm.GetString(), "SHA512", StringComparison.OrdinalIgnoreCase)
            && TryHex(value.GetString()!) is { } hex ? hex : "";
        return new NugetPackageVersion
        {
            Version = version.ToFullString(),
            NormalizedVersion = version.ToNormalizedString(),
            Listed = listed,
            IsPrerelease = version.IsPrerelease,
            IsSemVer2 = version.IsSemVer2 || (entry is { } d && NugetRangesNeedSemVer2(d)),
            PublishedTime = published,
            Size = size,
            Sha512 = hash,
            RemoteCatalogEntry = entry,
        };

        static string? TryHex(string base64)
        {
            var buffer = new byte[64];
            return Convert.TryFromBase64String(base64, buffer, out var written) && written == 64 ? Convert.ToHexStringLower(buffer) : null;
        }
    }

    /// <summary>True when a dependency range of the catalog entry has a SemVer 2.0.0 bound (so the version belongs in the SemVer 2.0.0 hive only).</summary>
    private static bool NugetRangesNeedSemVer2(JsonElement entry)
    {
        if (!entry.TryGetProperty("dependencyGroups", out var groups) || groups.ValueKind != JsonValueKind.Array) return false;
        foreach (var group in groups.EnumerateArray())
        {
            if (group.ValueKind != JsonValueKind.Object || !group.TryGetProperty("dependencies", out var dependencies) || dependencies.ValueKind != JsonValueKind.Array) continue;
            foreach (var dependency in dependencies.EnumerateArray())
            {
                if (dependency.ValueKind == JsonValueKind.Object && dependency.TryGetProperty("range", out var range) && range.ValueKind == JsonValueKind.String
                    && VersionRange.TryParse(range.GetString()!, out var parsed)
                    && (parsed.MinVersion?.IsSemVer2 == true || parsed.MaxVersion?.IsSemVer2 == true)) return true;
            }
        }
        return false;
    }

    /// <summary>A remote search result as a package: its versions, with the result's fields as the metadata of each.</summary>
    private static NugetPackage NugetPackageOfRemoteHit(NugetRemoteHit hit)
    {
        var result = hit.Result;
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Text("title") is { } title) properties["title"] = title;
        if (Text("iconUrl") is { } icon) properties["iconurl"] = icon;
        if (Texts("tags") is { Count: > 0 } tags) properties["tags"] = string.Join(' ', tags);
        if (Texts("authors") is { Count: > 0 } authors) properties["authors"] = string.Join(", ", authors);
        if (result.TryGetProperty("packageTypes", out var types) && types.ValueKind == JsonValueKind.Array)
        {
            var names = types.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.Object && t.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String)
                .Select(t => t.GetProperty("name").GetString()!).ToList();
            if (names.Count > 0) properties["packagetypes"] = string.Join(',', names);
        }
        var metadata = new PackageMetadata
        {
            DisplayName = hit.Id,
            Description = Text("description"),
            Summary = Text("summary"),
            HomePage = Text("projectUrl"),
            Licenses = Text("licenseUrl") is { } license ? [new PackageLicense(null, license)] : [],
            Properties = properties,
        };
        return new NugetPackage
        {
            Id = hit.Id,
            Versions = hit.Versions.Select(v => new NugetPackageVersion
            {
                Version = v.ToFullString(),
                NormalizedVersion = v.ToNormalizedString(),
                Listed = true,
                IsPrerelease = v.IsPrerelease,
                IsSemVer2 = v.IsSemVer2,
                PublishedTime = DateTimeOffset.UnixEpoch,
                Size = 0,
                Sha512 = "",
                Metadata = metadata,
            }).ToList(),
        };

        string? Text(string name) => result.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text ? text : null;

        // Search results give tags and authors as arrays, some feeds as one string.
        List<string> Texts(string name) => !result.TryGetProperty(name, out var value) ? []
            : value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!).ToList()
            : value.ValueKind == JsonValueKind.String ? [value.GetString()!]
            : [];
    }

    /// <summary>The name keys of the repository's NuGet packages whose origin configuration blocks upstreams.</summary>
    private List<string> NugetUpstreamBlocked(long repositoryId)
    {
        using var connection = _store.Catalog.Open();
        using var command = Sql.Command(connection, "SELECT name_key FROM packages WHERE repository_id = $r AND format = 'nuget' AND origin_upstream = $block;",
            null, ("$r", repositoryId), ("$block", PackageOriginConfiguration.Block));
        using var reader = command.ExecuteReader();
        var keys = new List<string>();
        while (reader.Read()) keys.Add(reader.GetString(0));
        return keys;
    }
}
