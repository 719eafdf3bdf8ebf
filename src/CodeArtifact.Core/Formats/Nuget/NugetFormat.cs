using System.IO.Compression;
using System.Text.RegularExpressions;
using NuGet.Versioning;

namespace PSCodeArtifact.Core.Formats;

/// <summary>
/// NuGet packages (<c>.nupkg</c>): ids are case-insensitive (identity key lower-case), versions are NuGet.Versioning versions
/// whose identity key is the normalised form without build metadata, lower-cased. A version has exactly one asset,
/// <c>&lt;id&gt;.&lt;version&gt;.nupkg</c> in lower case, as the flat container serves it.
/// </summary>
public sealed partial class NugetFormat : IPackageFormat
{
    private const int MaxIdLength = 100;
    private const string Extension = ".nupkg";

    /// <inheritdoc />
    public string Name => "nuget";

    /// <inheritdoc />
    public bool AllowsMultipleAssets => false;

    /// <inheritdoc />
    public bool Recognizes(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        // ".snupkg" (symbols) does not end with ".nupkg", so it is not taken for a package.
        return fileName.Length > Extension.Length && fileName.EndsWith(Extension, StringComparison.OrdinalIgnoreCase);
    }

    /// <inheritdoc />
    public Failure? CheckName(string? @namespace, string name)
    {
        if (!string.IsNullOrEmpty(@namespace))
        {
            return PackageErrors.InvalidName(@namespace, "NuGet packages have no namespace; leave it empty.");
        }
        return CheckId(name);
    }

    /// <inheritdoc />
    public string NormalizeNamespace(string? @namespace) => string.Empty;

