using System.Buffers;
using System.Security.Cryptography;

namespace PSCodeArtifact.Core.Crypto;

/// <summary>
/// Read-only, seekable stream that decrypts a streaming AEAD blob. Range reads decrypt only the segments
/// they touch, and each segment is authenticated before any of its bytes are returned.
/// </summary>
/// <remarks>
/// <see cref="Open"/> verifies the header and the trailer, which binds the blob to its plaintext SHA-256 and
/// length, so a swapped, truncated or re-headed blob is rejected before any data is returned. Tampering inside
/// a segment is detected when that segment is read. Not thread-safe; the blob must occupy the whole source.
/// </remarks>
public sealed class StreamingAeadDecryptor : Stream
{
    private readonly Stream _source;
    private readonly bool _leaveOpen;
    private readonly byte[] _nonce = new byte[StreamingAead.NonceSize];
    private readonly long _length;
    private readonly long _lastSegmentIndex;
    private AesGcm? _aesGcm;
    private byte[]? _ciphertextBuffer;
    private byte[]? _plaintextBuffer;
    private long _loadedSegment = -1;
    private int _loadedLength;
    private long _position;
    private bool _disposed;

    private StreamingAeadDecryptor(Stream source, AesGcm aesGcm, ReadOnlySpan<byte> header, long plaintextLength, bool leaveOpen)
    {
        _source = source;
        _aesGcm = aesGcm;
        _leaveOpen = leaveOpen;
        _length = plaintextLength;
        _lastSegmentIndex = StreamingAead.GetSegmentCount(plaintextLength) - 1;
        header.Slice(StreamingAead.NoncePrefixOffset, StreamingAead.NoncePrefixLength).CopyTo(_nonce);
        _ciphertextBuffer = ArrayPool<byte>.Shared.Rent(StreamingAead.CiphertextSegmentSize);
        _plaintextBuffer = ArrayPool<byte>.Shared.Rent(StreamingAead.SegmentSize);
    }

