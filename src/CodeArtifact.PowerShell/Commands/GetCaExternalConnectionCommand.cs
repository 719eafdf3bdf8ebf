using System.Management.Automation;
using PSCodeArtifact.Core;

namespace PSCodeArtifact.PowerShell.Commands;

/// <summary>Gets the external connections of a domain, or one by name (wildcards allowed).</summary>
[Cmdlet(VerbsCommon.Get, "CaExternalConnection")]
[OutputType(typeof(ExternalConnectionInfo))]
public sealed class GetCaExternalConnectionCommand : CaCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(DomainNameCompleter))]
    [Alias("DomainName")]
    public string Domain { get; set; } = "";

    [Parameter(Position = 1)]
    [ArgumentCompleter(typeof(ExternalConnectionNameCompleter))]
    [SupportsWildcards]
    public string? Name { get; set; }

    protected override void ProcessRecord()
    {
        if (Name is not null && !WildcardPattern.ContainsWildcardCharacters(Name))
        {
            WriteOutcome(Store.ExternalConnections.Get(Domain, Name));
            return;
        }
        var all = Store.ExternalConnections.List(Domain);
        if (!WriteOutcome(all, writeValue: false)) return;
        var pattern = Name is null ? null : new WildcardPattern(Name, WildcardOptions.IgnoreCase);
        foreach (var connection in all.Value!)
        {
            if (pattern is null || pattern.IsMatch(connection.Name)) WriteObject(connection);
        }
    }
}
