using System.Buffers;
using System.Security.Cryptography;
using PSCodeArtifact.Core.Crypto;

namespace PSCodeArtifact.Core.Storage;

/// <summary>
/// Blobs as files: <c>blobs/&lt;domain&gt;/&lt;xx&gt;/&lt;address&gt;</c>, staged in <c>tmp/</c> on the same file system,
/// encrypted with <see cref="StreamingAeadEncryptor"/>, fsynced, then renamed into place.
/// </summary>
public sealed class FileBlobStore : IBlobStore
{
    private const int CopyBufferSize = 1024 * 1024;
    private readonly string _blobRoot;
    private readonly string _stagingRoot;

    public FileBlobStore(string blobRoot, string stagingRoot)
    {
        _blobRoot = Path.GetFullPath(blobRoot);
        _stagingRoot = Path.GetFullPath(stagingRoot);
        Directory.CreateDirectory(_blobRoot);
        Directory.CreateDirectory(_stagingRoot);
    }

    public async Task<Outcome<BlobPutResult>> PutAsync(DomainKey domain, Stream content, ExpectedDigests? expected, CancellationToken cancellationToken)
    {
        var staged = await StageAsync(domain, content, expected, cancellationToken);
        if (staged.Failure is { } failure) return failure;
        using var blob = staged.Value!;
        return new BlobPutResult(blob.Digests, Commit(blob));
    }

