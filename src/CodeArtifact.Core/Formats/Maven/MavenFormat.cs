using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace PSCodeArtifact.Core.Formats;

/// <summary>
/// Maven artifacts. The POM carries the coordinates (namespace = groupId, name = artifactId) and the version's
/// metadata; every other file of the version (jar, classifier jars, war, Gradle <c>.module</c>, …) is an extra asset
/// named <c>&lt;artifactId&gt;-&lt;version&gt;[-&lt;classifier&gt;].&lt;extension&gt;</c> and needs the coordinates
/// from its POM or from the request. Names and versions are case-sensitive and kept as written; versions order as
/// Maven's <c>ComparableVersion</c> does.
/// </summary>
public sealed partial class MavenFormat : IPackageFormat
{
    private const int MaxIdentifierLength = 255;
    private const string SnapshotSuffix = "-SNAPSHOT";

    private static readonly string[] s_recognizedExtensions = [".pom", ".jar", ".war", ".ear", ".aar", ".module"];
    private static readonly HashSet<string> s_zipExtensions = new(StringComparer.Ordinal) { "jar", "war", "ear", "aar", "zip" };

    // Maven's own banned version characters (DefaultModelValidator's file-system characters) plus CodeArtifact's '#'.
    private static readonly char[] s_bannedVersionChars = ['/', '\\', ':', '"', '<', '>', '|', '?', '*', '#'];

