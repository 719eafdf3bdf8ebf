using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace PSCodeArtifact.Core.Formats;

/// <summary>
/// npm: one gzip tarball per version whose single top-level folder (npm writes <c>package/</c>) holds
/// <c>package.json</c>. Names are case-preserved; versions are strict SemVer 2.0 keyed without build metadata.
/// </summary>
public sealed class NpmFormat : IPackageFormat
{
    private const string ManifestFileName = "package.json";

    // Old npm clients wrote this placeholder into package.json when a package had no README.
    private const string MissingReadmePlaceholder = "ERROR: No README data found!";

    private static readonly JsonDocumentOptions s_jsonOptions = new()
    {
        MaxDepth = 64,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    private static readonly string[] s_markdownExtensions = [".md", ".mkd", ".mkdn", ".markdown"];

    private static readonly (string Property, string Type)[] s_dependencyKinds =
    [
        ("dependencies", "regular"),
        ("devDependencies", "dev"),
        ("peerDependencies", "peer"),
        ("optionalDependencies", "optional"),
    ];

    /// <inheritdoc/>
    public string Name => "npm";

    /// <inheritdoc/>
    public bool AllowsMultipleAssets => false;

    /// <inheritdoc/>
    public bool Recognizes(string fileName) => fileName.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc/>
    public Failure? CheckName(string? @namespace, string name) =>
        NpmName.Check(@namespace, name) is { } why ? PackageErrors.InvalidName(NpmName.Full(@namespace, name), why) : null;

    /// <inheritdoc/>
    public string NormalizeNamespace(string? @namespace) => @namespace ?? "";

    /// <inheritdoc/>
    public string NormalizeName(string name) => name;

    /// <inheritdoc/>
    public Outcome<string> NormalizeVersion(string version) =>
        NpmSemVer.TryParse(version, out var why) is { } parsed ? parsed.Normalized : PackageErrors.InvalidVersion(version, why);

    /// <inheritdoc/>
    public int CompareVersions(string left, string right)
    {
        var l = NpmSemVer.TryParse(left, out _);
        var r = NpmSemVer.TryParse(right, out _);
        // Invalid strings never reach the catalog, but the order must stay total: they sort first, ordinally.
        if (l is null || r is null)
        {
            if (l is null && r is null) return Math.Sign(string.CompareOrdinal(left, right));
            return l is null ? -1 : 1;
        }
        return NpmSemVer.Compare(l, r);
    }

    /// <inheritdoc/>
    public Outcome<ParsedAsset> Parse(Stream content, string fileName, PackageCoordinates? known, CancellationToken cancellationToken)
    {
        var start = content.Position;
        Span<byte> magic = stackalloc byte[2];
        if (content.ReadAtLeast(magic, 2, throwOnEndOfStream: false) < 2 || magic[0] != 0x1f || magic[1] != 0x8b)
        {
            return PackageErrors.InvalidFile(fileName, "it is not gzip-compressed (an npm package is a gzip tarball).");
        }
        content.Position = start;

        var read = ReadTarball(content, start, fileName, cancellationToken);
        if (read.Failure is { } unreadable) return unreadable;
        var tarball = read.Value!;

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(WithoutBom(tarball.Manifest), s_jsonOptions);
        }
        catch (JsonException e)
        {
            return PackageErrors.InvalidFile(fileName, $"its package.json is not valid JSON ({e.Message})");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return PackageErrors.InvalidFile(fileName, "its package.json is not a JSON object.");

            if (RequiredString(root, "name", fileName) is { } noName) return noName;
            if (RequiredString(root, "version", fileName) is { } noVersion) return noVersion;
            var fullName = root.GetProperty("name").GetString()!;
            var versionText = root.GetProperty("version").GetString()!;

            if (!NpmName.TrySplit(fullName, out var scope, out var name))
            {
                return PackageErrors.InvalidName(fullName, "a scoped name is written '@scope/name'.");
            }
            if (CheckName(scope, name) is { } badName) return badName;
            if (NpmSemVer.TryParse(versionText, out var whyVersion) is not { } version)
            {
                return PackageErrors.InvalidVersion(versionText, whyVersion);
            }
            if (CheckKnown(known, scope, name, version, fileName) is { } disagreement) return disagreement;

            return new ParsedAsset
            {
                Namespace = scope,
                Name = name,
                Version = versionText,
                // npm publish names the tarball from the cleaned version, and unscoped even for a scoped package.
                AssetName = $"{name}-{version.Normalized}.tgz",
                Metadata = ReadMetadata(root, fullName, tarball.Readme),
                Manifest = tarball.Manifest,
            };
        }
    }