    /// <inheritdoc />
    public string NormalizeName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.ToLowerInvariant();
    }

    /// <inheritdoc />
    public Outcome<string> NormalizeVersion(string version)
    {
        ArgumentNullException.ThrowIfNull(version);
        if (!NuGetVersion.TryParse(version, out var parsed)) return InvalidVersion(version);
        return Normalize(parsed);
    }

    /// <inheritdoc />
    public int CompareVersions(string left, string right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        var leftValid = NuGetVersion.TryParse(left, out var leftVersion);
        var rightValid = NuGetVersion.TryParse(right, out var rightVersion);
        // Keeps the order total should something unparsable reach here: it sorts before every real version.
        if (!leftValid || !rightValid)
        {
            return leftValid == rightValid ? string.CompareOrdinal(left, right) : leftValid ? 1 : -1;
        }
        return VersionComparer.VersionRelease.Compare(leftVersion, rightVersion);
    }

    /// <inheritdoc />
    public Outcome<ParsedAsset> Parse(Stream content, string fileName, PackageCoordinates? known, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(fileName);
        cancellationToken.ThrowIfCancellationRequested();
        if (!string.IsNullOrEmpty(known?.Namespace))
        {
            return PackageErrors.InvalidName(known.Namespace, "NuGet packages have no namespace; leave it empty.");
        }

        var opened = SafeArchive.OpenZip(content, fileName);
        if (opened.Failure is { } unreadable) return unreadable;
        using var zip = opened.Value!;

        var nuspecs = zip.Entries.Where(IsRootNuspec).ToList();
        if (nuspecs.Count == 0) return PackageErrors.InvalidFile(fileName, "it has no .nuspec manifest at its root.");
        if (nuspecs.Count > 1)
        {
            var names = string.Join(", ", nuspecs.Select(entry => $"'{entry.FullName}'"));
            return PackageErrors.InvalidFile(fileName, $"it has {nuspecs.Count} .nuspec manifests at its root ({names}); a package has exactly one.");
        }
        var manifest = SafeArchive.ReadEntry(nuspecs[0], PackageLimits.MaxManifestBytes, fileName);
        if (manifest.Failure is { } unreadableManifest) return unreadableManifest;
        var manifestBytes = manifest.Value!;
        cancellationToken.ThrowIfCancellationRequested();

        var read = NugetNuspec.Read(manifestBytes, fileName);
        if (read.Failure is { } invalidNuspec) return invalidNuspec;
        var nuspec = read.Value!;

        if (CheckId(nuspec.Id) is { } invalidId) return invalidId;
        if (!NuGetVersion.TryParse(nuspec.Version, out var version)) return InvalidVersion(nuspec.Version);
        if (known is not null && CheckKnown(known, nuspec.Id, version, fileName) is { } mismatch) return mismatch;
        if (nuspec.PackageTypes.Contains("SymbolsPackage", StringComparer.OrdinalIgnoreCase))
        {
            return PackageErrors.InvalidFile(fileName, "it is a symbol package (.snupkg); publish the .nupkg it belongs to.");
        }
        foreach (var dependency in nuspec.Dependencies)
        {
            if (CheckId(dependency.Package) is not null)
            {
                return PackageErrors.InvalidFile(fileName, $"it depends on '{dependency.Package}', which is not a valid NuGet id.");
            }
        }

        var readme = ReadReadme(zip, nuspec.Readme, fileName, out var readmeText);
        if (readme is { } unreadableReadme) return unreadableReadme;
        cancellationToken.ThrowIfCancellationRequested();

        var properties = new Dictionary<string, string>(nuspec.Properties, StringComparer.Ordinal)
        {
            ["isprerelease"] = version.IsPrerelease ? "true" : "false",
            ["semver2"] = version.IsSemVer2 || nuspec.DependencyRanges.Any(IsSemVer2) ? "true" : "false",
        };
        if (nuspec.PackageTypes.Count > 0) properties["packagetypes"] = string.Join(",", nuspec.PackageTypes);

        var normalizedVersion = Normalize(version);
        return new ParsedAsset
        {
            Namespace = null,
            Name = nuspec.Id,
            Version = nuspec.Version,
            AssetName = $"{NormalizeName(nuspec.Id)}.{normalizedVersion}{Extension}",
            Manifest = manifestBytes,
            Metadata = new PackageMetadata
            {
                DisplayName = nuspec.Id,
                Summary = nuspec.Summary ?? nuspec.Description,
                Description = nuspec.Description,
                HomePage = nuspec.ProjectUrl,
                SourceCodeRepository = nuspec.RepositoryUrl,
                Licenses = nuspec.Licenses,
                Readme = readmeText,
                Dependencies = nuspec.Dependencies,
                Properties = properties,
            },
        };
    }

    internal static Failure? CheckId(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (id.Length == 0) return PackageErrors.InvalidName(id, "a NuGet id cannot be empty.");
        if (id.Length > MaxIdLength) return PackageErrors.InvalidName(id, $"a NuGet id has at most {MaxIdLength} characters.");
        if (!IdPattern().IsMatch(id))
        {
            return PackageErrors.InvalidName(id,
                "a NuGet id is letters, digits and underscores, in runs joined by single '.' or '-' (for example Newtonsoft.Json).");
        }
        return null;
    }

    // The flat container lists and serves versions lower-cased, and NuGet compares prerelease labels case-insensitively,
    // so the identity key is lower-case too: 1.0.0-Beta and 1.0.0-beta are the same version.
    private static string Normalize(NuGetVersion version) => version.ToNormalizedString().ToLowerInvariant();

    private static Failure InvalidVersion(string version) => PackageErrors.InvalidVersion(version,
        "a NuGet version has 1 to 4 numeric parts, an optional SemVer 2.0 prerelease label and build metadata (for example 1.0.0, 1.0.0.1, 2.0.0-beta.1+build.5).");

    private Failure? CheckKnown(PackageCoordinates known, string id, NuGetVersion version, string fileName)
    {
        if (known.Name is not null && !string.Equals(NormalizeName(known.Name), NormalizeName(id), StringComparison.Ordinal))
        {
            return PackageErrors.Mismatch(fileName, $"the nuspec id is '{id}', not '{known.Name}'.");
        }
        if (known.Version is not null)
        {
            var expected = NormalizeVersion(known.Version);
            if (expected.Value is null || !string.Equals(expected.Value, Normalize(version), StringComparison.Ordinal))
            {
                return PackageErrors.Mismatch(fileName, $"the nuspec version is '{version.OriginalVersion}', not '{known.Version}'.");
            }
        }
        return null;
    }

    // Mirrors NuGet's PackageArchiveReader: the manifest is the .nuspec file at the package root, never one in a folder.
    private static bool IsRootNuspec(ZipArchiveEntry entry) =>
        entry.FullName.IndexOfAny(['/', '\\']) < 0 && entry.FullName.EndsWith(".nuspec", StringComparison.OrdinalIgnoreCase);

    private static bool IsSemVer2(VersionRange range) => range.MinVersion?.IsSemVer2 == true || range.MaxVersion?.IsSemVer2 == true;

    /// <summary>Reads the readme the nuspec names. A missing or oversized readme leaves it out; a corrupt one fails the file.</summary>
    private static Failure? ReadReadme(ZipArchive zip, string? path, string fileName, out string? readme)
    {
        readme = null;
        if (path is null) return null;
        var wanted = path.Replace('\\', '/').TrimStart('/');
        if (wanted.StartsWith("./", StringComparison.Ordinal)) wanted = wanted[2..];
        // Package parts are stored URI-escaped (OPC), so "docs/read me.md" is the entry "docs/read%20me.md".
        var entry = zip.Entries.FirstOrDefault(candidate => string.Equals(candidate.FullName, wanted, StringComparison.Ordinal))
            ?? zip.Entries.FirstOrDefault(candidate => string.Equals(Unescape(candidate.FullName), wanted, StringComparison.OrdinalIgnoreCase));
        // NuGet clients push packages whatever their readme, so a dangling or huge one costs the readme, not the package.
        if (entry is null || entry.Length > PackageLimits.MaxReadmeBytes) return null;
        var bytes = SafeArchive.ReadEntry(entry, PackageLimits.MaxReadmeBytes, fileName);
        if (bytes.Failure is { } unreadable) return unreadable;
        using var reader = new StreamReader(new MemoryStream(bytes.Value!, writable: false), detectEncodingFromByteOrderMarks: true);
        readme = reader.ReadToEnd();
        return null;
    }

    private static string Unescape(string entryName)
    {
        try
        {
            return Uri.UnescapeDataString(entryName);
        }
        catch (UriFormatException)
        {
            return entryName;
        }
    }

    // NuGet.Packaging's PackageIdValidator pattern, anchored with \z so a trailing newline is not an id character.
    [GeneratedRegex(@"^\w+([.-]\w+)*\z", RegexOptions.IgnoreCase | RegexOptions.ExplicitCapture | RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();
}
