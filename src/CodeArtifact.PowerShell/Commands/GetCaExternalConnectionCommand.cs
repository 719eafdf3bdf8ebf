using System.Management.Automation;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Services;

namespace PSCodeArtifact.PowerShell.Commands;

/// <summary>Gets the external connections of a domain, all of them or by name or wildcard pattern.</summary>
[Cmdlet(VerbsCommon.Get, "CaExternalConnection")]
[OutputType(typeof(ExternalConnectionInfo))]
public sealed class GetCaExternalConnectionCommand : CaCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(DomainNameCompleter))]
    [Alias("DomainName")]
    public string Domain { get; set; } = "";

    [Parameter(Position = 1)]
    [ArgumentCompleter(typeof(ExternalConnectionNameCompleter))]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        var listed = Store.ExternalConnections.List(Domain);
        if (!WriteOutcome(listed, writeValue: false)) return;
        var connections = listed.Value!;
        if (Name is null)
        {
            WriteObject(connections, enumerateCollection: true);
            return;
        }
        // Overlapping names and patterns output each connection once.
        var written = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in Name)
        {
            var pattern = WildcardPattern.Get(name, WildcardOptions.IgnoreCase);
            var matches = connections.Where(c => pattern.IsMatch(c.Name)).ToList();
            if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
            {
                WriteError(ErrorRecords.From(ExternalConnectionService.NotFoundFailure(Domain, name)));
                continue;
            }
            WriteObject(matches.Where(c => written.Add(c.Name)), enumerateCollection: true);
        }
    }
}
