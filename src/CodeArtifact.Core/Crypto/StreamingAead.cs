using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace PSCodeArtifact.Core.Crypto;

/// <summary>
/// Constants and length arithmetic of the segmented streaming AEAD (AES-256-GCM with HKDF-SHA256 key
/// derivation, modelled on Tink's AES-GCM-HKDF streaming AEAD) that encrypts every stored blob.
/// </summary>
/// <remarks>
/// Layout: <c>header | segment 0 | … | segment n-1 | trailer</c>. The header is the magic <c>PCAB</c>, a
/// version byte, a 32-byte random salt and a 7-byte random nonce prefix. Every segment but the last holds
/// exactly <see cref="SegmentSize"/> plaintext bytes followed by a <see cref="TagSize"/>-byte GCM tag; the
/// last holds 0 to <see cref="SegmentSize"/> bytes (0 only for an empty plaintext). The trailer is an
/// HMAC-SHA256 over the header, the plaintext SHA-256 and the plaintext length.
/// </remarks>
public static class StreamingAead
{
    /// <summary>Plaintext bytes in every segment but the last.</summary>
    public const int SegmentSize = 65536;

    /// <summary>Length in bytes of the domain key.</summary>
    public const int KeySize = 32;

    /// <summary>Length in bytes of the GCM tag appended to each segment.</summary>
    public const int TagSize = 16;

    /// <summary>Length in bytes of the HMAC-SHA256 trailer.</summary>
    public const int TrailerLength = 32;

    internal const int HeaderSize = MagicLength + 1 + SaltLength + NoncePrefixLength;
    internal const int MagicLength = 4;
    internal const int VersionOffset = MagicLength;
    internal const byte Version = 1;
    internal const int SaltOffset = VersionOffset + 1;
    internal const int SaltLength = 32;
    internal const int NoncePrefixOffset = SaltOffset + SaltLength;
    internal const int NoncePrefixLength = 7;
    internal const int NonceSize = NoncePrefixLength + sizeof(uint) + 1;
    internal const int Sha256Size = 32;
    internal const int CiphertextSegmentSize = SegmentSize + TagSize;

    // The segment index is a uint32 inside the nonce, so at most 2^32 segments exist per blob.
    internal const long MaxSegmentCount = 1L << 32;

    private const int DerivedKeyMaterialSize = 2 * KeySize;
    private const int StackInfoLimit = 256;

    /// <summary>Length in bytes of the fixed header (44).</summary>
    public static int HeaderLength => HeaderSize;

    internal static ReadOnlySpan<byte> Magic => "PCAB"u8;

    private static ReadOnlySpan<byte> InfoPrefix => "PSCodeArtifact blob v1"u8;

    /// <summary>Returns the exact ciphertext length produced for a plaintext of the given length.</summary>
    /// <param name="plaintextLength">The plaintext length in bytes.</param>
    /// <returns>Header, segments with their tags, and trailer, in bytes.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The length is negative or needs more than 2^32 segments.</exception>
    public static long GetCiphertextLength(long plaintextLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(plaintextLength);
        long segments = GetSegmentCount(plaintextLength);
        if (segments > MaxSegmentCount)
        {
            throw new ArgumentOutOfRangeException(nameof(plaintextLength), plaintextLength, "The plaintext is too long for a single blob.");
        }

        return HeaderSize + plaintextLength + (segments * TagSize) + TrailerLength;
    }

    /// <summary>Returns the plaintext length that produces a ciphertext of the given length.</summary>
    /// <param name="ciphertextLength">The ciphertext length in bytes.</param>
    /// <returns>The plaintext length in bytes.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The length is negative.</exception>
    /// <exception cref="BlobIntegrityException">No plaintext length gives this ciphertext length.</exception>
    public static long GetPlaintextLength(long ciphertextLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ciphertextLength);
        if (ciphertextLength < HeaderSize + TagSize + TrailerLength)
        {
            throw new BlobIntegrityException("The blob is shorter than the smallest valid ciphertext.");
        }

        long body = ciphertextLength - HeaderSize - TrailerLength;
        long fullSegments = (body - TagSize) / CiphertextSegmentSize;
        long lastSegmentLength = body - (fullSegments * CiphertextSegmentSize);

        // Only an empty plaintext has an empty last segment; after a full segment it means a malformed length.
        if (lastSegmentLength > CiphertextSegmentSize
            || (fullSegments > 0 && lastSegmentLength == TagSize)
            || fullSegments >= MaxSegmentCount)
        {
            throw new BlobIntegrityException("The blob length does not correspond to any plaintext length.");
        }

        return body - ((fullSegments + 1) * TagSize);
    }

    internal static long GetSegmentCount(long plaintextLength)
        => plaintextLength == 0 ? 1 : (plaintextLength / SegmentSize) + (plaintextLength % SegmentSize == 0 ? 0 : 1);

    internal static void ValidateKey(ReadOnlySpan<byte> domainKey, string paramName)
    {
        if (domainKey.Length != KeySize)
        {
            throw new ArgumentException($"The domain key must be {KeySize} bytes long.", paramName);
        }
    }

    internal static void ValidateSha256(ReadOnlySpan<byte> sha256, string paramName)
    {
        if (sha256.Length != Sha256Size)
        {
            throw new ArgumentException($"The SHA-256 digest must be {Sha256Size} bytes long.", paramName);
        }
    }

    internal static AesGcm DeriveKeys(ReadOnlySpan<byte> domainKey, ReadOnlySpan<byte> context, ReadOnlySpan<byte> header, Span<byte> bindingKey)
    {
        int infoLength = InfoPrefix.Length + context.Length;
        byte[]? rentedInfo = null;
        Span<byte> info = infoLength <= StackInfoLimit
            ? stackalloc byte[StackInfoLimit]
            : (rentedInfo = ArrayPool<byte>.Shared.Rent(infoLength));
        info = info[..infoLength];
        InfoPrefix.CopyTo(info);
        context.CopyTo(info[InfoPrefix.Length..]);

        Span<byte> keyMaterial = stackalloc byte[DerivedKeyMaterialSize];
        try
        {
            HKDF.DeriveKey(HashAlgorithmName.SHA256, domainKey, keyMaterial, header.Slice(SaltOffset, SaltLength), info);
            keyMaterial[KeySize..].CopyTo(bindingKey);
            return new AesGcm(keyMaterial[..KeySize], TagSize);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(keyMaterial);
            if (rentedInfo is not null)
            {
                ArrayPool<byte>.Shared.Return(rentedInfo);
            }
        }
    }

    internal static void ComputeTrailer(ReadOnlySpan<byte> bindingKey, ReadOnlySpan<byte> header, ReadOnlySpan<byte> plaintextSha256, long plaintextLength, Span<byte> trailer)
    {
        Span<byte> message = stackalloc byte[HeaderSize + Sha256Size + sizeof(ulong)];
        header[..HeaderSize].CopyTo(message);
        plaintextSha256.CopyTo(message[HeaderSize..]);
        BinaryPrimitives.WriteUInt64BigEndian(message[(HeaderSize + Sha256Size)..], (ulong)plaintextLength);
        HMACSHA256.HashData(bindingKey, message, trailer);
    }

    internal static void SetNonceSegment(Span<byte> nonce, uint segmentIndex, bool isLast)
    {
        BinaryPrimitives.WriteUInt32BigEndian(nonce.Slice(NoncePrefixLength, sizeof(uint)), segmentIndex);
        nonce[NonceSize - 1] = isLast ? (byte)1 : (byte)0;
    }
}
