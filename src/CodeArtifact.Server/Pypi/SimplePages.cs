using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Net.Http.Headers;
using PSCodeArtifact.Core.Services;

namespace PSCodeArtifact.Server.Pypi;

/// <summary>
/// The simple repository API's documents: PEP 503 HTML (in the shape of PyPI's own templates, with the PEP 592, 629, 658
/// and 714 attributes) and PEP 691 JSON at API version 1.1 (PEP 700's <c>versions</c>, <c>size</c> and <c>upload-time</c>),
/// chosen by the request's <c>Accept</c> header.
/// </summary>
internal static class SimplePages
{
    public const string ApiVersion = "1.1";
    public const string JsonType = "application/vnd.pypi.simple.v1+json";
    public const string HtmlType = "application/vnd.pypi.simple.v1+html";
    public const string TextHtmlType = "text/html";

    // The server's preference among equally acceptable types: text/html first, as PyPI answers "*/*".
    private static readonly string[] s_offers = [TextHtmlType, HtmlType, JsonType];

    /// <summary>
    /// The content type to answer with: the offer with the highest q-value, each offer taking the q of the most specific
    /// range that matches it (<c>latest</c> stands for <c>v1</c>). No or an unparsable header means text/html; null means
    /// nothing offered is acceptable (406).
    /// </summary>
    public static string? Negotiate(string? accept)
    {
        if (string.IsNullOrWhiteSpace(accept) || !MediaTypeHeaderValue.TryParseList([accept], out var ranges) || ranges.Count == 0)
        {
            return TextHtmlType;
        }
        string? best = null;
        var bestQuality = 0.0;
        foreach (var offer in s_offers)
        {
            var (specificity, quality) = (0, 0.0);
            foreach (var range in ranges)
            {
                var type = range.MediaType.Value?.ToLowerInvariant() switch
                {
                    "application/vnd.pypi.simple.latest+json" => JsonType,
                    "application/vnd.pypi.simple.latest+html" => HtmlType,
                    var other => other,
                };
                var matches = type == offer ? 3
                    : type == "*/*" ? 1
                    : type is not null && type.EndsWith("/*", StringComparison.Ordinal) && offer.StartsWith(type[..^1], StringComparison.Ordinal) ? 2
                    : 0;
                if (matches > specificity) (specificity, quality) = (matches, range.Quality ?? 1.0);
            }
            if (quality > bestQuality) (best, bestQuality) = (offer, quality);
        }
        return best;
    }

    /// <summary>The Content-Type header for a negotiated type.</summary>
    public static string ContentType(string negotiated) => negotiated == JsonType ? JsonType : negotiated + "; charset=utf-8";

    public static byte[] ProjectList(IReadOnlyList<PypiProjectName> projects, string type)
    {
        if (type == JsonType)
        {
            return Json(writer =>
            {
                writer.WriteStartArray("projects");
                foreach (var project in projects)
                {
                    writer.WriteStartObject();
                    writer.WriteString("name", project.Name);
                    writer.WriteEndObject();
                }
                writer.WriteEndArray();
            });
        }
        var html = HtmlStart("Simple index");
        foreach (var project in projects)
        {
            // Relative to the list's own URL, .../simple/, as PEP 503 allows.
            html.Append(CultureInfo.InvariantCulture, $"    <a href=\"{Attribute(Uri.EscapeDataString(project.NormalizedName))}/\">{Text(project.Name)}</a><br />\n");
        }
        return HtmlEnd(html);
    }

