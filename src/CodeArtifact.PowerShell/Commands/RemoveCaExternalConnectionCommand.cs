using System.Management.Automation;

namespace PSCodeArtifact.PowerShell.Commands;

/// <summary>Removes an external connection that no repository uses; versions it brought in stay where they were retained.</summary>
[Cmdlet(VerbsCommon.Remove, "CaExternalConnection", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveCaExternalConnectionCommand : CaCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(DomainNameCompleter))]
    [Alias("DomainName")]
    public string Domain { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ExternalConnectionNameCompleter))]
    public string Name { get; set; } = "";

    protected override void ProcessRecord()
    {
        // Not found and still connected are reported before any confirmation.
        var check = Store.ExternalConnections.CheckRemove(Domain, Name);
        if (!WriteOutcome(check, writeValue: false)) return;
        if (!ShouldProcess($"external connection '{check.Value!.Name}' in domain '{Domain}'", "Remove external connection")) return;
        WriteOutcome(Store.ExternalConnections.Remove(Domain, Name), writeValue: false);
    }
}
