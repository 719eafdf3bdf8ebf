using Microsoft.Data.Sqlite;

namespace PSCodeArtifact.Core.Storage;

/// <summary>
/// Reference counts of a domain's blobs. A blob becomes visible only when a catalog transaction adds its first
/// reference; a blob file without a row is an orphan that <see cref="StoreMaintenance"/> removes.
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

    /// <summary>Drops one reference; returns true when it was the last, so the caller deletes the blob after committing.</summary>
    public static bool ReleaseReference(SqliteConnection connection, SqliteTransaction transaction, long domainId, string sha256)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            UPDATE blobs SET ref_count = ref_count - 1 WHERE domain_id = $domain AND sha256 = $sha256;
            DELETE FROM blobs WHERE domain_id = $domain AND sha256 = $sha256 AND ref_count <= 0 RETURNING sha256;
            """;
        command.Parameters.AddWithValue("$domain", domainId);
        command.Parameters.AddWithValue("$sha256", sha256);
        return command.ExecuteScalar() is not null;
    }

    public static IReadOnlyList<string> ListSha256(SqliteConnection connection, long domainId)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT sha256 FROM blobs WHERE domain_id = $domain;";
        command.Parameters.AddWithValue("$domain", domainId);
        using var reader = command.ExecuteReader();
        var result = new List<string>();
        while (reader.Read()) result.Add(reader.GetString(0));
        return result;
    }
}
