using System.Collections.Concurrent;
using System.Text;
using Microsoft.Data.Sqlite;

namespace PSCodeArtifact.Core.Services;

/// <summary>
/// The repositories of one domain with their upstream lists and external connections, as the catalog had them when its
/// <c>upstreams</c> counter (bumped by triggers on every change of domains, repositories, upstream links and connections,
/// from any process) had the value <see cref="Counter"/>. Kept in memory between requests; a request that reads another
/// counter value loads it anew, so a cmdlet's change applies to the next request.
/// </summary>
internal sealed class UpstreamGraph
{
    /// <summary>The counter every upstream chain query reads along with its package rows.</summary>
    public const string CounterQuery = "SELECT value FROM catalog_counters WHERE name = 'upstreams'";

    private readonly Dictionary<string, long> _byKey;
    private readonly ConcurrentDictionary<long, string> _reachable = new();

    private UpstreamGraph(long counter, long catalogId, long domainId, Dictionary<string, long> byKey, Dictionary<long, string> names,
        Dictionary<long, List<long>> upstreams, Dictionary<long, ExternalSource> external)
    {
        Counter = counter;
        CatalogId = catalogId;
        DomainId = domainId;
        _byKey = byKey;
        Names = names;
        Upstreams = upstreams;
        External = external;
    }

    public long Counter { get; }

    /// <summary>The catalog's random identity (see the catalog's counters).</summary>
    public long CatalogId { get; }

    public long DomainId { get; }

    /// <summary>Each repository's name as created, by id.</summary>
    public IReadOnlyDictionary<long, string> Names { get; }

    /// <summary>Each repository's upstreams in their configured order, by id.</summary>
    public IReadOnlyDictionary<long, List<long>> Upstreams { get; }

    /// <summary>The external connection of each repository that has one, by id.</summary>
    public IReadOnlyDictionary<long, ExternalSource> External { get; }

    /// <summary>The repository with this name (names are case-insensitive, as <c>name_key</c> stores them).</summary>
    public bool TryFind(string repository, out long id) => _byKey.TryGetValue(repository.ToLowerInvariant(), out id);

    /// <summary>
    /// The repository and every repository its upstream links reach, as a JSON array for <c>json_each</c>: the rows one query
    /// must read to build any chain that starts there.
    /// </summary>
    public string Reachable(long repositoryId) => _reachable.GetOrAdd(repositoryId, start =>
    {
        var seen = new HashSet<long> { start };
        var order = new List<long> { start };
        for (var i = 0; i < order.Count; i++)
        {
            foreach (var upstream in Upstreams.GetValueOrDefault(order[i]) ?? [])
            {
                if (seen.Add(upstream)) order.Add(upstream);
            }
        }
        return new StringBuilder("[").AppendJoin(',', order).Append(']').ToString();
    });

    /// <summary>Reads the domain's graph and the counter it goes with in one snapshot; null when the domain does not exist.</summary>
    public static UpstreamGraph? Load(SqliteConnection connection, string domain)
    {
        using var snapshot = connection.BeginTransaction(deferred: true);
        var counter = Sql.Scalar<long>(connection, CounterQuery + ";", snapshot);
        var catalogId = Sql.Scalar<long>(connection, "SELECT value FROM catalog_counters WHERE name = 'catalog';", snapshot);
        if (DomainService.Id(connection, domain, snapshot) is not { } domainId) return null;
        var byKey = new Dictionary<string, long>(StringComparer.Ordinal);
        var names = new Dictionary<long, string>();
        var upstreams = new Dictionary<long, List<long>>();
        using (var command = Sql.Command(connection, """
            SELECT r.id, r.name, r.name_key, u.upstream_id FROM repositories r LEFT JOIN repository_upstreams u ON u.repository_id = r.id
            WHERE r.domain_id = $d ORDER BY r.id, u.position;
            """, snapshot, ("$d", domainId)))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                var id = reader.GetInt64(0);
                names[id] = reader.GetString(1);
                byKey[reader.GetString(2)] = id;
                if (!upstreams.TryGetValue(id, out var list)) upstreams[id] = list = [];
                if (!reader.IsDBNull(3)) list.Add(reader.GetInt64(3));
            }
        }
        var external = ExternalConnectionService.ByRepository(connection, snapshot, domain, domainId);
        snapshot.Commit();
        return new UpstreamGraph(counter, catalogId, domainId, byKey, names, upstreams, external);
    }
}
