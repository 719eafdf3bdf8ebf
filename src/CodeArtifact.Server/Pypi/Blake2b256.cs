using System.Buffers.Binary;
using System.Numerics;

namespace PSCodeArtifact.Server.Pypi;

/// <summary>
/// BLAKE2b with a 32-byte digest and no key (RFC 7693), which twine sends as <c>blake2_256_digest</c>. The base class
/// library has no BLAKE2, and an upload's digests are all checked, as PyPI checks them.
/// </summary>
internal sealed class Blake2b256
{
    private const int BlockSize = 128;
    private const int DigestSize = 32;

    private static readonly ulong[] s_iv =
    [
        0x6A09E667F3BCC908, 0xBB67AE8584CAA73B, 0x3C6EF372FE94F82B, 0xA54FF53A5F1D36F1,
        0x510E527FADE682D1, 0x9B05688C2B3E6C1F, 0x1F83D9ABFB41BD6B, 0x5BE0CD19137E2179,
    ];

    private static readonly byte[][] s_sigma =
    [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
        [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
        [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
        [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
        [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
        [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
        [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
        [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
        [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
        [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
    ];

    private readonly ulong[] _h = new ulong[8];
    private readonly ulong[] _v = new ulong[16];
    private readonly ulong[] _m = new ulong[16];
    private readonly byte[] _buffer = new byte[BlockSize];
    private int _buffered;
    private ulong _t0;
    private ulong _t1;

    public Blake2b256()
    {
        s_iv.CopyTo(_h, 0);
        // Parameter block: digest length, no key, fan-out 1, depth 1.
        _h[0] ^= 0x01010000UL | DigestSize;
    }

    public static byte[] Hash(ReadOnlySpan<byte> data)
    {
        var hash = new Blake2b256();
        hash.Append(data);
        return hash.GetHash();
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        while (data.Length > 0)
        {
            // The last block is compressed differently, so a full buffer waits until more data proves it is not the last.
            if (_buffered == BlockSize)
            {
                AddToCounter(BlockSize);
                Compress(_buffer, last: false);
                _buffered = 0;
            }
            var take = Math.Min(BlockSize - _buffered, data.Length);
            data[..take].CopyTo(_buffer.AsSpan(_buffered));
            _buffered += take;
            data = data[take..];
        }
    }

    public byte[] GetHash()
    {
        AddToCounter((ulong)_buffered);
        _buffer.AsSpan(_buffered).Clear();
        Compress(_buffer, last: true);
        var digest = new byte[DigestSize];
        for (var i = 0; i < DigestSize / 8; i++) BinaryPrimitives.WriteUInt64LittleEndian(digest.AsSpan(i * 8), _h[i]);
        return digest;
    }

    private void AddToCounter(ulong count)
    {
        _t0 += count;
        if (_t0 < count) _t1++;
    }

    private void Compress(ReadOnlySpan<byte> block, bool last)
    {
        var v = _v;
        var m = _m;
        for (var i = 0; i < 16; i++) m[i] = BinaryPrimitives.ReadUInt64LittleEndian(block[(i * 8)..]);
        _h.CopyTo(v, 0);
        s_iv.CopyTo(v, 8);
        v[12] ^= _t0;
        v[13] ^= _t1;
        if (last) v[14] = ~v[14];
        for (var round = 0; round < 12; round++)
        {
            var s = s_sigma[round % 10];
            Mix(v, 0, 4, 8, 12, m[s[0]], m[s[1]]);
            Mix(v, 1, 5, 9, 13, m[s[2]], m[s[3]]);
            Mix(v, 2, 6, 10, 14, m[s[4]], m[s[5]]);
            Mix(v, 3, 7, 11, 15, m[s[6]], m[s[7]]);
            Mix(v, 0, 5, 10, 15, m[s[8]], m[s[9]]);
            Mix(v, 1, 6, 11, 12, m[s[10]], m[s[11]]);
            Mix(v, 2, 7, 8, 13, m[s[12]], m[s[13]]);
            Mix(v, 3, 4, 9, 14, m[s[14]], m[s[15]]);
        }
        for (var i = 0; i < 8; i++) _h[i] ^= v[i] ^ v[i + 8];
    }

    private static void Mix(ulong[] v, int a, int b, int c, int d, ulong x, ulong y)
    {
        v[a] = v[a] + v[b] + x;
        v[d] = BitOperations.RotateRight(v[d] ^ v[a], 32);
        v[c] += v[d];
        v[b] = BitOperations.RotateRight(v[b] ^ v[c], 24);
        v[a] = v[a] + v[b] + y;
        v[d] = BitOperations.RotateRight(v[d] ^ v[a], 16);
        v[c] += v[d];
        v[b] = BitOperations.RotateRight(v[b] ^ v[c], 63);
    }
}
