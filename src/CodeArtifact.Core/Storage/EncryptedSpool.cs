using System.Security.Cryptography;
using PSCodeArtifact.Core.Crypto;

namespace PSCodeArtifact.Core.Storage;

/// <summary>
/// A temporary file for request bodies that must be read more than once (an npm publish document, a multipart upload
/// whose fields come late): written once through <see cref="Writer"/>, then read (seekable) from <see cref="Complete"/>.
/// The bytes on disk are encrypted under a random key that lives only in this object, so the store never holds an
/// upload's plaintext, not even for a moment; the file is deleted when the spool is disposed (or at the next sweep
/// after a crash, and it is unreadable without the key anyway).
/// </summary>
public sealed class EncryptedSpool : IDisposable
{
    private static readonly byte[] s_context = "PSCodeArtifact spool"u8.ToArray();
    private readonly FileStream _file;
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(StreamingAead.KeySize);
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly StreamingAeadEncryptor _encryptor;
    private readonly HashingWriter _writer;
    private StreamingAeadDecryptor? _reader;

    public EncryptedSpool(string folder)
    {
        Directory.CreateDirectory(folder);
        _file = new FileStream(Path.Combine(folder, $"spool-{Guid.NewGuid():N}.tmp"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read,
            bufferSize: 0, FileOptions.DeleteOnClose);
        _encryptor = new StreamingAeadEncryptor(_file, _key, s_context, leaveOpen: true);
        _writer = new HashingWriter(this);
    }

    /// <summary>Where the plaintext goes; write-only, usable until <see cref="Complete"/>.</summary>
    public Stream Writer => _writer;

    /// <summary>The plaintext length written so far.</summary>
    public long Length => _encryptor.PlaintextLength;

    /// <summary>Ends writing and returns a seekable stream over the plaintext (the same stream on every call).</summary>
    public Stream Complete()
    {
        if (_reader is not null) return _reader;
        var digest = _sha256.GetHashAndReset();
        _encryptor.Finish(digest);
        _file.Flush();
        _file.Position = 0;
        _reader = StreamingAeadDecryptor.Open(_file, _key, s_context, digest, leaveOpen: true);
        return _reader;
    }

    public void Dispose()
    {
        _reader?.Dispose();
        _encryptor.Dispose();
        _sha256.Dispose();
        _file.Dispose();
        CryptographicOperations.ZeroMemory(_key);
    }

    private sealed class HashingWriter(EncryptedSpool spool) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => spool._reader is null;

        public override long Length => spool.Length;

        public override long Position
        {
            get => spool.Length;
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            spool._sha256.AppendData(buffer);
            spool._encryptor.Write(buffer);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            spool._sha256.AppendData(buffer.Span);
            await spool._encryptor.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
