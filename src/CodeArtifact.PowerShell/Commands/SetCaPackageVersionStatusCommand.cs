using System.Management.Automation;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Services;

namespace PSCodeArtifact.PowerShell.Commands;

/// <summary>Changes the status of package versions (UpdatePackageVersionsStatus): all versions of a package change, or none.</summary>
[Cmdlet(VerbsCommon.Set, "CaPackageVersionStatus", SupportsShouldProcess = true)]
[OutputType(typeof(PackageVersionResult))]
public sealed class SetCaPackageVersionStatusCommand : CaPackageCmdlet
{
    private readonly VersionBatch _batch = new();

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PackageVersion")]
    public string[] Version { get; set; } = [];

    /// <summary>The status to set.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateSet(PackageService.Published, PackageService.Unlisted, PackageService.Archived)]
    public string Status { get; set; } = "";

    /// <summary>Only change versions that have this status now; others fail with MismatchedStatus.</summary>
    [Parameter]
    [ValidateSet(PackageService.Published, PackageService.Unfinished, PackageService.Unlisted, PackageService.Archived, PackageService.Disposed)]
    public string? ExpectedStatus { get; set; }

    /// <summary>Only change the version when it is still at this revision (bound from piped version objects).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Revision { get; set; }

    protected override void ProcessRecord() => _batch.Add(Domain, Repository, Format, Namespace, Package, Version, Revision);

    protected override void EndProcessing()
    {
        foreach (var g in _batch.Groups)
        {
            if (!WriteOutcome(Store.Packages.GetPackage(g.Domain, g.Repository, g.Format, g.Namespace, g.Package), writeValue: false)) continue;
            if (!ShouldProcess($"{g.Format} package '{g.Display}' versions {string.Join(", ", g.Versions)} in repository '{g.Repository}'", $"Set status to {Status}")) continue;
            WriteResults(Store.Packages.UpdateStatus(g.Domain, g.Repository, g.Format, g.Namespace, g.Package, g.Versions, Status, ExpectedStatus, g.Revisions));
        }
    }
}
