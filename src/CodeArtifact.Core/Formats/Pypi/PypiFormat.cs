using System.IO.Compression;
using System.Text.RegularExpressions;

namespace PSCodeArtifact.Core.Formats;

/// <summary>
/// Python distributions: wheels (<c>.whl</c>) and source distributions (<c>.tar.gz</c>, legacy <c>.zip</c>). Names
/// follow PEP 508 and normalise per PEP 503; versions follow PEP 440. There is no namespace.
/// </summary>
public sealed partial class PypiFormat : IPackageFormat
{
    /// <summary>CodeArtifact's limit for package names and asset names.</summary>
    public const int MaxNameLength = 255;

    // A license header longer than this is the license text rather than its name.
    private const int MaxLicenseNameLength = 100;

    private const string WheelExtension = ".whl";
    private const string TarGzExtension = ".tar.gz";
    private const string ZipExtension = ".zip";

    // PEP 753's well-known labels, already normalised (lower-case, no punctuation or whitespace).
    private static readonly string[] s_sourceLabels = ["source", "repository", "sourcecode", "github"];

    /// <inheritdoc/>
    public string Name => "pypi";

    /// <inheritdoc/>
    public bool AllowsMultipleAssets => true;

    // Explicit letter ranges rather than IgnoreCase, which would admit the Kelvin sign (U+212A) as 'k'.
    [GeneratedRegex(@"^(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])\z", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    [GeneratedRegex("[-_.]+", RegexOptions.CultureInvariant)]
    private static partial Regex SeparatorRuns();

    [GeneratedRegex(@"^[ \t]*(?<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex RequirementName();

    /// <summary>
    /// True for any <c>.whl</c>; for <c>.tar.gz</c> and <c>.zip</c> only when the name reads as
    /// <c>&lt;name&gt;-&lt;PEP 440 version&gt;</c>, since generic archives share those extensions. Extensions are
    /// case-sensitive, as pip and twine treat them. Legacy <c>.tar.bz2</c>/<c>.egg</c> files are not recognised.
    /// </summary>
    public bool Recognizes(string fileName)
    {
        if (string.IsNullOrEmpty(fileName)) return false;
        if (fileName.EndsWith(WheelExtension, StringComparison.Ordinal)) return true;
        var stem = SdistStem(fileName);
        return stem is not null && SplitNameVersion(stem).Any(split => IsValidName(split.Name) && Pep440Version.TryParse(split.Version, out _));
    }

    /// <inheritdoc/>
    public Failure? CheckName(string? @namespace, string name)
    {
        if (!string.IsNullOrEmpty(@namespace))
        {
            return PackageErrors.InvalidName(name, $"PyPI packages have no namespace, but '{@namespace}' was given.");
        }
        if (string.IsNullOrEmpty(name)) return PackageErrors.InvalidName(name ?? "", "it is empty.");
        if (name.Length > MaxNameLength) return PackageErrors.InvalidName(name, $"it is longer than {MaxNameLength} characters.");
        return IsValidName(name)
            ? null
            : PackageErrors.InvalidName(name,
                "a PyPI name (PEP 508) has only ASCII letters, digits, '.', '_' and '-', and starts and ends with a letter or digit.");
    }

    /// <summary>Always empty: PyPI has no namespaces.</summary>
    public string NormalizeNamespace(string? @namespace) => "";

    /// <summary>PEP 503: runs of '-', '_' and '.' become one '-', then lower case (<c>Friendly.Bard</c> → <c>friendly-bard</c>).</summary>
    public string NormalizeName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        // ASCII-only lowering: valid names are ASCII, and no other character may fold onto an ASCII letter.
        var lowered = string.Create(name.Length, name, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++) span[i] = char.IsAsciiLetterUpper(source[i]) ? (char)(source[i] | 0x20) : source[i];
        });
        return SeparatorRuns().Replace(lowered, "-");
    }

    /// <summary>The PEP 440 normal form (<c>1.0.0-RC1</c> → <c>1.0.0rc1</c>, <c>v1.0</c> → <c>1.0</c>, <c>1.0-1</c> → <c>1.0.post1</c>).</summary>
    public Outcome<string> NormalizeVersion(string version) =>
        Pep440Version.TryParse(version, out var parsed)
            ? parsed.ToString()
            : PackageErrors.InvalidVersion(version ?? "",
                "it is not a PEP 440 version (for example 1.0, 2.1.0rc1, 1.0.post1, 1.0.dev2, 1!2.0 or 1.0+local.1).");

    /// <summary>
    /// PEP 440 ordering: epoch, release (trailing zeros insignificant, so <c>1.0</c> equals <c>1.0.0</c>), dev &lt; a &lt;
    /// b &lt; rc &lt; final &lt; post, a local version after its public one. Strings that are not PEP 440 versions
    /// sort before every version, ordinally among themselves.
    /// </summary>
    public int CompareVersions(string left, string right)
    {
        var leftValid = Pep440Version.TryParse(left, out var leftVersion);
        var rightValid = Pep440Version.TryParse(right, out var rightVersion);
        if (leftValid && rightValid) return Pep440Version.Compare(leftVersion, rightVersion);
        if (leftValid) return 1;
        if (rightValid) return -1;
        return Math.Sign(string.CompareOrdinal(left, right));
    }

    /// <summary>
    /// The PEP 440 normal form of the version a distribution file of <paramref name="project"/> (any spelling) carries in its
    /// name (a wheel's second dash-separated field; an sdist's part after the project's name), or null when the file is not
    /// a wheel or sdist of that project with a valid version. Reads the name only, never the file.
    /// </summary>
    public string? VersionOfFile(string fileName, string project)
    {
        if (string.IsNullOrEmpty(fileName) || CheckFileName(fileName) is not null) return null;
        var projectKey = NormalizeName(project);
        if (fileName.EndsWith(WheelExtension, StringComparison.Ordinal))
        {
            var parts = fileName[..^WheelExtension.Length].Split('-');
            return parts.Length is 5 or 6 && NormalizeName(parts[0]) == projectKey ? NormalizeVersion(parts[1]).Value : null;
        }
        if (SdistStem(fileName) is not { } stem) return null;
        return SplitNameVersion(stem)
            .Where(split => NormalizeName(split.Name) == projectKey)
            .Select(split => NormalizeVersion(split.Version).Value)
            .FirstOrDefault(version => version is not null);
    }

    /// <inheritdoc/>
    public Outcome<ParsedAsset> Parse(Stream content, string fileName, PackageCoordinates? known, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        cancellationToken.ThrowIfCancellationRequested();
        if (CheckFileName(fileName) is { } badName) return badName;
        if (fileName.EndsWith(WheelExtension, StringComparison.Ordinal)) return ParseWheel(content, fileName, known);
        if (SdistStem(fileName) is { } stem) return ParseSdist(content, fileName, stem, known, cancellationToken);
        return PackageErrors.InvalidFile(fileName, "a Python distribution is a wheel (.whl) or a source distribution (.tar.gz or .zip).");
    }

    private Outcome<ParsedAsset> ParseWheel(Stream content, string fileName, PackageCoordinates? known)
    {
        // {distribution}-{version}(-{build tag})?-{python tag}-{abi tag}-{platform tag}.whl; escaping keeps '-' out of each part.
        var parts = fileName[..^WheelExtension.Length].Split('-');
        if (parts.Length is not (5 or 6) || parts.Any(part => part.Length == 0))
        {
            return PackageErrors.InvalidFile(fileName,
                "a wheel file name has the form {distribution}-{version}(-{build tag})?-{python tag}-{abi tag}-{platform tag}.whl.");
        }
        if (parts.Length == 6 && !char.IsAsciiDigit(parts[2][0]))
        {
            return PackageErrors.InvalidFile(fileName, $"the wheel build tag '{parts[2]}' does not start with a digit.");
        }
        var (fileDistribution, fileVersion, pythonTag) = (parts[0], parts[1], parts[^3]);
        if (CheckName(null, fileDistribution) is { } badName) return badName;
        if (NormalizeVersion(fileVersion).Failure is { } badVersion) return badVersion;

        var opened = SafeArchive.OpenZip(content, fileName);
        if (opened.Failure is { } notZip) return notZip;
        using var zip = opened.Value!;

        var distInfoFolders = zip.Entries
            .Select(entry => EntrySegments(entry.FullName))
            .Where(segments => segments.Length >= 2 && segments[0].EndsWith(".dist-info", StringComparison.Ordinal))
            .Select(segments => segments[0])
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        if (distInfoFolders.Count == 0) return PackageErrors.InvalidFile(fileName, "it has no .dist-info folder holding METADATA.");
        if (distInfoFolders.Count > 1)
        {
            return PackageErrors.InvalidFile(fileName, $"it has more than one .dist-info folder ({string.Join(", ", distInfoFolders)}).");
        }
        var distInfo = distInfoFolders[0];
        var metadataPath = distInfo + "/METADATA";
        var metadataEntries = zip.Entries.Where(entry => string.Join('/', EntrySegments(entry.FullName)) == metadataPath).ToList();
        if (metadataEntries.Count == 0) return PackageErrors.InvalidFile(fileName, $"it has no {metadataPath}.");
        if (metadataEntries.Count > 1) return PackageErrors.InvalidFile(fileName, $"it has {metadataPath} more than once.");

        var bytes = SafeArchive.ReadEntry(metadataEntries[0], PackageLimits.MaxManifestBytes, fileName);
        if (bytes.Failure is { } unreadable) return unreadable;
        var manifest = ReadManifest(bytes.Value!, fileName, metadataPath);
        if (manifest.Failure is { } invalid) return invalid;
        var facts = manifest.Value!;

        if (NormalizeName(fileDistribution) != facts.NormalizedName)
        {
            return PackageErrors.Mismatch(fileName, $"the file name names '{fileDistribution}' but METADATA names '{facts.Name}'.");
        }
        if (NormalizeVersion(fileVersion).Value != facts.NormalizedVersion)
        {
            return PackageErrors.Mismatch(fileName, $"the file name has version '{fileVersion}' but METADATA has '{facts.Version}'.");
        }
        if (!MatchesNameVersion(distInfo[..^".dist-info".Length], facts))
        {
            return PackageErrors.Mismatch(fileName, $"the folder '{distInfo}' does not name {facts.Name} {facts.Version}.");
        }
        return Finish(facts, fileName, known, "bdist_wheel", pythonTag);
    }

    private Outcome<ParsedAsset> ParseSdist(Stream content, string fileName, string stem, PackageCoordinates? known, CancellationToken cancellationToken)
    {
        var splits = SplitNameVersion(stem).ToList();
        if (splits.Count == 0) return PackageErrors.InvalidFile(fileName, "a source distribution's file name has the form {name}-{version}.tar.gz.");
        if (!splits.Any(split => IsValidName(split.Name) && Pep440Version.TryParse(split.Version, out _)))
        {
            // Blame the most likely reading: the version is what follows the last '-'.
            var (name, version) = splits[^1];
            return CheckName(null, name) ?? NormalizeVersion(version).Failure!;
        }

        var topFolders = new SortedSet<string>(StringComparer.Ordinal);
        var filesAtTop = new List<string>();
        void Note(string entryName, bool isFile)
        {
            var segments = EntrySegments(entryName);
            if (segments.Length == 0) return;
            if (segments.Length == 1 && isFile && !entryName.EndsWith('/')) filesAtTop.Add(segments[0]);
            else topFolders.Add(segments[0]);
        }
        static bool IsPkgInfo(string entryName) => EntrySegments(entryName) is [_, "PKG-INFO"];

        var pkgInfos = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        if (fileName.EndsWith(ZipExtension, StringComparison.Ordinal))
        {
            var opened = SafeArchive.OpenZip(content, fileName);
            if (opened.Failure is { } notZip) return notZip;
            using var zip = opened.Value!;
            foreach (var entry in zip.Entries) Note(entry.FullName, isFile: true);
            if (CheckSingleFolder(fileName, topFolders, filesAtTop) is { } notSingle) return notSingle;
            var pkgInfoEntries = zip.Entries.Where(entry => IsPkgInfo(entry.FullName)).ToList();
            if (pkgInfoEntries.Count > 1) return PackageErrors.InvalidFile(fileName, "it has PKG-INFO more than once.");
            foreach (var entry in pkgInfoEntries)
            {
                var bytes = SafeArchive.ReadEntry(entry, PackageLimits.MaxManifestBytes, fileName);
                if (bytes.Failure is { } unreadable) return unreadable;
                pkgInfos[entry.FullName] = bytes.Value!;
            }
        }
        else
        {
            var pkgInfoCount = 0;
            var read = SafeArchive.ReadTarGz(content, fileName, entryName =>
            {
                // Called for every regular file, which is how the folder layout gets checked without a second pass.
                Note(entryName, isFile: true);
                if (!IsPkgInfo(entryName)) return false;
                pkgInfoCount++;
                return true;
            }, PackageLimits.MaxManifestBytes, cancellationToken);
            if (read.Failure is { } unreadable) return unreadable;
            if (CheckSingleFolder(fileName, topFolders, filesAtTop) is { } notSingle) return notSingle;
            // A repeated entry would be read once here but extracted last-wins by tar: refuse the ambiguity.
            if (pkgInfoCount > 1) return PackageErrors.InvalidFile(fileName, "it has PKG-INFO more than once.");
            foreach (var (name, bytes) in read.Value!) pkgInfos[name] = bytes;
        }

        var top = topFolders.Min!;
        var pkgInfoPath = top + "/PKG-INFO";
        if (pkgInfos.Count == 0) return PackageErrors.InvalidFile(fileName, $"it has no {pkgInfoPath}.");
        var manifest = ReadManifest(pkgInfos.First().Value, fileName, pkgInfoPath);
        if (manifest.Failure is { } invalid) return invalid;
        var facts = manifest.Value!;

        if (!MatchesNameVersion(stem, facts))
        {
            return PackageErrors.Mismatch(fileName, $"the file name does not name {facts.Name} {facts.Version} as PKG-INFO does.");
        }
        if (!MatchesNameVersion(top, facts))
        {
            return PackageErrors.Mismatch(fileName, $"the folder '{top}' does not name {facts.Name} {facts.Version} as PKG-INFO does.");
        }
        return Finish(facts, fileName, known, "sdist", "source");
    }

    private static Failure? CheckSingleFolder(string fileName, SortedSet<string> topFolders, List<string> filesAtTop)
    {
        if (filesAtTop.Count > 0)
        {
            return PackageErrors.InvalidFile(fileName, $"'{filesAtTop[0]}' lies outside the single {{name}}-{{version}} folder a source distribution holds.");
        }
        return topFolders.Count switch
        {
            0 => PackageErrors.InvalidFile(fileName, "it is empty."),
            1 => null,
            _ => PackageErrors.InvalidFile(fileName,
                $"a source distribution holds a single {{name}}-{{version}} folder, not {string.Join(", ", topFolders)}."),
        };
    }

    private Outcome<ManifestFacts> ReadManifest(byte[] bytes, string fileName, string manifestPath)
    {
        if (CoreMetadata.TryParse(bytes, out var metadata) is { } reason)
        {
            return PackageErrors.InvalidFile(fileName, $"{manifestPath} is not core metadata: {reason}.");
        }
        foreach (var field in (string[])["Metadata-Version", "Name", "Version"])
        {
            var values = metadata.GetAll(field).ToList();
            if (values.Count == 0 || values[0].Length == 0) return PackageErrors.InvalidFile(fileName, $"{manifestPath} has no {field}.");
            if (values.Count > 1) return PackageErrors.InvalidFile(fileName, $"{manifestPath} has {field} more than once.");
        }
        var name = metadata.Get("Name")!;
        var version = metadata.Get("Version")!;
        if (CheckName(null, name) is { } badName) return badName;
        var normalizedVersion = NormalizeVersion(version);
        if (normalizedVersion.Failure is { } badVersion) return badVersion;
        return new ManifestFacts(metadata, bytes, name, NormalizeName(name), version, normalizedVersion.Value!);
    }

    private Outcome<ParsedAsset> Finish(ManifestFacts facts, string fileName, PackageCoordinates? known, string packageType, string pythonVersion)
    {
        if (known is not null)
        {
            if (!string.IsNullOrEmpty(known.Namespace) && CheckName(known.Namespace, facts.Name) is { } hasNamespace) return hasNamespace;
            if (!string.IsNullOrEmpty(known.Name) && NormalizeName(known.Name) != facts.NormalizedName)
            {
                return PackageErrors.Mismatch(fileName, $"the package is '{facts.Name}', not '{known.Name}'.");
            }
            if (!string.IsNullOrEmpty(known.Version) && NormalizeVersion(known.Version).Value != facts.NormalizedVersion)
            {
                return PackageErrors.Mismatch(fileName, $"the version is '{facts.Version}', not '{known.Version}'.");
            }
        }

        var dependencies = new List<PackageDependency>();
        foreach (var requirement in facts.Metadata.GetAll("Requires-Dist"))
        {
            if (ParseRequirement(requirement) is not { } dependency)
            {
                return PackageErrors.InvalidFile(fileName, $"the Requires-Dist '{requirement}' is not a PEP 508 requirement.");
            }
            dependencies.Add(dependency);
        }

        return new ParsedAsset
        {
            Namespace = null,
            Name = facts.Name,
            Version = facts.Version,
            AssetName = fileName,
            Manifest = facts.Bytes,
            Metadata = BuildMetadata(facts.Metadata, dependencies, packageType, pythonVersion),
        };
    }

    private static PackageMetadata BuildMetadata(CoreMetadata metadata, List<PackageDependency> dependencies, string packageType, string pythonVersion)
    {
        var longDescription = metadata.Body ?? Given(metadata.Get("Description"));
        var projectUrls = metadata.GetAll("Project-URL").Select(ParseProjectUrl).OfType<(string Label, string Url)>().ToList();

        var properties = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["packagetype"] = packageType,
            ["python-version"] = pythonVersion,
            ["metadata-version"] = metadata.Get("Metadata-Version")!,
        };
        if (Given(metadata.Get("Requires-Python")) is { } requiresPython) properties["requires-python"] = requiresPython;
        if (Given(metadata.Get("Description-Content-Type")) is { } contentType) properties["description-content-type"] = contentType;

        return new PackageMetadata
        {
            DisplayName = metadata.Get("Name"),
            Summary = Given(metadata.Get("Summary")),
            Description = longDescription,
            Readme = longDescription,
            HomePage = Given(metadata.Get("Home-page")) ?? projectUrls.FirstOrDefault(url => url.Label == "homepage").Url,
            SourceCodeRepository = projectUrls.FirstOrDefault(url => s_sourceLabels.Contains(url.Label)).Url,
            Licenses = Licenses(metadata),
            Dependencies = dependencies,
            Properties = properties,
        };
    }

