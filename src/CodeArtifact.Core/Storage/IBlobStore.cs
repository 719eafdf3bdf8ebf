namespace PSCodeArtifact.Core.Storage;

/// <summary>The four digests CodeArtifact reports for an asset, lower-case hex, and the plaintext size.</summary>
public sealed record BlobDigests(string Sha256, string Sha1, string Md5, string Sha512, long Size);

/// <summary>The result of storing a blob: its digests, and whether the domain already held the same bytes.</summary>
public sealed record BlobPutResult(BlobDigests Digests, bool AlreadyExisted);

/// <summary>An upload staged by <see cref="IBlobStore.StageAsync"/>: readable, not yet visible. Dispose drops it unless committed.</summary>
public abstract class StagedBlob : IDisposable
{
    public abstract BlobDigests Digests { get; }

    /// <summary>Reads the staged plaintext (seekable, decrypting and authenticating on demand).</summary>
    public abstract Task<Stream> OpenReadAsync(CancellationToken cancellationToken);

    public abstract void Dispose();
}

/// <summary>Digests a caller expects an upload to have; each given one is verified.</summary>
public sealed record ExpectedDigests(string? Sha256 = null, string? Sha1 = null, string? Md5 = null, string? Sha512 = null);

/// <summary>
/// Content-addressed, encrypted blob storage scoped by domain. Blob identity is the SHA-256 of the plaintext;
/// the stored name is a keyed hash of it, so the store does not reveal which public files a domain holds.
/// Implementations write atomically, deduplicate, verify digests and never write outside their root.
/// </summary>
public interface IBlobStore
{
    /// <summary>
    /// Streams <paramref name="content"/> into staging while hashing and encrypting it; nothing is visible yet. The staged
    /// blob can be read back (to parse it) and is then either committed with <see cref="Commit"/> or dropped by disposing it.
    /// Fails with <c>DigestMismatch</c> (and keeps nothing) when an expected digest differs.
    /// </summary>
    Task<Outcome<StagedBlob>> StageAsync(DomainKey domain, Stream content, ExpectedDigests? expected, CancellationToken cancellationToken);

    /// <summary>
    /// Makes sure the staged bytes exist at their content address (moving the staged file there, or finding the same bytes
    /// already stored). Call it inside the catalog write transaction that adds the blob's reference, so that a concurrent
    /// deletion of the last reference (which also holds the write lock) cannot remove the file in between.
    /// Returns true when the domain already held the same bytes.
    /// </summary>
    bool Commit(StagedBlob staged);

    /// <summary>
    /// Streams <paramref name="content"/> into the domain while hashing and encrypting it. Idempotent: the same bytes
    /// again are found, not stored twice. Fails with <c>DigestMismatch</c> (and stores nothing) when an expected digest differs.
    /// </summary>
    Task<Outcome<BlobPutResult>> PutAsync(DomainKey domain, Stream content, ExpectedDigests? expected, CancellationToken cancellationToken);

    /// <summary>Opens the plaintext of a blob as a seekable stream that decrypts and authenticates on demand.</summary>
    /// <exception cref="FileNotFoundException">The domain holds no blob with this SHA-256.</exception>
    Task<Stream> OpenReadAsync(DomainKey domain, string sha256, CancellationToken cancellationToken);

    Task<bool> ExistsAsync(DomainKey domain, string sha256, CancellationToken cancellationToken);

    /// <summary>Deletes one blob; deleting a missing blob is not an error.</summary>
    Task DeleteAsync(DomainKey domain, string sha256, CancellationToken cancellationToken);

    /// <summary>The stored name of a blob (a keyed hash of its SHA-256).</summary>
    string GetAddress(DomainKey domain, string sha256);

    /// <summary>
    /// Lists the stored names of every blob of a domain, including orphans no catalog record refers to. Only names that are
    /// blob addresses are listed; other files in the domain's place are not blobs.
    /// </summary>
    IEnumerable<string> ListAddresses(string domain);

    /// <summary>
    /// Deletes a stored blob by its stored name (used to remove orphans). Returns true only when a blob was stored at that
    /// address and this call deleted it: false for a blob that is not there (or could not be deleted).
    /// </summary>
    bool DeleteAddress(string domain, string address);

    /// <summary>True when the stored blob was written less than <paramref name="age"/> ago.</summary>
    bool IsYoungerThan(string domain, string address, TimeSpan age);

    /// <summary>Lists the domains that have blobs in the store.</summary>
    IEnumerable<string> ListDomains();

    /// <summary>Deletes every blob of a domain.</summary>
    void DeleteDomain(string domain);

    /// <summary>Deletes the domain's (now empty) place in the store; keeps it when blobs remain.</summary>
    void DeleteDomainIfEmpty(string domain);

    /// <summary>Removes staging files older than <paramref name="olderThan"/> left by interrupted uploads.</summary>
    int RemoveStaleStaging(TimeSpan olderThan);
}
