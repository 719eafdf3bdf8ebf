using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using PSCodeArtifact.Core.Crypto;

namespace PSCodeArtifact.Core.Tests;

public sealed class StreamingAeadTests
{
    private const int S = StreamingAead.SegmentSize;
    private const int FullSegment = S + StreamingAead.TagSize;
    private const int H = 44;

    private static readonly byte[] s_key = RandomNumberGenerator.GetBytes(StreamingAead.KeySize);
    private static readonly byte[] s_context = "feed:test|sha256"u8.ToArray();

    public static TheoryData<int, int> RoundTripCases()
    {
        var data = new TheoryData<int, int>();
        foreach (int size in new[] { 0, 1, 1000, S, S + 1, 3 * S, 300_001 })
        {
            foreach (int chunk in new[] { int.MaxValue, 7, 1000, S, S + 3 })
            {
                data.Add(size, chunk);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RoundTripCases))]
    public void RoundTrip_Sync(int size, int chunk)
    {
        byte[] plaintext = RandomBytes(size, seed: size);

        byte[] ciphertext = Encrypt(plaintext, chunk);

        Assert.Equal(StreamingAead.GetCiphertextLength(size), ciphertext.Length);
        Assert.Equal(size, StreamingAead.GetPlaintextLength(ciphertext.Length));
        using var decryptor = Open(ciphertext, SHA256.HashData(plaintext));
        Assert.Equal(size, decryptor.Length);
        Assert.Equal(plaintext, ReadAll(decryptor));
    }

    [Theory]
    [MemberData(nameof(RoundTripCases))]
    public async Task RoundTrip_Async(int size, int chunk)
    {
        byte[] plaintext = RandomBytes(size, seed: size + 1);

        byte[] ciphertext = await EncryptAsync(plaintext, chunk);

        Assert.Equal(StreamingAead.GetCiphertextLength(size), ciphertext.Length);
        await using var decryptor = await StreamingAeadDecryptor.OpenAsync(
            new MemoryStream(ciphertext, writable: false), s_key, s_context, SHA256.HashData(plaintext));
        Assert.Equal(size, decryptor.Length);
        using var output = new MemoryStream();
        await decryptor.CopyToAsync(output, 10_000);
        Assert.Equal(plaintext, output.ToArray());
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(S - 1, 1)]
    [InlineData(S, 1)]
    [InlineData(S + 1, 2)]
    [InlineData(2 * S, 2)]
    [InlineData(3 * S, 3)]
    [InlineData(300_001, 5)]
    public void CiphertextLength_CountsOneTagPerSegment(int size, int segments)
    {
        long expected = H + size + (segments * StreamingAead.TagSize) + StreamingAead.TrailerLength;

        Assert.Equal(44, StreamingAead.HeaderLength);
        Assert.Equal(expected, StreamingAead.GetCiphertextLength(size));
        Assert.Equal(expected, Encrypt(RandomBytes(size, seed: 3), chunk: 4096).Length);
    }

    [Fact]
    public void GetPlaintextLength_InvertsGetCiphertextLength_AndRejectsEveryOtherLength()
    {
        const int maxPlaintext = (3 * S) + 10;
        var valid = new Dictionary<long, long>();
        for (long p = 0; p <= maxPlaintext; p++)
        {
            long c = StreamingAead.GetCiphertextLength(p);
            Assert.True(valid.TryAdd(c, p), $"Plaintext lengths {valid.GetValueOrDefault(c)} and {p} share ciphertext length {c}.");
        }

        long maxCiphertext = StreamingAead.GetCiphertextLength(maxPlaintext);
        for (long c = 0; c <= maxCiphertext; c++)
        {
            if (valid.TryGetValue(c, out long p))
            {
                Assert.Equal(p, StreamingAead.GetPlaintextLength(c));
            }
            else
            {
                Assert.Throws<BlobIntegrityException>(() => StreamingAead.GetPlaintextLength(c));
            }
        }
    }

