using PSCodeArtifact.Core.Formats;

namespace PSCodeArtifact.Core.Services;

// Listings that include what a repository's upstream repositories hold: the management side of the search order, which
// CodeArtifact's API lacks (its List calls ignore upstreams). External connections are not listed: only what is stored.
public sealed partial class PackageService
{
    /// <summary>
    /// The packages of a repository and of the repositories of its search order (<see cref="RepositoryService.ResolveSearchOrder"/>),
    /// the first repository holding a package winning; each package's <see cref="PackageInfo.Repository"/> names where it lives.
    /// Ordered as <see cref="ListPackages"/> orders them.
    /// </summary>
    public Outcome<IReadOnlyList<PackageInfo>> ListPackagesIncludingUpstreams(string domain, string repository, string? format = null)
    {
        if (format is not null && PackageFormats.Get(format).Failure is { } badFormat) return badFormat;
        var order = _store.Repositories.ResolveSearchOrder(domain, repository);
        if (order.Failure is { } missing) return missing;
        using var connection = _store.Catalog.Open();
        var found = new Dictionary<(string Format, string Namespace, string Name), PackageInfo>();
        foreach (var name in order.Value!)
        {
            var repo = ResolveRepository(connection, null, domain, name);
            // Removed since the search order was read: it holds nothing any more.
            if (repo.Failure is not null) continue;
            var (_, repositoryId, repositoryName) = repo.Value;
            using var command = Sql.Command(connection, $"""
                SELECT format, namespace, namespace_key, name, name_key, origin_publish, origin_upstream FROM packages
                WHERE repository_id = $repo {(format is null ? "" : "AND format = $format")};
                """, null, ("$repo", repositoryId), ("$format", format?.ToLowerInvariant()));
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var key = (reader.GetString(0), reader.GetString(2), reader.GetString(4));
                if (found.ContainsKey(key)) continue;
                found[key] = ToPackageInfo(domain, repositoryName, reader.GetString(0), reader.GetString(1), reader.GetString(3),
                    new PackageOriginConfiguration(reader.GetString(5), reader.GetString(6)));
            }
        }
        return found.OrderBy(p => p.Key.Format, StringComparer.Ordinal).ThenBy(p => p.Key.Namespace, StringComparer.Ordinal)
            .ThenBy(p => p.Key.Name, StringComparer.Ordinal).Select(p => p.Value).ToList();
    }

    /// <summary>
    /// The versions of a package in a repository and in the repositories a package manager's request for it searches (the
    /// local members of its upstream chain: a package with upstream=BLOCK hides what lies behind it). The first repository
    /// holding a version wins, and decides its status; each version's <see cref="PackageVersionInfo.Repository"/> names where
    /// it lives. <paramref name="status"/> filters after that choice. Ordered by publication time.
    /// </summary>
    public Outcome<IReadOnlyList<PackageVersionInfo>> ListVersionsIncludingUpstreams(string domain, string repository, string format, string? @namespace,
        string package, string? status = null)
    {
        if (status is not null && !s_statuses.Contains(status, StringComparer.OrdinalIgnoreCase))
        {
            return new Failure(ErrorCodes.InvalidStatus, FailureKind.Invalid, $"'{status}' is not a version status; use one of {string.Join(", ", s_statuses)}.", status);
        }
        var resolved = ResolveChain(domain, repository, format, @namespace, package);
        if (resolved.Failure is { } failure) return failure;
        var chain = resolved.Value!;
        var holders = chain.Members.Where(m => !m.IsExternal && m.PackageId is not null).ToList();
        if (holders.Count == 0)
        {
            return new Failure(ErrorCodes.PackageNotFound, FailureKind.NotFound,
                $"The {chain.Format.Name} package '{DisplayName(chain.Format.Name, chain.Namespace, chain.Name)}' does not exist in the repository '{chain.Asked.Repository}' of the domain '{domain}' or in its upstream repositories.",
                package);
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var versions = new List<(VersionRow Row, int Member, ResolvedPackage Package)>();
        using var connection = _store.Catalog.Open();
        for (var i = 0; i < holders.Count; i++)
        {
            var member = holders[i];
            var p = ResolvePackage(connection, null, domain, member.Repository, format, @namespace, package);
            if (p.Failure is not null) continue;
            foreach (var row in ListVersionRows(connection, null, member.PackageId!.Value))
            {
                if (seen.Add(row.VersionKey)) versions.Add((row, i, p.Value!));
            }
        }
        return versions
            .Where(v => status is null || string.Equals(v.Row.Status, status, StringComparison.OrdinalIgnoreCase))
            .OrderBy(v => v.Row.PublishedTime).ThenBy(v => v.Member).ThenBy(v => v.Row.Id)
            .Select(v => ToVersionInfo(v.Package, v.Row, null))
            .ToList();
    }
}
