using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using PSCodeArtifact.Core.Services;

namespace PSCodeArtifact.Server.Maven;

/// <summary>What a path under <c>/{domain}/maven/{repository}/</c> names.</summary>
internal enum MavenPathKind
{
    /// <summary>Nothing of the layout: a directory, the root, or too few segments for a file.</summary>
    Unknown,

    /// <summary>A segment that could walk out of its place (dot segments, empty or encoded separators): refused with 400.</summary>
    Invalid,

    /// <summary><c>{group path}/{artifactId}/{version}/{file}</c>, possibly a checksum of it.</summary>
    File,

    /// <summary><c>{directory}/maven-metadata.xml</c>, possibly a checksum of it.</summary>
    Metadata,
}

/// <summary>
/// A parsed repository-layout path, read from the request target as the client sent it: Kestrel removes dot segments
/// after decoding <c>%2E</c>, so <c>a/%2e%2e/b</c> would otherwise arrive as <c>b</c> and name another file than the one
/// the client wrote, and it leaves <c>%2F</c> encoded. Each segment is decoded exactly once here and refused when it is
/// empty, <c>.</c> or <c>..</c>, or holds a slash, a backslash, a control character or a <c>%</c> in any spelling
/// (nothing of the Maven layout has them).
/// </summary>
internal sealed record MavenPath(MavenPathKind Kind, IReadOnlyList<string> Segments, string? Checksum = null, string? Problem = null)
{
    public const string MetadataFile = "maven-metadata.xml";
    private const int RouteSegments = 3;  // {domain}/maven/{repository}

    /// <summary>The file name without its checksum extension (file paths only).</summary>
    public string FileName => Segments[^1];

    public string GroupId => string.Join('.', Segments.Take(Segments.Count - 3));

    public string ArtifactId => Segments[^3];

    public string Version => Segments[^2];

    /// <summary>The segments of the directory a <c>maven-metadata.xml</c> is in.</summary>
    public IReadOnlyList<string> Directory => Segments.Take(Segments.Count - 1).ToList();

    /// <summary>The path as the client wrote it, for messages.</summary>
    public string Display => string.Join('/', Segments) + (Checksum is null ? "" : "." + Checksum);

    public static MavenPath Parse(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(raw)) raw = (context.Request.PathBase + context.Request.Path).ToUriComponent();
        var pathBase = (context.Request.PathBase.Value ?? "").Trim('/');
        return Parse(raw, pathBase.Length == 0 ? 0 : pathBase.Split('/').Length);
    }

    /// <summary>Parses a request target (origin or absolute form) whose first <paramref name="baseSegments"/> segments are the path base.</summary>
    public static MavenPath Parse(string rawTarget, int baseSegments = 0)
    {
        var segments = PathOf(rawTarget).Split('/')[1..].Skip(baseSegments + RouteSegments).ToArray();
        if (segments.Length == 0 || segments[^1].Length == 0)
        {
            // The repository root or a directory: the layout has no listings.
            return Check(segments.Length == 0 ? [] : segments[..^1], out _) is { } problem
                ? new MavenPath(MavenPathKind.Invalid, [], Problem: problem)
                : new MavenPath(MavenPathKind.Unknown, []);
        }
        if (Check(segments, out var decoded) is { } invalid) return new MavenPath(MavenPathKind.Invalid, [], Problem: invalid);

        var last = decoded[^1];
        string? checksum = null;
        foreach (var extension in PackageService.MavenChecksumExtensions)
        {
            if (last.Length > extension.Length + 1 && last.EndsWith("." + extension, StringComparison.Ordinal))
            {
                checksum = extension;
                decoded[^1] = last[..^(extension.Length + 1)];
                break;
            }
        }
        if (decoded[^1] == MetadataFile)
        {
            return decoded.Length >= 2 ? new MavenPath(MavenPathKind.Metadata, decoded, checksum) : new MavenPath(MavenPathKind.Unknown, decoded, checksum);
        }
        return new MavenPath(decoded.Length >= 4 ? MavenPathKind.File : MavenPathKind.Unknown, decoded, checksum);
    }

    private static string? Check(string[] segments, out string[] decoded)
    {
        decoded = new string[segments.Length];
        for (var i = 0; i < segments.Length; i++)
        {
            var raw = segments[i];
            if (raw.Length == 0) return "The path has an empty segment ('//').";
            if (raw.Contains('\\') || raw.Contains("%5c", StringComparison.OrdinalIgnoreCase) || raw.Contains("%2f", StringComparison.OrdinalIgnoreCase))
            {
                return $"The path segment '{raw}' holds a slash or backslash; Maven coordinates and file names cannot contain either.";
            }
            var text = Uri.UnescapeDataString(raw);
            if (text is "." or "..") return $"The path segment '{raw}' is a relative reference ('{text}'); repository paths are taken literally and cannot climb.";
            if (text.Contains('%') || text.Any(char.IsControl)) return $"The path segment '{raw}' holds a '%' or a control character after decoding.";
            decoded[i] = text;
        }
        return null;
    }

    private static string PathOf(string rawTarget)
    {
        var end = rawTarget.IndexOfAny(['?', '#']);
        var path = end < 0 ? rawTarget : rawTarget[..end];
        if (path.StartsWith('/')) return path;
        // The absolute form a proxy may send: scheme://authority/path.
        var authority = path.IndexOf("://", StringComparison.Ordinal);
        var slash = authority < 0 ? -1 : path.IndexOf('/', authority + 3);
        return slash < 0 ? "/" : path[slash..];
    }
}