    private static List<PackageLicense> Licenses(CoreMetadata metadata)
    {
        // PEP 639: an SPDX expression supersedes the free-text field and the classifiers.
        if (Given(metadata.Get("License-Expression")) is { } expression) return [new PackageLicense(expression, null)];
        if (Given(metadata.Get("License")) is { Length: <= MaxLicenseNameLength } license) return [new PackageLicense(license, null)];
        return metadata.GetAll("Classifier")
            .Select(classifier => classifier.Split("::", StringSplitOptions.TrimEntries))
            .Where(parts => parts.Length >= 2 && parts[0] == "License" && parts[^1] is { Length: > 0 } and not "OSI Approved")
            .Select(parts => parts[^1])
            .Distinct(StringComparer.Ordinal)
            .Select(name => new PackageLicense(name, null))
            .ToList();
    }

    /// <summary>Splits <c>Label, URL</c>; the label normalised as PEP 753 does (lower case, no punctuation or whitespace).</summary>
    private static (string Label, string Url)? ParseProjectUrl(string value)
    {
        var comma = value.IndexOf(',', StringComparison.Ordinal);
        if (comma < 0) return null;
        var url = value[(comma + 1)..].Trim();
        if (url.Length == 0) return null;
        var label = new string(value[..comma].Where(c => !char.IsPunctuation(c) && !char.IsSymbol(c) && !char.IsWhiteSpace(c)).ToArray());
        return (label.ToLowerInvariant(), url);
    }

