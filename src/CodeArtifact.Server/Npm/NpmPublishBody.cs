using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Storage;

namespace PSCodeArtifact.Server.Npm;

/// <summary>A tarball decoded from a publish body's <c>_attachments</c>, in an encrypted spool that goes when it is disposed.</summary>
internal sealed class NpmAttachment : IDisposable
{
    private readonly EncryptedSpool _spool;

    public NpmAttachment(string key, EncryptedSpool spool)
    {
        Key = key;
        _spool = spool;
    }

    /// <summary>The attachment's key (<c>name-1.0.0.tgz</c>, or <c>@scope/name-1.0.0.tgz</c> for a scoped package).</summary>
    public string Key { get; }

    /// <summary>Where the decoded bytes are written.</summary>
    public Stream Writer => _spool.Writer;

    /// <summary>The decoded bytes (seekable, positioned at 0) once decoding is done; empty before.</summary>
    public Stream Content { get; private set; } = Stream.Null;

    public long Length { get; internal set; }

    public byte[] Sha512 { get; internal set; } = [];

    public byte[] Sha1 { get; internal set; } = [];

    /// <summary>Ends writing: from now on <see cref="Content"/> reads the decoded bytes.</summary>
    public void Complete() => Content = _spool.Complete();

    public void Dispose() => _spool.Dispose();
}

/// <summary>
/// The JSON body of an npm <c>PUT</c> (publish, deprecate, unpublish), read without holding it in memory: the request is
/// spooled to an <see cref="EncryptedSpool"/> in the store's <c>tmp/</c> (the store never holds an upload's plaintext), a
/// streaming reader walks it, and each <c>_attachments.*.data</c> string is base64-decoded in chunks straight into a spool
/// of its own while it is hashed. The rest of the document (without those strings) is small and is parsed normally. Every
/// spool is deleted when the body is disposed.
/// </summary>
internal sealed class NpmPublishBody : IDisposable
{
    /// <summary>The failure code of a body that is not a usable npm document.</summary>
    public const string InvalidDocument = ErrorCodes.InvalidPublishDocument;

    /// <summary>The most bytes of a body without its attachment data (readmes and package.json files included).</summary>
    public const int MaxDocumentBytes = 64 * 1024 * 1024;

    private const int ChunkBytes = 64 * 1024;
    private static readonly JsonReaderOptions s_readerOptions = new() { MaxDepth = 64 };
    private static readonly JsonDocumentOptions s_documentOptions = new() { MaxDepth = 64 };

    private NpmPublishBody(JsonDocument document, List<NpmAttachment> attachments)
    {
        Document = document;
        Attachments = attachments;
    }

    public JsonDocument Document { get; }

    public JsonElement Root => Document.RootElement;

    /// <summary>The decoded <c>.tgz</c> attachments (other attachments, such as provenance bundles, are skipped).</summary>
    public IReadOnlyList<NpmAttachment> Attachments { get; }

    public static async Task<Outcome<NpmPublishBody>> ReadAsync(Stream body, string tempFolder, CancellationToken cancellationToken)
    {
        var attachments = new List<NpmAttachment>();
        var succeeded = false;
        var spool = new EncryptedSpool(tempFolder);
        try
        {
            await body.CopyToAsync(spool.Writer, ChunkBytes, cancellationToken);
            if (spool.Length == 0) return Invalid("The request has no body; npm sends the package document as JSON.");
            var json = spool.Complete();
            var holes = Extract(json, tempFolder, attachments, cancellationToken);
            if (holes.Failure is { } failure) return failure;
            var document = ParseRest(json, holes.Value!);
            if (document.Failure is { } unparsable) return unparsable;
            if (document.Value!.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Value.Dispose();
                return Invalid("The body is not a JSON object.");
            }
            succeeded = true;
            return new NpmPublishBody(document.Value, attachments);
        }
        catch (JsonException e)
        {
            return Invalid($"The body is not valid JSON: {e.Message}");
        }
        finally
        {
            spool.Dispose();
            if (!succeeded)
            {
                foreach (var attachment in attachments) attachment.Dispose();
            }
        }
    }

    public void Dispose()
    {
        Document.Dispose();
        foreach (var attachment in Attachments) attachment.Dispose();
    }

    private static Failure Invalid(string message) => new(InvalidDocument, FailureKind.Invalid, message);

