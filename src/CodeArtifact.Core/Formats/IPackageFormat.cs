namespace PSCodeArtifact.Core.Formats;

/// <summary>A license as CodeArtifact's LicenseInfo describes it.</summary>
public sealed record PackageLicense(string? Name, string? Url)
{
    public override string ToString() => (Name, Url) switch
    {
        (null, null) => "",
        (_, null) => Name!,
        (null, _) => Url!,
        _ => $"{Name} ({Url})",
    };
}

/// <summary>
/// A direct dependency as CodeArtifact's PackageDependency describes it. <see cref="DependencyType"/> uses CodeArtifact's
/// values: npm <c>regular|dev|peer|optional</c>; Maven the scope (<c>compile|runtime|test|system|provided|import</c>),
/// <c>optional</c> for optional ones and <c>parent</c> for the parent POM; PyPI <c>Requires-Dist</c>; NuGet the target
/// framework of its group (empty for the framework-neutral group).
/// </summary>
public sealed record PackageDependency(string? Namespace, string Package, string DependencyType, string VersionRequirement);

/// <summary>What a package file says about its version. Stored encrypted; the catalog indexes none of it.</summary>
public sealed record PackageMetadata
{
    /// <summary>The name as the package spells it (for example <c>@vue/ui</c>, <c>Django</c>, <c>Newtonsoft.Json</c>).</summary>
    public string? DisplayName { get; init; }

    public string? Summary { get; init; }

    public string? Description { get; init; }

    public string? HomePage { get; init; }

    public string? SourceCodeRepository { get; init; }

    public IReadOnlyList<PackageLicense> Licenses { get; init; } = [];

    /// <summary>The readme text (npm README, PyPI long description, NuGet readme file); null when there is none.</summary>
    public string? Readme { get; init; }

    public IReadOnlyList<PackageDependency> Dependencies { get; init; } = [];

    /// <summary>
    /// Format-specific facts the endpoints need, by name: npm <c>dist-tag</c> requested at publish, PyPI
    /// <c>requires-python</c>, <c>packagetype</c> (<c>bdist_wheel</c>|<c>sdist</c>), <c>python-version</c>; NuGet
    /// <c>tags</c>, <c>authors</c>; Maven <c>packaging</c>. Keys are lower-case.
    /// </summary>
    public IReadOnlyDictionary<string, string> Properties { get; init; } = new Dictionary<string, string>();
}

/// <summary>What a format module found in one uploaded file.</summary>
public sealed record ParsedAsset
{
    /// <summary>The namespace as written (npm scope without '@', Maven groupId, generic namespace); null when the format has none.</summary>
    public string? Namespace { get; init; }

    /// <summary>The package name as written (display spelling).</summary>
    public required string Name { get; init; }

    /// <summary>The version as written in the file.</summary>
    public required string Version { get; init; }

    /// <summary>The asset name the file is stored under (for example <c>lodash-4.17.21.tgz</c>, <c>demo-1.0-py3-none-any.whl</c>).</summary>
    public required string AssetName { get; init; }

    /// <summary>The version's metadata; null for files that carry none (a Maven jar next to its POM).</summary>
    public PackageMetadata? Metadata { get; init; }

    /// <summary>
    /// The exact bytes of the manifest inside the file (npm package.json, PyPI METADATA/PKG-INFO, the POM, the nuspec),
    /// kept so endpoints can serve them unchanged (PEP 658); null when the file is itself the manifest or has none.
    /// </summary>
    public byte[]? Manifest { get; init; }
}

/// <summary>Coordinates known before parsing: from cmdlet parameters, an HTTP route, or a POM published in the same call.</summary>
public sealed record PackageCoordinates(string? Namespace, string? Name, string? Version);

/// <summary>
/// One package format: the same shape for every format. Parse and validate an uploaded file, normalise names and
/// versions for identity, compare versions. Implementations are stateless and thread-safe.
/// </summary>
public interface IPackageFormat
{
    /// <summary>CodeArtifact's format name: <c>npm</c>, <c>pypi</c>, <c>maven</c>, <c>nuget</c> or <c>generic</c>.</summary>
    string Name { get; }

    /// <summary>False for npm: a version has exactly one asset.</summary>
    bool AllowsMultipleAssets { get; }

    /// <summary>True when the file name looks like a file of this format (used to detect the format of a published file).</summary>
    bool Recognizes(string fileName);

    /// <summary>Validates a namespace and name; the failure code is <c>InvalidPackageName</c>.</summary>
    Failure? CheckName(string? @namespace, string name);

    /// <summary>The namespace's identity key (for example Maven groupIds stay as they are; npm scopes are case-preserved). Empty for none.</summary>
    string NormalizeNamespace(string? @namespace);

    /// <summary>The name's identity key (PEP 503 for PyPI, lower-case for NuGet, unchanged for npm and Maven).</summary>
    string NormalizeName(string name);

    /// <summary>The version's identity key (NuGet.Versioning's normalised form, PEP 440 normalised form, …) or an <c>InvalidPackageVersion</c> failure.</summary>
    Outcome<string> NormalizeVersion(string version);

    /// <summary>Orders two normalised versions by the format's rules (newest last).</summary>
    int CompareVersions(string left, string right);

    /// <summary>
    /// Reads and validates one file. <paramref name="content"/> is seekable, positioned at 0, with a known length.
    /// <paramref name="known"/> carries coordinates the caller already has; a file that disagrees with them is invalid.
    /// Failure codes: <c>InvalidPackageFile</c> (corrupt, truncated, missing manifest, unsafe entries, too large),
    /// <c>InvalidPackageName</c>, <c>InvalidPackageVersion</c>, <c>PackageFileMismatch</c> (manifest disagrees with the file name
    /// or with <paramref name="known"/>).
    /// </summary>
    Outcome<ParsedAsset> Parse(Stream content, string fileName, PackageCoordinates? known, CancellationToken cancellationToken);
}
