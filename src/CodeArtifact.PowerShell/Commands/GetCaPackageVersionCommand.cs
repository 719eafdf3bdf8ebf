using System.Management.Automation;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Formats;
using PSCodeArtifact.Core.Services;

namespace PSCodeArtifact.PowerShell.Commands;

/// <summary>Gets versions of a package (ListPackageVersions), or describes named versions with their metadata (DescribePackageVersion).</summary>
[Cmdlet(VerbsCommon.Get, "CaPackageVersion")]
[OutputType(typeof(PackageVersionInfo))]
public sealed class GetCaPackageVersionCommand : CaPackageCmdlet
{
    /// <summary>Versions or wildcard patterns; a version without wildcards is described with its metadata.</summary>
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [Alias("PackageVersion")]
    public string[]? Version { get; set; }

    [Parameter]
    [ValidateSet(PackageService.Published, PackageService.Unfinished, PackageService.Unlisted, PackageService.Archived, PackageService.Disposed)]
    public string? Status { get; set; }

    /// <summary>Also gets the versions the repository's upstream repositories hold for the package (the first holding a version wins).</summary>
    [Parameter]
    public SwitchParameter IncludeUpstream { get; set; }

    protected override void ProcessRecord()
    {
        if (Version is not null && Version.All(v => !WildcardPattern.ContainsWildcardCharacters(v)))
        {
            foreach (var version in Version)
            {
                var described = IncludeUpstream ? DescribeThroughUpstreams(version) : Describe(Repository, version);
                if (described.Succeeded && Status is not null && !string.Equals(described.Value!.Status, Status, StringComparison.OrdinalIgnoreCase)) continue;
                WriteOutcome(described);
            }
            return;
        }
        var listed = IncludeUpstream
            ? Store.Packages.ListVersionsIncludingUpstreams(Domain, Repository, Format, Namespace, Package, Status)
            : Store.Packages.ListVersions(Domain, Repository, Format, Namespace, Package, Status);
        if (!WriteOutcome(listed, writeValue: false)) return;
        var patterns = Version?.Select(v => WildcardPattern.Get(v, WildcardOptions.IgnoreCase)).ToList();
        WriteObject(listed.Value!.Where(v => patterns is null || patterns.Any(p => p.IsMatch(v.Version))), enumerateCollection: true);
    }

    private Outcome<PackageVersionInfo> Describe(string repository, string version) =>
        Store.Packages.GetVersionAsync(Domain, repository, Format, Namespace, Package, version, PipelineStopToken).GetAwaiter().GetResult();

    // The repository holding the version first in the search order describes it.
    private Outcome<PackageVersionInfo> DescribeThroughUpstreams(string version)
    {
        var listed = Store.Packages.ListVersionsIncludingUpstreams(Domain, Repository, Format, Namespace, Package);
        if (listed.Failure is { } failure) return failure;
        var format = PackageFormats.Get(Format).Value!;
        var key = format.NormalizeVersion(version).Value ?? version;
        var holder = listed.Value!.FirstOrDefault(v => (format.NormalizeVersion(v.Version).Value ?? v.Version) == key);
        if (holder is null)
        {
            return new Failure(ErrorCodes.PackageVersionNotFound, FailureKind.NotFound,
                $"Version {version} of '{PackageDisplay}' does not exist in the repository '{Repository}' or in its upstream repositories.", version);
        }
        return Describe(holder.Repository, holder.Version);
    }
}
