using System.Management.Automation;

namespace PSCodeArtifact.PowerShell.Commands;

/// <summary>Deletes a package with all its versions and assets (DeletePackage).</summary>
[Cmdlet(VerbsCommon.Remove, "CaPackage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveCaPackageCommand : CaPackageCmdlet
{
    protected override void ProcessRecord()
    {
        var package = Store.Packages.GetPackage(Domain, Repository, Format, Namespace, Package);
        if (!WriteOutcome(package, writeValue: false)) return;
        var versions = Store.Packages.ListVersions(Domain, Repository, Format, Namespace, Package).Value?.Count ?? 0;
        var count = versions == 1 ? "1 version" : $"{versions} versions";
        if (!ShouldProcess($"{Format} package '{package.Value!.DisplayName}' ({count}) in repository '{Repository}'", "Remove package")) return;
        WriteOutcome(Store.Packages.RemovePackage(Domain, Repository, Format, Namespace, Package), writeValue: false);
    }
}
