using System.Management.Automation;
using PSCodeArtifact.Core;

namespace PSCodeArtifact.PowerShell.Commands;

/// <summary>Gets a package's origin controls: whether it may be published to directly and taken from upstreams.</summary>
[Cmdlet(VerbsCommon.Get, "CaPackageOriginConfiguration")]
[OutputType(typeof(PackageInfo))]
public sealed class GetCaPackageOriginConfigurationCommand : CaPackageCmdlet
{
    protected override void ProcessRecord() => WriteOutcome(Store.Packages.GetPackage(Domain, Repository, Format, Namespace, Package));
}