    /// <summary>A project's page. File URLs are relative to the page (<c>.../simple/{project}/</c>): <c>../../files/{project}/{version}/{file}</c>.</summary>
    public static byte[] ProjectDetail(PypiProject project, string type)
    {
        if (type == JsonType)
        {
            return Json(writer =>
            {
                writer.WriteString("name", project.NormalizedName);
                writer.WriteStartArray("versions");
                foreach (var version in project.Versions) writer.WriteStringValue(version);
                writer.WriteEndArray();
                writer.WriteStartArray("files");
                foreach (var file in project.Files) WriteFile(writer, project, file);
                writer.WriteEndArray();
            });
        }
        var html = HtmlStart($"Links for {project.Name}");
        foreach (var file in project.Files)
        {
            html.Append(CultureInfo.InvariantCulture, $"    <a href=\"{Attribute(FileUrl(project, file))}#sha256={file.Sha256}\"");
            if (file.RequiresPython is { } requiresPython) html.Append(CultureInfo.InvariantCulture, $" data-requires-python=\"{Attribute(requiresPython)}\"");
            if (file.Yanked) html.Append(CultureInfo.InvariantCulture, $" data-yanked=\"{Attribute(file.YankedReason ?? "")}\"");
            if (file.CoreMetadataSha256 is { } metadata)
            {
                html.Append(CultureInfo.InvariantCulture, $" data-dist-info-metadata=\"sha256={metadata}\" data-core-metadata=\"sha256={metadata}\"");
            }
            html.Append(CultureInfo.InvariantCulture, $">{Text(file.FileName)}</a><br />\n");
        }
        return HtmlEnd(html);
    }

    private static void WriteFile(Utf8JsonWriter writer, PypiProject project, PypiFile file)
    {
        writer.WriteStartObject();
        writer.WriteString("filename", file.FileName);
        writer.WriteString("url", FileUrl(project, file));
        writer.WriteStartObject("hashes");
        writer.WriteString("sha256", file.Sha256);
        writer.WriteEndObject();
        if (file.RequiresPython is { } requiresPython) writer.WriteString("requires-python", requiresPython);
        // A remote's HTML page gives no size or upload time: those files go without (pip and uv do not need them).
        if (file.Size is { } size) writer.WriteNumber("size", size);
        if (file.UploadTime is { } uploaded) writer.WriteString("upload-time", uploaded.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
        if (file.Yanked && file.YankedReason is { } reason) writer.WriteString("yanked", reason);
        else writer.WriteBoolean("yanked", file.Yanked);
        // PEP 714 renamed dist-info-metadata to core-metadata; older clients still read the old key, so both carry the value.
        foreach (var key in (string[])["core-metadata", "dist-info-metadata"])
        {
            if (file.CoreMetadataSha256 is { } metadata)
            {
                writer.WriteStartObject(key);
                writer.WriteString("sha256", metadata);
                writer.WriteEndObject();
            }
            else
            {
                writer.WriteBoolean(key, false);
            }
        }
        writer.WriteEndObject();
    }

    private static string FileUrl(PypiProject project, PypiFile file) =>
        $"../../files/{Uri.EscapeDataString(project.NormalizedName)}/{Uri.EscapeDataString(file.Version)}/{Uri.EscapeDataString(file.FileName)}";

    private static byte[] Json(Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("meta");
            writer.WriteString("api-version", ApiVersion);
            writer.WriteEndObject();
            body(writer);
            writer.WriteEndObject();
        }
        return stream.ToArray();
    }

    private static StringBuilder HtmlStart(string title) => new StringBuilder()
        .Append("<!DOCTYPE html>\n<html>\n  <head>\n")
        .Append(CultureInfo.InvariantCulture, $"    <meta name=\"pypi:repository-version\" content=\"{ApiVersion}\">\n")
        .Append(CultureInfo.InvariantCulture, $"    <title>{Text(title)}</title>\n  </head>\n  <body>\n    <h1>{Text(title)}</h1>\n");

    private static byte[] HtmlEnd(StringBuilder html) => Encoding.UTF8.GetBytes(html.Append("  </body>\n</html>\n").ToString());

    private static string Text(string value) => WebUtility.HtmlEncode(value);

    private static string Attribute(string value) => WebUtility.HtmlEncode(value);
}
