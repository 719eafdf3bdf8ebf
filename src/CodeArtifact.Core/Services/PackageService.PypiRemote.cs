using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using PSCodeArtifact.Core.Formats;
using PSCodeArtifact.Core.Storage;

namespace PSCodeArtifact.Core.Services;

/// <summary>A distribution file a remote index lists for a project, with its URL resolved against the page.</summary>
internal sealed record PypiRemoteFile(string FileName, string VersionKey, Uri Url, string Sha256, string? RequiresPython, bool Yanked,
    string? YankedReason, long? Size, DateTimeOffset? UploadTime);

/// <summary>
/// A remote project page, parsed: the name it gives (JSON only) and the files this endpoint can serve from it, those that
/// are wheels or sdists of the project with a PEP 440 version in their name and a SHA-256 to verify them against.
/// </summary>
internal sealed record PypiRemotePage(string? Name, IReadOnlyList<PypiRemoteFile> Files);

// Pypi: the remote side of external connections (listing a remote package's versions and locating its files). The remote
// is a simple repository (PEP 503 HTML or PEP 691 JSON); its project page is fetched through the remote registry, so the
// connection's TTL, negative caching, coalescing and stale-if-error apply.
public sealed partial class PackageService
{
    /// <summary>What a project page is asked for with: PEP 691 JSON, else PEP 503 HTML (servers that only have HTML).</summary>
    internal const string PypiRemoteAccept = "application/vnd.pypi.simple.v1+json, text/html;q=0.1";

    private static readonly string[] s_pypiJsonTypes = ["application/vnd.pypi.simple.v1+json", "application/vnd.pypi.simple.latest+json"];
    private static readonly string[] s_pypiHtmlTypes = ["text/html", "application/vnd.pypi.simple.v1+html", "application/vnd.pypi.simple.latest+html"];

    // Parsed pages by the cached document's body: a new fetch is a new array, so an entry never outlives what it was parsed from.
    private readonly ConditionalWeakTable<byte[], PypiParsedPage> _pypiRemotePages = new();

    /// <summary>A page parsed for one project: the page, or why the document is not one.</summary>
    internal sealed record PypiParsedPage(string Project, PypiRemotePage? Page, string? Error);