    /// <summary>Length of the plaintext in bytes.</summary>
    public override long Length
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _length;
        }
    }

    /// <summary>Position in the plaintext.</summary>
    public override long Position
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _position;
        }

        set
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _position = value;
        }
    }

    /// <inheritdoc/>
    public override bool CanRead => !_disposed;

    /// <inheritdoc/>
    public override bool CanSeek => !_disposed;

    /// <inheritdoc/>
    public override bool CanWrite => false;

    /// <summary>Opens a blob, verifying its header and its trailer before returning.</summary>
    /// <param name="source">Readable, seekable stream holding exactly the ciphertext.</param>
    /// <param name="domainKey">The 32-byte domain key the blob was encrypted under.</param>
    /// <param name="context">The context bytes the blob was encrypted with.</param>
    /// <param name="expectedSha256">The 32-byte SHA-256 of the plaintext (the blob's content address).</param>
    /// <param name="leaveOpen">
    /// Whether <paramref name="source"/> stays open when the decryptor is disposed. When <see langword="false"/>,
    /// the source is also disposed if opening fails.
    /// </param>
    /// <returns>A decryptor positioned at the start of the plaintext.</returns>
    /// <exception cref="ArgumentException">The key or digest has the wrong length, or the source is not readable and seekable.</exception>
    /// <exception cref="BlobIntegrityException">
    /// The blob is malformed, was altered, truncated or replaced, or does not match the key, context or digest.
    /// </exception>
    public static StreamingAeadDecryptor Open(Stream source, ReadOnlySpan<byte> domainKey, ReadOnlySpan<byte> context, ReadOnlySpan<byte> expectedSha256, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(source);
        StreamingAeadDecryptor? decryptor = null;
        try
        {
            ValidateArguments(source, domainKey, expectedSha256);
            long ciphertextLength = source.Length;
            long plaintextLength = StreamingAead.GetPlaintextLength(ciphertextLength);

            Span<byte> header = stackalloc byte[StreamingAead.HeaderSize];
            Span<byte> trailer = stackalloc byte[StreamingAead.TrailerLength];
            source.Position = 0;
            ReadExactly(source, header);
            source.Position = ciphertextLength - StreamingAead.TrailerLength;
            ReadExactly(source, trailer);

            decryptor = Create(source, domainKey, context, expectedSha256, header, trailer, plaintextLength, leaveOpen);

            // Reads of an empty blob return nothing, so its only segment would otherwise never be authenticated.
            if (plaintextLength == 0)
            {
                decryptor.LoadSegment(0);
            }

            return decryptor;
        }
        catch
        {
            DisposeAfterFailedOpen(decryptor, source, leaveOpen);
            throw;
        }
    }

    /// <summary>Opens a blob, verifying its header and its trailer before returning.</summary>
    /// <param name="source">Readable, seekable stream holding exactly the ciphertext.</param>
    /// <param name="domainKey">The 32-byte domain key the blob was encrypted under.</param>
    /// <param name="context">The context bytes the blob was encrypted with.</param>
    /// <param name="expectedSha256">The 32-byte SHA-256 of the plaintext (the blob's content address).</param>
    /// <param name="leaveOpen">
    /// Whether <paramref name="source"/> stays open when the decryptor is disposed. When <see langword="false"/>,
    /// the source is also disposed if opening fails.
    /// </param>
    /// <param name="cancellationToken">Cancels the reads of the header and trailer.</param>
    /// <returns>A decryptor positioned at the start of the plaintext.</returns>
    /// <exception cref="ArgumentException">The key or digest has the wrong length, or the source is not readable and seekable.</exception>
    /// <exception cref="BlobIntegrityException">
    /// The blob is malformed, was altered, truncated or replaced, or does not match the key, context or digest.
    /// </exception>
    public static async ValueTask<StreamingAeadDecryptor> OpenAsync(Stream source, ReadOnlyMemory<byte> domainKey, ReadOnlyMemory<byte> context, ReadOnlyMemory<byte> expectedSha256, bool leaveOpen = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        StreamingAeadDecryptor? decryptor = null;
        try
        {
            ValidateArguments(source, domainKey.Span, expectedSha256.Span);
            long ciphertextLength = source.Length;
            long plaintextLength = StreamingAead.GetPlaintextLength(ciphertextLength);

            var headerAndTrailer = new byte[StreamingAead.HeaderSize + StreamingAead.TrailerLength];
            Memory<byte> header = headerAndTrailer.AsMemory(0, StreamingAead.HeaderSize);
            Memory<byte> trailer = headerAndTrailer.AsMemory(StreamingAead.HeaderSize);
            source.Position = 0;
            await ReadExactlyAsync(source, header, cancellationToken);
            source.Position = ciphertextLength - StreamingAead.TrailerLength;
            await ReadExactlyAsync(source, trailer, cancellationToken);

            decryptor = Create(source, domainKey.Span, context.Span, expectedSha256.Span, header.Span, trailer.Span, plaintextLength, leaveOpen);
            if (plaintextLength == 0)
            {
                await decryptor.LoadSegmentAsync(0, cancellationToken);
            }

            return decryptor;
        }
        catch
        {
            DisposeAfterFailedOpen(decryptor, source, leaveOpen);
            throw;
        }
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int total = 0;
        while (!buffer.IsEmpty && _position < _length)
        {
            long segment = _position / StreamingAead.SegmentSize;
            if (segment != _loadedSegment)
            {
                LoadSegment(segment);
            }

            int copied = CopyFromLoadedSegment(buffer);
            buffer = buffer[copied..];
            total += copied;
        }

        return total;
    }

    /// <inheritdoc/>
    public override int ReadByte()
    {
        byte value = 0;
        return Read(new Span<byte>(ref value)) == 0 ? -1 : value;
    }

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc/>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        // Reads served entirely by the already decrypted segment complete without a state machine.
        if (buffer.IsEmpty || _position >= _length)
        {
            return ValueTask.FromResult(0);
        }

        if (_position / StreamingAead.SegmentSize == _loadedSegment
            && _position + buffer.Length <= (_loadedSegment * StreamingAead.SegmentSize) + _loadedLength)
        {
            return ValueTask.FromResult(CopyFromLoadedSegment(buffer.Span));
        }

        return ReadSlowAsync(buffer, cancellationToken);
    }

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => _length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        if (target < 0)
        {
            throw new IOException("An attempt was made to move the position before the beginning of the stream.");
        }

        _position = target;
        return target;
    }

    /// <inheritdoc/>
    public override void Flush()
    {
    }

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            ReleaseResources();
            _disposed = true;
            if (!_leaveOpen)
            {
                await _source.DisposeAsync();
            }
        }

        await base.DisposeAsync();
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            ReleaseResources();
            _disposed = true;
            if (!_leaveOpen)
            {
                _source.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    private static void ValidateArguments(Stream source, ReadOnlySpan<byte> domainKey, ReadOnlySpan<byte> expectedSha256)
    {
        if (!source.CanRead || !source.CanSeek)
        {
            throw new ArgumentException("The source stream must be readable and seekable.", nameof(source));
        }

        StreamingAead.ValidateKey(domainKey, nameof(domainKey));
        StreamingAead.ValidateSha256(expectedSha256, nameof(expectedSha256));
    }

    private static StreamingAeadDecryptor Create(
        Stream source,
        ReadOnlySpan<byte> domainKey,
        ReadOnlySpan<byte> context,
        ReadOnlySpan<byte> expectedSha256,
        ReadOnlySpan<byte> header,
        ReadOnlySpan<byte> trailer,
        long plaintextLength,
        bool leaveOpen)
    {
        if (!header[..StreamingAead.MagicLength].SequenceEqual(StreamingAead.Magic))
        {
            throw new BlobIntegrityException("The data is not a PSCodeArtifact blob (bad magic).");
        }

        if (header[StreamingAead.VersionOffset] != StreamingAead.Version)
        {
            throw new BlobIntegrityException($"Unsupported blob format version {header[StreamingAead.VersionOffset]}.");
        }

        Span<byte> bindingKey = stackalloc byte[StreamingAead.KeySize];
        AesGcm? aesGcm = null;
        try
        {
            aesGcm = StreamingAead.DeriveKeys(domainKey, context, header, bindingKey);
            Span<byte> expectedTrailer = stackalloc byte[StreamingAead.TrailerLength];
            StreamingAead.ComputeTrailer(bindingKey, header, expectedSha256, plaintextLength, expectedTrailer);
            if (!CryptographicOperations.FixedTimeEquals(expectedTrailer, trailer))
            {
                throw new BlobIntegrityException(
                    "The blob failed verification: it was altered, truncated or replaced, or does not match the expected SHA-256, key or context.");
            }

            var decryptor = new StreamingAeadDecryptor(source, aesGcm, header, plaintextLength, leaveOpen);
            aesGcm = null;
            return decryptor;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bindingKey);
            aesGcm?.Dispose();
        }
    }

    private static void DisposeAfterFailedOpen(StreamingAeadDecryptor? decryptor, Stream source, bool leaveOpen)
    {
        if (decryptor is not null)
        {
            decryptor.Dispose();
        }
        else if (!leaveOpen)
        {
            source.Dispose();
        }
    }

    private static void ReadExactly(Stream source, Span<byte> buffer)
    {
        try
        {
            source.ReadExactly(buffer);
        }
        catch (EndOfStreamException ex)
        {
            throw new BlobIntegrityException("The blob ended before its expected length.", ex);
        }
    }

    private static async ValueTask ReadExactlyAsync(Stream source, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            await source.ReadExactlyAsync(buffer, cancellationToken);
        }
        catch (EndOfStreamException ex)
        {
            throw new BlobIntegrityException("The blob ended before its expected length.", ex);
        }
    }

    private async ValueTask<int> ReadSlowAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        int total = 0;
        while (!buffer.IsEmpty && _position < _length)
        {
            long segment = _position / StreamingAead.SegmentSize;
            if (segment != _loadedSegment)
            {
                await LoadSegmentAsync(segment, cancellationToken);
            }

            int copied = CopyFromLoadedSegment(buffer.Span);
            buffer = buffer[copied..];
            total += copied;
        }

        return total;
    }

    private int CopyFromLoadedSegment(Span<byte> destination)
    {
        int offset = (int)(_position - (_loadedSegment * StreamingAead.SegmentSize));
        int count = Math.Min(destination.Length, _loadedLength - offset);
        _plaintextBuffer.AsSpan(offset, count).CopyTo(destination);
        _position += count;
        return count;
    }

    private int PrepareSegmentRead(long segment)
    {
        _loadedSegment = -1;
        _source.Position = StreamingAead.HeaderSize + (segment * StreamingAead.CiphertextSegmentSize);
        return SegmentPlaintextLength(segment);
    }

    private void LoadSegment(long segment)
    {
        int length = PrepareSegmentRead(segment);
        ReadExactly(_source, _ciphertextBuffer.AsSpan(0, length + StreamingAead.TagSize));
        DecryptSegment(segment, length);
    }

    private async ValueTask LoadSegmentAsync(long segment, CancellationToken cancellationToken)
    {
        int length = PrepareSegmentRead(segment);
        await ReadExactlyAsync(_source, _ciphertextBuffer.AsMemory(0, length + StreamingAead.TagSize), cancellationToken);
        DecryptSegment(segment, length);
    }

    private int SegmentPlaintextLength(long segment)
        => segment < _lastSegmentIndex
            ? StreamingAead.SegmentSize
            : (int)(_length - (_lastSegmentIndex * StreamingAead.SegmentSize));

    private void DecryptSegment(long segment, int length)
    {
        StreamingAead.SetNonceSegment(_nonce, (uint)segment, segment == _lastSegmentIndex);
        ReadOnlySpan<byte> ciphertext = _ciphertextBuffer.AsSpan(0, length + StreamingAead.TagSize);
        try
        {
            _aesGcm!.Decrypt(_nonce, ciphertext[..length], ciphertext[length..], _plaintextBuffer.AsSpan(0, length));
        }
        catch (CryptographicException ex)
        {
            throw new BlobIntegrityException($"Segment {segment} of the blob failed authentication.", ex);
        }

        _loadedSegment = segment;
        _loadedLength = length;
    }

    private void ReleaseResources()
    {
        _aesGcm?.Dispose();
        _aesGcm = null;
        _loadedSegment = -1;
        if (_plaintextBuffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_plaintextBuffer, clearArray: true);
            _plaintextBuffer = null;
        }

        if (_ciphertextBuffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_ciphertextBuffer);
            _ciphertextBuffer = null;
        }
    }
}
