namespace PSCodeArtifact.Core.Formats;

/// <summary>The formats this build knows, by CodeArtifact's name, and detection of a published file's format.</summary>
public static class PackageFormats
{
    public static IPackageFormat Npm { get; } = new NpmFormat();

    public static IPackageFormat Pypi { get; } = new PypiFormat();

    public static IPackageFormat Maven { get; } = new MavenFormat();

    public static IPackageFormat Nuget { get; } = new NugetFormat();

    public static IPackageFormat Generic { get; } = new GenericFormat();

    /// <summary>Every format, in detection order (generic last: it is never detected).</summary>
    public static IReadOnlyList<IPackageFormat> All { get; } = [Npm, Nuget, Pypi, Maven, Generic];

    public static IReadOnlyList<string> Names { get; } = All.Select(f => f.Name).ToList();

    public static Outcome<IPackageFormat> Get(string name) =>
        All.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase)) is { } format
            ? Outcome<IPackageFormat>.From(format)
            : new Failure(ErrorCodes.InvalidFormat, FailureKind.Invalid,
                $"'{name}' is not a package format; use one of {string.Join(", ", Names)}.", name);

    /// <summary>How people write a package's name: <c>@scope/name</c> (npm), <c>group:artifact</c> (Maven), <c>namespace/name</c> (generic).</summary>
    public static string DisplayName(string format, string? @namespace, string name) => (format.ToLowerInvariant(), string.IsNullOrEmpty(@namespace)) switch
    {
        (_, true) => name,
        ("npm", false) => $"@{@namespace}/{name}",
        ("maven", false) => $"{@namespace}:{name}",
        _ => $"{@namespace}/{name}",
    };

    /// <summary>The format a file name belongs to, or an <c>UnknownFormat</c> failure that says how to name one.</summary>
    public static Outcome<IPackageFormat> Detect(string fileName) =>
        All.FirstOrDefault(f => f.Recognizes(fileName)) is { } format
            ? Outcome<IPackageFormat>.From(format)
            : new Failure(ErrorCodes.UnknownFormat, FailureKind.Invalid,
                $"The format of '{fileName}' cannot be told from its name; give -Format (npm .tgz, pypi .whl/.tar.gz/.zip, maven .pom/.jar, nuget .nupkg, or generic with -Namespace, -Package and -Version).",
                fileName);
}
