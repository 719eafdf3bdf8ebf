using PSCodeArtifact.Core.Storage;

namespace PSCodeArtifact.Core.Services;

/// <summary>What an integrity sweep found and removed.</summary>
public sealed record IntegrityReport(int OrphanBlobsRemoved, int StaleStagingFilesRemoved, int UnknownDomainFoldersRemoved);

/// <summary>
/// Finds what an interrupted write left behind: blob files no catalog record refers to (a crash between the blob
/// rename and the catalog commit), staging files, and blob folders of domains that no longer exist.
/// </summary>
public sealed class StoreMaintenance
{
    private readonly CaStore _store;

    internal StoreMaintenance(CaStore store)
    {
        _store = store;
    }

    /// <summary>
    /// Removes orphans older than <paramref name="gracePeriod"/>; younger ones may belong to a publish whose catalog
    /// transaction is about to commit in another process.
    /// </summary>
    public IntegrityReport RemoveOrphans(TimeSpan gracePeriod)
    {
        var orphans = 0;
        var garbage = 0;
        var unknownFolders = 0;
        var domains = _store.Domains.List().Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var folder in _store.Blobs.ListDomains())
        {
            if (!domains.Contains(folder) && Names.CheckDomain(folder) is null)
            {
                _store.Blobs.DeleteDomain(folder);
                unknownFolders++;
            }
        }
        foreach (var domain in domains)
        {
            var key = _store.Domains.GetKey(domain);
            if (!key.Succeeded) continue;
            using var domainKey = key.Value!;
            long? id;
            using (var connection = _store.Catalog.Open())
            {
                id = DomainService.Id(connection, domain);
            }
            if (id is null) continue;
            garbage += BlobCatalog.DeleteUnreferenced(_store.Catalog, id.Value,
                sha256 => _store.Blobs.DeleteAsync(domainKey, sha256, CancellationToken.None).GetAwaiter().GetResult());

            // Under the write lock: a publish that finds an old unreferenced file and refers to it again cannot interleave.
            using (var connection = _store.Catalog.Open())
            using (var transaction = connection.BeginTransaction(deferred: false))
            {
                var referenced = BlobCatalog.ListSha256(connection, id.Value).Select(domainKey.Address).ToHashSet(StringComparer.Ordinal);
                foreach (var address in _store.Blobs.ListAddresses(domain).ToList())
                {
                    if (referenced.Contains(address) || _store.Blobs.IsYoungerThan(domain, address, gracePeriod)) continue;
                    // Only what was really deleted counts: a file outside its shard folder is listed, but is not at its address.
                    if (_store.Blobs.DeleteAddress(domain, address)) orphans++;
                }
                transaction.Commit();
            }
        }
        var staging = _store.Blobs.RemoveStaleStaging(gracePeriod);
        return new IntegrityReport(orphans + garbage, staging, unknownFolders);
    }
}
