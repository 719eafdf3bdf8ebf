using System.Management.Automation;
using PSCodeArtifact.Core;

namespace PSCodeArtifact.PowerShell.Commands;

/// <summary>Copies package versions to another repository of the domain (CopyPackageVersions) as metadata only; all or nothing.</summary>
[Cmdlet(VerbsCommon.Copy, "CaPackageVersion", SupportsShouldProcess = true)]
[OutputType(typeof(PackageVersionResult))]
public sealed class CopyCaPackageVersionCommand : CaPackageCmdlet
{
    private readonly VersionBatch _batch = new();

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PackageVersion")]
    public string[] Version { get; set; } = [];

    [Parameter(Mandatory = true)]
    [ArgumentCompleter(typeof(RepositoryNameCompleter))]
    public string DestinationRepository { get; set; } = "";

    /// <summary>Replace versions that already exist in the destination (otherwise they fail with PackageVersionAlreadyExists).</summary>
    [Parameter]
    public SwitchParameter AllowOverwrite { get; set; }

    /// <summary>Only copy the version when it is still at this revision (bound from piped version objects).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Revision { get; set; }

    protected override void ProcessRecord() => _batch.Add(Domain, Repository, Format, Namespace, Package, Version, Revision);

    protected override void EndProcessing()
    {
        foreach (var g in _batch.Groups)
        {
            if (!WriteOutcome(Store.Packages.GetPackage(g.Domain, g.Repository, g.Format, g.Namespace, g.Package), writeValue: false)) continue;
            if (!WriteOutcome(Store.Repositories.Get(g.Domain, DestinationRepository), writeValue: false)) continue;
            if (!ShouldProcess($"{g.Format} package '{g.Display}' versions {string.Join(", ", g.Versions)}",
                $"Copy from repository '{g.Repository}' to '{DestinationRepository}'")) continue;
            WriteResults(Store.Packages.CopyVersions(g.Domain, g.Repository, DestinationRepository, g.Format, g.Namespace, g.Package, g.Versions,
                AllowOverwrite, g.Revisions));
        }
    }
}
