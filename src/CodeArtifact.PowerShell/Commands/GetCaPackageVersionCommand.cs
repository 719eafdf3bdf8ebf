using System.Management.Automation;
using PSCodeArtifact.Core;
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

    protected override void ProcessRecord()
    {
        if (Version is not null && Version.All(v => !WildcardPattern.ContainsWildcardCharacters(v)))
        {
            foreach (var version in Version)
            {
                var described = Store.Packages.GetVersionAsync(Domain, Repository, Format, Namespace, Package, version, PipelineStopToken).GetAwaiter().GetResult();
                if (described.Succeeded && Status is not null && !string.Equals(described.Value!.Status, Status, StringComparison.OrdinalIgnoreCase)) continue;
                WriteOutcome(described);
            }
            return;
        }
        var listed = Store.Packages.ListVersions(Domain, Repository, Format, Namespace, Package, Status);
        if (!WriteOutcome(listed, writeValue: false)) return;
        var patterns = Version?.Select(v => WildcardPattern.Get(v, WildcardOptions.IgnoreCase)).ToList();
        WriteObject(listed.Value!.Where(v => patterns is null || patterns.Any(p => p.IsMatch(v.Version))), enumerateCollection: true);
    }
}
