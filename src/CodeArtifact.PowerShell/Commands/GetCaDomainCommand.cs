using System.Management.Automation;
using PSCodeArtifact.Core;

namespace PSCodeArtifact.PowerShell.Commands;

/// <summary>Gets domains by name or wildcard pattern.</summary>
[Cmdlet(VerbsCommon.Get, "CaDomain")]
[OutputType(typeof(DomainInfo))]
public sealed class GetCaDomainCommand : CaCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(DomainNameCompleter))]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        if (Name is null)
        {
            WriteObject(Store.Domains.List(), enumerateCollection: true);
            return;
        }
        IReadOnlyList<DomainInfo>? all = null;
        foreach (var name in Name)
        {
            if (WildcardPattern.ContainsWildcardCharacters(name))
            {
                var pattern = WildcardPattern.Get(name, WildcardOptions.IgnoreCase);
                all ??= Store.Domains.List();
                WriteObject(all.Where(d => pattern.IsMatch(d.Name)), enumerateCollection: true);
            }
            else
            {
                WriteOutcome(Store.Domains.Get(name));
            }
        }
    }
}
