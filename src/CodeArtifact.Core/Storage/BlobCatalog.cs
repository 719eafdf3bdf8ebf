using Microsoft.Data.Sqlite;

namespace PSCodeArtifact.Core.Storage;

/// <summary>
/// Reference counts of a domain's blobs. A blob becomes visible only when a catalog transaction adds its first
/// reference; a blob file without a row is an orphan that <see cref="Services.StoreMaintenance"/> removes.
/// A row whose count fell to zero is garbage: <see cref="DeleteUnreferenced"/> removes its file and the row inside one
/// write transaction, and a publish that adds a reference again (also in a write transaction) revives it, after
/// making sure the file exists (<see cref="IBlobStore.Commit"/>). The write lock orders the two, across processes.
/// </summary>
public static class BlobCatalog
{
    public static void AddReference(SqliteConnection connection, SqliteTransaction transaction, long domainId, BlobDigests digests)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO blobs (domain_id, sha256, sha1, md5, sha512, size, ref_count, created_time)
            VALUES ($domain, $sha256, $sha1, $md5, $sha512, $size, 1, $now)
            ON CONFLICT (domain_id, sha256) DO UPDATE SET ref_count = ref_count + 1;
            """;
        command.Parameters.AddWithValue("$domain", domainId);
        command.Parameters.AddWithValue("$sha256", digests.Sha256);
        command.Parameters.AddWithValue("$sha1", digests.Sha1);
        command.Parameters.AddWithValue("$md5", digests.Md5);
        command.Parameters.AddWithValue("$sha512", digests.Sha512);
        command.Parameters.AddWithValue("$size", digests.Size);
        command.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        command.ExecuteNonQuery();
    }

    /// <summary>One more reference to a blob the catalog already holds (a retained or copied row).</summary>
    public static void AddReference(SqliteConnection connection, SqliteTransaction transaction, long domainId, string sha256) =>
        Services.Sql.Execute(connection, "UPDATE blobs SET ref_count = ref_count + 1 WHERE domain_id = $d AND sha256 = $sha;", transaction,
            ("$d", domainId), ("$sha", sha256));

    /// <summary>Drops one reference; returns true when it was the last, so the caller frees the blob with <see cref="DeleteUnreferenced"/>.</summary>

    public static bool ReleaseReference(SqliteConnection connection, SqliteTransaction transaction, long domainId, string sha256)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            UPDATE blobs SET ref_count = ref_count - 1 WHERE domain_id = $domain AND sha256 = $sha256 AND ref_count > 0
            RETURNING ref_count;
            """;
        command.Parameters.AddWithValue("$domain", domainId);
        command.Parameters.AddWithValue("$sha256", sha256);
        return command.ExecuteScalar() is long remaining && remaining == 0;
    }

    /// <summary>
    /// Deletes the file and the row of every blob of the domain nobody refers to any more. Runs in its own write transaction,
    /// so a publish adding a reference to the same bytes either comes first (and the blob stays) or after (and stores it again).
    /// </summary>
    public static int DeleteUnreferenced(Catalog catalog, long domainId, Action<string> deleteFile)
    {
        using var connection = catalog.Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        var garbage = new List<string>();
        using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = "SELECT sha256 FROM blobs WHERE domain_id = $domain AND ref_count = 0;";
            command.Parameters.AddWithValue("$domain", domainId);
            using var reader = command.ExecuteReader();
            while (reader.Read()) garbage.Add(reader.GetString(0));
        }
        foreach (var sha256 in garbage)
        {
            deleteFile(sha256);
            using var delete = connection.CreateCommand();
            delete.Transaction = transaction;
            delete.CommandText = "DELETE FROM blobs WHERE domain_id = $domain AND sha256 = $sha256 AND ref_count = 0;";
            delete.Parameters.AddWithValue("$domain", domainId);
            delete.Parameters.AddWithValue("$sha256", sha256);
            delete.ExecuteNonQuery();
        }
        transaction.Commit();
        return garbage.Count;
    }

    /// <summary>The SHA-256 of every blob row of a domain (<paramref name="referencedOnly"/>: only those still referred to).</summary>
    public static IReadOnlyList<string> ListSha256(SqliteConnection connection, long domainId, bool referencedOnly = false)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT sha256 FROM blobs WHERE domain_id = $domain{(referencedOnly ? " AND ref_count > 0" : "")};";
        command.Parameters.AddWithValue("$domain", domainId);
        using var reader = command.ExecuteReader();
        var result = new List<string>();
        while (reader.Read()) result.Add(reader.GetString(0));
        return result;
    }
}
