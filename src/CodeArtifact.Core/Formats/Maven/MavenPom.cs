using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace PSCodeArtifact.Core.Formats;

/// <summary>
/// Reads the facts of a POM that need no other POM: coordinates (inheriting groupId and version from the parent
/// reference), descriptive fields, licenses, direct dependencies. Property references are resolved from the POM's own
/// <c>&lt;properties&gt;</c> and the <c>project.*</c> / <c>project.parent.*</c> built-ins only; the parent chain is
/// never fetched, so anything else stays unresolved.
/// </summary>
internal static partial class MavenPom
{
    // Enough for chains like version -> ${revision} -> ${major}.${minor}; a cycle stops here instead of looping.
    private const int MaxExpansionDepth = 16;

    // Properties that refer to each other twice over grow exponentially (a "billion laughs" without entities), so
    // the whole POM shares one budget of references followed and characters produced.
    private const int MaxReferencesFollowed = 100_000;
    private const int MaxExpandedChars = 4 * PackageLimits.MaxManifestBytes;

    public sealed record Coordinates(string GroupId, string ArtifactId, string Version);

    public sealed record Pom(Coordinates Coordinates, PackageMetadata Metadata);

    [GeneratedRegex(@"\$\{([^}]*)\}", RegexOptions.CultureInvariant)]
    private static partial Regex ReferencePattern();

    public static Outcome<Pom> Read(byte[] bytes, string fileName)
    {
        var loaded = SafeXml.Load(bytes, fileName);
        if (loaded.Failure is { } unreadable) return unreadable;
        var project = loaded.Value!.Root;
        if (project is null || project.Name.LocalName != "project")
        {
            return PackageErrors.InvalidFile(fileName, "the POM's root element is not <project>.");
        }

        var parent = Child(project, "parent");
        var rawParentGroupId = Text(Child(parent, "groupId"));
        var rawParentArtifactId = Text(Child(parent, "artifactId"));
        var rawParentVersion = Text(Child(parent, "version"));
        var rawGroupId = Text(Child(project, "groupId")) ?? rawParentGroupId;
        var rawArtifactId = Text(Child(project, "artifactId"));
        var rawVersion = Text(Child(project, "version")) ?? rawParentVersion;

        if (rawArtifactId is null) return PackageErrors.InvalidFile(fileName, "the POM has no <artifactId>.");
        if (rawGroupId is null) return PackageErrors.InvalidFile(fileName, "the POM has no <groupId> and no <parent> to inherit it from.");
        if (rawVersion is null) return PackageErrors.InvalidFile(fileName, "the POM has no <version> and no <parent> to inherit it from.");

        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Child(project, "properties") is { } declared)
        {
            foreach (var property in declared.Elements()) properties[property.Name.LocalName] = property.Value.Trim();
        }
        // Built-ins win over <properties>, as in Maven's interpolation; values are raw and expanded on use.
        void BuiltIn(string key, string? value)
        {
            if (value is null) return;
            properties["project." + key] = value;
            properties["pom." + key] = value;
        }
        BuiltIn("groupId", rawGroupId);
        BuiltIn("artifactId", rawArtifactId);
        BuiltIn("version", rawVersion);
        BuiltIn("parent.groupId", rawParentGroupId);
        BuiltIn("parent.artifactId", rawParentArtifactId);
        BuiltIn("parent.version", rawParentVersion);
        BuiltIn("name", Text(Child(project, "name")));
        BuiltIn("description", Text(Child(project, "description")));
        BuiltIn("url", Text(Child(project, "url")));
        BuiltIn("packaging", Text(Child(project, "packaging")));
        // The Maven 2 spellings still found in old POMs.
        if (rawParentVersion is not null) properties["parent.version"] = rawParentVersion;
        if (rawParentGroupId is not null) properties["parent.groupId"] = rawParentGroupId;

        var expander = new Expander(properties);
        string Expand(string raw) => expander.Expand(raw);
        string? ExpandOrNull(string? raw) => raw is null ? null : expander.Expand(raw);

        var groupId = Expand(rawGroupId);
        var artifactId = Expand(rawArtifactId);
        var version = Expand(rawVersion);
        if (Unresolved(groupId) is { } groupReference)
        {
            return PackageErrors.InvalidName(groupId, $"the groupId refers to ${{{groupReference}}}, which this POM alone cannot resolve (a parent's properties are not read).");
        }
        if (Unresolved(artifactId) is { } artifactReference)
        {
            return PackageErrors.InvalidName(artifactId, $"the artifactId refers to ${{{artifactReference}}}, which this POM alone cannot resolve.");
        }
        if (Unresolved(version) is { } versionReference)
        {
            return PackageErrors.InvalidVersion(version, $"the version refers to ${{{versionReference}}}, which this POM alone cannot resolve (a parent's properties are not read).");
        }