    /// <summary>
    /// A PEP 508 requirement as a dependency: the distribution name, and as the requirement the rest rewritten as
    /// <c>[extras]specifier; marker</c> (<c>tomli (&gt;=1.1) ; python_version &lt; "3.11"</c> → <c>&gt;=1.1; python_version &lt; "3.11"</c>).
    /// </summary>
    private static PackageDependency? ParseRequirement(string requirement)
    {
        var match = RequirementName().Match(requirement);
        if (!match.Success) return null;
        var name = match.Groups["name"].Value;
        var rest = requirement[match.Length..].Trim();

        var extras = "";
        if (rest.StartsWith('['))
        {
            var close = rest.IndexOf(']', StringComparison.Ordinal);
            if (close < 0) return null;
            extras = "[" + string.Join(',', rest[1..close].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)) + "]";
            rest = rest[(close + 1)..].TrimStart();
        }

        var semicolon = rest.IndexOf(';', StringComparison.Ordinal);
        // After a URL the marker's ';' must follow whitespace, since URLs may hold ';' themselves.
        while (rest.StartsWith('@') && semicolon >= 0 && rest[semicolon - 1] is not (' ' or '\t')) semicolon = rest.IndexOf(';', semicolon + 1);
        var specifier = (semicolon < 0 ? rest : rest[..semicolon]).Trim();
        var marker = semicolon < 0 ? "" : rest[(semicolon + 1)..].Trim();
        if (specifier.StartsWith('(') && specifier.EndsWith(')')) specifier = specifier[1..^1].Trim();

