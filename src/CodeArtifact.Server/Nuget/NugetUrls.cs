using Microsoft.AspNetCore.Http;
using PSCodeArtifact.Server.Hosting;

namespace PSCodeArtifact.Server.Nuget;

/// <summary>
/// The absolute URLs of a repository's NuGet v3 resources, built from the URL the client used (NuGet requires absolute
/// <c>@id</c>s). Ids and versions appear lower-cased, as the client builds them.
/// </summary>
internal sealed record NugetUrls(string Repository)
{
    public const string ServiceIndexPath = "v3/index.json";
    public const string FlatContainerPath = "v3/flatcontainer";
    public const string RegistrationPath = "v3/registration";
    public const string RegistrationSemVer2Path = "v3/registration-semver2";
    public const string SearchPath = "v3/query";
    public const string AutocompletePath = "v3/autocomplete";

    // "api/v2/package" is also where the client pushes when given the repository URL without v3/index.json (it then takes
    // the source for a V2 feed), so one path serves both spellings of the source.
    public const string PublishPath = "api/v2/package";

    public static NugetUrls Of(HttpContext context) => new(Http.RepositoryUrl(context, "nuget"));

    public string ServiceIndex => Repository + ServiceIndexPath;

    public string Publish => Repository + PublishPath;

    public string FlatContainer => Repository + FlatContainerPath + "/";

    public string Search => Repository + SearchPath;

    public string Autocomplete => Repository + AutocompletePath;

    /// <summary>The registration hive: SemVer 2.0.0 versions are only in the second one, as on nuget.org, so old clients never meet them.</summary>
    public string Registrations(bool semVer2) => Repository + (semVer2 ? RegistrationSemVer2Path : RegistrationPath) + "/";

    public string RegistrationIndex(bool semVer2, string id) => Registrations(semVer2) + Segment(id) + "/index.json";

    public string RegistrationLeaf(bool semVer2, string id, string lowerVersion) => Registrations(semVer2) + Segment(id) + "/" + Segment(lowerVersion) + ".json";

    public string PackageContent(string id, string lowerVersion) =>
        FlatContainer + Segment(id) + "/" + Segment(lowerVersion) + "/" + Segment(id) + "." + Segment(lowerVersion) + ".nupkg";

    private static string Segment(string value) => Uri.EscapeDataString(value.ToLowerInvariant());
}