    [GeneratedRegex("^[A-Za-z0-9_.-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex IdentifierPattern();

    // The timestamp-buildNumber that replaces "SNAPSHOT" in a deployed snapshot's file names.
    [GeneratedRegex(@"^(?<timestamp>[0-9]{8}\.[0-9]{6})-(?<build>[1-9][0-9]{0,8})", RegexOptions.CultureInvariant)]
    private static partial Regex SnapshotQualifierPattern();

    // At least one letter keeps "demo-1.0.1.jar" from passing as version 1.0 with the extension "1.jar".
    [GeneratedRegex(@"^(?=[^.]*[A-Za-z])[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex ExtensionPattern();

    [GeneratedRegex("^[A-Za-z0-9_-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex ClassifierPattern();

    /// <inheritdoc />
    public string Name => "maven";

    /// <inheritdoc />
    public bool AllowsMultipleAssets => true;

    /// <inheritdoc />
    public bool Recognizes(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        return s_recognizedExtensions.Any(extension =>
            fileName.Length > extension.Length && fileName.EndsWith(extension, StringComparison.OrdinalIgnoreCase));
    }

    /// <inheritdoc />
    public Failure? CheckName(string? @namespace, string name)
    {
        if (string.IsNullOrEmpty(@namespace))
        {
            return PackageErrors.InvalidName(name, "a Maven package needs a namespace (its groupId).");
        }
        if (CheckIdentifier(@namespace, "groupId") is { } badGroup) return badGroup;
        // The groupId becomes a folder path (dots → '/'), so an empty segment would not survive the round trip.
        if (@namespace.Split('.').Any(segment => segment.Length == 0))
        {
            return PackageErrors.InvalidName(@namespace, "a groupId must not start or end with '.' or contain '..'.");
        }
        return CheckIdentifier(name, "artifactId");
    }

    /// <inheritdoc />
    public string NormalizeNamespace(string? @namespace) => @namespace ?? "";

    /// <inheritdoc />
    public string NormalizeName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name;
    }

    /// <inheritdoc />
    public Outcome<string> NormalizeVersion(string version)
    {
        ArgumentNullException.ThrowIfNull(version);
        if (version.Length == 0) return PackageErrors.InvalidVersion(version, "the version is empty.");
        if (version.Length > MaxIdentifierLength)
        {
            return PackageErrors.InvalidVersion(version, $"a version has at most {MaxIdentifierLength} characters.");
        }
        if (version.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            return PackageErrors.InvalidVersion(version, "a version must not contain whitespace or control characters.");
        }
        if (version.IndexOfAny(s_bannedVersionChars) is var banned and >= 0)
        {
            return PackageErrors.InvalidVersion(version, $"a version must not contain '{version[banned]}'.");
        }
        if (MavenPom.Unresolved(version) is { } reference)
        {
            return PackageErrors.InvalidVersion(version, $"the property reference ${{{reference}}} was never resolved.");
        }
        // The version is a folder of the repository layout.
        if (version is "." or "..") return PackageErrors.InvalidVersion(version, "'.' and '..' are not versions.");
        return version;
    }

    /// <inheritdoc />
    public int CompareVersions(string left, string right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        var result = MavenVersionComparer.Compare(left, right);
        // Maven calls 1.0 and 1 equal, but they are two versions here; the ordinal tie-break keeps the order total.
        return result != 0 ? result : Math.Sign(string.CompareOrdinal(left, right));
    }

    /// <inheritdoc />
    public Outcome<ParsedAsset> Parse(Stream content, string fileName, PackageCoordinates? known, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(fileName);
        cancellationToken.ThrowIfCancellationRequested();
        return IsPom(fileName)
            ? ParsePom(content, fileName, known)
            : ParseArtifact(content, fileName, known, cancellationToken);
    }

    private static bool IsPom(string fileName) =>
        fileName.EndsWith(".pom", StringComparison.OrdinalIgnoreCase) || string.Equals(fileName, "pom.xml", StringComparison.OrdinalIgnoreCase);

    private Outcome<ParsedAsset> ParsePom(Stream content, string fileName, PackageCoordinates? known)
    {
        var bytes = ReadCapped(content, fileName, "POM");
        if (bytes.Failure is { } tooLarge) return tooLarge;
        var read = MavenPom.Read(bytes.Value!, fileName);
        if (read.Failure is { } invalid) return invalid;
        var pom = read.Value!;
        var (groupId, artifactId, version) = pom.Coordinates;

        if (CheckName(groupId, artifactId) is { } badName) return badName;
        if (NormalizeVersion(version).Failure is { } badVersion) return badVersion;
        if (known is not null)
        {
            // Coordinates left empty are unknown, not wrong.
            static string Or(string? given, string fallback) => string.IsNullOrEmpty(given) ? fallback : given;
            var expected = $"{Or(known.Namespace, groupId)}:{Or(known.Name, artifactId)}:{Or(known.Version, version)}";
            var actual = $"{groupId}:{artifactId}:{version}";
            if (!string.Equals(expected, actual, StringComparison.Ordinal))
            {
                return PackageErrors.Mismatch(fileName, $"the POM is for {actual} but {expected} was expected.");
            }
        }

        // A POM uploaded as pom.xml gets the name Maven would give it; a .pom must carry its own coordinates.
        var assetName = $"{artifactId}-{version}.pom";
        if (fileName.EndsWith(".pom", StringComparison.OrdinalIgnoreCase))
        {
            if (MatchFileName(fileName, artifactId, version) is not { Classifier: null, Extension: "pom" })
            {
                return PackageErrors.Mismatch(fileName, $"the POM of {groupId}:{artifactId}:{version} must be named {assetName}"
                    + (version.EndsWith(SnapshotSuffix, StringComparison.Ordinal) ? " or carry a snapshot timestamp in place of SNAPSHOT." : "."));
            }
            assetName = fileName;
        }
        if (CheckAssetName(assetName) is { } tooLong) return tooLong;

        return new ParsedAsset
        {
            Namespace = groupId,
            Name = artifactId,
            Version = version,
            AssetName = assetName,
            Metadata = pom.Metadata,
            // The POM is the asset itself; nothing inside it needs keeping apart.
            Manifest = null,
        };
    }

    private Outcome<ParsedAsset> ParseArtifact(Stream content, string fileName, PackageCoordinates? known, CancellationToken cancellationToken)
    {
        if (known is not { Namespace: { Length: > 0 } groupId, Name: { Length: > 0 } artifactId, Version: { Length: > 0 } version })
        {
            return PackageErrors.InvalidFile(fileName,
                "a Maven file other than the POM carries no coordinates: publish it together with its POM, or give the groupId, artifactId and version.");
        }
        if (CheckName(groupId, artifactId) is { } badName) return badName;
        if (NormalizeVersion(version).Failure is { } badVersion) return badVersion;

        if (MatchFileName(fileName, artifactId, version) is not { } parts)
        {
            return PackageErrors.Mismatch(fileName,
                $"a file of {groupId}:{artifactId}:{version} must be named {artifactId}-{version}[-classifier].extension"
                + (version.EndsWith(SnapshotSuffix, StringComparison.Ordinal) ? ", or carry a snapshot timestamp in place of SNAPSHOT." : "."));
        }
        if (CheckAssetName(fileName) is { } tooLong) return tooLong;
        cancellationToken.ThrowIfCancellationRequested();

        if (s_zipExtensions.Contains(parts.Extension))
        {
            // A jar needs no manifest, but it must be a zip whose entries stay inside it.
            var zip = SafeArchive.OpenZip(content, fileName);
            if (zip.Failure is { } badZip) return badZip;
            zip.Value!.Dispose();
        }
        else if (parts.Extension == "module" && CheckGradleModule(content, fileName, groupId, artifactId, version) is { } badModule)
        {
            return badModule;
        }

        return new ParsedAsset
        {
            Namespace = groupId,
            Name = artifactId,
            Version = version,
            AssetName = fileName,
            Metadata = null,
            Manifest = null,
        };
    }

    private readonly record struct FileNameParts(string? Classifier, string Extension);

    /// <summary>
    /// Splits <c>&lt;artifactId&gt;-&lt;version&gt;[-&lt;classifier&gt;].&lt;extension&gt;</c>, where a SNAPSHOT version may
    /// appear as <c>&lt;base&gt;-&lt;yyyyMMdd.HHmmss&gt;-&lt;build&gt;</c>; null when the name does not fit.
    /// </summary>
    private static FileNameParts? MatchFileName(string fileName, string artifactId, string version)
    {
        var plain = artifactId + "-" + version;
        if (fileName.StartsWith(plain, StringComparison.Ordinal) && SplitTail(fileName[plain.Length..]) is { } parts) return parts;
        if (!version.EndsWith(SnapshotSuffix, StringComparison.Ordinal)) return null;

        var timestamped = artifactId + "-" + version[..^"SNAPSHOT".Length];
        if (!fileName.StartsWith(timestamped, StringComparison.Ordinal)) return null;
        var rest = fileName[timestamped.Length..];
        var qualifier = SnapshotQualifierPattern().Match(rest);
        if (!qualifier.Success
            || !DateTime.TryParseExact(qualifier.Groups["timestamp"].Value, "yyyyMMdd.HHmmss", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
        {
            return null;
        }
        return SplitTail(rest[qualifier.Length..]);
    }

    private static FileNameParts? SplitTail(string tail)
    {
        string? classifier = null;
        string extension;
        if (tail.StartsWith('.'))
        {
            extension = tail[1..];
        }
        else if (tail.StartsWith('-') && tail.IndexOf('.', StringComparison.Ordinal) is var dot and > 1)
        {
            classifier = tail[1..dot];
            extension = tail[(dot + 1)..];
            if (!ClassifierPattern().IsMatch(classifier)) return null;
        }
        else
        {
            return null;
        }
        return ExtensionPattern().IsMatch(extension) ? new FileNameParts(classifier, extension) : null;
    }

    /// <summary>A Gradle module file must be JSON, and the component it names must be the one being published.</summary>
    private static Failure? CheckGradleModule(Stream content, string fileName, string groupId, string artifactId, string version)
    {
        var bytes = ReadCapped(content, fileName, "Gradle module file");
        if (bytes.Failure is { } tooLarge) return tooLarge;
        try
        {
            // JsonDocument refuses a UTF-8 byte order mark, which editors on Windows like to add.
            var json = bytes.Value!.AsMemory();
            if (json.Span.StartsWith("\uFEFF"u8)) json = json[3..];
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return PackageErrors.InvalidFile(fileName, "a Gradle module file is a JSON object.");
            }
            if (document.RootElement.TryGetProperty("component", out var component) && component.ValueKind == JsonValueKind.Object)
            {
                foreach (var (property, expected) in new[] { ("group", groupId), ("module", artifactId), ("version", version) })
                {
                    if (component.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
                        && value.GetString() is { } actual && !string.Equals(actual, expected, StringComparison.Ordinal))
                    {
                        return PackageErrors.Mismatch(fileName, $"the module file's component {property} is '{actual}', not '{expected}'.");
                    }
                }
            }
            return null;
        }
        catch (JsonException e)
        {
            return PackageErrors.InvalidFile(fileName, $"the Gradle module file is not valid JSON ({e.Message})");
        }
    }

    private static Outcome<byte[]> ReadCapped(Stream content, string fileName, string what)
    {
        var tooLarge = PackageErrors.InvalidFile(fileName, $"the {what} is larger than {PackageLimits.MaxManifestBytes} bytes.");
        if (content.CanSeek && content.Length - content.Position > PackageLimits.MaxManifestBytes) return tooLarge;
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = content.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + read > PackageLimits.MaxManifestBytes) return tooLarge;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    // CodeArtifact's asset names have at most 255 characters; a long artifactId plus a long version can exceed that.
    private static Failure? CheckAssetName(string assetName) =>
        assetName.Length > MaxIdentifierLength
            ? PackageErrors.InvalidFile(assetName, $"an asset name has at most {MaxIdentifierLength} characters.")
            : null;

    private static Failure? CheckIdentifier(string? value, string what)
    {
        if (string.IsNullOrEmpty(value)) return PackageErrors.InvalidName(value ?? "", $"the {what} is empty.");
        if (value.Length > MaxIdentifierLength)
        {
            return PackageErrors.InvalidName(value, $"a {what} has at most {MaxIdentifierLength} characters.");
        }
        if (!IdentifierPattern().IsMatch(value))
        {
            return PackageErrors.InvalidName(value, $"a {what} may contain only letters, digits, '_', '-' and '.'.");
        }
        // Also a folder of the repository layout.
        return value is "." or ".." ? PackageErrors.InvalidName(value, $"'{value}' is not a {what}.") : null;
    }
}