    private sealed record Tarball(byte[] Manifest, string? Readme);

    private static Outcome<Tarball> ReadTarball(Stream content, long start, string fileName, CancellationToken cancellationToken)
    {
        var withReadmes = true;
        var manifests = 0;
        var lastWantedWasReadme = false;
        bool Wanted(string entryName)
        {
            if (TopLevelFile(entryName) is not { } file) return false;
            if (file.File == ManifestFileName)
            {
                manifests++;
                lastWantedWasReadme = false;
                return true;
            }
            lastWantedWasReadme = withReadmes && IsReadme(file.File);
            return lastWantedWasReadme;
        }

        var maxBytes = Math.Max(PackageLimits.MaxManifestBytes, PackageLimits.MaxReadmeBytes);
        var files = SafeArchive.ReadTarGz(content, fileName, Wanted, maxBytes, cancellationToken);
        if (files.Failure is not null && lastWantedWasReadme)
        {
            // An oversized readme must not sink the package: read again for package.json alone.
            content.Position = start;
            withReadmes = false;
            manifests = 0;
            files = SafeArchive.ReadTarGz(content, fileName, Wanted, maxBytes, cancellationToken);
        }
        if (files.Failure is { } failure) return failure;

        if (manifests == 0)
        {
            return PackageErrors.InvalidFile(fileName, "it has no package.json in its top-level folder (npm packs everything under 'package/').");
        }
        if (manifests > 1)
        {
            return PackageErrors.InvalidFile(fileName, $"it has {manifests} package.json files at the top level; npm needs exactly one.");
        }

        var entries = files.Value!;
        var manifestEntry = entries.Single(entry => TopLevelFile(entry.Key)?.File == ManifestFileName);
        if (manifestEntry.Value.Length > PackageLimits.MaxManifestBytes)
        {
            return PackageErrors.InvalidFile(fileName, $"'{manifestEntry.Key}' is larger than {PackageLimits.MaxManifestBytes} bytes.");
        }
        var folder = TopLevelFile(manifestEntry.Key)!.Value.Folder;
        var readmes = entries
            .Select(entry => (Location: TopLevelFile(entry.Key), entry.Value))
            .Where(entry => entry.Location is { } at && at.Folder == folder && IsReadme(at.File) && entry.Value.Length <= PackageLimits.MaxReadmeBytes)
            .Select(entry => (File: entry.Location!.Value.File, Bytes: entry.Value))
            .OrderBy(entry => entry.File, StringComparer.Ordinal)
            .ToList();
        // read-package-json's preference: a markdown readme, then a bare README, then whatever comes first.
        var chosen = readmes.FirstOrDefault(r => s_markdownExtensions.Any(ext => r.File.EndsWith(ext, StringComparison.OrdinalIgnoreCase)));
        if (chosen.Bytes is null) chosen = readmes.FirstOrDefault(r => string.Equals(r.File, "README", StringComparison.OrdinalIgnoreCase));
        if (chosen.Bytes is null) chosen = readmes.FirstOrDefault();
        var readme = chosen.Bytes is null ? null : Encoding.UTF8.GetString(WithoutBom(chosen.Bytes).Span);
        return new Tarball(manifestEntry.Value, readme);
    }

    /// <summary>The (folder, file) of an entry directly inside a top-level folder, or null for any other depth.</summary>
    private static (string Folder, string File)? TopLevelFile(string entryName)
    {
        var parts = entryName.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(part => part != ".").ToArray();
        return parts.Length == 2 ? (parts[0], parts[1]) : null;
    }

    // npm globs README?(.*) case-insensitively.
    private static bool IsReadme(string file) =>
        string.Equals(file, "README", StringComparison.OrdinalIgnoreCase) || file.StartsWith("README.", StringComparison.OrdinalIgnoreCase);

    private static ReadOnlyMemory<byte> WithoutBom(byte[] bytes) =>
        bytes.AsSpan().StartsWith("\uFEFF"u8) ? bytes.AsMemory(3) : bytes;

    private static Failure? RequiredString(JsonElement root, string property, string fileName)
    {
        if (!root.TryGetProperty(property, out var value)) return PackageErrors.InvalidFile(fileName, $"its package.json has no '{property}'.");
        if (value.ValueKind != JsonValueKind.String) return PackageErrors.InvalidFile(fileName, $"the '{property}' in its package.json is not a string.");
        return null;
    }

