using Microsoft.Data.Sqlite;

namespace PSCodeArtifact.Core.Services;

/// <summary>Repositories of a domain and their ordered upstream lists.</summary>
public sealed class RepositoryService
{
    internal const string TagResource = "repository";
    private readonly CaStore _store;

    internal RepositoryService(CaStore store)
    {
        _store = store;
    }

    public Outcome<RepositoryInfo> Create(string domain, string name, string? description = null,
        IReadOnlyList<string>? upstreams = null, IReadOnlyDictionary<string, string>? tags = null)
    {
        if ((Names.CheckRepository(name) ?? Names.CheckDescription(description) ?? Names.CheckTags(tags)) is { } invalid) return invalid;

        using var connection = _store.Catalog.Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        if (DomainService.Id(connection, domain, transaction) is not { } domainId) return DomainService.NotFound(domain);
        if (Id(connection, domainId, name, transaction) is not null) return AlreadyExists(domain, name);
        var count = Sql.Scalar<int>(connection, "SELECT COUNT(*) FROM repositories WHERE domain_id = $d;", transaction, ("$d", domainId));
        if (count >= Names.MaxRepositoriesPerDomain)
        {
            return new Failure(ErrorCodes.TooManyRepositories, FailureKind.LimitExceeded,
                $"The domain '{domain}' already has {count} repositories, the most a domain may have.", name);
        }

        var upstreamIds = new List<long>();
        if (upstreams is not null && CheckUpstreams(connection, transaction, domainId, domain, name, null, upstreams, upstreamIds) is { } refused)
        {
            return refused;
        }

        var id = Sql.Scalar<long>(connection, """
            INSERT INTO repositories (domain_id, name, name_key, description, created_time)
            VALUES ($d, $name, $key, $description, $now) RETURNING id;
            """, transaction, ("$d", domainId), ("$name", name), ("$key", Key(name)), ("$description", description ?? ""), ("$now", Sql.Now()));
        WriteUpstreams(connection, transaction, id, upstreamIds);
        Sql.SetTags(connection, transaction, TagResource, id, tags);
        transaction.Commit();
        return Query(connection, domainId, id).Single();
    }

    /// <summary>The repositories of one domain, or of every domain when <paramref name="domain"/> is null, ordered by domain and name.</summary>
    public Outcome<IReadOnlyList<RepositoryInfo>> List(string? domain)
    {
        using var connection = _store.Catalog.Open();
        if (domain is null) return Query(connection, null, null);
        if (DomainService.Id(connection, domain) is not { } domainId) return DomainService.NotFound(domain);
        return Query(connection, domainId, null);
    }

    public Outcome<RepositoryInfo> Get(string domain, string name)
    {
        using var connection = _store.Catalog.Open();
        if (DomainService.Id(connection, domain) is not { } domainId) return DomainService.NotFound(domain);
        if (Id(connection, domainId, name) is not { } id) return NotFound(domain, name);
        return Query(connection, domainId, id).Single();
    }

    /// <summary>Changes the description and/or replaces the ordered upstream list; a null argument leaves that part as it is.</summary>
    public Outcome<RepositoryInfo> Update(string domain, string name, string? description, IReadOnlyList<string>? upstreams)
    {
        if (Names.CheckDescription(description) is { } invalid) return invalid;

        using var connection = _store.Catalog.Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        if (DomainService.Id(connection, domain, transaction) is not { } domainId) return DomainService.NotFound(domain);
        if (Id(connection, domainId, name, transaction) is not { } id) return NotFound(domain, name);
        var canonical = Sql.Scalar<string>(connection, "SELECT name FROM repositories WHERE id = $id;", transaction, ("$id", id))!;

        if (upstreams is not null)
        {
            var upstreamIds = new List<long>();
            if (CheckUpstreams(connection, transaction, domainId, domain, canonical, id, upstreams, upstreamIds) is { } refused) return refused;
            Sql.Execute(connection, "DELETE FROM repository_upstreams WHERE repository_id = $id;", transaction, ("$id", id));
            WriteUpstreams(connection, transaction, id, upstreamIds);
        }
        if (description is not null)
        {
            Sql.Execute(connection, "UPDATE repositories SET description = $description WHERE id = $id;", transaction,
                ("$description", description), ("$id", id));
        }
        transaction.Commit();
        return Query(connection, domainId, id).Single();
    }

