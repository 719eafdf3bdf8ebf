using PSCodeArtifact.Core.Formats;

namespace PSCodeArtifact.Core;

/// <summary>Package origin controls: whether versions may be published directly, and whether they may come from upstreams.</summary>
public sealed record PackageOriginConfiguration(string Publish, string Upstream)
{
    public const string Allow = "ALLOW";
    public const string Block = "BLOCK";

    /// <summary>The default for a package whose first version was published into the domain.</summary>
    public static PackageOriginConfiguration Internal { get; } = new(Allow, Block);

    /// <summary>The default for a package whose first version came from an external connection.</summary>
    public static PackageOriginConfiguration External { get; } = new(Block, Allow);

    public override string ToString() => $"publish={Publish}, upstream={Upstream}";
}

/// <summary>A package in a repository, as CodeArtifact's PackageDescription describes it.</summary>
public sealed class PackageInfo
{
    public required string Domain { get; init; }

    public required string Repository { get; init; }

    public required string Format { get; init; }

    /// <summary>The namespace (npm scope without '@', Maven groupId); null when the package has none.</summary>
    public string? Namespace { get; init; }

    /// <summary>The package name as first published (display spelling).</summary>
    public required string Package { get; init; }

    public required string DisplayName { get; init; }

    public required PackageOriginConfiguration OriginConfiguration { get; init; }

    public override string ToString() => DisplayName;
}

/// <summary>Where a version came from: published into the domain (INTERNAL) or ingested from an external connection (EXTERNAL).</summary>
public sealed record PackageVersionOrigin(string OriginType, string? DomainEntryPointRepository, string? DomainEntryPointExternalConnection)
{
    public override string ToString() => DomainEntryPointExternalConnection is null
        ? $"{OriginType} ({DomainEntryPointRepository})"
        : $"{OriginType} ({DomainEntryPointExternalConnection})";
}

/// <summary>A package version, as CodeArtifact's PackageVersionDescription describes it.</summary>
public sealed class PackageVersionInfo
{
    public required string Domain { get; init; }

    public required string Repository { get; init; }

    public required string Format { get; init; }

    public string? Namespace { get; init; }

    public required string Package { get; init; }

    public required string DisplayName { get; init; }

    /// <summary>The version as published (its identity is the format's normalised form).</summary>
    public required string Version { get; init; }

    /// <summary>Published, Unfinished, Unlisted, Archived or Disposed.</summary>
    public required string Status { get; init; }

    /// <summary>An opaque string that changes whenever the version's assets or metadata change.</summary>
    public required string Revision { get; init; }

    public required PackageVersionOrigin Origin { get; init; }

    public required DateTimeOffset PublishedTime { get; init; }

    public string? Summary { get; init; }

    public string? HomePage { get; init; }

    public string? SourceCodeRepository { get; init; }

    public IReadOnlyList<PackageLicense> Licenses { get; init; } = [];

    public override string ToString() => $"{DisplayName} {Version}";
}

/// <summary>An asset of a package version, as CodeArtifact's AssetSummary describes it, with its coordinates.</summary>
public sealed class AssetInfo
{
    public required string Domain { get; init; }

    public required string Repository { get; init; }

    public required string Format { get; init; }

    public string? Namespace { get; init; }

    public required string Package { get; init; }

    public required string Version { get; init; }

    public required string Revision { get; init; }

    /// <summary>The asset name (a file name).</summary>
    public required string Name { get; init; }

    public required long Size { get; init; }

    /// <summary>Lower-case hex digests keyed by CodeArtifact's algorithm names: MD5, SHA-1, SHA-256, SHA-512.</summary>
    public required IReadOnlyDictionary<string, string> Hashes { get; init; }

    public override string ToString() => Name;
}

/// <summary>A version's readme, as CodeArtifact's GetPackageVersionReadme returns it.</summary>
public sealed class PackageVersionReadme
{
    public required string Format { get; init; }

    public string? Namespace { get; init; }

    public required string Package { get; init; }

    public required string Version { get; init; }

    public required string Revision { get; init; }

    public string? Readme { get; init; }

    public override string ToString() => Readme ?? "";
}

/// <summary>A direct dependency of a version, with the coordinates of the version that declares it.</summary>
public sealed class PackageVersionDependency
{
    public required string Format { get; init; }

    public string? DependentNamespace { get; init; }

    public required string DependentPackage { get; init; }

    public required string DependentVersion { get; init; }

    public string? Namespace { get; init; }

    public required string Package { get; init; }

    public required string DependencyType { get; init; }

    public required string VersionRequirement { get; init; }

    public override string ToString() => $"{Package} {VersionRequirement}";
}

/// <summary>The result for one version of a batch operation (status change, copy, delete, dispose).</summary>
public sealed class PackageVersionResult
{
    public required string Domain { get; init; }

    public required string Repository { get; init; }

    public required string Format { get; init; }

    public string? Namespace { get; init; }

    public required string Package { get; init; }

    public required string Version { get; init; }

    /// <summary>The status after the operation (Deleted for a deletion); null when it failed.</summary>
    public string? Status { get; init; }

    public string? Revision { get; init; }

    /// <summary>CodeArtifact's code when it failed: ALREADY_EXISTS, MISMATCHED_REVISION, MISMATCHED_STATUS, NOT_ALLOWED, NOT_FOUND or SKIPPED.</summary>
    public string? ErrorCode { get; init; }

    public string? ErrorMessage { get; init; }

    public bool Succeeded => ErrorCode is null;

    public override string ToString() => Succeeded ? $"{Version}: {Status}" : $"{Version}: {ErrorCode}";
}
