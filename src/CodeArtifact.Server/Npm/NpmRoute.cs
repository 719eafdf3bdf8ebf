namespace PSCodeArtifact.Server.Npm;

/// <summary>What a path under <c>/{domain}/npm/{repository}/</c> names.</summary>
internal enum NpmRouteKind
{
    Unknown,
    Package,
    PackageRevision,
    Tarball,
    TarballRevision,
    DistTags,
    DistTag,
    Whoami,
    Ping,
    Search,
}

/// <summary>
/// A parsed npm registry path. Kestrel decodes every escape of the path except <c>%2F</c>, and npm writes scoped names as
/// <c>@scope%2fname</c> in packument, publish and dist-tag paths but with a plain <c>/</c> in tarball URLs, so every spelling
/// is read from the raw catch-all value here rather than by route templates.
/// </summary>
internal sealed record NpmRoute(NpmRouteKind Kind, string? Scope = null, string? Name = null, string? File = null, string? Revision = null, string? Tag = null)
{
    private static readonly NpmRoute s_unknown = new(NpmRouteKind.Unknown);

    /// <summary>The name as npm writes it: <c>@scope/name</c> or <c>name</c>.</summary>
    public string FullName => Scope is null ? Name ?? "" : $"@{Scope}/{Name}";

    public static NpmRoute Parse(string? path)
    {
        var text = (path ?? "").Replace("%2f", "/", StringComparison.Ordinal).Replace("%2F", "/", StringComparison.Ordinal);
        var segments = text.Split('/');
        // A trailing slash is not part of any npm path.
        if (segments.Length > 1 && segments[^1].Length == 0) segments = segments[..^1];
        if (segments.Length == 0 || segments.Any(s => s.Length == 0)) return s_unknown;

        if (segments[0] == "-") return ParseSpecial(segments[1..]);
        if (!TakeName(segments, out var scope, out var name, out var used)) return s_unknown;
        var rest = segments[used..];
        return rest switch
        {
            [] => new NpmRoute(NpmRouteKind.Package, scope, name),
            ["-rev", var revision] => new NpmRoute(NpmRouteKind.PackageRevision, scope, name, Revision: revision),
            // The file may be written scoped ("@scope/name-1.0.0.tgz"): its last segment is the asset name.
            ["-", .. var file, "-rev", var revision] when file.Length > 0 => new NpmRoute(NpmRouteKind.TarballRevision, scope, name, file[^1], revision),
            ["-", .. var file] when file.Length > 0 => new NpmRoute(NpmRouteKind.Tarball, scope, name, file[^1]),
            _ => s_unknown,
        };
    }

    private static NpmRoute ParseSpecial(string[] segments)
    {
        switch (segments)
        {
            case ["whoami"]:
                return new NpmRoute(NpmRouteKind.Whoami);
            case ["ping"]:
                return new NpmRoute(NpmRouteKind.Ping);
            case ["v1", "search"]:
                return new NpmRoute(NpmRouteKind.Search);
            case ["package", ..]:
                var afterPackage = segments[1..];
                if (!TakeName(afterPackage, out var scope, out var name, out var used)) return s_unknown;
                return afterPackage[used..] switch
                {
                    ["dist-tags"] => new NpmRoute(NpmRouteKind.DistTags, scope, name),
                    ["dist-tags", var tag] => new NpmRoute(NpmRouteKind.DistTag, scope, name, Tag: tag),
                    _ => s_unknown,
                };
            default:
                return s_unknown;
        }
    }

    private static bool TakeName(string[] segments, out string? scope, out string name, out int used)
    {
        scope = null;
        name = "";
        used = 0;
        if (segments.Length == 0) return false;
        if (!segments[0].StartsWith('@'))
        {
            name = segments[0];
            used = 1;
            return true;
        }
        if (segments[0].Length < 2 || segments.Length < 2) return false;
        scope = segments[0][1..];
        name = segments[1];
        used = 2;
        return true;
    }
}
