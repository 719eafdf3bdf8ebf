using System.Security.Cryptography;
using System.Text;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Crypto;
using PSCodeArtifact.Core.Storage;

namespace CodeArtifact.Core.Tests;

public sealed class BlobStoreTests : IDisposable
{
    private readonly TempStore _temp = new();

    private CaStore Store => _temp.Store;

    public void Dispose() => _temp.Dispose();

    private DomainKey Key(string domain = "blobs")
    {
        if (!Store.Domains.Get(domain).Succeeded) Assert.True(Store.Domains.Create(domain).Succeeded);
        return Store.Domains.GetKey(domain).Value!;
    }

    private static byte[] Bytes(int length, int seed = 1)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private async Task<byte[]> ReadAll(DomainKey key, string sha256)
    {
        await using var stream = await Store.Blobs.OpenReadAsync(key, sha256, CancellationToken.None);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1000)]
    [InlineData(StreamingAead.SegmentSize)]
    [InlineData(StreamingAead.SegmentSize + 1)]
    [InlineData(5 * StreamingAead.SegmentSize + 123)]
    public async Task Put_ThenOpenRead_ReturnsTheSameBytesAndDigests(int length)
    {
        using var key = Key();
        var data = Bytes(length);
        var put = await Store.Blobs.PutAsync(key, new MemoryStream(data), null, CancellationToken.None);

        Assert.True(put.Succeeded);
        var digests = put.Value!.Digests;
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), digests.Sha256);
        Assert.Equal(Convert.ToHexStringLower(SHA1.HashData(data)), digests.Sha1);
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(data)), digests.Md5);
        Assert.Equal(Convert.ToHexStringLower(SHA512.HashData(data)), digests.Sha512);
        Assert.Equal(length, digests.Size);
        Assert.False(put.Value.AlreadyExisted);
        Assert.Equal(data, await ReadAll(key, digests.Sha256));
    }

    [Fact]
    public async Task Put_SameBytesTwice_StoresOneFile()
    {
        using var key = Key();
        var data = Bytes(70_000);
        var first = await Store.Blobs.PutAsync(key, new MemoryStream(data), null, CancellationToken.None);
        var second = await Store.Blobs.PutAsync(key, new MemoryStream(data), null, CancellationToken.None);

        Assert.False(first.Value!.AlreadyExisted);
        Assert.True(second.Value!.AlreadyExisted);
        Assert.Single(Store.Blobs.ListAddresses("blobs"));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_temp.Folder, "tmp")));
    }

    [Fact]
    public async Task Put_ConcurrentSameBytes_AllSucceedWithOneFile()
    {
        using var key = Key();
        var data = Bytes(200_000);
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            Task.Run(() => Store.Blobs.PutAsync(key, new MemoryStream(data), null, CancellationToken.None))));

        // Commits race here (the publish path serialises them under the catalog write lock): whoever renames last wins
        // with identical bytes, so "already existed" is only a hint; what matters is one file with the right content.
        Assert.All(results, r => Assert.True(r.Succeeded));
        Assert.Contains(results, r => !r.Value!.AlreadyExisted);
        Assert.Single(Store.Blobs.ListAddresses("blobs"));
        Assert.Equal(data, await ReadAll(key, results[0].Value!.Digests.Sha256));
    }

    [Fact]
    public async Task Put_SameBytesInTwoDomains_StoresTwoDifferentFiles()
    {
        using var a = Key("dom-a");
        using var b = Key("dom-b");
        var data = Bytes(5000);
        var inA = await Store.Blobs.PutAsync(a, new MemoryStream(data), null, CancellationToken.None);
        var inB = await Store.Blobs.PutAsync(b, new MemoryStream(data), null, CancellationToken.None);

        Assert.False(inB.Value!.AlreadyExisted);
        Assert.NotEqual(Store.Blobs.GetAddress(a, inA.Value!.Digests.Sha256), Store.Blobs.GetAddress(b, inB.Value.Digests.Sha256));
    }

    [Fact]
    public async Task Put_WithWrongExpectedDigest_StoresNothing()
    {
        using var key = Key();
        var data = Bytes(3000);
        var wrong = new string('0', 64);
        var put = await Store.Blobs.PutAsync(key, new MemoryStream(data), new ExpectedDigests(Sha256: wrong), CancellationToken.None);

        Assert.False(put.Succeeded);
        Assert.Equal(ErrorCodes.DigestMismatch, put.Failure!.Code);
        Assert.Contains(wrong, put.Failure.Message);
        Assert.Empty(Store.Blobs.ListAddresses("blobs"));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_temp.Folder, "tmp")));
    }

    [Fact]
    public async Task Put_WithRightExpectedDigests_Succeeds()
    {
        using var key = Key();
        var data = Bytes(3000);
        var expected = new ExpectedDigests(Convert.ToHexStringLower(SHA256.HashData(data)), Convert.ToHexString(SHA1.HashData(data)), null, null);
        var put = await Store.Blobs.PutAsync(key, new MemoryStream(data), expected, CancellationToken.None);

        Assert.True(put.Succeeded);
    }

    [Fact]
    public async Task StoredFileName_IsAKeyedHash_NotThePlainSha256()
    {
        using var key = Key();
        var put = await Store.Blobs.PutAsync(key, new MemoryStream(Bytes(100)), null, CancellationToken.None);
        var sha256 = put.Value!.Digests.Sha256;

        var files = Directory.EnumerateFiles(Path.Combine(_temp.Folder, "blobs"), "*", SearchOption.AllDirectories).ToList();
        Assert.Single(files);
        Assert.DoesNotContain(sha256, files[0]);
        Assert.DoesNotContain(put.Value.Digests.Md5, files[0]);
    }

    [Fact]
    public async Task Store_NeverHoldsThePlaintext()
    {
        using var key = Key();
        var marker = "PLAINTEXT-MARKER-" + Guid.NewGuid().ToString("N");
        var text = string.Concat(Enumerable.Repeat(marker + " lorem ipsum ", 20_000));
        var data = Encoding.UTF8.GetBytes(text);
        var put = await Store.Blobs.PutAsync(key, new MemoryStream(data), null, CancellationToken.None);
        Assert.True(put.Succeeded);
        Assert.Equal(data, await ReadAll(key, put.Value!.Digests.Sha256));

        var needle = Encoding.UTF8.GetBytes(marker);
        var scanned = 0;
        foreach (var (path, bytes) in _temp.AllFiles())
        {
            scanned++;
            Assert.True(bytes.AsSpan().IndexOf(needle) < 0, $"The plaintext marker was found in {path}.");
        }
        Assert.True(scanned >= 3, "Expected the catalog, the key file and the blob to be scanned.");
    }

    [Fact]
    public async Task OpenRead_OfAFileSwappedForAnotherBlob_IsDetected()
    {
        using var key = Key();
        var first = (await Store.Blobs.PutAsync(key, new MemoryStream(Bytes(4000, 1)), null, CancellationToken.None)).Value!.Digests.Sha256;
        var second = (await Store.Blobs.PutAsync(key, new MemoryStream(Bytes(4000, 2)), null, CancellationToken.None)).Value!.Digests.Sha256;
        var files = Directory.EnumerateFiles(Path.Combine(_temp.Folder, "blobs"), "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetFileName(f), f => f);
        var firstPath = files[Store.Blobs.GetAddress(key, first)];
        var secondPath = files[Store.Blobs.GetAddress(key, second)];
        File.Copy(secondPath, firstPath, overwrite: true);

        await Assert.ThrowsAsync<BlobIntegrityException>(() => ReadAll(key, first));
        Assert.Equal(Bytes(4000, 2), await ReadAll(key, second));
    }

    [Fact]
    public async Task OpenRead_OfATamperedFile_IsDetected()
    {
        using var key = Key();
        var sha = (await Store.Blobs.PutAsync(key, new MemoryStream(Bytes(3 * StreamingAead.SegmentSize)), null, CancellationToken.None)).Value!.Digests.Sha256;
        var path = Directory.EnumerateFiles(Path.Combine(_temp.Folder, "blobs"), "*", SearchOption.AllDirectories).Single();
        var bytes = File.ReadAllBytes(path);
        bytes[StreamingAead.HeaderLength + StreamingAead.SegmentSize + 100] ^= 0x01;
        File.WriteAllBytes(path, bytes);

        await Assert.ThrowsAsync<BlobIntegrityException>(() => ReadAll(key, sha));
    }

    [Fact]
    public async Task OpenRead_WithAnotherDomainsKey_Fails()
    {
        using var a = Key("dom-a");
        using var b = Key("dom-b");
        var sha = (await Store.Blobs.PutAsync(a, new MemoryStream(Bytes(100)), null, CancellationToken.None)).Value!.Digests.Sha256;

        await Assert.ThrowsAsync<FileNotFoundException>(() => ReadAll(b, sha));
    }

    [Fact]
    public async Task OpenRead_SupportsSeekingForRanges()
    {
        using var key = Key();
        var data = Bytes(4 * StreamingAead.SegmentSize + 17);
        var sha = (await Store.Blobs.PutAsync(key, new MemoryStream(data), null, CancellationToken.None)).Value!.Digests.Sha256;
        await using var stream = await Store.Blobs.OpenReadAsync(key, sha, CancellationToken.None);

        Assert.True(stream.CanSeek);
        Assert.Equal(data.Length, stream.Length);
        stream.Position = 2 * StreamingAead.SegmentSize - 10;
        var buffer = new byte[30];
        await stream.ReadExactlyAsync(buffer);
        Assert.Equal(data.AsSpan(2 * StreamingAead.SegmentSize - 10, 30).ToArray(), buffer);
    }

    [Fact]
    public async Task OpenRead_OfAMissingBlob_ThrowsFileNotFound()
    {
        using var key = Key();
        await Assert.ThrowsAsync<FileNotFoundException>(() => ReadAll(key, new string('a', 64)));
    }

    [Fact]
    public void Addresses_CannotEscapeTheStoreFolder()
    {
        Assert.Throws<ArgumentException>(() => Store.Blobs.DeleteAddress("blobs", "../../catalog.db"));
        Assert.Throws<ArgumentException>(() => Store.Blobs.DeleteDomain("../keys"));
        Assert.True(File.Exists(Path.Combine(_temp.Folder, "catalog.db")));
    }
}
