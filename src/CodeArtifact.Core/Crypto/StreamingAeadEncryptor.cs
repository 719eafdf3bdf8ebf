using System.Buffers;
using System.Security.Cryptography;

namespace PSCodeArtifact.Core.Crypto;

/// <summary>
/// Write-only stream that encrypts the plaintext written to it into the streaming AEAD blob format.
/// </summary>
/// <remarks>
/// Write the plaintext, then call <see cref="Finish"/> or <see cref="FinishAsync"/> exactly once. Disposing
/// without finishing leaves the destination incomplete (no last segment, no trailer): it will never open, and
/// deleting it is up to the caller. Not thread-safe.
/// </remarks>
public sealed class StreamingAeadEncryptor : Stream
{
    // Output buffer layout: header | segment ciphertext and tag | trailer, so the first segment carries the
    // header and the last one the trailer in a single destination write.
    private const int SegmentOffset = StreamingAead.HeaderSize;
    private const int OutputBufferSize = StreamingAead.HeaderSize + StreamingAead.CiphertextSegmentSize + StreamingAead.TrailerLength;

    private readonly Stream _destination;
    private readonly bool _leaveOpen;
    private readonly byte[] _header = new byte[StreamingAead.HeaderSize];
    private readonly byte[] _nonce = new byte[StreamingAead.NonceSize];
    private readonly byte[] _bindingKey = new byte[StreamingAead.KeySize];
    private AesGcm? _aesGcm;
    private byte[]? _plaintextBuffer;
    private byte[]? _outputBuffer;
    private int _buffered;
    private long _plaintextLength;
    private uint _segmentIndex;
    private State _state;

    /// <summary>Starts a new blob with a fresh random salt and nonce prefix.</summary>
    /// <param name="destination">Writable stream that receives the ciphertext.</param>
    /// <param name="domainKey">The 32-byte domain key.</param>
    /// <param name="context">Caller-chosen bytes bound into the key derivation; the same bytes are needed to open the blob.</param>
    /// <param name="leaveOpen">Whether <paramref name="destination"/> stays open when this stream is disposed.</param>
    /// <exception cref="ArgumentException">The key is not 32 bytes long or the destination is not writable.</exception>
    public StreamingAeadEncryptor(Stream destination, ReadOnlySpan<byte> domainKey, ReadOnlySpan<byte> context, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (!destination.CanWrite)
        {
            throw new ArgumentException("The destination stream must be writable.", nameof(destination));
        }

        StreamingAead.ValidateKey(domainKey, nameof(domainKey));

        _destination = destination;
        _leaveOpen = leaveOpen;

        StreamingAead.Magic.CopyTo(_header);
        _header[StreamingAead.VersionOffset] = StreamingAead.Version;
        RandomNumberGenerator.Fill(_header.AsSpan(StreamingAead.SaltOffset, StreamingAead.SaltLength + StreamingAead.NoncePrefixLength));
        _header.AsSpan(StreamingAead.NoncePrefixOffset, StreamingAead.NoncePrefixLength).CopyTo(_nonce);

        _aesGcm = StreamingAead.DeriveKeys(domainKey, context, _header, _bindingKey);
        _plaintextBuffer = ArrayPool<byte>.Shared.Rent(StreamingAead.SegmentSize);
        _outputBuffer = ArrayPool<byte>.Shared.Rent(OutputBufferSize);
        _header.CopyTo(_outputBuffer, 0);
    }

    private enum State
    {
        Writing,
        Finished,
        Faulted,
        Disposed,
    }

    /// <summary>Number of plaintext bytes written so far.</summary>
    public long PlaintextLength => _plaintextLength;

    /// <inheritdoc/>
    public override bool CanRead => false;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override bool CanWrite => _state == State.Writing;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Encrypts the buffered tail as the last segment and writes the trailer, then flushes the destination.</summary>
    /// <param name="plaintextSha256">SHA-256 of the whole plaintext written; opening the blob requires the same digest.</param>
    /// <exception cref="ArgumentException">The digest is not 32 bytes long.</exception>
    /// <exception cref="InvalidOperationException">The blob was already finished or an earlier write failed.</exception>
    public void Finish(ReadOnlySpan<byte> plaintextSha256)
    {
        StreamingAead.ValidateSha256(plaintextSha256, nameof(plaintextSha256));
        ThrowIfNotWriting();
        try
        {
            int count = SealLastSegment(plaintextSha256, out int start);
            _destination.Write(_outputBuffer!, start, count);
            _destination.Flush();
        }
        catch
        {
            _state = State.Faulted;
            throw;
        }

        _state = State.Finished;
        ReleaseResources();
    }