    /// <summary>
    /// Walks the spooled document with a streaming reader. At each <c>_attachments.{key}.data</c> property the reader stops,
    /// the string is decoded from the spool directly, and reading resumes after it as if the value were <c>""</c>.
    /// Returns the byte ranges of the data strings' contents, which the metadata document leaves out.
    /// </summary>
    private static Outcome<List<(long Start, long End)>> Extract(Stream spool, string tempFolder, List<NpmAttachment> attachments,
        CancellationToken cancellationToken)
    {
        var holes = new List<(long Start, long End)>();
        var names = new string?[s_readerOptions.MaxDepth + 2];
        var buffer = new byte[ChunkBytes];
        var state = new JsonReaderState(s_readerOptions);
        spool.Position = 0;
        var length = Fill(spool, buffer, 0, out var final);
        // The file offset of buffer[0]; after a skipped string the buffer starts with a few bytes of stand-in JSON.
        long bufferStart = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var consumed = ReadUntilData(buffer.AsSpan(0, length), final, ref state, names, out var dataKey);
            if (dataKey is not null)
            {
                var scanned = DecodeData(spool, bufferStart + consumed, dataKey, tempFolder, attachments, cancellationToken);
                if (scanned.Failure is { } failure) return failure;
                var (start, end, colonPending) = scanned.Value;
                holes.Add((start, end));
                var standIn = colonPending ? ":\"\""u8 : "\"\""u8;
                standIn.CopyTo(buffer);
                spool.Position = end + 1;
                bufferStart = end + 1 - standIn.Length;
                length = standIn.Length + Fill(spool, buffer, standIn.Length, out final);
                continue;
            }
            if (final) return holes;
            var leftover = length - consumed;
            if (leftover == buffer.Length)
            {
                // One token fills the buffer (a long readme, say): grow it, within the document cap.
                if (buffer.Length >= MaxDocumentBytes) return Invalid($"A value in the body is larger than {MaxDocumentBytes} bytes.");
                Array.Resize(ref buffer, Math.Min(buffer.Length * 2, MaxDocumentBytes));
            }
            else
            {
                Buffer.BlockCopy(buffer, consumed, buffer, 0, leftover);
                bufferStart += consumed;
            }
            length = leftover + Fill(spool, buffer, leftover, out final);
        }
    }

    /// <summary>Reads tokens until an attachment's <c>data</c> property name (then <paramref name="dataKey"/> names the attachment) or the buffer's end.</summary>
    private static int ReadUntilData(ReadOnlySpan<byte> buffer, bool final, ref JsonReaderState state, string?[] names, out string? dataKey)
    {
        dataKey = null;
        var reader = new Utf8JsonReader(buffer, final, state);
        while (reader.Read())
        {
            if (reader.TokenType != JsonTokenType.PropertyName) continue;
            var depth = reader.CurrentDepth;
            names[depth] = reader.GetString();
            if (depth == 3 && names[1] == "_attachments" && reader.ValueTextEquals("data"u8))
            {
                dataKey = names[2] ?? "";
                break;
            }
        }
        state = reader.CurrentState;
        return (int)reader.BytesConsumed;
    }

    /// <summary>
    /// Decodes the string value that starts after <paramref name="position"/> (just after a property name, maybe before its
    /// colon). Returns the range of the string's content and whether the colon was still ahead of the reader.
    /// </summary>
    private static Outcome<(long Start, long End, bool ColonPending)> DecodeData(Stream spool, long position, string key, string tempFolder,
        List<NpmAttachment> attachments, CancellationToken cancellationToken)
    {
        var where = $"_attachments[\"{key}\"].data";
        spool.Position = position;
        var colonPending = false;
        int b;
        while ((b = spool.ReadByte()) is ' ' or '\t' or '\r' or '\n' or ':')
        {
            if (b == ':') colonPending = true;
        }
        if (b != '"') return Invalid($"{where} is not a string of base64.");
        var start = spool.Position;

        // Only tarballs are kept; other attachments (a provenance bundle) are read past.
        NpmAttachment? attachment = null;
        if (key.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase))
        {
            attachment = new NpmAttachment(key, new EncryptedSpool(tempFolder));
            attachments.Add(attachment);
        }
        using var decoder = new Base64Decoder(attachment?.Writer);
        var chunk = new byte[ChunkBytes];
        var escaped = false;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var chunkStart = spool.Position;
            var read = spool.Read(chunk);
            if (read == 0) return Invalid($"{where} is not terminated.");
            var span = chunk.AsSpan(0, read);
            var i = 0;
            while (i < span.Length)
            {
                if (escaped)
                {
                    // JSON may escape '/' as "\/"; base64 holds no other character that needs escaping.
                    if (span[i] != '/') return Invalid($"{where} holds an escape sequence that is not base64.");
                    decoder.Add("/"u8);
                    escaped = false;
                    i++;
                    continue;
                }
                var stop = span[i..].IndexOfAny((byte)'"', (byte)'\\');
                if (stop < 0)
                {
                    if (!decoder.Add(span[i..])) return Invalid($"{where} is not valid base64.");
                    break;
                }
                if (!decoder.Add(span.Slice(i, stop))) return Invalid($"{where} is not valid base64.");
                i += stop;
                if (span[i] == '\\')
                {
                    escaped = true;
                    i++;
                    continue;
                }
                var end = chunkStart + i;
                if (!decoder.Finish()) return Invalid($"{where} is not valid base64.");
                if (attachment is not null)
                {
                    attachment.Length = decoder.Length;
                    attachment.Sha512 = decoder.Sha512;
                    attachment.Sha1 = decoder.Sha1;
                    attachment.Complete();
                }
                return (start, end, colonPending);
            }
        }
    }

    /// <summary>Parses the spooled document without the attachment data strings (they read as empty strings).</summary>
    private static Outcome<JsonDocument> ParseRest(Stream spool, List<(long Start, long End)> holes)
    {
        var size = spool.Length - holes.Sum(h => h.End - h.Start);
        if (size > MaxDocumentBytes) return Invalid($"The body without its attachments is larger than {MaxDocumentBytes} bytes.");
        var bytes = new byte[size];
        var offset = 0;
        long from = 0;
        foreach (var (start, end) in holes.Append((spool.Length, spool.Length)))
        {
            spool.Position = from;
            spool.ReadExactly(bytes, offset, (int)(start - from));
            offset += (int)(start - from);
            from = end;
        }
        return JsonDocument.Parse(bytes, s_documentOptions);
    }

    private static int Fill(Stream spool, byte[] buffer, int offset, out bool final)
    {
        var total = 0;
        while (offset + total < buffer.Length)
        {
            var read = spool.Read(buffer, offset + total, buffer.Length - offset - total);
            if (read == 0) break;
            total += read;
        }
        final = offset + total < buffer.Length;
        return total;
    }

    /// <summary>Base64 in chunks into a spool (or nowhere), hashing the decoded bytes as they come.</summary>
    private sealed class Base64Decoder(Stream? target) : IDisposable
    {
        private readonly byte[] _pending = new byte[ChunkBytes + 8];
        private readonly byte[] _decoded = new byte[(ChunkBytes + 8) / 4 * 3];
        private readonly IncrementalHash _sha512 = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        private readonly IncrementalHash _sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        private int _count;

        public long Length { get; private set; }

        public byte[] Sha512 { get; private set; } = [];

        public byte[] Sha1 { get; private set; } = [];

        public bool Add(ReadOnlySpan<byte> base64)
        {
            while (base64.Length > 0)
            {
                var take = Math.Min(base64.Length, ChunkBytes - _count);
                base64[..take].CopyTo(_pending.AsSpan(_count));
                _count += take;
                base64 = base64[take..];
                // Keep the last quartet back: it may carry the padding that only a final block may have.
                if (_count == ChunkBytes && !Decode(_count - 4, final: false)) return false;
            }
            return true;
        }

        public bool Finish()
        {
            if (!Decode(_count, final: true) || _count != 0) return false;
            Sha512 = _sha512.GetHashAndReset();
            Sha1 = _sha1.GetHashAndReset();
            target?.Flush();
            return true;
        }

        private bool Decode(int count, bool final)
        {
            var status = Base64.DecodeFromUtf8(_pending.AsSpan(0, count), _decoded, out var consumed, out var written, final);
            if (status is not (System.Buffers.OperationStatus.Done or System.Buffers.OperationStatus.NeedMoreData) || (final && consumed != count))
            {
                return false;
            }
            var bytes = _decoded.AsSpan(0, written);
            _sha512.AppendData(bytes);
            _sha1.AppendData(bytes);
            target?.Write(bytes);
            Length += written;
            _pending.AsSpan(consumed, _count - consumed).CopyTo(_pending);
            _count -= consumed;
            return true;
        }

        public void Dispose()
        {
            _sha512.Dispose();
            _sha1.Dispose();
        }
    }
}
