using System.Management.Automation;
using PSCodeArtifact.Core;

namespace PSCodeArtifact.PowerShell.Commands;

/// <summary>Gets the readme of a package version (GetPackageVersionReadme).</summary>
[Cmdlet(VerbsCommon.Get, "CaPackageVersionReadme")]
[OutputType(typeof(PackageVersionReadme))]
public sealed class GetCaPackageVersionReadmeCommand : CaPackageCmdlet
{
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PackageVersion")]
    public string Version { get; set; } = "";

    protected override void ProcessRecord() =>
        WriteOutcome(Store.Packages.GetReadmeAsync(Domain, Repository, Format, Namespace, Package, Version, PipelineStopToken).GetAwaiter().GetResult());
}
