using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using PSCodeArtifact.Core.Storage;

namespace PSCodeArtifact.Core.Services;

/// <summary>Domains: the scope of encryption, deduplication and repositories.</summary>
public sealed class DomainService
{
    internal const string TagResource = "domain";
    private readonly CaStore _store;

    internal DomainService(CaStore store)
    {
        _store = store;
    }

    /// <summary>The unwrapped keys this store keeps in memory (see <see cref="DomainKeyCache"/>).</summary>
    internal DomainKeyCache KeyCache { get; } = new();

    public Outcome<DomainInfo> Create(string name, IReadOnlyDictionary<string, string>? tags = null)
    {
        if ((Names.CheckDomain(name) ?? Names.CheckTags(tags)) is { } invalid) return invalid;

        var dataKey = RandomNumberGenerator.GetBytes(32);
        byte[] wrapped;
        try
        {
            wrapped = _store.Keys.Wrap(dataKey, WrapContext(name));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }

        using var connection = _store.Catalog.Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        long id;
        try
        {
            id = Sql.Scalar<long>(connection, """
                INSERT INTO domains (name, status, created_time, key_provider, key_id, wrapped_key)
                VALUES ($name, 'Active', $now, $provider, $keyId, $wrapped) RETURNING id;
                """, transaction,
                ("$name", name), ("$now", Sql.Now()), ("$provider", _store.Keys.Name), ("$keyId", _store.Keys.CurrentKeyId), ("$wrapped", wrapped));
        }
        catch (SqliteException e) when (Sql.IsUniqueViolation(e))
        {
            return AlreadyExists(name);
        }
        Sql.SetTags(connection, transaction, TagResource, id, tags);
        transaction.Commit();
        return Read(connection, name)!;
    }

    /// <summary>Every domain, ordered by name.</summary>
    public IReadOnlyList<DomainInfo> List()
    {
        using var connection = _store.Catalog.Open();
        return Query(connection, null);
    }

    public Outcome<DomainInfo> Get(string name)
    {
        using var connection = _store.Catalog.Open();
        return Read(connection, name) is { } domain ? domain : NotFound(name);
    }