        var dependencies = new List<PackageDependency>();
        if (ExpandOrNull(rawParentArtifactId) is { Length: > 0 } parentArtifactId)
        {
            dependencies.Add(new PackageDependency(ExpandOrNull(rawParentGroupId), parentArtifactId, "parent", ExpandOrNull(rawParentVersion) ?? ""));
        }
        foreach (var dependency in Child(project, "dependencies")?.Elements().Where(e => e.Name.LocalName == "dependency") ?? [])
        {
            // Maven refuses a dependency without an artifactId when it builds; here it is just not listed.
            if (ExpandOrNull(Text(Child(dependency, "artifactId"))) is not { Length: > 0 } package) continue;
            var optional = string.Equals(ExpandOrNull(Text(Child(dependency, "optional"))), "true", StringComparison.OrdinalIgnoreCase);
            var scope = ExpandOrNull(Text(Child(dependency, "scope"))) ?? "compile";
            dependencies.Add(new PackageDependency(
                ExpandOrNull(Text(Child(dependency, "groupId"))),
                package,
                optional ? "optional" : scope,
                ExpandOrNull(Text(Child(dependency, "version"))) ?? ""));
        }

        var licenses = new List<PackageLicense>();
        foreach (var license in Child(project, "licenses")?.Elements().Where(e => e.Name.LocalName == "license") ?? [])
        {
            var name = ExpandOrNull(Text(Child(license, "name")));
            var url = ExpandOrNull(Text(Child(license, "url")));
            if (name is not null || url is not null) licenses.Add(new PackageLicense(name, url));
        }

        var scm = Child(project, "scm");
        var repository = ExpandOrNull(Text(Child(scm, "url")))
            ?? StripScmPrefix(ExpandOrNull(Text(Child(scm, "connection"))));
        var packaging = ExpandOrNull(Text(Child(project, "packaging"))) ?? "jar";

        var metadata = new PackageMetadata
        {
            DisplayName = groupId + ":" + artifactId,
            Summary = ExpandOrNull(Text(Child(project, "name"))),
            Description = ExpandOrNull(Text(Child(project, "description"))),
            HomePage = ExpandOrNull(Text(Child(project, "url"))),
            SourceCodeRepository = repository,
            Licenses = licenses,
            Dependencies = dependencies,
            Properties = new Dictionary<string, string>(StringComparer.Ordinal) { ["packaging"] = packaging },
        };
        if (expander.Exhausted)
        {
            return PackageErrors.InvalidFile(fileName, "the POM's property references expand far beyond its size.");
        }
        return new Pom(new Coordinates(groupId, artifactId, version), metadata);
    }

    /// <summary>The first property reference left in <paramref name="value"/>, or null when there is none.</summary>
    public static string? Unresolved(string value)
    {
        var match = ReferencePattern().Match(value);
        return match.Success ? match.Groups[1].Value : null;
    }

    /// <summary>Replaces <c>${name}</c> with defined properties, recursively; unknown references stay as written.</summary>
    private sealed class Expander(IReadOnlyDictionary<string, string> properties)
    {
        private int _referencesFollowed;
        private int _charsProduced;

        public bool Exhausted { get; private set; }

        public string Expand(string raw)
        {
            if (Exhausted || !raw.Contains("${", StringComparison.Ordinal)) return raw;
            var output = new StringBuilder();
            if (!Append(raw, output, depth: 0))
            {
                Exhausted = true;
                return raw;
            }
            return output.ToString();
        }

        private bool Append(string text, StringBuilder output, int depth)
        {
            var position = 0;
            while (position < text.Length)
            {
                var open = text.IndexOf("${", position, StringComparison.Ordinal);
                var close = open < 0 ? -1 : text.IndexOf('}', open + 2);
                if (close < 0)
                {
                    if (!Write(output, text.AsSpan(position))) return false;
                    break;
                }
                if (!Write(output, text.AsSpan(position, open - position))) return false;
                var name = text[(open + 2)..close];
                if (depth < MaxExpansionDepth && properties.TryGetValue(name, out var value))
                {
                    if (++_referencesFollowed > MaxReferencesFollowed || !Append(value, output, depth + 1)) return false;
                }
                else if (!Write(output, text.AsSpan(open, close + 1 - open)))
                {
                    return false;
                }
                position = close + 1;
            }
            return true;
        }

        private bool Write(StringBuilder output, ReadOnlySpan<char> chars)
        {
            _charsProduced += chars.Length;
            if (_charsProduced > MaxExpandedChars) return false;
            output.Append(chars);
            return true;
        }
    }

    private static XElement? Child(XElement? parent, string localName) =>
        parent?.Elements().FirstOrDefault(e => e.Name.LocalName == localName);

    /// <summary>An element's trimmed text, or null when the element is absent or blank.</summary>
    private static string? Text(XElement? element)
    {
        if (element is null) return null;
        var text = element.Value.Trim();
        return text.Length == 0 ? null : text;
    }

    // "scm:git:https://host/repo.git" → "https://host/repo.git"; the provider is any word ("git", "svn", "hg").
    private static string? StripScmPrefix(string? connection)
    {
        if (connection is null || !connection.StartsWith("scm:", StringComparison.OrdinalIgnoreCase)) return connection;
        var rest = connection["scm:".Length..];
        var colon = rest.IndexOf(':', StringComparison.Ordinal);
        var stripped = colon > 0 && rest[..colon].All(char.IsAsciiLetterOrDigit) ? rest[(colon + 1)..] : rest;
        return stripped.Length == 0 ? null : stripped;
    }
}
