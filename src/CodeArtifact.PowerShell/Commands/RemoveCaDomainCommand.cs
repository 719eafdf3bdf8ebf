using System.Management.Automation;
using PSCodeArtifact.Core;

namespace PSCodeArtifact.PowerShell.Commands;

/// <summary>Removes a domain, destroying its data key and its blobs.</summary>
[Cmdlet(VerbsCommon.Remove, "CaDomain", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveCaDomainCommand : CaCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ArgumentCompleter(typeof(DomainNameCompleter))]
    public string Name { get; set; } = "";

    /// <summary>Also removes the domain's repositories.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var domain = Store.Domains.CheckRemove(Name, Force);
        if (!WriteOutcome(domain, writeValue: false)) return;
        var count = domain.Value!.RepositoryCount;
        var what = count switch
        {
            0 => $"domain '{Name}'",
            1 => $"domain '{Name}' and its repository",
            _ => $"domain '{Name}' and its {count} repositories",
        };
        if (!ShouldProcess(what, "Remove domain and destroy its data key")) return;
        WriteOutcome(Store.Domains.Remove(Name, Force), writeValue: false);
    }
}
