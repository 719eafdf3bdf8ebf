using System.Text.RegularExpressions;

namespace PSCodeArtifact.Core.Formats;

/// <summary>
/// Generic packages: any files as assets under a namespace, name and version chosen by the publisher, as CodeArtifact's
/// PublishPackageVersion. Nothing is parsed; names and versions are kept as given.
/// </summary>
public sealed partial class GenericFormat : IPackageFormat
{
    public string Name => "generic";

    public bool AllowsMultipleAssets => true;

    [GeneratedRegex(@"^[^#/\s]{1,255}$", RegexOptions.CultureInvariant)]
    private static partial Regex Coordinate();

    /// <summary>Generic files are never detected by name: publishing one names the format.</summary>
    public bool Recognizes(string fileName) => false;

    public Failure? CheckName(string? @namespace, string name)
    {
        if (string.IsNullOrEmpty(@namespace)) return PackageErrors.InvalidName(name, "a generic package needs a namespace.");
        if (!Coordinate().IsMatch(@namespace)) return PackageErrors.InvalidName(@namespace, "a namespace has 1 to 255 characters and no '#', '/' or white space.");
        return Coordinate().IsMatch(name) ? null : PackageErrors.InvalidName(name, "a name has 1 to 255 characters and no '#', '/' or white space.");
    }

    public string NormalizeNamespace(string? @namespace) => @namespace ?? "";

    public string NormalizeName(string name) => name;

    public Outcome<string> NormalizeVersion(string version) =>
        Coordinate().IsMatch(version) ? version : PackageErrors.InvalidVersion(version, "a version has 1 to 255 characters and no '#', '/' or white space.");

    public int CompareVersions(string left, string right) => string.CompareOrdinal(left, right);

    public Outcome<ParsedAsset> Parse(Stream content, string fileName, PackageCoordinates? known, CancellationToken cancellationToken)
    {
        if (known?.Name is not { } name || known.Version is not { } version)
        {
            return PackageErrors.InvalidFile(fileName, "a generic asset needs -Namespace, -Package and -Version.");
        }
        if (CheckAssetName(fileName) is { } invalid) return invalid;
        return new ParsedAsset { Namespace = known.Namespace, Name = name, Version = version, AssetName = fileName };
    }

    /// <summary>Asset names are file names: 1 to 255 printable characters, no path separators, not '.' or '..'.</summary>
    public static Failure? CheckAssetName(string assetName) =>
        assetName.Length is >= 1 and <= 255 && !assetName.Any(char.IsControl) && assetName.IndexOfAny(['/', '\\']) < 0
            && assetName is not "." and not ".."
            ? null
            : new Failure(ErrorCodes.InvalidAssetName, FailureKind.Invalid,
                $"'{assetName}' is not a valid asset name: use 1 to 255 printable characters without '/' or '\\'.", assetName);
}