    /// <summary>
    /// Removes a repository. Refused while it is an upstream of another repository unless <paramref name="force"/>,
    /// which also takes it out of those repositories' upstream lists.
    /// </summary>
    public Outcome<RepositoryInfo> Remove(string domain, string name, bool force)
    {
        using var connection = _store.Catalog.Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        var check = CheckRemove(connection, transaction, domain, name, force);
        if (check.Failure is { } refused) return refused;
        var (removed, id, downstream) = check.Value;
        foreach (var (downstreamId, _) in downstream)
        {
            var remaining = UpstreamIds(connection, transaction, downstreamId).Where(u => u != id).ToList();
            Sql.Execute(connection, "DELETE FROM repository_upstreams WHERE repository_id = $id;", transaction, ("$id", downstreamId));
            WriteUpstreams(connection, transaction, downstreamId, remaining);
        }
        Sql.Execute(connection, "DELETE FROM repository_upstreams WHERE repository_id = $id;", transaction, ("$id", id));
        Sql.DeleteTags(connection, transaction, TagResource, id);
        var domainId = DomainService.Id(connection, domain, transaction)!.Value;
        PackageService.DeleteRepositoryContent(connection, transaction, domainId, id);
        Sql.Execute(connection, "DELETE FROM repository_external_connections WHERE repository_id = $id;", transaction, ("$id", id));
        Sql.Execute(connection, "DELETE FROM repositories WHERE id = $id;", transaction, ("$id", id));
        transaction.Commit();
        _store.Packages.FreeBlobs(domain, domainId);
        return removed;
    }

    /// <summary>
    /// Checks whether <see cref="Remove"/> would succeed, without changing anything (for -WhatIf and confirmation).
    /// Returns the repository and the repositories whose upstream lists a forced removal changes.
    /// </summary>
    public Outcome<RepositoryRemoval> CheckRemove(string domain, string name, bool force)
    {
        using var connection = _store.Catalog.Open();
        var check = CheckRemove(connection, null, domain, name, force);
        return check.Failure is { } refused
            ? refused
            : new RepositoryRemoval(check.Value.Repository, check.Value.Downstream.Select(d => d.Name).ToList());
    }

