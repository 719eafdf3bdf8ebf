using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Services;
using PSCodeArtifact.Core.Storage;
using PSCodeArtifact.Server.Hosting;

namespace PSCodeArtifact.Server.Pypi;

/// <summary>
/// The legacy upload API (<c>POST</c> multipart/form-data with <c>:action=file_upload</c>) that twine and uv publish use.
/// The file streams from the request into the one publish path. twine and uv send every field before the file, so the
/// file goes straight into <see cref="PackageService.PublishAsync"/> with its digests checked on the way; a client that
/// sends the file first has it spooled, encrypted (<see cref="EncryptedSpool"/>), to the store's <c>tmp/</c> until the
/// fields have arrived. Fields after the file are not read.
/// </summary>
internal static class PypiUpload
{
    private const int MaxFieldBytes = 4 * 1024 * 1024;
    private const int MaxFormBytes = 16 * 1024 * 1024;
    private const int MaxReasonPhraseLength = 300;
    private const int SpoolCopyBytes = 1024 * 1024;

    public static async Task<IResult> UploadAsync(HttpContext context, string domain, string repository, CancellationToken cancellationToken)
    {
        if (Boundary(context.Request.ContentType) is not { } boundary)
        {
            return Refuse(context, StatusCodes.Status400BadRequest, "NotMultipart",
                "An upload is a multipart/form-data POST (as twine and uv publish send it); pip's index is the simple/ URL below this one.");
        }
        var form = new UploadForm();
        EncryptedSpool? spool = null;
        string? fileName = null;
        try
        {
            var reader = new MultipartReader(boundary, context.Request.Body);
            var formBytes = 0;
            while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
                {
                    return Refuse(context, StatusCodes.Status400BadRequest, ErrorCodes.InvalidUpload, "Every part of the upload needs a 'Content-Disposition: form-data' header.");
                }
                var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
                if (name == "content")
                {
                    if (fileName is not null) return Refuse(context, StatusCodes.Status400BadRequest, ErrorCodes.InvalidUpload, "An upload carries one file; this one has two 'content' parts.");
                    fileName = (disposition.FileNameStar.HasValue ? disposition.FileNameStar : HeaderUtilities.RemoveQuotes(disposition.FileName)).Value;
                    if (string.IsNullOrEmpty(fileName)) return Refuse(context, StatusCodes.Status400BadRequest, ErrorCodes.InvalidUpload, "The 'content' part has no file name.");
                    if (form.HasWhatPublishingNeeds) return await PublishAsync(context, domain, repository, form, fileName, section.Body, cancellationToken);
                    spool = await SpoolAsync(context, section.Body, cancellationToken);
                }
                else if (!disposition.IsFileDisposition())
                {
                    var value = await ReadFieldAsync(section.Body, cancellationToken);
                    formBytes += value?.Length ?? 0;
                    if (value is null || formBytes > MaxFormBytes)
                    {
                        return Refuse(context, StatusCodes.Status400BadRequest, ErrorCodes.InvalidUpload,
                            $"The form field '{name}' makes the form larger than its limit ({MaxFieldBytes / 1024 / 1024} MiB a field, {MaxFormBytes / 1024 / 1024} MiB in all).");
                    }
                    form.Add(name, value);
                }
                // Other file parts (a gpg_signature) are skipped: the next section read drains them.
            }
            if (spool is null || fileName is null)
            {
                return Refuse(context, StatusCodes.Status400BadRequest, ErrorCodes.InvalidUpload, "The upload has no file: send it as the 'content' part.");
            }
            return await PublishAsync(context, domain, repository, form, fileName, spool.Complete(), cancellationToken);
        }
        catch (InvalidDataException malformed)
        {
            return Refuse(context, StatusCodes.Status400BadRequest, ErrorCodes.InvalidUpload, $"The multipart body is malformed: {malformed.Message}");
        }
        catch (BadHttpRequestException bad)
        {
            return Refuse(context, bad.StatusCode, ErrorCodes.InvalidUpload, bad.Message);
        }
        finally
        {
            spool?.Dispose();
        }
    }

    private static async Task<IResult> PublishAsync(HttpContext context, string domain, string repository, UploadForm form, string fileName, Stream content,
        CancellationToken cancellationToken)
    {
        if (form.Check(fileName) is { } invalid) return Refuse(context, StatusCodes.Status400BadRequest, ErrorCodes.InvalidUpload, invalid);
        var request = new PublishRequest(domain, repository, fileName)
        {
            Format = "pypi",
            Package = form.Name,
            Version = form.Version,
            ExpectedSha256 = form.Sha256,
        };
        Outcome<PackageVersionInfo> published;
        try
        {
            await using var checking = new DigestCheckingStream(content, form.Md5, form.Blake2b256);
            published = await Http.Store(context).Packages.PublishAsync(request, checking, cancellationToken);
        }
        catch (UploadDigestMismatchException mismatch)
        {
            return Refuse(context, StatusCodes.Status400BadRequest, ErrorCodes.DigestMismatch, mismatch.Message);
        }
        if (published.Failure is { } failure) return Refuse(context, Http.StatusOf(failure), failure.Code, failure.Message);
        var version = published.Value!;
        // 200 exactly, for a new file and for the same file again: twine treats only 200 as done.
        return Results.Json(new { ok = true, package = version.Package, version = version.Version, file = fileName, status = version.Status });
    }

    /// <summary>An error body that says why, with the message also as the reason phrase: twine prints the reason of a failed upload.</summary>
    private static IResult Refuse(HttpContext context, int status, string code, string message)
    {
        if (context.Features.Get<IHttpResponseFeature>() is { } response)
        {
            var phrase = new string(message.Select(c => c is >= ' ' and <= '~' ? c : '?').Take(MaxReasonPhraseLength).ToArray());
            response.ReasonPhrase = phrase;
        }
        return Http.Error(status, code, message);
    }

    private static string? Boundary(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var type) || !type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)) return null;
        var boundary = HeaderUtilities.RemoveQuotes(type.Boundary).Value;
        return string.IsNullOrEmpty(boundary) || boundary.Length > 200 ? null : boundary;
    }

    /// <summary>A text field's value, or null when it is longer than a field may be.</summary>
    private static async Task<string?> ReadFieldAsync(Stream body, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxFieldBytes) return null;
            buffer.Write(chunk, 0, read);
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>
    /// The file, held encrypted in the store's tmp/ until the fields that describe it have been read; deleted when disposed.
    /// </summary>
    private static async Task<EncryptedSpool> SpoolAsync(HttpContext context, Stream body, CancellationToken cancellationToken)
    {
        var spool = new EncryptedSpool(Path.Combine(Http.Store(context).Path, "tmp"));
        try
        {
            await body.CopyToAsync(spool.Writer, SpoolCopyBytes, cancellationToken);
            return spool;
        }
        catch
        {
            spool.Dispose();
            throw;
        }
    }

    /// <summary>The text fields of an upload form (repeated fields keep every value).</summary>
    private sealed class UploadForm
    {
        private readonly Dictionary<string, List<string>> _fields = new(StringComparer.Ordinal);

        public string? Name => First("name");

        public string? Version => First("version");

        public string? Sha256 => First("sha256_digest")?.Trim().ToLowerInvariant() is { Length: > 0 } sha ? sha : null;

        public byte[]? Md5 { get; private set; }

        public byte[]? Blake2b256 { get; private set; }

        /// <summary>True once the fields that identify and verify the file are in (twine and uv send them before it).</summary>
        public bool HasWhatPublishingNeeds => First(":action") is not null && Name is not null && Version is not null && Sha256 is not null;

        public void Add(string name, string value)
        {
            if (!_fields.TryGetValue(name, out var values)) _fields[name] = values = [];
            values.Add(value);
        }

        /// <summary>Why the form cannot publish <paramref name="fileName"/>, or null. Parses the MD5 and BLAKE2 digests it checks.</summary>
        public string? Check(string fileName)
        {
            var action = First(":action");
            if (action is null) return "The form has no ':action' field; an upload sends ':action=file_upload'.";
            if (action != "file_upload") return $"':action={action}' is not supported here; only file_upload is.";
            if (First("protocol_version") is { } protocol && protocol != "1") return $"protocol_version {protocol} is not supported; only 1 is.";
            if (string.IsNullOrWhiteSpace(Name)) return "The form has no 'name' field.";
            if (string.IsNullOrWhiteSpace(Version)) return "The form has no 'version' field.";
            if (_fields.ContainsKey("attestations")) return "Attestations (PEP 740) are not supported by this repository; upload without them.";
            if (Sha256 is null && First("md5_digest") is null && First("blake2_256_digest") is null)
            {
                return "The form has no digest of the file; send sha256_digest (twine and uv do).";
            }
            if (Sha256 is { } sha && (sha.Length != 64 || !sha.All(char.IsAsciiHexDigit))) return $"sha256_digest '{sha}' is not 64 hexadecimal digits.";
            if (First("md5_digest") is { } md5)
            {
                Md5 = ParseMd5(md5.Trim());
                if (Md5 is null) return $"md5_digest '{md5}' is neither 32 hexadecimal digits nor unpadded URL-safe base64 of 16 bytes.";
            }
            if (First("blake2_256_digest") is { } blake2)
            {
                Blake2b256 = ParseHex(blake2.Trim(), 32);
                if (Blake2b256 is null) return $"blake2_256_digest '{blake2}' is not 64 hexadecimal digits.";
            }
            return CheckFileType(First("filetype"), fileName);
        }

        private static string? CheckFileType(string? fileType, string fileName)
        {
            var isWheel = fileName.EndsWith(".whl", StringComparison.Ordinal);
            var isSdist = fileName.EndsWith(".tar.gz", StringComparison.Ordinal) || fileName.EndsWith(".zip", StringComparison.Ordinal);
            return fileType switch
            {
                null or "" => null,
                "bdist_wheel" when isWheel => null,
                "sdist" when isSdist => null,
                "bdist_wheel" or "sdist" => $"filetype is {fileType}, but '{fileName}' is not a {(fileType == "sdist" ? "source distribution (.tar.gz or .zip)" : "wheel (.whl)")}.",
                _ => $"filetype {fileType} is not supported; upload wheels (bdist_wheel) and source distributions (sdist).",
            };
        }

        private string? First(string name) => _fields.TryGetValue(name, out var values) ? values[0] : null;

        private static byte[]? ParseMd5(string value)
        {
            if (value.Length == 32) return ParseHex(value, 16);
            // Older clients sent the MD5 as URL-safe base64 without padding.
            try
            {
                var bytes = Convert.FromBase64String(value.Replace('-', '+').Replace('_', '/') + new string('=', (4 - value.Length % 4) % 4));
                return bytes.Length == 16 ? bytes : null;
            }
            catch (FormatException)
            {
                return null;
            }
        }

        private static byte[]? ParseHex(string value, int length) =>
            value.Length == length * 2 && value.All(char.IsAsciiHexDigit) ? Convert.FromHexString(value) : null;
    }

    /// <summary>
    /// Passes the upload through while computing the MD5 and BLAKE2b-256 the client sent, and throws at the end of the file
    /// when one differs: the core is still staging then, so nothing is stored. (The core checks the SHA-256 itself.)
    /// </summary>
    private sealed class DigestCheckingStream(Stream inner, byte[]? md5, byte[]? blake2b256) : Stream
    {
        private readonly IncrementalHash? _md5 = md5 is null ? null : IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        private readonly Blake2b256? _blake2b256 = blake2b256 is null ? null : new Blake2b256();
        private bool _checked;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Seen(buffer.AsSpan(offset, count), inner.Read(buffer, offset, count), count);

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            return Seen(buffer.Span, read, buffer.Length);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) _md5?.Dispose();
            base.Dispose(disposing);
        }

        private int Seen(Span<byte> buffer, int read, int asked)
        {
            if (read > 0)
            {
                _md5?.AppendData(buffer[..read]);
                _blake2b256?.Append(buffer[..read]);
            }
            else if (asked > 0 && !_checked)
            {
                _checked = true;
                Check("MD5", _md5?.GetHashAndReset(), md5);
                Check("BLAKE2b-256", _blake2b256?.GetHash(), blake2b256);
            }
            return read;
        }

        private static void Check(string algorithm, byte[]? actual, byte[]? expected)
        {
            if (actual is null || expected is null || CryptographicOperations.FixedTimeEquals(actual, expected)) return;
            throw new UploadDigestMismatchException(string.Create(CultureInfo.InvariantCulture,
                $"The file's {algorithm} is {Convert.ToHexStringLower(actual)}, but the upload says {Convert.ToHexStringLower(expected)}; nothing was stored."));
        }
    }

    private sealed class UploadDigestMismatchException(string message) : Exception(message);
}
