using System.Management.Automation;
using PSCodeArtifact.Core;

namespace PSCodeArtifact.PowerShell.Commands;

/// <summary>Gets the direct dependencies of a package version (ListPackageVersionDependencies).</summary>
[Cmdlet(VerbsCommon.Get, "CaPackageVersionDependency")]
[OutputType(typeof(PackageVersionDependency))]
public sealed class GetCaPackageVersionDependencyCommand : CaPackageCmdlet
{
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PackageVersion")]
    public string Version { get; set; } = "";

    protected override void ProcessRecord()
    {
        var dependencies = Store.Packages.GetDependenciesAsync(Domain, Repository, Format, Namespace, Package, Version, PipelineStopToken).GetAwaiter().GetResult();
        if (WriteOutcome(dependencies, writeValue: false)) WriteObject(dependencies.Value!, enumerateCollection: true);
    }
}