    /// <summary>Encrypts the buffered tail as the last segment and writes the trailer, then flushes the destination.</summary>
    /// <param name="plaintextSha256">SHA-256 of the whole plaintext written; opening the blob requires the same digest.</param>
    /// <param name="cancellationToken">Cancels the destination write; the blob is then left incomplete.</param>
    /// <returns>A task that completes when the blob is complete in the destination.</returns>
    /// <exception cref="ArgumentException">The digest is not 32 bytes long.</exception>
    /// <exception cref="InvalidOperationException">The blob was already finished or an earlier write failed.</exception>
    public async ValueTask FinishAsync(ReadOnlyMemory<byte> plaintextSha256, CancellationToken cancellationToken = default)
    {
        StreamingAead.ValidateSha256(plaintextSha256.Span, nameof(plaintextSha256));
        ThrowIfNotWriting();
        try
        {
            int count = SealLastSegment(plaintextSha256.Span, out int start);
            await _destination.WriteAsync(_outputBuffer.AsMemory(start, count), cancellationToken);
            await _destination.FlushAsync(cancellationToken);
        }
        catch
        {
            _state = State.Faulted;
            throw;
        }

        _state = State.Finished;
        ReleaseResources();
    }

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ThrowIfNotWriting();
        try
        {
            while (!buffer.IsEmpty)
            {
                // A full buffer is only known to be a non-last segment once more data arrives.
                if (_buffered == StreamingAead.SegmentSize)
                {
                    int count = SealSegment(isLast: false, out int start);
                    _destination.Write(_outputBuffer!, start, count);
                }

                buffer = buffer[Accumulate(buffer)..];
            }
        }
        catch
        {
            _state = State.Faulted;
            throw;
        }
    }

    /// <inheritdoc/>
    public override void WriteByte(byte value) => Write(new ReadOnlySpan<byte>(in value));

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc/>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfNotWriting();
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        // Small writes that fit the current segment complete synchronously without a state machine.
        if (buffer.Length <= StreamingAead.SegmentSize - _buffered)
        {
            Accumulate(buffer.Span);
            return ValueTask.CompletedTask;
        }

        return WriteSlowAsync(buffer, cancellationToken);
    }

    /// <summary>Flushes the destination; buffered plaintext stays buffered until a segment is complete.</summary>
    public override void Flush()
    {
        ObjectDisposedException.ThrowIf(_state == State.Disposed, this);
        _destination.Flush();
    }

    /// <summary>Flushes the destination; buffered plaintext stays buffered until a segment is complete.</summary>
    /// <param name="cancellationToken">Cancels the flush.</param>
    /// <returns>A task that completes when the destination is flushed.</returns>
    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_state == State.Disposed, this);
        return _destination.FlushAsync(cancellationToken);
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override async ValueTask DisposeAsync()
    {
        if (_state != State.Disposed)
        {
            ReleaseResources();
            _state = State.Disposed;
            if (!_leaveOpen)
            {
                await _destination.DisposeAsync();
            }
        }

        await base.DisposeAsync();
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing && _state != State.Disposed)
        {
            ReleaseResources();
            _state = State.Disposed;
            if (!_leaveOpen)
            {
                _destination.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    private async ValueTask WriteSlowAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            while (!buffer.IsEmpty)
            {
                if (_buffered == StreamingAead.SegmentSize)
                {
                    int count = SealSegment(isLast: false, out int start);
                    await _destination.WriteAsync(_outputBuffer.AsMemory(start, count), cancellationToken);
                }

                buffer = buffer[Accumulate(buffer.Span)..];
            }
        }
        catch
        {
            _state = State.Faulted;
            throw;
        }
    }

    private int Accumulate(ReadOnlySpan<byte> data)
    {
        int taken = Math.Min(StreamingAead.SegmentSize - _buffered, data.Length);
        data[..taken].CopyTo(_plaintextBuffer.AsSpan(_buffered));
        _buffered += taken;
        _plaintextLength += taken;
        return taken;
    }

    private int SealSegment(bool isLast, out int start)
    {
        if (!isLast && _segmentIndex == uint.MaxValue)
        {
            throw new IOException("The plaintext is too long for a single blob.");
        }

        int length = _buffered;
        StreamingAead.SetNonceSegment(_nonce, _segmentIndex, isLast);
        Span<byte> segment = _outputBuffer.AsSpan(SegmentOffset, length + StreamingAead.TagSize);
        _aesGcm!.Encrypt(_nonce, _plaintextBuffer.AsSpan(0, length), segment[..length], segment[length..]);

        // The header was placed in front of the segment area once; only the first write includes it.
        start = _segmentIndex == 0 ? 0 : SegmentOffset;
        _buffered = 0;
        _segmentIndex++;
        return SegmentOffset + segment.Length - start;
    }

    private int SealLastSegment(ReadOnlySpan<byte> plaintextSha256, out int start)
    {
        int count = SealSegment(isLast: true, out start);
        Span<byte> trailer = _outputBuffer.AsSpan(start + count, StreamingAead.TrailerLength);
        StreamingAead.ComputeTrailer(_bindingKey, _header, plaintextSha256, _plaintextLength, trailer);
        return count + StreamingAead.TrailerLength;
    }

    private void ThrowIfNotWriting()
    {
        switch (_state)
        {
            case State.Writing:
                return;
            case State.Disposed:
                throw new ObjectDisposedException(GetType().FullName);
            case State.Finished:
                throw new InvalidOperationException("The blob has already been finished.");
            default:
                throw new InvalidOperationException("An earlier write to the blob failed; the blob is incomplete.");
        }
    }

    private void ReleaseResources()
    {
        _aesGcm?.Dispose();
        _aesGcm = null;
        CryptographicOperations.ZeroMemory(_bindingKey);
        if (_plaintextBuffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_plaintextBuffer, clearArray: true);
            _plaintextBuffer = null;
        }

        if (_outputBuffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_outputBuffer);
            _outputBuffer = null;
        }
    }
}