        var text = extras + specifier + (marker.Length > 0 ? "; " + marker : "");
        return new PackageDependency(null, name, "Requires-Dist", text);
    }

    private static Failure? CheckFileName(string fileName)
    {
        if (string.IsNullOrEmpty(fileName)) return PackageErrors.InvalidFile(fileName ?? "", "the file name is empty.");
        if (fileName.Length > MaxNameLength) return PackageErrors.InvalidFile(fileName, $"the file name is longer than {MaxNameLength} characters.");
        if (fileName.Contains('/') || fileName.Contains('\\')) return PackageErrors.InvalidFile(fileName, "the file name contains a path separator.");
        if (fileName.Any(char.IsControl)) return PackageErrors.InvalidFile(fileName, "the file name contains control characters.");
        return null;
    }

    /// <summary>The file name without its sdist extension, or null when it has none.</summary>
    private static string? SdistStem(string fileName)
    {
        if (fileName.EndsWith(TarGzExtension, StringComparison.Ordinal)) return fileName[..^TarGzExtension.Length];
        if (fileName.EndsWith(ZipExtension, StringComparison.Ordinal)) return fileName[..^ZipExtension.Length];
        return null;
    }

    /// <summary>Every way to read <c>{name}-{version}</c>: both may hold '-' (<c>Tiny-Demo-1.0-1</c>), so try each one.</summary>
    private static IEnumerable<(string Name, string Version)> SplitNameVersion(string stem)
    {
        for (var dash = stem.IndexOf('-', StringComparison.Ordinal); dash >= 0; dash = stem.IndexOf('-', dash + 1))
        {
            if (dash > 0 && dash < stem.Length - 1) yield return (stem[..dash], stem[(dash + 1)..]);
        }
    }

    private bool MatchesNameVersion(string stem, ManifestFacts facts) =>
        SplitNameVersion(stem).Any(split =>
            NormalizeName(split.Name) == facts.NormalizedName && NormalizeVersion(split.Version).Value == facts.NormalizedVersion);

    /// <summary>An entry's path segments, '\' read as '/', without empty and '.' segments.</summary>
    private static string[] EntrySegments(string entryName) =>
        entryName.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries).Where(segment => segment != ".").ToArray();

    private static bool IsValidName(string name) => name.Length <= MaxNameLength && NamePattern().IsMatch(name);

    /// <summary>The value, or null when it is blank or setuptools' old <c>UNKNOWN</c> placeholder.</summary>
    private static string? Given(string? value) => string.IsNullOrWhiteSpace(value) || value == "UNKNOWN" ? null : value;

    private sealed record ManifestFacts(CoreMetadata Metadata, byte[] Bytes, string Name, string NormalizedName, string Version, string NormalizedVersion);
}
