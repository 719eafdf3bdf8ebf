using System.Collections;
using System.Management.Automation;
using PSCodeArtifact.Core;

namespace PSCodeArtifact.PowerShell.Commands;

/// <summary>Creates a domain with its own data key.</summary>
[Cmdlet(VerbsCommon.New, "CaDomain", SupportsShouldProcess = true)]
[OutputType(typeof(DomainInfo))]
public sealed class NewCaDomainCommand : CaCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public string Name { get; set; } = "";

    [Parameter]
    public Hashtable? Tag { get; set; }

    protected override void ProcessRecord()
    {
        if (!ShouldProcess($"domain '{Name}' in store '{StorePath}'", "Create domain")) return;
        WriteOutcome(Store.Domains.Create(Name, ToTags(Tag)));
    }
}
