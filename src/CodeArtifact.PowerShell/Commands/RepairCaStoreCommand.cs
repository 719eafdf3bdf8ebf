using System.Management.Automation;
using PSCodeArtifact.Core.Services;

namespace PSCodeArtifact.PowerShell.Commands;

/// <summary>
/// Removes what interrupted writes left in the store: blob files no catalog record refers to, staging files, and blob
/// folders of domains that no longer exist.
/// </summary>
[Cmdlet(VerbsDiagnostic.Repair, "CaStore", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(IntegrityReport))]
public sealed class RepairCaStoreCommand : CaCmdlet
{
    /// <summary>
    /// Leftovers younger than this are kept: they may belong to a publish whose catalog transaction is about to commit
    /// in another process. Default: one hour.
    /// </summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int GracePeriodMinutes { get; set; } = 60;

    protected override void ProcessRecord()
    {
        if (!ShouldProcess($"store '{StorePath}'", $"Remove orphaned blobs and staging files older than {GracePeriodMinutes} minutes")) return;
        WriteObject(Store.Maintenance.RemoveOrphans(TimeSpan.FromMinutes(GracePeriodMinutes)));
    }
}
