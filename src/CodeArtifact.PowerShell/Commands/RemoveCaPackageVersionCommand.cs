using System.Management.Automation;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Services;

namespace PSCodeArtifact.PowerShell.Commands;

/// <summary>
/// Deletes package versions (DeletePackageVersions), or with -Dispose deletes their assets and keeps Disposed records
/// (DisposePackageVersions). All versions of a package go, or none.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "CaPackageVersion", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(PackageVersionResult))]
public sealed class RemoveCaPackageVersionCommand : CaPackageCmdlet
{
    private readonly VersionBatch _batch = new();

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PackageVersion")]
    public string[] Version { get; set; } = [];

    /// <summary>Keep a Disposed record of each version and delete only its assets.</summary>
    [Parameter]
    public SwitchParameter Dispose { get; set; }

    [Parameter]
    [ValidateSet(PackageService.Published, PackageService.Unfinished, PackageService.Unlisted, PackageService.Archived, PackageService.Disposed)]
    public string? ExpectedStatus { get; set; }

    /// <summary>Only remove the version when it is still at this revision (bound from piped version objects).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Revision { get; set; }

    protected override void ProcessRecord() => _batch.Add(Domain, Repository, Format, Namespace, Package, Version, Revision);

    protected override void EndProcessing()
    {
        foreach (var g in _batch.Groups)
        {
            if (!WriteOutcome(Store.Packages.GetPackage(g.Domain, g.Repository, g.Format, g.Namespace, g.Package), writeValue: false)) continue;
            var action = Dispose ? "Dispose versions (delete their assets)" : "Delete versions";
            if (!ShouldProcess($"{g.Format} package '{g.Display}' versions {string.Join(", ", g.Versions)} in repository '{g.Repository}'", action)) continue;
            WriteResults(Dispose
                ? Store.Packages.DisposeVersions(g.Domain, g.Repository, g.Format, g.Namespace, g.Package, g.Versions, ExpectedStatus, g.Revisions)
                : Store.Packages.DeleteVersions(g.Domain, g.Repository, g.Format, g.Namespace, g.Package, g.Versions, ExpectedStatus, g.Revisions));
        }
    }
}
