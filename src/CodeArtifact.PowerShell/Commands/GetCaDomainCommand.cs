using System.Management.Automation;
using PSCodeArtifact.Core;

namespace PSCodeArtifact.PowerShell.Commands;

/// <summary>Gets domains by name or wildcard pattern.</summary>
[Cmdlet(VerbsCommon.Get, "CaDomain")]
[OutputType(typeof(DomainInfo))]
public sealed class GetCaDomainCommand : CaCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true)]
    [ArgumentCompleter(typeof(DomainNameCompleter))]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    // Overlapping names and patterns output each domain once.
    private readonly HashSet<string> _written = new(StringComparer.Ordinal);

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
                WriteObject(all.Where(d => pattern.IsMatch(d.Name) && _written.Add(d.Name)), enumerateCollection: true);
            }
            else
            {
                var domain = Store.Domains.Get(name);
                if (domain.Succeeded && !_written.Add(domain.Value!.Name)) continue;
                WriteOutcome(domain);
            }
        }
    }
}