    private Failure? CheckKnown(PackageCoordinates? known, string? scope, string name, NpmSemVer version, string fileName)
    {
        if (known is null) return null;
        var found = NpmName.Full(scope, name);
        // A known name fixes the whole identity: without a namespace it means the unscoped package.
        if (known.Name is not null && (known.Name != name || NormalizeNamespace(known.Namespace) != NormalizeNamespace(scope)))
        {
            return PackageErrors.Mismatch(fileName, $"its package.json names '{found}' but '{NpmName.Full(known.Namespace, known.Name)}' was expected.");
        }
        if (known.Name is null && !string.IsNullOrEmpty(known.Namespace) && known.Namespace != NormalizeNamespace(scope))
        {
            return PackageErrors.Mismatch(fileName, $"its package.json names '{found}' but the scope '@{known.Namespace}' was expected.");
        }
        if (known.Version is not null)
        {
            var expected = NormalizeVersion(known.Version);
            if (expected.Failure is { } badVersion) return badVersion;
            if (expected.Value != version.Normalized)
            {
                return PackageErrors.Mismatch(fileName, $"its package.json has version '{version.Normalized}' but '{expected.Value}' was expected.");
            }
        }
        return null;
    }

    private static PackageMetadata ReadMetadata(JsonElement root, string fullName, string? readmeFile)
    {
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        if (StringProperty(root, "main") is { } main) properties["main"] = main;
        if (root.TryGetProperty("bin", out var bin) && bin.ValueKind is JsonValueKind.String or JsonValueKind.Object) properties["bin"] = Compact(bin);
        if (root.TryGetProperty("engines", out var engines) && engines.ValueKind == JsonValueKind.Object) properties["engines"] = Compact(engines);
        if (root.TryGetProperty("deprecated", out var deprecated) && deprecated.ValueKind == JsonValueKind.String)
        {
            properties["deprecated"] = deprecated.GetString()!;
        }

        var readmeField = StringProperty(root, "readme");
        return new PackageMetadata
        {
            DisplayName = fullName,
            Summary = StringProperty(root, "description"),
            HomePage = StringProperty(root, "homepage"),
            SourceCodeRepository = StringProperty(root, "repository") ?? (root.TryGetProperty("repository", out var repository) ? StringProperty(repository, "url") : null),
            Licenses = Licenses(root),
            // read-package-json keeps a readme already in package.json and only then looks for a README file.
            Readme = readmeField is not null && readmeField != MissingReadmePlaceholder ? readmeField : readmeFile,
            Dependencies = Dependencies(root),
            Properties = properties,
        };
    }

    private static List<PackageLicense> Licenses(JsonElement root)
    {
        if (root.TryGetProperty("license", out var license) && License(license) is { } single) return [single];
        var licenses = new List<PackageLicense>();
        if (root.TryGetProperty("licenses", out var legacy) && legacy.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in legacy.EnumerateArray())
            {
                if (License(item) is { } one) licenses.Add(one);
            }
        }
        return licenses;
    }

    private static PackageLicense? License(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String when value.GetString() is { Length: > 0 } spdx => new PackageLicense(spdx, null),
        JsonValueKind.Object when StringProperty(value, "type") is var type && StringProperty(value, "url") is var url && (type ?? url) is not null =>
            new PackageLicense(type, url),
        _ => null,
    };

    private static List<PackageDependency> Dependencies(JsonElement root)
    {
        var dependencies = new List<PackageDependency>();
        foreach (var (property, type) in s_dependencyKinds)
        {
            if (!root.TryGetProperty(property, out var group) || group.ValueKind != JsonValueKind.Object) continue;
            foreach (var dependency in group.EnumerateObject())
            {
                // npm drops dependencies whose range is not a string (normalize-package-data).
                if (dependency.Value.ValueKind != JsonValueKind.String) continue;
                var scoped = NpmName.TrySplit(dependency.Name, out var scope, out var name);
                dependencies.Add(scoped
                    ? new PackageDependency(scope, name, type, dependency.Value.GetString()!)
                    : new PackageDependency(null, dependency.Name, type, dependency.Value.GetString()!));
            }
        }
        return dependencies;
    }

    private static string? StringProperty(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            && value.GetString() is { Length: > 0 } text
            ? text
            : null;

    private static string Compact(JsonElement element)
    {
        using var buffer = new MemoryStream();
        // Relaxed escaping keeps ranges such as ">=18" readable; the text is data, never embedded in HTML.
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            element.WriteTo(writer);
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
