using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace PSCodeArtifact.Server.Generic;

/// <summary>What a path under <c>/{domain}/generic/{repository}/</c> names.</summary>
internal enum GenericRouteKind
{
    /// <summary>No generic resource has this shape.</summary>
    Unknown,

    /// <summary>A segment that could walk out of its place (dot segments, empty or encoded separators): refused with 400.</summary>
    Invalid,

    /// <summary><c>{namespace}/{package}/{version}/</c>: the version's asset list.</summary>
    Version,

    /// <summary><c>{namespace}/{package}/{version}/{asset}</c>.</summary>
    Asset,
}

/// <summary>
/// A parsed generic path, read from the request target as the client sent it. Kestrel removes dot segments after it
/// decodes <c>%2E</c>, so <c>a/%2e%2e/b</c> would otherwise arrive as <c>b</c> and name another resource than the one the
/// client wrote, and it leaves <c>%2F</c> encoded; so every segment is decoded exactly once here and refused when it is
/// empty, <c>.</c> or <c>..</c>, or holds a slash, a backslash or a control character in any spelling.
/// </summary>
internal sealed record GenericRoute(GenericRouteKind Kind, string? Namespace = null, string? Package = null, string? Version = null,
    string? Asset = null, string? Problem = null)
{
    private const int RouteSegments = 3;  // {domain}/generic/{repository}

    private static readonly GenericRoute s_unknown = new(GenericRouteKind.Unknown);

    public static GenericRoute Parse(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(raw)) raw = (context.Request.PathBase + context.Request.Path).ToUriComponent();
        var pathBase = context.Request.PathBase.Value ?? "";
        return Parse(raw, pathBase.Trim('/').Length == 0 ? 0 : pathBase.Trim('/').Split('/').Length);
    }

    /// <summary>Parses a request target (origin or absolute form) whose first <paramref name="baseSegments"/> segments are the path base.</summary>
    public static GenericRoute Parse(string rawTarget, int baseSegments = 0)
    {
        var path = PathOf(rawTarget);
        var segments = path.Split('/')[1..];
        var trailingSlash = segments.Length > 1 && segments[^1].Length == 0;
        if (trailingSlash) segments = segments[..^1];

        var decoded = new string[segments.Length];
        for (var i = 0; i < segments.Length; i++)
        {
            if (Check(segments[i], out decoded[i]) is { } problem) return new GenericRoute(GenericRouteKind.Invalid, Problem: problem);
        }
        var rest = decoded.Skip(baseSegments + RouteSegments).ToArray();
        return rest switch
        {
            [var ns, var package, var version] => new GenericRoute(GenericRouteKind.Version, ns, package, version),
            [var ns, var package, var version, var asset] when !trailingSlash => new GenericRoute(GenericRouteKind.Asset, ns, package, version, asset),
            _ => s_unknown,
        };
    }

    /// <summary>Why a raw segment is refused, or null with the segment decoded once.</summary>
    private static string? Check(string raw, out string decoded)
    {
        decoded = "";
        if (raw.Length == 0) return "The path has an empty segment ('//').";
        if (raw.Contains("%2f", StringComparison.OrdinalIgnoreCase) || raw.Contains("%5c", StringComparison.OrdinalIgnoreCase) || raw.Contains('\\'))
        {
            return $"The path segment '{raw}' holds a slash or backslash; names and versions cannot contain either.";
        }
        decoded = Uri.UnescapeDataString(raw);
        if (decoded is "." or "..") return $"The path segment '{raw}' is a relative reference ('{decoded}'); paths are taken literally and cannot climb.";
        if (decoded.Any(char.IsControl)) return $"The path segment '{raw}' holds a control character.";
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