    private static Outcome<(RepositoryInfo Repository, long Id, List<(long Id, string Name)> Downstream)> CheckRemove(
        SqliteConnection connection, SqliteTransaction? transaction, string domain, string name, bool force)
    {
        if (DomainService.Id(connection, domain, transaction) is not { } domainId) return DomainService.NotFound(domain);
        if (Id(connection, domainId, name, transaction) is not { } id) return NotFound(domain, name);
        var repository = Query(connection, domainId, id, transaction).Single();
        var downstream = new List<(long Id, string Name)>();
        using (var command = Sql.Command(connection, """
            SELECT DISTINCT r.id, r.name FROM repository_upstreams u JOIN repositories r ON r.id = u.repository_id
            WHERE u.upstream_id = $id ORDER BY r.name;
            """, transaction, ("$id", id)))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read()) downstream.Add((reader.GetInt64(0), reader.GetString(1)));
        }
        if (downstream.Count > 0 && !force)
        {
            return new Failure(ErrorCodes.RepositoryIsUpstream, FailureKind.Conflict,
                $"The repository '{repository.Name}' is an upstream of {string.Join(", ", downstream.Select(d => $"'{d.Name}'"))}. " +
                "Remove it from their upstreams first, or use -Force to do so while removing it.",
                $"{domain}/{repository.Name}");
        }
        return (repository, id, downstream);
    }

    /// <summary>
    /// The repositories a request to <paramref name="name"/> searches, in order: the repository itself, then each upstream
    /// depth-first in its configured order, each at most once, at most <see cref="Names.MaxUpstreamsSearched"/>.
    /// </summary>
    public Outcome<IReadOnlyList<string>> ResolveSearchOrder(string domain, string name)
    {
        using var connection = _store.Catalog.Open();
        if (DomainService.Id(connection, domain) is not { } domainId) return DomainService.NotFound(domain);
        if (Id(connection, domainId, name) is not { } id) return NotFound(domain, name);
        var graph = Graph(connection, null, domainId);
        var order = new List<long>();
        var seen = new HashSet<long>();
        Visit(id);
        var byId = RepositoryNames(connection, domainId);
        return order.Select(i => byId[i]).ToList();

        void Visit(long repository)
        {
            if (order.Count >= Names.MaxUpstreamsSearched || !seen.Add(repository)) return;
            order.Add(repository);
            foreach (var upstream in graph.GetValueOrDefault(repository) ?? []) Visit(upstream);
        }
    }

    internal static long? Id(SqliteConnection connection, long domainId, string name, SqliteTransaction? transaction = null) =>
        Sql.Scalar<long?>(connection, "SELECT id FROM repositories WHERE domain_id = $d AND name_key = $key;", transaction,
            ("$d", domainId), ("$key", Key(name)));

    internal static Failure NotFound(string domain, string name) => NotFoundFailure(domain, name);

    public static Failure NotFoundFailure(string domain, string name) =>
        new(ErrorCodes.RepositoryNotFound, FailureKind.NotFound, $"The repository '{name}' does not exist in the domain '{domain}'.", $"{domain}/{name}");

    private static Failure AlreadyExists(string domain, string name) =>
        new(ErrorCodes.RepositoryAlreadyExists, FailureKind.AlreadyExists, $"The repository '{name}' already exists in the domain '{domain}'.", $"{domain}/{name}");

    // Repository names are unique regardless of case, so two repositories never differ only in case in a URL.
    private static string Key(string name) => name.ToLowerInvariant();

    private static Failure? CheckUpstreams(SqliteConnection connection, SqliteTransaction transaction, long domainId, string domain,
        string repository, long? repositoryId, IReadOnlyList<string> upstreams, List<long> upstreamIds)
    {
        if (upstreams.Count > Names.MaxDirectUpstreams)
        {
            return new Failure(ErrorCodes.TooManyUpstreams, FailureKind.LimitExceeded,
                $"{upstreams.Count} upstream repositories were given; a repository may have at most {Names.MaxDirectUpstreams}.", repository);
        }
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var upstream in upstreams)
        {
            if (!seen.Add(upstream))
            {
                return new Failure(ErrorCodes.DuplicateUpstream, FailureKind.Invalid,
                    $"The upstream repository '{upstream}' is listed more than once.", upstream);
            }
        }
        foreach (var upstream in upstreams)
        {
            if (Names.CheckRepository(upstream) is { } invalid) return invalid;
            if (string.Equals(upstream, repository, StringComparison.OrdinalIgnoreCase))
            {
                return new Failure(ErrorCodes.UpstreamCycle, FailureKind.Invalid,
                    $"The repository '{repository}' cannot be its own upstream.", upstream);
            }
            if (Id(connection, domainId, upstream, transaction) is not { } upstreamId)
            {
                return new Failure(ErrorCodes.UpstreamNotFound, FailureKind.NotFound,
                    $"The upstream repository '{upstream}' does not exist in the domain '{domain}'; upstreams must be repositories of the same domain.", upstream);
            }
            upstreamIds.Add(upstreamId);
        }
        if (repositoryId is not { } self) return null;

        // A cycle exists when the repository is reachable from one of its new upstreams through the existing links.
        var graph = Graph(connection, transaction, domainId);
        graph.Remove(self);
        var names = RepositoryNames(connection, domainId, transaction);
        foreach (var start in upstreamIds)
        {
            if (PathTo(graph, start, self) is { } path)
            {
                var chain = string.Join(" -> ", new[] { repository }.Concat(path.Select(p => names[p])));
                return new Failure(ErrorCodes.UpstreamCycle, FailureKind.Invalid,
                    $"These upstreams would make a cycle: {chain}.", repository);
            }
        }
        return null;
    }

    private static List<long>? PathTo(Dictionary<long, List<long>> graph, long from, long target)
    {
        var visited = new HashSet<long>();
        var path = new List<long>();
        return Walk(from) ? path : null;

        bool Walk(long node)
        {
            path.Add(node);
            if (node == target) return true;
            if (visited.Add(node))
            {
                foreach (var next in graph.GetValueOrDefault(node) ?? [])
                {
                    if (Walk(next)) return true;
                }
            }
            path.RemoveAt(path.Count - 1);
            return false;
        }
    }

    private static Dictionary<long, List<long>> Graph(SqliteConnection connection, SqliteTransaction? transaction, long domainId)
    {
        using var command = Sql.Command(connection, """
            SELECT u.repository_id, u.upstream_id FROM repository_upstreams u
            JOIN repositories r ON r.id = u.repository_id WHERE r.domain_id = $d ORDER BY u.repository_id, u.position;
            """, transaction, ("$d", domainId));
        using var reader = command.ExecuteReader();
        var graph = new Dictionary<long, List<long>>();
        while (reader.Read())
        {
            var from = reader.GetInt64(0);
            if (!graph.TryGetValue(from, out var list)) graph[from] = list = [];
            list.Add(reader.GetInt64(1));
        }
        return graph;
    }

    private static Dictionary<long, string> RepositoryNames(SqliteConnection connection, long domainId, SqliteTransaction? transaction = null)
    {
        using var command = Sql.Command(connection, "SELECT id, name FROM repositories WHERE domain_id = $d;", transaction, ("$d", domainId));
        using var reader = command.ExecuteReader();
        var names = new Dictionary<long, string>();
        while (reader.Read()) names[reader.GetInt64(0)] = reader.GetString(1);
        return names;
    }

    private static List<long> UpstreamIds(SqliteConnection connection, SqliteTransaction transaction, long repositoryId)
    {
        using var command = Sql.Command(connection, "SELECT upstream_id FROM repository_upstreams WHERE repository_id = $id ORDER BY position;",
            transaction, ("$id", repositoryId));
        using var reader = command.ExecuteReader();
        var ids = new List<long>();
        while (reader.Read()) ids.Add(reader.GetInt64(0));
        return ids;
    }

    private static void WriteUpstreams(SqliteConnection connection, SqliteTransaction transaction, long repositoryId, List<long> upstreamIds)
    {
        for (var position = 0; position < upstreamIds.Count; position++)
        {
            Sql.Execute(connection, "INSERT INTO repository_upstreams (repository_id, position, upstream_id) VALUES ($id, $pos, $up);",
                transaction, ("$id", repositoryId), ("$pos", position), ("$up", upstreamIds[position]));
        }
    }

    private static List<RepositoryInfo> Query(SqliteConnection connection, long? domainId, long? id, SqliteTransaction? transaction = null)
    {
        var filter = (domainId, id) switch
        {
            (_, not null) => "WHERE r.id = $id",
            (not null, null) => "WHERE r.domain_id = $d",
            _ => "",
        };
        using var command = Sql.Command(connection, $"""
            SELECT r.id, r.name, d.name, r.description, r.created_time FROM repositories r JOIN domains d ON d.id = r.domain_id
            {filter} ORDER BY d.name, r.name_key;
            """, transaction, ("$id", id), ("$d", domainId));
        var rows = new List<(long Id, string Name, string Domain, string Description, long Created)>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                rows.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4)));
            }
        }
        var upstreams = new Dictionary<long, List<string>>();
        using (var links = Sql.Command(connection, $"""
            SELECT u.repository_id, up.name FROM repository_upstreams u
            JOIN repositories r ON r.id = u.repository_id JOIN repositories up ON up.id = u.upstream_id
            {filter} ORDER BY u.repository_id, u.position;
            """, transaction, ("$id", id), ("$d", domainId)))
        using (var reader = links.ExecuteReader())
        {
            while (reader.Read())
            {
                var from = reader.GetInt64(0);
                if (!upstreams.TryGetValue(from, out var list)) upstreams[from] = list = [];
                list.Add(reader.GetString(1));
            }
        }
        var external = new Dictionary<long, string>();
        using (var links = Sql.Command(connection, $"""
            SELECT rc.repository_id, c.name FROM repository_external_connections rc
            JOIN repositories r ON r.id = rc.repository_id JOIN external_connections c ON c.id = rc.connection_id {filter};
            """, transaction, ("$id", id), ("$d", domainId)))
        using (var reader = links.ExecuteReader())
        {
            while (reader.Read()) external[reader.GetInt64(0)] = reader.GetString(1);
        }
        return rows.Select(r => new RepositoryInfo
        {
            Name = r.Name,
            DomainName = r.Domain,
            Description = r.Description,
            Upstreams = upstreams.GetValueOrDefault(r.Id) ?? [],
            ExternalConnections = external.TryGetValue(r.Id, out var connectionName) ? [connectionName] : [],
            CreatedTime = Sql.Time(r.Created),
            Tags = Sql.Tags(connection, TagResource, r.Id, transaction),
            Arn = Arns.Repository(r.Domain, r.Name),
        }).ToList();
    }
}

/// <summary>What removing a repository involves: the repository and the repositories whose upstream lists lose it.</summary>
public sealed record RepositoryRemoval(RepositoryInfo Repository, IReadOnlyList<string> Downstream);