    [GeneratedRegex(@"<a\b(?<attributes>[^>]*)>", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex HtmlAnchor();

    [GeneratedRegex(@"<base\b(?<attributes>[^>]*)>", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex HtmlBase();

    [GeneratedRegex(@"<meta\b(?<attributes>[^>]*)>", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex HtmlMeta();

    [GeneratedRegex(@"(?<name>[^\s=/>""']+)(?:\s*=\s*(?:""(?<value>[^""]*)""|'(?<value>[^']*)'|(?<value>[^\s>""']+)))?",
        RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex HtmlAttribute();

    [GeneratedRegex("<(?:!doctype|html|head|body|a)\\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex LooksLikeHtml();

    private async Task<Outcome<IReadOnlyList<string>?>> PypiRemoteVersionsAsync(UpstreamChain chain, ExternalSource source, CancellationToken cancellationToken)
    {
        var page = await PypiRemotePageAsync(chain, source, cancellationToken);
        if (page.Failure is { } failure) return failure;
        if (page.Value is not { } found) return Outcome<IReadOnlyList<string>?>.From(null);
        return found.Files.Select(f => f.VersionKey).Distinct(StringComparer.Ordinal)
            .Order(Comparer<string>.Create(PackageFormats.Pypi.CompareVersions)).ToList();
    }

    private async Task<Outcome<RemoteAsset?>> PypiLocateRemoteAssetAsync(UpstreamChain chain, ExternalSource source, string version, string asset,
        CancellationToken cancellationToken)
    {
        var page = await PypiRemotePageAsync(chain, source, cancellationToken);
        if (page.Failure is { } failure) return failure;
        var versionKey = PackageFormats.Pypi.NormalizeVersion(version).Value ?? version;
        var file = page.Value?.Files.FirstOrDefault(f => f.FileName == asset && f.VersionKey == versionKey);
        return file is null ? Outcome<RemoteAsset?>.From(null) : new RemoteAsset(file.Url, new ExpectedDigests(Sha256: file.Sha256));
    }

    /// <summary>The remote's page for the chain's project; null when the remote has no such project (it answered 404).</summary>
    internal async Task<Outcome<PypiRemotePage?>> PypiRemotePageAsync(UpstreamChain chain, ExternalSource source, CancellationToken cancellationToken)
    {
        var fetched = await _store.Remote.GetMetadataAsync(source, PypiRemoteProjectUrl(source.BaseUri, chain.NameKey), PypiRemoteAccept, cancellationToken);
        if (fetched.Failure is { } failure) return failure;
        if (fetched.Value is not { } document) return Outcome<PypiRemotePage?>.From(null);
        var parsed = _pypiRemotePages.GetValue(document.Body, _ => ParsePypiRemotePage(document.Body, document.ContentType, document.Url, chain.NameKey));
        if (parsed.Project != chain.NameKey) parsed = ParsePypiRemotePage(document.Body, document.ContentType, document.Url, chain.NameKey);
        if (parsed.Error is { } error) return RemoteRegistry.Invalid(source, $"the project page {document.Url} {error}");
        return parsed.Page;
    }

    /// <summary>
    /// The project page of a remote index: <c>{index}{project}/</c>, where the index is the connection's URL when its path
    /// ends in <c>simple/</c> and that URL plus <c>simple/</c> otherwise (both a repository root and its simple index are accepted).
    /// </summary>
    internal static Uri PypiRemoteProjectUrl(Uri connectionUri, string normalizedName)
    {
        var index = connectionUri.AbsoluteUri;
        if (!index.EndsWith('/')) index += "/";
        if (!index.EndsWith("/simple/", StringComparison.OrdinalIgnoreCase)) index += "simple/";
        return new Uri(index + Uri.EscapeDataString(normalizedName) + "/");
    }

    /// <summary>
    /// Parses a remote project page by its content type: PEP 691 JSON or PEP 503 HTML; anything else is an error. Files that
    /// are not wheels or sdists of <paramref name="project"/>, or that have no SHA-256, are left out (legacy eggs and
    /// installers, files nothing could verify).
    /// </summary>
    internal static PypiParsedPage ParsePypiRemotePage(byte[] body, string? contentType, Uri pageUrl, string project)
    {
        var type = contentType?.Split(';')[0].Trim().ToLowerInvariant();
        try
        {
            if (type is not null && s_pypiJsonTypes.Contains(type)) return ParsePypiJson(body, pageUrl, project);
            if (type is not null && s_pypiHtmlTypes.Contains(type)) return ParsePypiHtml(body, pageUrl, project);
        }
        catch (InvalidDataException bad)
        {
            return new PypiParsedPage(project, null, bad.Message);
        }
        return new PypiParsedPage(project, null, type is null
            ? "has no Content-Type (a simple repository answers PEP 691 JSON or PEP 503 HTML)"
            : $"is {type}, not PEP 691 JSON ({s_pypiJsonTypes[0]}) or PEP 503 HTML (text/html)");
    }

    private static PypiParsedPage ParsePypiJson(byte[] body, Uri pageUrl, string project)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"is not JSON: {e.Message}");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException("is not a JSON object");
            if (!root.TryGetProperty("meta", out var meta) || meta.ValueKind != JsonValueKind.Object
                || !meta.TryGetProperty("api-version", out var apiVersion) || apiVersion.ValueKind != JsonValueKind.String)
            {
                throw new InvalidDataException("has no meta.api-version (PEP 691)");
            }
            CheckApiVersion(apiVersion.GetString()!);
            if (!root.TryGetProperty("files", out var files) || files.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException("has no files array (PEP 691)");
            }
            var name = root.TryGetProperty("name", out var named) && named.ValueKind == JsonValueKind.String ? named.GetString() : null;
            var listed = new List<PypiRemoteFile>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var file in files.EnumerateArray())
            {
                if (file.ValueKind != JsonValueKind.Object) throw new InvalidDataException("lists a file that is not a JSON object");
                var fileName = RequiredString(file, "filename");
                var url = ResolveFileUrl(pageUrl, RequiredString(file, "url"), fileName);
                var sha256 = file.TryGetProperty("hashes", out var hashes) && hashes.ValueKind == JsonValueKind.Object
                    && hashes.TryGetProperty("sha256", out var sha) && sha.ValueKind == JsonValueKind.String ? sha.GetString() : null;
                var (yanked, reason) = file.TryGetProperty("yanked", out var y) ? y.ValueKind switch
                {
                    JsonValueKind.True => (true, (string?)null),
                    JsonValueKind.String => (true, y.GetString() is { Length: > 0 } why ? why : null),
                    JsonValueKind.False or JsonValueKind.Null => (false, null),
                    _ => throw new InvalidDataException($"gives '{fileName}' a yanked value that is neither a boolean nor a string"),
                } : (false, null);
                var requiresPython = file.TryGetProperty("requires-python", out var rp) && rp.ValueKind == JsonValueKind.String
                    && rp.GetString() is { Length: > 0 } given ? given : null;
                long? size = file.TryGetProperty("size", out var s) && s.ValueKind == JsonValueKind.Number && s.TryGetInt64(out var bytes) && bytes >= 0 ? bytes : null;
                DateTimeOffset? uploaded = file.TryGetProperty("upload-time", out var t) && t.ValueKind == JsonValueKind.String
                    && DateTimeOffset.TryParse(t.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when) ? when : null;
                Add(listed, seen, project, fileName, url, sha256, requiresPython, yanked, reason, size, uploaded);
            }
            return new PypiParsedPage(project, new PypiRemotePage(name, listed), null);
        }
    }

    private static PypiParsedPage ParsePypiHtml(byte[] body, Uri pageUrl, string project)
    {
        string html;
        try
        {
            html = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(body);
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidDataException("is not UTF-8 text");
        }
        if (!LooksLikeHtml().IsMatch(html)) throw new InvalidDataException("is not an HTML page");
        foreach (Match meta in HtmlMeta().Matches(html))
        {
            var attributes = Attributes(meta.Groups["attributes"].Value);
            if (attributes.GetValueOrDefault("name") == "pypi:repository-version" && attributes.GetValueOrDefault("content") is { } version) CheckApiVersion(version);
        }
        // PEP 503 allows a <base> element: relative links resolve against it, itself relative to the page.
        var baseUrl = pageUrl;
        if (HtmlBase().Match(html) is { Success: true } baseElement && Attributes(baseElement.Groups["attributes"].Value).GetValueOrDefault("href") is { Length: > 0 } href
            && Uri.TryCreate(pageUrl, href, out var resolvedBase))
        {
            baseUrl = resolvedBase;
        }
        var listed = new List<PypiRemoteFile>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match anchor in HtmlAnchor().Matches(html))
        {
            var attributes = Attributes(anchor.Groups["attributes"].Value);
            if (attributes.GetValueOrDefault("href") is not { Length: > 0 } link) continue;
            var hash = link.IndexOf('#', StringComparison.Ordinal) is var at and >= 0 ? link[(at + 1)..] : "";
            var sha256 = hash.StartsWith("sha256=", StringComparison.OrdinalIgnoreCase) ? hash["sha256=".Length..] : null;
            // The file name is the link's last path segment, as pip reads it (PEP 503: the anchor text must be the same).
            if (!Uri.TryCreate(baseUrl, link, out var absolute)) throw new InvalidDataException($"has a link '{link}' that is not a URL");
            var fileName = Uri.UnescapeDataString(absolute.AbsolutePath[(absolute.AbsolutePath.LastIndexOf('/') + 1)..]);
            if (fileName.Length == 0) continue;
            var url = ResolveFileUrl(baseUrl, link, fileName);
            var yanked = attributes.TryGetValue("data-yanked", out var reason);
            var requiresPython = attributes.GetValueOrDefault("data-requires-python") is { Length: > 0 } given ? given : null;
            Add(listed, seen, project, fileName, url, sha256, requiresPython, yanked, yanked && reason!.Length > 0 ? reason : null, null, null);
        }
        return new PypiParsedPage(project, new PypiRemotePage(null, listed), null);
    }

    private static void Add(List<PypiRemoteFile> listed, HashSet<string> seen, string project, string fileName, Uri url, string? sha256, string? requiresPython, bool yanked,
        string? reason, long? size, DateTimeOffset? uploaded)
    {
        if (fileName.Contains('/') || fileName.Contains('\\')) throw new InvalidDataException($"lists a file name with a path separator ('{fileName}')");
        if (sha256 is not null && (sha256.Length != 64 || !sha256.All(char.IsAsciiHexDigit)))
        {
            throw new InvalidDataException($"gives '{fileName}' a SHA-256 that is not 64 hexadecimal digits ('{sha256}')");
        }
        if (sha256 is null || ((PypiFormat)PackageFormats.Pypi).VersionOfFile(fileName, project) is not { } version) return;
        // A set, not a scan of the list: a remote page may list hundreds of thousands of files.
        if (!seen.Add(fileName)) return;
        listed.Add(new PypiRemoteFile(fileName, version, url, sha256.ToLowerInvariant(), requiresPython, yanked, reason, size, uploaded));
    }

    private static string RequiredString(JsonElement file, string property) =>
        file.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text
            : throw new InvalidDataException($"lists a file without a {property} (PEP 691)");

    private static Uri ResolveFileUrl(Uri baseUrl, string link, string fileName)
    {
        if (!Uri.TryCreate(baseUrl, link, out var absolute) || (absolute.Scheme != Uri.UriSchemeHttp && absolute.Scheme != Uri.UriSchemeHttps))
        {
            throw new InvalidDataException($"gives '{fileName}' the URL '{link}', which is not an http or https URL");
        }
        return new UriBuilder(absolute) { Fragment = "" }.Uri;
    }

    /// <summary>PEP 629: a client must refuse a major API version it does not know.</summary>
    private static void CheckApiVersion(string version)
    {
        var major = version.Split('.')[0];
        if (major != "1") throw new InvalidDataException($"speaks simple API version {version}; this endpoint reads version 1");
    }

    /// <summary>An element's attributes, values HTML-decoded; a bare attribute has the value "".</summary>
    private static Dictionary<string, string> Attributes(string text)
    {
        var attributes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (Match attribute in HtmlAttribute().Matches(text))
        {
            attributes.TryAdd(attribute.Groups["name"].Value, WebUtility.HtmlDecode(attribute.Groups["value"].Value));
        }
        return attributes;
    }
}
