using System.Management.Automation;
using PSCodeArtifact.Core;

namespace PSCodeArtifact.PowerShell.Commands;

/// <summary>
/// Sets a package's origin controls (PutPackageOriginConfiguration). A package that does not exist yet is created empty
/// to hold them, which blocks a name before anyone publishes it (dependency-confusion protection).
/// </summary>
[Cmdlet(VerbsCommon.Set, "CaPackageOriginConfiguration", SupportsShouldProcess = true)]
[OutputType(typeof(PackageInfo))]
public sealed class SetCaPackageOriginConfigurationCommand : CaPackageCmdlet
{
    /// <summary>Whether versions may be published directly to the repository; unchanged when omitted.</summary>
    [Parameter]
    [ValidateSet(PackageOriginConfiguration.Allow, PackageOriginConfiguration.Block)]
    public string? Publish { get; set; }

    /// <summary>Whether versions may come from upstream repositories and external connections; unchanged when omitted.</summary>
    [Parameter]
    [ValidateSet(PackageOriginConfiguration.Allow, PackageOriginConfiguration.Block)]
    public string? Upstream { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        if (Publish is null && Upstream is null)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("Give -Publish, -Upstream or both."),
                "OriginSettingMissing", ErrorCategory.InvalidArgument, null));
        }
        var current = Store.Packages.GetOriginConfiguration(Domain, Repository, Format, Namespace, Package);
        // A package that does not exist yet is created to hold the settings; a missing domain or repository is an error.
        if (current.Failure is { Code: not ErrorCodes.PackageNotFound } && !WriteOutcome(current, writeValue: false)) return;
        var defaults = current.Value ?? PackageOriginConfiguration.Internal;
        var publish = (Publish ?? defaults.Publish).ToUpperInvariant();
        var upstream = (Upstream ?? defaults.Upstream).ToUpperInvariant();
        if (!ShouldProcess($"{Format} package '{PackageDisplay}' in repository '{Repository}'", $"Set origin configuration publish={publish}, upstream={upstream}")) return;
        WriteOutcome(Store.Packages.SetOriginConfiguration(Domain, Repository, Format, Namespace, Package, publish, upstream), writeValue: PassThru);
    }
}
