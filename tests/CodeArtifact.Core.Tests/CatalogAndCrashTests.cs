using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Services;
using PSCodeArtifact.Core.Storage;

namespace CodeArtifact.Core.Tests;

public sealed class CatalogAndCrashTests : IDisposable
{
    private readonly TempStore _temp = new();

    private CaStore Store => _temp.Store;

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void NewCatalog_IsInWalMode_AtTheCurrentSchemaVersion()
    {
        using var connection = Store.Catalog.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", command.ExecuteScalar());
        command.CommandText = "PRAGMA user_version;";
        Assert.Equal((long)Catalog.SchemaVersion, command.ExecuteScalar());
        Assert.True(Catalog.SchemaVersion >= 1);
    }

    [Fact]
    public void Migrate_IsIdempotent_AndKeepsData()
    {
        Assert.True(Store.Domains.Create("keep").Succeeded);
        new Catalog(Store.Catalog.DatabasePath).Migrate();
        new Catalog(Store.Catalog.DatabasePath).Migrate();

        Assert.True(Store.Domains.Get("keep").Succeeded);
    }

    [Fact]
    public void Migrate_RefusesACatalogFromANewerVersion()
    {
        using (var connection = Store.Catalog.Open())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = $"PRAGMA user_version = {Catalog.SchemaVersion + 1};";
            command.ExecuteNonQuery();
        }
        var error = Assert.Throws<InvalidOperationException>(() => new Catalog(Store.Catalog.DatabasePath).Migrate());
        Assert.Contains("newer", error.Message);
    }

    [Fact]
    public async Task CrashBetweenBlobWriteAndCatalogCommit_LeavesNoVisibleRecord_AndTheSweepRemovesTheOrphan()
    {
        Assert.True(Store.Domains.Create("crash").Succeeded);
        using var key = Store.Domains.GetKey("crash").Value!;
        var data = RandomNumberGenerator.GetBytes(10_000);

        var put = await Store.Blobs.PutAsync(key, new MemoryStream(data), null, CancellationToken.None);
        using (var connection = Store.Catalog.Open())
        using (var transaction = connection.BeginTransaction(deferred: false))
        {
            BlobCatalog.AddReference(connection, transaction, DomainId(connection, "crash"), put.Value!.Digests);
            // The process dies here: the transaction is never committed.
            transaction.Rollback();
        }

        Assert.Equal(0, ReferencedBytes("crash"));
        using (var connection = Store.Catalog.Open())
        {
            Assert.Empty(BlobCatalog.ListSha256(connection, DomainId(connection, "crash")));
        }
        Assert.Single(Store.Blobs.ListAddresses("crash"));

        var young = Store.Maintenance.RemoveOrphans(TimeSpan.FromHours(1));
        Assert.Equal(0, young.OrphanBlobsRemoved);
        Assert.Single(Store.Blobs.ListAddresses("crash"));

        var report = Store.Maintenance.RemoveOrphans(TimeSpan.Zero);
        Assert.Equal(1, report.OrphanBlobsRemoved);
        Assert.Empty(Store.Blobs.ListAddresses("crash"));
    }

    [Fact]
    public void TheSweep_CountsOnlyTheOrphansItDeleted_AndLeavesFilesOutsideTheBlobLayoutAlone()
    {
        Assert.True(Store.Domains.Create("stray").Succeeded);
        var folder = Path.Combine(_temp.Folder, "blobs", "stray");
        var address = "ab" + new string('0', 62);
        var orphan = Path.Combine(folder, "ab", address);
        // The same name outside its two-character shard folder (in the domain folder, and in a shard of another name),
        // and a file whose name is no blob address.
        var strays = new[] { Path.Combine(folder, address), Path.Combine(folder, "cd", address), Path.Combine(folder, "ab", "notes.txt") };
        foreach (var path in strays.Append(orphan))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, [1, 2, 3]);
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddHours(-2));
        }

        var report = Store.Maintenance.RemoveOrphans(TimeSpan.FromHours(1));

        Assert.Equal(1, report.OrphanBlobsRemoved);
        Assert.False(File.Exists(orphan));
        Assert.All(strays, path => Assert.True(File.Exists(path), path));
        Assert.Equal(0, Store.Maintenance.RemoveOrphans(TimeSpan.FromHours(1)).OrphanBlobsRemoved);
        Assert.False(Store.Blobs.DeleteAddress("stray", address));
    }

    [Fact]
    public async Task CommittedBlob_IsCountedOnce_AndSurvivesTheSweep()
    {
        Assert.True(Store.Domains.Create("kept").Succeeded);
        using var key = Store.Domains.GetKey("kept").Value!;
        var data = RandomNumberGenerator.GetBytes(12_345);
        var put = await Store.Blobs.PutAsync(key, new MemoryStream(data), null, CancellationToken.None);
        var again = await Store.Blobs.PutAsync(key, new MemoryStream(data), null, CancellationToken.None);
        using (var connection = Store.Catalog.Open())
        using (var transaction = connection.BeginTransaction(deferred: false))
        {
            var id = DomainId(connection, "kept");
            BlobCatalog.AddReference(connection, transaction, id, put.Value!.Digests);
            BlobCatalog.AddReference(connection, transaction, id, again.Value!.Digests);
            transaction.Commit();
        }

        Assert.Equal(12_345, ReferencedBytes("kept"));
        Assert.Equal(0, Store.Maintenance.RemoveOrphans(TimeSpan.Zero).OrphanBlobsRemoved);
        Assert.Single(Store.Blobs.ListAddresses("kept"));

        using (var connection = Store.Catalog.Open())
        using (var transaction = connection.BeginTransaction(deferred: false))
        {
            var id = DomainId(connection, "kept");
            Assert.False(BlobCatalog.ReleaseReference(connection, transaction, id, put.Value.Digests.Sha256));
            Assert.True(BlobCatalog.ReleaseReference(connection, transaction, id, put.Value.Digests.Sha256));
            transaction.Commit();
        }
        Assert.Equal(0, ReferencedBytes("kept"));
    }

    [Fact]
    public void StaleStagingFiles_AreRemovedBySweep()
    {
        var staging = Path.Combine(_temp.Folder, "tmp", "interrupted.blob");
        File.WriteAllBytes(staging, [1, 2, 3]);
        File.SetLastWriteTimeUtc(staging, DateTime.UtcNow.AddDays(-1));

        Assert.Equal(1, Store.Maintenance.RemoveOrphans(TimeSpan.FromHours(1)).StaleStagingFilesRemoved);
        Assert.False(File.Exists(staging));
    }

    [Fact]
    public async Task RemoveDomain_DestroysItsDataKey_AndBlobs()
    {
        Assert.True(Store.Domains.Create("doomed").Succeeded);
        byte[] wrapped;
        using (var connection = Store.Catalog.Open())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT wrapped_key FROM domains WHERE name = 'doomed';";
            wrapped = (byte[])command.ExecuteScalar()!;
        }
        using (var key = Store.Domains.GetKey("doomed").Value!)
        {
            var put = await Store.Blobs.PutAsync(key, new MemoryStream(RandomNumberGenerator.GetBytes(100)), null, CancellationToken.None);
            using var connection = Store.Catalog.Open();
            using var transaction = connection.BeginTransaction(deferred: false);
            BlobCatalog.AddReference(connection, transaction, DomainId(connection, "doomed"), put.Value!.Digests);
            transaction.Commit();
        }

        Assert.True(Store.Domains.Remove("doomed", force: false).Succeeded);

        Assert.Equal(ErrorCodes.DomainNotFound, Store.Domains.GetKey("doomed").Failure!.Code);
        Assert.False(Directory.Exists(Path.Combine(_temp.Folder, "blobs", "doomed")));
        SqliteConnection.ClearAllPools();
        foreach (var (path, bytes) in _temp.AllFiles())
        {
            Assert.True(bytes.AsSpan().IndexOf(wrapped) < 0, $"The removed domain's wrapped key is still in {path}.");
        }
    }

    [Fact]
    public void TwoStoreInstancesOnOneFolder_SeeEachOthersWrites()
    {
        var other = CaStore.Open(_temp.Folder, new LocalKeyProvider(Path.Combine(_temp.Folder, "keys")));
        Assert.True(Store.Domains.Create("shared").Succeeded);

        Assert.True(other.Domains.Get("shared").Succeeded);
        Assert.True(other.Repositories.Create("shared", "from-other").Succeeded);
        Assert.Single(Store.Repositories.List("shared").Value!);
        using var key = other.Domains.GetKey("shared").Value!;
        Assert.Equal(32, key.Key.Length);
    }

    private long ReferencedBytes(string domain)
    {
        using var connection = Store.Catalog.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(SUM(size), 0) FROM blobs WHERE domain_id = $d AND ref_count > 0;";
        command.Parameters.AddWithValue("$d", DomainId(connection, domain));
        return (long)command.ExecuteScalar()!;
    }

    private static long DomainId(SqliteConnection connection, string name)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id FROM domains WHERE name = $n;";
        command.Parameters.AddWithValue("$n", name);
        return (long)command.ExecuteScalar()!;
    }
}