    /// <summary>
    /// Removes a domain: refused while it has repositories unless <paramref name="force"/>. Its data key is destroyed
    /// (the row is securely deleted and the WAL checkpointed) and then its blobs are deleted.
    /// </summary>
    public Outcome<DomainInfo> Remove(string name, bool force)
    {
        DomainInfo removed;
        IReadOnlyList<string> blobs;
        var key = GetKey(name);
        if (key.Failure is { } missing) return missing;
        using var domainKey = key.Value!;
        using (var connection = _store.Catalog.Open())
        using (var transaction = connection.BeginTransaction(deferred: false))
        {
            var check = CheckRemove(connection, transaction, name, force);
            if (check.Failure is { } refused) return refused;
            var domain = check.Value!;
            var id = Id(connection, name, transaction)!.Value;
            blobs = BlobCatalog.ListSha256(connection, id);
            const string Repositories = "SELECT id FROM repositories WHERE domain_id = $id";
            Sql.Execute(connection, $"DELETE FROM repository_upstreams WHERE repository_id IN ({Repositories});", transaction, ("$id", id));
            Sql.Execute(connection, $"DELETE FROM repository_external_connections WHERE repository_id IN ({Repositories});", transaction, ("$id", id));
            Sql.Execute(connection, "DELETE FROM external_connections WHERE domain_id = $id;", transaction, ("$id", id));
            Sql.Execute(connection, $"DELETE FROM tags WHERE resource_type = '{RepositoryService.TagResource}' AND resource_id IN ({Repositories});", transaction, ("$id", id));
            Sql.Execute(connection, $"""
                DELETE FROM assets WHERE version_id IN (SELECT v.id FROM package_versions v JOIN packages p ON p.id = v.package_id WHERE p.repository_id IN ({Repositories}));
                DELETE FROM package_versions WHERE package_id IN (SELECT id FROM packages WHERE repository_id IN ({Repositories}));
                DELETE FROM dist_tags WHERE package_id IN (SELECT id FROM packages WHERE repository_id IN ({Repositories}));
                DELETE FROM packages WHERE repository_id IN ({Repositories});
                """, transaction, ("$id", id));
            Sql.Execute(connection, "DELETE FROM repositories WHERE domain_id = $id;", transaction, ("$id", id));
            Sql.Execute(connection, "DELETE FROM blobs WHERE domain_id = $id;", transaction, ("$id", id));
            Sql.DeleteTags(connection, transaction, TagResource, id);
            Sql.Execute(connection, "DELETE FROM domains WHERE id = $id;", transaction, ("$id", id));
            transaction.Commit();
            removed = domain;
        }
        // The key is destroyed: this process stops keeping it (the handle above stays valid for the blob deletions below).
        KeyCache.Evict(name);
        _store.Catalog.Checkpoint();
        // Delete this domain's blobs by address rather than the whole folder: a domain created again under the same
        // name meanwhile has another key, so its blobs have other addresses and stay. Failures leave orphans for the sweep.
        try
        {
            foreach (var sha256 in blobs) _store.Blobs.DeleteAsync(domainKey, sha256, CancellationToken.None).GetAwaiter().GetResult();
            _store.Blobs.DeleteDomainIfEmpty(name);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return removed;
    }

    /// <summary>Checks whether <see cref="Remove"/> would succeed, without changing anything (for -WhatIf and confirmation).</summary>
    public Outcome<DomainInfo> CheckRemove(string name, bool force)
    {
        using var connection = _store.Catalog.Open();
        return CheckRemove(connection, null, name, force);
    }

    private static Outcome<DomainInfo> CheckRemove(SqliteConnection connection, SqliteTransaction? transaction, string name, bool force)
    {
        if (Read(connection, name, transaction) is not { } domain) return NotFound(name);
        if (domain.RepositoryCount > 0 && !force)
        {
            return new Failure(ErrorCodes.DomainNotEmpty, FailureKind.Conflict,
                $"The domain '{name}' still has {Plural(domain.RepositoryCount, "repository", "repositories")}. Remove them first, or use -Force to remove them with the domain.",
                name);
        }
        return domain;
    }

    internal static string Plural(int count, string one, string many) => $"{count} {(count == 1 ? one : many)}";

    /// <summary>
    /// The domain's data key for blob encryption, read from the catalog each time (a removed domain has none) and unwrapped
    /// once per wrapped key (see <see cref="DomainKeyCache"/>). Dispose the handle when done.
    /// </summary>
    public Outcome<DomainKey> GetKey(string name)
    {
        using var reader = _store.Catalog.RentReader();
        using var rows = reader.Statement(KeyQuery, ("$name", name)).ExecuteReader();
        return rows.Read() ? KeyOf(name, rows.GetString(0), (byte[])rows.GetValue(1)) : NotFound(name);
    }

    internal Outcome<DomainKey> GetKey(SqliteConnection connection, string name)
    {
        using var command = Sql.Command(connection, KeyQuery, null, ("$name", name));
        using var rows = command.ExecuteReader();
        return rows.Read() ? KeyOf(name, rows.GetString(0), (byte[])rows.GetValue(1)) : NotFound(name);
    }

    /// <summary>A handle on the key of a domain whose row the caller has just read (its key id and wrapped key).</summary>
    internal DomainKey KeyOf(string name, string keyId, byte[] wrapped) =>
        KeyCache.Get(name, keyId, wrapped, () => _store.Keys.Unwrap(keyId, wrapped, WrapContext(name)));

    private const string KeyQuery = "SELECT key_id, wrapped_key FROM domains WHERE name = $name;";

    /// <summary>The domain's creation time in Unix milliseconds, or null when it does not exist (one indexed read).</summary>
    internal long? CreatedTime(string name)
    {
        using var reader = _store.Catalog.RentReader();
        var value = reader.Statement("SELECT created_time FROM domains WHERE name = $name;", ("$name", name)).ExecuteScalar();
        return value is long created ? created : null;
    }

    internal static long? Id(SqliteConnection connection, string name, SqliteTransaction? transaction = null) =>
        Sql.Scalar<long?>(connection, "SELECT id FROM domains WHERE name = $name;", transaction, ("$name", name));

    internal static Failure NotFound(string name) =>
        new(ErrorCodes.DomainNotFound, FailureKind.NotFound, $"The domain '{name}' does not exist.", name);

    private static Failure AlreadyExists(string name) =>
        new(ErrorCodes.DomainAlreadyExists, FailureKind.AlreadyExists, $"The domain '{name}' already exists.", name);

    private static byte[] WrapContext(string name) => Encoding.UTF8.GetBytes("PSCodeArtifact domain key:" + name);

    private static DomainInfo? Read(SqliteConnection connection, string name, SqliteTransaction? transaction = null) =>
        Query(connection, name, transaction).FirstOrDefault();

    private static List<DomainInfo> Query(SqliteConnection connection, string? name, SqliteTransaction? transaction = null)
    {
        using var command = Sql.Command(connection, $"""
            SELECT d.id, d.name, d.status, d.created_time, d.key_provider, d.key_id,
                   (SELECT COUNT(*) FROM repositories r WHERE r.domain_id = d.id),
                   (SELECT COALESCE(SUM(b.size), 0) FROM blobs b WHERE b.domain_id = d.id AND b.ref_count > 0 AND EXISTS (
                        SELECT 1 FROM assets a JOIN package_versions v ON v.id = a.version_id JOIN packages p ON p.id = v.package_id
                        JOIN repositories r ON r.id = p.repository_id WHERE a.sha256 = b.sha256 AND r.domain_id = d.id))
            FROM domains d {(name is null ? "" : "WHERE d.name = $name")} ORDER BY d.name;
            """, transaction, ("$name", name));
        var rows = new List<(long Id, string Name, string Status, long Created, string Key, int Repositories, long Size)>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                rows.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3),
                    $"{reader.GetString(4)}:{reader.GetString(5)}", reader.GetInt32(6), reader.GetInt64(7)));
            }
        }
        return rows.Select(r => new DomainInfo
        {
            Name = r.Name,
            Status = r.Status,
            CreatedTime = Sql.Time(r.Created),
            EncryptionKey = r.Key,
            RepositoryCount = r.Repositories,
            AssetSizeBytes = r.Size,
            Tags = Sql.Tags(connection, TagResource, r.Id, transaction),
            Arn = Arns.Domain(r.Name),
        }).ToList();
    }
}