    public async Task<Outcome<StagedBlob>> StageAsync(DomainKey domain, Stream content, ExpectedDigests? expected, CancellationToken cancellationToken)
    {
        var staging = Path.Combine(_stagingRoot, $"{Guid.NewGuid():N}.blob");
        var keep = false;
        try
        {
            BlobDigests digests;
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                Options = FileOptions.Asynchronous,
                BufferSize = 0,
            };
            await using (var file = new FileStream(staging, options))
            {
                using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
                using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
                using var sha512 = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
                await using var encryptor = new StreamingAeadEncryptor(file, domain.Key, domain.Context, leaveOpen: true);
                // Two buffers: while one chunk is hashed and encrypted, the next is read. MD5 and SHA-1 run on a second core
                // beside SHA-256, SHA-512 and AES-GCM: the two halves cost about the same, which nearly halves the time.
                var buffers = new[] { ArrayPool<byte>.Shared.Rent(CopyBufferSize), ArrayPool<byte>.Shared.Rent(CopyBufferSize) };
                long size = 0;
                Task? legacyHashes = null;
                Task<int>? next = null;
                try
                {
                    var current = 0;
                    var read = await content.ReadAsync(buffers[current].AsMemory(0, CopyBufferSize), cancellationToken);
                    while (read > 0)
                    {
                        var chunk = buffers[current].AsMemory(0, read);
                        legacyHashes = Task.Run(() =>
                        {
                            md5.AppendData(chunk.Span);
                            sha1.AppendData(chunk.Span);
                        }, CancellationToken.None);
                        next = content.ReadAsync(buffers[current ^ 1].AsMemory(0, CopyBufferSize), cancellationToken).AsTask();
                        sha256.AppendData(chunk.Span);
                        sha512.AppendData(chunk.Span);
                        await encryptor.WriteAsync(chunk, cancellationToken);
                        await legacyHashes;
                        size += read;
                        read = await next;
                        current ^= 1;
                    }
                }
                finally
                {
                    // A failure can leave the side tasks running on the buffers; they must end before the buffers go back.
                    await Task.WhenAll(new Task?[] { legacyHashes, next }.OfType<Task>()).ContinueWith(_ => { }, TaskScheduler.Default);
                    ArrayPool<byte>.Shared.Return(buffers[0]);
                    ArrayPool<byte>.Shared.Return(buffers[1]);
                }
                var sha256Bytes = sha256.GetHashAndReset();
                digests = new BlobDigests(
                    Convert.ToHexStringLower(sha256Bytes),
                    Convert.ToHexStringLower(sha1.GetHashAndReset()),
                    Convert.ToHexStringLower(md5.GetHashAndReset()),
                    Convert.ToHexStringLower(sha512.GetHashAndReset()),
                    size);
                var mismatch = Verify(digests, expected);
                if (mismatch is not null) return mismatch;
                await encryptor.FinishAsync(sha256Bytes, cancellationToken);
                await file.FlushAsync(cancellationToken);
                file.Flush(flushToDisk: true);
            }
            keep = true;
            return new FileStagedBlob(domain, staging, digests);
        }
        finally
        {
            if (!keep) TryDelete(staging);
        }
    }

    public bool Commit(StagedBlob staged)
    {
        var blob = (FileStagedBlob)staged;
        var final = PathFor(blob.Domain.Domain, blob.Domain.Address(blob.Digests.Sha256));
        if (File.Exists(final)) return true;
        Directory.CreateDirectory(Path.GetDirectoryName(final)!);
        try
        {
            // A copy-free rename on the same file system; the staged file was fsynced when it was written.
            File.Move(blob.StagingPath, final, overwrite: false);
        }
        catch (IOException) when (File.Exists(final))
        {
            // A concurrent upload of the same bytes won the rename; its file is equivalent.
            return true;
        }
        return false;
    }

    public async Task<Stream> OpenReadAsync(DomainKey domain, string sha256, CancellationToken cancellationToken)
    {
        var path = PathFor(domain.Domain, domain.Address(CheckSha256(sha256)));
        FileStream file;
        try
        {
            file = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.Read | FileShare.Delete,
                // No RandomAccess hint: most reads stream a whole asset, and the hint turns off the kernel's read-ahead.
                Options = FileOptions.Asynchronous,
                BufferSize = 0,
            });
        }
        catch (DirectoryNotFoundException)
        {
            throw new FileNotFoundException($"The domain '{domain.Domain}' holds no blob {sha256}.", path);
        }
        try
        {
            return await StreamingAeadDecryptor.OpenAsync(file, domain.KeyMemory, domain.Context, Convert.FromHexString(sha256), leaveOpen: false, cancellationToken);
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
    }

    public Task<bool> ExistsAsync(DomainKey domain, string sha256, CancellationToken cancellationToken) =>
        Task.FromResult(File.Exists(PathFor(domain.Domain, domain.Address(CheckSha256(sha256)))));

    public Task DeleteAsync(DomainKey domain, string sha256, CancellationToken cancellationToken)
    {
        TryDelete(PathFor(domain.Domain, domain.Address(CheckSha256(sha256))));
        return Task.CompletedTask;
    }

    public string GetAddress(DomainKey domain, string sha256) => domain.Address(CheckSha256(sha256));

    public IEnumerable<string> ListAddresses(string domain)
    {
        var folder = DomainFolder(domain);
        if (!Directory.Exists(folder)) yield break;
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            // A file whose name is no address is not a blob, and the sweep could not even ask its age.
            var name = Path.GetFileName(file);
            if (IsAddress(name)) yield return name;
        }
    }

    // File.Delete succeeds for a file that is not there, so only a file found at the address counts as deleted: a stray
    // copy outside its shard folder is listed under the same name, but is not the blob.
    public bool DeleteAddress(string domain, string address)
    {
        var path = PathFor(domain, address);
        return File.Exists(path) && TryDelete(path);
    }

    public bool IsYoungerThan(string domain, string address, TimeSpan age) =>
        File.GetLastWriteTimeUtc(PathFor(domain, address)) > DateTime.UtcNow - age;

    public IEnumerable<string> ListDomains() =>
        Directory.Exists(_blobRoot)
            ? Directory.EnumerateDirectories(_blobRoot).Select(d => Path.GetFileName(d)!)
            : [];

    public void DeleteDomain(string domain)
    {
        var folder = DomainFolder(domain);
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }

    public void DeleteDomainIfEmpty(string domain)
    {
        var folder = DomainFolder(domain);
        if (!Directory.Exists(folder)) return;
        foreach (var shard in Directory.EnumerateDirectories(folder))
        {
            if (!Directory.EnumerateFileSystemEntries(shard).Any()) Directory.Delete(shard);
        }
        if (!Directory.EnumerateFileSystemEntries(folder).Any()) Directory.Delete(folder);
    }

    public int RemoveStaleStaging(TimeSpan olderThan)
    {
        var removed = 0;
        var cutoff = DateTime.UtcNow - olderThan;
        foreach (var file in Directory.EnumerateFiles(_stagingRoot))
        {
            if (File.GetLastWriteTimeUtc(file) < cutoff && TryDelete(file)) removed++;
        }
        return removed;
    }

    private static Failure? Verify(BlobDigests actual, ExpectedDigests? expected)
    {
        if (expected is null) return null;
        return Check("SHA-256", expected.Sha256, actual.Sha256)
            ?? Check("SHA-1", expected.Sha1, actual.Sha1)
            ?? Check("MD5", expected.Md5, actual.Md5)
            ?? Check("SHA-512", expected.Sha512, actual.Sha512);

        static Failure? Check(string algorithm, string? wanted, string got) =>
            wanted is null || string.Equals(wanted, got, StringComparison.OrdinalIgnoreCase)
                ? null
                : new Failure(ErrorCodes.DigestMismatch, FailureKind.Invalid,
                    $"The content's {algorithm} is {got}, but {wanted} was expected; nothing was stored.");
    }

    private string DomainFolder(string domain)
    {
        if (Names.CheckDomain(domain) is not null) throw new ArgumentException($"'{domain}' is not a domain name.", nameof(domain));
        return Path.Combine(_blobRoot, domain);
    }

    private string PathFor(string domain, string address)
    {
        // Addresses are 64 hex digits, so a name can never climb out of the domain folder.
        if (!IsAddress(address))
        {
            throw new ArgumentException($"'{address}' is not a blob address.", nameof(address));
        }
        return Path.Combine(DomainFolder(domain), address[..2], address);
    }

    private static bool IsAddress(string name) => name.Length == 64 && name.All(char.IsAsciiHexDigitLower);

    private static string CheckSha256(string sha256) =>
        sha256.Length == 64 && sha256.All(char.IsAsciiHexDigit)
            ? sha256.ToLowerInvariant()
            : throw new ArgumentException($"'{sha256}' is not a SHA-256 digest.", nameof(sha256));

    private static bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private sealed class FileStagedBlob(DomainKey domain, string stagingPath, BlobDigests digests) : StagedBlob
    {
        public DomainKey Domain { get; } = domain;

        public string StagingPath { get; } = stagingPath;

        public override BlobDigests Digests { get; } = digests;

        public override async Task<Stream> OpenReadAsync(CancellationToken cancellationToken)
        {
            var file = new FileStream(StagingPath, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 0, FileOptions.Asynchronous);
            try
            {
                return await StreamingAeadDecryptor.OpenAsync(file, Domain.KeyMemory, Domain.Context,
                    Convert.FromHexString(Digests.Sha256), leaveOpen: false, cancellationToken);
            }
            catch
            {
                await file.DisposeAsync();
                throw;
            }
        }

        // After a commit the staged file has been renamed away, so this only removes a staging file that was not used.
        public override void Dispose() => TryDelete(StagingPath);
    }
}