    [Theory]
    [InlineData(1L << 30)]
    [InlineData((1L << 40) + 12345)]
    [InlineData((1L << 32) * S)]
    public void GetPlaintextLength_InvertsLargeLengths(long plaintextLength)
    {
        Assert.Equal(plaintextLength, StreamingAead.GetPlaintextLength(StreamingAead.GetCiphertextLength(plaintextLength)));
    }

    [Fact]
    public void Lengths_RejectNegativeAndTooManySegments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => StreamingAead.GetCiphertextLength(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => StreamingAead.GetPlaintextLength(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => StreamingAead.GetCiphertextLength(((1L << 32) * S) + 1));
        long tooLong = StreamingAead.GetCiphertextLength((1L << 32) * S) + FullSegment;
        Assert.Throws<BlobIntegrityException>(() => StreamingAead.GetPlaintextLength(tooLong));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1000)]
    [InlineData(S)]
    [InlineData((2 * S) + 1)]
    public void Format_MatchesSpecificationWhenDecodedWithPrimitives(int size)
    {
        byte[] plaintext = RandomBytes(size, seed: 11);
        byte[] sha = SHA256.HashData(plaintext);
        byte[] ciphertext = Encrypt(plaintext, chunk: 777);

        byte[] header = ciphertext[..H];
        Assert.Equal("PCAB"u8.ToArray(), header[..4]);
        Assert.Equal(1, header[4]);

        byte[] info = [.. "PSCodeArtifact blob v1"u8, .. s_context];
        byte[] okm = HKDF.DeriveKey(HashAlgorithmName.SHA256, s_key, 64, salt: header[5..37], info: info);
        using var aes = new AesGcm(okm[..32], 16);

        int segments = size == 0 ? 1 : (size + S - 1) / S;
        var decoded = new List<byte>();
        int offset = H;
        for (int i = 0; i < segments; i++)
        {
            bool last = i == segments - 1;
            int length = last ? size - (i * S) : S;
            byte[] nonce = new byte[12];
            header.AsSpan(37, 7).CopyTo(nonce);
            BinaryPrimitives.WriteUInt32BigEndian(nonce.AsSpan(7), (uint)i);
            nonce[11] = last ? (byte)1 : (byte)0;
            byte[] segmentPlaintext = new byte[length];
            aes.Decrypt(nonce, ciphertext.AsSpan(offset, length), ciphertext.AsSpan(offset + length, 16), segmentPlaintext);
            decoded.AddRange(segmentPlaintext);
            offset += length + 16;
        }

        Assert.Equal(ciphertext.Length - 32, offset);
        Assert.Equal(plaintext, decoded.ToArray());

        byte[] lengthBytes = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(lengthBytes, (ulong)size);
        byte[] message = [.. header, .. sha, .. lengthBytes];
        byte[] expectedTrailer = HMACSHA256.HashData(okm[32..], message);
        Assert.Equal(expectedTrailer, ciphertext[^32..]);
    }

    [Fact]
    public void Encryptor_EmitsAFullSegmentOnlyOnceMoreDataFollows()
    {
        using var destination = new MemoryStream();
        using var encryptor = new StreamingAeadEncryptor(destination, s_key, s_context, leaveOpen: true);

        encryptor.Write(RandomBytes(S, seed: 5));
        Assert.Equal(0, destination.Length);

        encryptor.WriteByte(42);
        Assert.Equal(H + FullSegment, destination.Length);
        Assert.Equal(S + 1, encryptor.PlaintextLength);
    }

    public static TheoryData<long, int> RangeCases()
    {
        var data = new TheoryData<long, int>();
        foreach (long offset in new long[] { 0, 1, S - 1, S, S + 1, (2 * S) - 1, 2 * S, 200_000, 4 * S, 300_000, 300_001, 400_000 })
        {
            foreach (int count in new[] { 1, 2, 10, S, S + 17, 100_000, 300_001 })
            {
                data.Add(offset, count);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RangeCases))]
    public async Task RangeRead_ReturnsTheSameBytesAsThePlaintext(long offset, int count)
    {
        byte[] plaintext = RandomBytes(300_001, seed: 21);
        byte[] ciphertext = Encrypt(plaintext, chunk: int.MaxValue);
        byte[] expected = plaintext.AsSpan((int)Math.Min(offset, plaintext.Length)).ToArray();
        expected = expected[..Math.Min(count, expected.Length)];

        using (var decryptor = Open(ciphertext, SHA256.HashData(plaintext)))
        {
            Assert.Equal(offset, decryptor.Seek(offset, SeekOrigin.Begin));
            byte[] buffer = new byte[count];
            int read = decryptor.Read(buffer, 0, count);
            Assert.Equal(expected, buffer[..read]);
            Assert.Equal(offset + read, decryptor.Position);
        }

        await using (var decryptor = await StreamingAeadDecryptor.OpenAsync(
            new MemoryStream(ciphertext), s_key, s_context, SHA256.HashData(plaintext)))
        {
            decryptor.Position = offset;
            byte[] buffer = new byte[count];
            int read = await decryptor.ReadAsync(buffer);
            Assert.Equal(expected, buffer[..read]);
        }
    }

    [Fact]
    public async Task RandomSeeksAndReads_MatchAPlainMemoryStream()
    {
        byte[] plaintext = RandomBytes(300_001, seed: 33);
        byte[] ciphertext = Encrypt(plaintext, chunk: 1000);
        using var oracle = new MemoryStream(plaintext, writable: false);
        using var decryptor = Open(ciphertext, SHA256.HashData(plaintext));
        var random = new Random(1234);

        for (int i = 0; i < 300; i++)
        {
            var origin = (SeekOrigin)random.Next(3);
            long offset = origin switch
            {
                SeekOrigin.Begin => random.Next(plaintext.Length + 10),
                SeekOrigin.Current => random.Next(-(int)oracle.Position, 100_000),
                _ => -random.Next(plaintext.Length),
            };
            Assert.Equal(oracle.Seek(offset, origin), decryptor.Seek(offset, origin));

            int count = random.Next(3) == 0 ? random.Next(20) : random.Next(150_000);
            byte[] expected = new byte[count];
            byte[] actual = new byte[count];
            int expectedRead = oracle.Read(expected);
            int actualRead = i % 2 == 0 ? decryptor.Read(actual) : await decryptor.ReadAsync(actual);
            Assert.Equal(expectedRead, actualRead);
            Assert.Equal(expected, actual);
            Assert.Equal(oracle.Position, decryptor.Position);
        }
    }

    [Fact]
    public void ReadByte_CrossesSegmentBoundaryAndReturnsMinusOneAtEnd()
    {
        byte[] plaintext = RandomBytes(S + 1, seed: 8);
        using var decryptor = Open(Encrypt(plaintext), SHA256.HashData(plaintext));

        decryptor.Position = S - 1;
        Assert.Equal(plaintext[S - 1], decryptor.ReadByte());
        Assert.Equal(plaintext[S], decryptor.ReadByte());
        Assert.Equal(-1, decryptor.ReadByte());
    }

    [Fact]
    public void Decryptor_IsReadOnlyAndSeekable()
    {
        byte[] plaintext = RandomBytes(10, seed: 1);
        var decryptor = Open(Encrypt(plaintext), SHA256.HashData(plaintext));

        Assert.True(decryptor.CanRead);
        Assert.True(decryptor.CanSeek);
        Assert.False(decryptor.CanWrite);
        Assert.Throws<NotSupportedException>(() => decryptor.Write(new byte[1], 0, 1));
        Assert.Throws<NotSupportedException>(() => decryptor.SetLength(1));
        Assert.Throws<IOException>(() => decryptor.Seek(-1, SeekOrigin.Begin));
        Assert.Throws<ArgumentOutOfRangeException>(() => decryptor.Position = -1);

        decryptor.Dispose();
        Assert.False(decryptor.CanRead);
        Assert.Throws<ObjectDisposedException>(() => decryptor.ReadByte());
    }

    [Fact]
    public void RangeRead_DecryptsOnlyTheSegmentsItTouches()
    {
        byte[] plaintext = RandomBytes(3 * S, seed: 40);
        byte[] ciphertext = Encrypt(plaintext);
        ciphertext[H + 10] ^= 0x01;

        using var decryptor = Open(ciphertext, SHA256.HashData(plaintext));
        decryptor.Position = 2 * S;
        byte[] tail = new byte[S];
        Assert.Equal(S, decryptor.Read(tail));
        Assert.Equal(plaintext[(2 * S)..], tail);

        decryptor.Position = 0;
        Assert.Throws<BlobIntegrityException>(() => decryptor.ReadByte());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(36)]
    [InlineData(37)]
    [InlineData(43)]
    public async Task Open_DetectsFlippedHeaderBit(int index)
    {
        var (plaintext, ciphertext) = MultiSegmentBlob();
        ciphertext[index] ^= 0x10;

        Assert.Throws<BlobIntegrityException>(() => Open(ciphertext, SHA256.HashData(plaintext)));
        await Assert.ThrowsAsync<BlobIntegrityException>(
            async () => await StreamingAeadDecryptor.OpenAsync(new MemoryStream(ciphertext), s_key, s_context, SHA256.HashData(plaintext)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(32)]
    public void Open_DetectsFlippedTrailerBit(int fromEnd)
    {
        var (plaintext, ciphertext) = MultiSegmentBlob();
        ciphertext[^fromEnd] ^= 0x80;

        Assert.Throws<BlobIntegrityException>(() => Open(ciphertext, SHA256.HashData(plaintext)));
    }

    [Theory]
    [InlineData(H + 100, 0)]
    [InlineData(H + FullSegment + 5, 1)]
    [InlineData(H + (4 * FullSegment) + 1, 4)]
    public void Read_DetectsFlippedSegmentBodyBitWhenThatSegmentIsRead(int index, int segment)
    {
        var (plaintext, ciphertext) = MultiSegmentBlob();
        ciphertext[index] ^= 0x01;

        using var decryptor = Open(ciphertext, SHA256.HashData(plaintext));
        AssertSegmentsReadableBefore(decryptor, plaintext, segment);
        Assert.Throws<BlobIntegrityException>(() => decryptor.ReadByte());
    }

    [Theory]
    [InlineData(H + S, 0)]
    [InlineData(H + FullSegment + S + 15, 1)]
    [InlineData(-(StreamingAead.TrailerLength + 1), 4)]
    public async Task Read_DetectsFlippedTagBitWhenThatSegmentIsRead(int index, int segment)
    {
        var (plaintext, ciphertext) = MultiSegmentBlob();
        ciphertext[index < 0 ? ciphertext.Length + index : index] ^= 0x04;

        using var decryptor = Open(ciphertext, SHA256.HashData(plaintext));
        AssertSegmentsReadableBefore(decryptor, plaintext, segment);
        await Assert.ThrowsAsync<BlobIntegrityException>(async () => await decryptor.ReadExactlyAsync(new byte[10]));
    }

    [Fact]
    public void Open_DetectsFlippedTagOfEmptyBlob()
    {
        byte[] ciphertext = Encrypt([]);
        ciphertext[H] ^= 0x01;

        Assert.Throws<BlobIntegrityException>(() => Open(ciphertext, SHA256.HashData([])));
    }

    [Fact]
    public void Open_DetectsWrongDomainKey()
    {
        var (plaintext, ciphertext) = MultiSegmentBlob();
        byte[] otherKey = (byte[])s_key.Clone();
        otherKey[0] ^= 0x01;

        Assert.Throws<BlobIntegrityException>(() => StreamingAeadDecryptor.Open(new MemoryStream(ciphertext), otherKey, s_context, SHA256.HashData(plaintext)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("feed:test|sha25")]
    [InlineData("feed:other|sha256")]
    public void Open_DetectsWrongContext(string context)
    {
        var (plaintext, ciphertext) = MultiSegmentBlob();

        Assert.Throws<BlobIntegrityException>(
            () => StreamingAeadDecryptor.Open(new MemoryStream(ciphertext), s_key, Encoding.UTF8.GetBytes(context), SHA256.HashData(plaintext)));
    }

    [Fact]
    public async Task Open_DetectsWrongExpectedSha256()
    {
        var (plaintext, ciphertext) = MultiSegmentBlob();
        byte[] sha = SHA256.HashData(plaintext);
        sha[31] ^= 0x01;

        Assert.Throws<BlobIntegrityException>(() => Open(ciphertext, sha));
        await Assert.ThrowsAsync<BlobIntegrityException>(
            async () => await StreamingAeadDecryptor.OpenAsync(new MemoryStream(ciphertext), s_key, s_context, sha));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(16)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(100)]
    [InlineData(FullSegment)]
    [InlineData(2 * FullSegment)]
    public void Open_DetectsTruncation(int removed)
    {
        var (plaintext, ciphertext) = MultiSegmentBlob();

        Assert.Throws<BlobIntegrityException>(() => Open(ciphertext[..^removed], SHA256.HashData(plaintext)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public void Open_DetectsWholeSegmentRemovedWithTrailerKept(int segment)
    {
        // Blob of exactly 4 full segments so that every segment is the same size and any one can be cut out.
        byte[] plaintext = RandomBytes(4 * S, seed: 50);
        byte[] ciphertext = Encrypt(plaintext);
        int start = H + (segment * FullSegment);
        byte[] spliced = [.. ciphertext[..start], .. ciphertext[(start + FullSegment)..]];

        Assert.Equal(3 * S, StreamingAead.GetPlaintextLength(spliced.Length));
        Assert.Throws<BlobIntegrityException>(() => Open(spliced, SHA256.HashData(plaintext)));
    }

    [Fact]
    public void Open_DetectsAppendedBytes()
    {
        var (plaintext, ciphertext) = MultiSegmentBlob();

        Assert.Throws<BlobIntegrityException>(() => Open([.. ciphertext, 0], SHA256.HashData(plaintext)));
    }

    [Fact]
    public void Read_DetectsSwappedSegments()
    {
        var (plaintext, ciphertext) = MultiSegmentBlob();
        byte[] swapped = (byte[])ciphertext.Clone();
        ciphertext.AsSpan(H, FullSegment).CopyTo(swapped.AsSpan(H + FullSegment));
        ciphertext.AsSpan(H + FullSegment, FullSegment).CopyTo(swapped.AsSpan(H));

        // The header and trailer are intact, so the reordering is found by the segment's own authentication.
        using var decryptor = Open(swapped, SHA256.HashData(plaintext));
        Assert.Throws<BlobIntegrityException>(() => decryptor.ReadByte());
        decryptor.Position = S;
        Assert.Throws<BlobIntegrityException>(() => decryptor.ReadByte());
        decryptor.Position = 2 * S;
        Assert.Equal(plaintext[2 * S], decryptor.ReadByte());
    }

    [Fact]
    public void Read_DetectsSegmentTakenFromAnotherBlobAtTheSameIndex()
    {
        byte[] plaintext = RandomBytes(3 * S, seed: 60);
        byte[] ciphertext = Encrypt(plaintext);
        byte[] other = Encrypt(RandomBytes(3 * S, seed: 61));
        other.AsSpan(H + FullSegment, FullSegment).CopyTo(ciphertext.AsSpan(H + FullSegment));

        using var decryptor = Open(ciphertext, SHA256.HashData(plaintext));
        decryptor.Position = S;
        Assert.Throws<BlobIntegrityException>(() => decryptor.ReadByte());
    }

    [Fact]
    public void Open_DetectsBlobReplacedByAnotherOfTheSameDomain()
    {
        var (plaintext, ciphertext) = MultiSegmentBlob();
        byte[] otherPlaintext = RandomBytes(plaintext.Length, seed: 999);
        byte[] otherCiphertext = Encrypt(otherPlaintext);
        Assert.Equal(ciphertext.Length, otherCiphertext.Length);

        Assert.Throws<BlobIntegrityException>(() => Open(otherCiphertext, SHA256.HashData(plaintext)));
        using var genuine = Open(otherCiphertext, SHA256.HashData(otherPlaintext));
        Assert.Equal(otherPlaintext, ReadAll(genuine));
    }

    [Fact]
    public void Encrypt_SamePlaintextTwice_GivesDifferentCiphertext()
    {
        byte[] plaintext = RandomBytes(1000, seed: 70);

        byte[] first = Encrypt(plaintext);
        byte[] second = Encrypt(plaintext);

        Assert.Equal(first.Length, second.Length);
        Assert.NotEqual(first[5..37], second[5..37]);
        Assert.NotEqual(first[H..], second[H..]);
    }

    [Fact]
    public void Ciphertext_DoesNotContainPlaintextMarker()
    {
        byte[] marker = "PSCodeArtifact-plaintext-marker-7f3a"u8.ToArray();
        using var builder = new MemoryStream();
        for (int i = 0; i < 5000; i++)
        {
            builder.Write(marker);
        }

        byte[] plaintext = builder.ToArray();
        byte[] ciphertext = Encrypt(plaintext, chunk: 999);

        Assert.True(plaintext.AsSpan().IndexOf(marker) >= 0);
        Assert.Equal(-1, ciphertext.AsSpan().IndexOf(marker));
        Assert.Equal(-1, ciphertext.AsSpan().IndexOf(marker.AsSpan(0, 12)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(16)]
    [InlineData(31)]
    [InlineData(33)]
    public void ArgumentValidation_RejectsWrongKeyLength(int keyLength)
    {
        byte[] key = new byte[keyLength];
        byte[] ciphertext = Encrypt([1, 2, 3]);

        Assert.Throws<ArgumentException>(() => new StreamingAeadEncryptor(new MemoryStream(), key, s_context));
        Assert.Throws<ArgumentException>(() => StreamingAeadDecryptor.Open(new MemoryStream(ciphertext), key, s_context, SHA256.HashData([1, 2, 3])));
    }

    [Fact]
    public void ArgumentValidation_RejectsWrongShaLengthAndUnusableStreams()
    {
        byte[] ciphertext = Encrypt([1, 2, 3]);
        using var encryptor = new StreamingAeadEncryptor(new MemoryStream(), s_key, s_context);

        Assert.Throws<ArgumentException>(() => encryptor.Finish(new byte[31]));
        Assert.Throws<ArgumentException>(() => StreamingAeadDecryptor.Open(new MemoryStream(ciphertext), s_key, s_context, new byte[33]));
        Assert.Throws<ArgumentException>(() => StreamingAeadDecryptor.Open(new NonSeekableStream(ciphertext), s_key, s_context, SHA256.HashData([1, 2, 3])));
        Assert.Throws<ArgumentException>(() => new StreamingAeadEncryptor(new MemoryStream([], writable: false), s_key, s_context));
        Assert.Throws<ArgumentNullException>(() => new StreamingAeadEncryptor(null!, s_key, s_context));
    }

    [Fact]
    public async Task Encryptor_RejectsUseAfterFinish()
    {
        using var encryptor = new StreamingAeadEncryptor(new MemoryStream(), s_key, s_context);
        encryptor.Write([1, 2, 3]);
        encryptor.Finish(SHA256.HashData([1, 2, 3]));

        Assert.False(encryptor.CanWrite);
        Assert.Throws<InvalidOperationException>(() => encryptor.Write([4]));
        Assert.Throws<InvalidOperationException>(() => encryptor.Finish(SHA256.HashData([1, 2, 3])));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await encryptor.FinishAsync(SHA256.HashData([1, 2, 3])));
    }

    [Fact]
    public void Encryptor_DisposedWithoutFinish_LeavesAnIncompleteBlob()
    {
        byte[] plaintext = RandomBytes((2 * S) + 5, seed: 80);
        using var destination = new MemoryStream();
        using (var encryptor = new StreamingAeadEncryptor(destination, s_key, s_context, leaveOpen: true))
        {
            encryptor.Write(plaintext);
        }

        Assert.Equal(H + (2 * FullSegment), destination.Length);
        Assert.Throws<BlobIntegrityException>(() => Open(destination.ToArray(), SHA256.HashData(plaintext)));
        Assert.Throws<BlobIntegrityException>(() => Open(destination.ToArray(), SHA256.HashData(plaintext.AsSpan(0, 2 * S))));
    }

    [Fact]
    public void LeaveOpen_ControlsWhetherTheInnerStreamIsDisposed()
    {
        var kept = new MemoryStream();
        new StreamingAeadEncryptor(kept, s_key, s_context, leaveOpen: true).Dispose();
        Assert.True(kept.CanWrite);

        var owned = new MemoryStream();
        new StreamingAeadEncryptor(owned, s_key, s_context).Dispose();
        Assert.False(owned.CanWrite);

        byte[] ciphertext = Encrypt([9]);
        var keptSource = new MemoryStream(ciphertext);
        StreamingAeadDecryptor.Open(keptSource, s_key, s_context, SHA256.HashData([9]), leaveOpen: true).Dispose();
        Assert.True(keptSource.CanRead);

        var ownedSource = new MemoryStream(ciphertext);
        StreamingAeadDecryptor.Open(ownedSource, s_key, s_context, SHA256.HashData([9])).Dispose();
        Assert.False(ownedSource.CanRead);
    }

    [Fact]
    public void FailedOpen_DisposesTheSourceOnlyWhenItWasHandedOver()
    {
        byte[] ciphertext = Encrypt([9]);
        byte[] wrongSha = new byte[32];

        var keptSource = new MemoryStream(ciphertext);
        Assert.Throws<BlobIntegrityException>(() => StreamingAeadDecryptor.Open(keptSource, s_key, s_context, wrongSha, leaveOpen: true));
        Assert.True(keptSource.CanRead);

        var ownedSource = new MemoryStream(ciphertext);
        Assert.Throws<BlobIntegrityException>(() => StreamingAeadDecryptor.Open(ownedSource, s_key, s_context, wrongSha));
        Assert.False(ownedSource.CanRead);
    }

    private static (byte[] Plaintext, byte[] Ciphertext) MultiSegmentBlob()
    {
        byte[] plaintext = RandomBytes(300_001, seed: 42);
        return (plaintext, Encrypt(plaintext, chunk: 1000));
    }

    private static void AssertSegmentsReadableBefore(StreamingAeadDecryptor decryptor, byte[] plaintext, int segment)
    {
        byte[] prefix = new byte[segment * S];
        decryptor.ReadExactly(prefix);
        Assert.Equal(plaintext.AsSpan(0, prefix.Length).ToArray(), prefix);
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        byte[] bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static byte[] Encrypt(byte[] plaintext, int chunk = int.MaxValue)
    {
        using var destination = new MemoryStream();
        using (var encryptor = new StreamingAeadEncryptor(destination, s_key, s_context, leaveOpen: true))
        {
            for (int offset = 0; offset < plaintext.Length; offset += chunk)
            {
                int count = Math.Min(chunk, plaintext.Length - offset);
                if (offset % 2 == 0)
                {
                    encryptor.Write(plaintext.AsSpan(offset, count));
                }
                else
                {
                    encryptor.Write(plaintext, offset, count);
                }
            }

            Assert.Equal(plaintext.Length, encryptor.PlaintextLength);
            encryptor.Finish(SHA256.HashData(plaintext));
        }

        return destination.ToArray();
    }

    private static async Task<byte[]> EncryptAsync(byte[] plaintext, int chunk)
    {
        using var destination = new MemoryStream();
        await using (var encryptor = new StreamingAeadEncryptor(destination, s_key, s_context, leaveOpen: true))
        {
            for (int offset = 0; offset < plaintext.Length; offset += chunk)
            {
                await encryptor.WriteAsync(plaintext.AsMemory(offset, Math.Min(chunk, plaintext.Length - offset)));
            }

            Assert.Equal(plaintext.Length, encryptor.PlaintextLength);
            await encryptor.FinishAsync(SHA256.HashData(plaintext));
        }

        return destination.ToArray();
    }

    private static StreamingAeadDecryptor Open(byte[] ciphertext, byte[] sha256)
        => StreamingAeadDecryptor.Open(new MemoryStream(ciphertext, writable: false), s_key, s_context, sha256);

    private static byte[] ReadAll(Stream stream)
    {
        using var output = new MemoryStream();
        stream.CopyTo(output);
        return output.ToArray();
    }

    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
