using System.Text.RegularExpressions;
using System.Xml.Linq;
using NuGet.Versioning;

namespace PSCodeArtifact.Core.Formats;

/// <summary>
/// The facts a nuspec states, read by local name: the nuspec namespace changed with every schema revision
/// (2010/07, 2011/08, 2012/06, 2013/01, 2013/05, …) and old packages have none at all.
/// </summary>
internal sealed partial record NugetNuspec
{
    public required string Id { get; init; }

    public required string Version { get; init; }

    public string? Summary { get; init; }

    public string? Description { get; init; }

    public string? ProjectUrl { get; init; }

    public string? RepositoryUrl { get; init; }

    public string? Readme { get; init; }

    public IReadOnlyList<PackageLicense> Licenses { get; init; } = [];

    public IReadOnlyList<PackageDependency> Dependencies { get; init; } = [];

    public IReadOnlyList<VersionRange> DependencyRanges { get; init; } = [];

    public IReadOnlyList<string> PackageTypes { get; init; } = [];

    /// <summary>Plain metadata the endpoints serve, by lower-case key.</summary>
    public IReadOnlyDictionary<string, string> Properties { get; init; } = new Dictionary<string, string>();

    public static Outcome<NugetNuspec> Read(byte[] manifest, string fileName)
    {
        var loaded = SafeXml.Load(manifest, fileName);
        if (loaded.Failure is { } unreadable) return unreadable;
        var root = loaded.Value!.Root;
        if (root is null || root.Name.LocalName != "package")
        {
            return PackageErrors.InvalidFile(fileName, "the nuspec's root element is not <package>.");
        }
        var metadata = Child(root, "metadata");
        if (metadata is null) return PackageErrors.InvalidFile(fileName, "the nuspec has no <metadata> element.");

        var id = Text(metadata, "id");
        if (id is null) return PackageErrors.InvalidFile(fileName, "the nuspec has no <id>.");
        var version = Text(metadata, "version");
        if (version is null) return PackageErrors.InvalidFile(fileName, "the nuspec has no <version>.");

        var dependencies = new List<PackageDependency>();
        var ranges = new List<VersionRange>();
        if (ReadDependencies(metadata, fileName, dependencies, ranges) is { } invalidDependency) return invalidDependency;

        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        AddText(properties, "authors", metadata, "authors");
        AddText(properties, "tags", metadata, "tags");
        AddText(properties, "title", metadata, "title");
        AddText(properties, "iconurl", metadata, "iconUrl");
        AddText(properties, "icon", metadata, "icon");
        AddText(properties, "language", metadata, "language");
        AddText(properties, "copyright", metadata, "copyright");
        AddText(properties, "releasenotes", metadata, "releaseNotes");
        AddFlag(properties, "requirelicenseacceptance", metadata, "requireLicenseAcceptance");
        AddFlag(properties, "developmentdependency", metadata, "developmentDependency");
        if (Trimmed(metadata.Attribute("minClientVersion")?.Value) is { } minClientVersion) properties["minclientversion"] = minClientVersion;

        return new NugetNuspec
        {
            Id = id,
            Version = version,
            Summary = Text(metadata, "summary"),
            Description = Text(metadata, "description"),
            ProjectUrl = Text(metadata, "projectUrl"),
            RepositoryUrl = Trimmed(Child(metadata, "repository")?.Attribute("url")?.Value),
            Readme = Text(metadata, "readme"),
            Licenses = ReadLicenses(metadata),
            Dependencies = dependencies,
            DependencyRanges = ranges,
            PackageTypes = Child(metadata, "packageTypes") is { } packageTypes
                ? [.. Children(packageTypes, "packageType").Select(type => Trimmed(type.Attribute("name")?.Value)).OfType<string>()]
                : [],
            Properties = properties,
        };
    }

    /// <summary>
    /// Reads the dependency groups the way NuGet's NuspecReader does: when there is any &lt;group&gt;, dependencies
    /// outside a group are ignored (restore ignores them too); otherwise the flat legacy list is framework-neutral.
    /// </summary>
    private static Failure? ReadDependencies(XElement metadata, string fileName, List<PackageDependency> dependencies, List<VersionRange> ranges)
    {
        if (Child(metadata, "dependencies") is not { } element) return null;
        var groups = Children(element, "group").ToList();
        var sets = groups.Count > 0
            ? groups.Select(group => (Framework: Trimmed(group.Attribute("targetFramework")?.Value) ?? "", Items: Children(group, "dependency")))
            : [("", Children(element, "dependency"))];
        foreach (var (framework, items) in sets)
        {
            foreach (var item in items)
            {
                var dependencyId = Trimmed(item.Attribute("id")?.Value);
                if (dependencyId is null) return PackageErrors.InvalidFile(fileName, "a nuspec <dependency> has no id.");
                // A dependency without a version accepts any version (NuGet reads it as VersionRange.All).
                var requirement = item.Attribute("version")?.Value.Trim() ?? "";
                if (requirement.Length > 0)
                {
                    if (!VersionRange.TryParse(requirement, out var range))
                    {
                        return PackageErrors.InvalidFile(fileName, $"the dependency on '{dependencyId}' has the invalid version range '{requirement}'.");
                    }
                    ranges.Add(range);
                }
                dependencies.Add(new PackageDependency(null, dependencyId, framework, requirement));
            }
        }
        return null;
    }

    private static PackageLicense[] ReadLicenses(XElement metadata)
    {
        if (Child(metadata, "license") is { } license && Trimmed(license.Value) is { } value)
        {
            // pack also writes a licenseUrl pointing at licenses.nuget.org next to <license>: the license is the truth.
            var type = license.Attribute("type")?.Value.Trim();
            return string.Equals(type, "expression", StringComparison.OrdinalIgnoreCase)
                ? [new PackageLicense(value, LicenseExpressionUrl(value))]
                : [new PackageLicense(value, null)];
        }
        return Text(metadata, "licenseUrl") is { } url ? [new PackageLicense(null, url)] : [];
    }

    // The same link pack writes into licenseUrl; built only from SPDX expression characters so the text cannot steer the URL.
    private static string? LicenseExpressionUrl(string expression) =>
        LicenseExpressionPattern().IsMatch(expression)
            ? "https://licenses.nuget.org/" + expression.Replace(" ", "%20", StringComparison.Ordinal)
            : null;

    private static void AddText(Dictionary<string, string> properties, string key, XElement metadata, string localName)
    {
        if (Text(metadata, localName) is { } value) properties[key] = value;
    }

    // xs:boolean: "true"/"1" are true; NuGet reads anything else as false.
    private static void AddFlag(Dictionary<string, string> properties, string key, XElement metadata, string localName)
    {
        if (Text(metadata, localName) is not { } value) return;
        properties[key] = value.Equals("true", StringComparison.OrdinalIgnoreCase) || value == "1" ? "true" : "false";
    }

    private static XElement? Child(XElement parent, string localName) => Children(parent, localName).FirstOrDefault();

    private static IEnumerable<XElement> Children(XElement parent, string localName) =>
        parent.Elements().Where(element => element.Name.LocalName == localName);

    private static string? Text(XElement parent, string localName) => Trimmed(Child(parent, localName)?.Value);

    private static string? Trimmed(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    [GeneratedRegex(@"^[A-Za-z0-9.+\-() ]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex LicenseExpressionPattern();
}
