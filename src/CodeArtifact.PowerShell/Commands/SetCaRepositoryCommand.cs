using System.Management.Automation;
using PSCodeArtifact.Core;

namespace PSCodeArtifact.PowerShell.Commands;

/// <summary>Changes a repository's description or replaces its ordered upstream list.</summary>
[Cmdlet(VerbsCommon.Set, "CaRepository", SupportsShouldProcess = true)]
[OutputType(typeof(RepositoryInfo))]
public sealed class SetCaRepositoryCommand : CaCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(DomainNameCompleter))]
    [Alias("DomainName")]
    public string Domain { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(RepositoryNameCompleter))]
    public string Name { get; set; } = "";

    [Parameter]
    [AllowEmptyString]
    public string? Description { get; set; }

    /// <summary>The new upstream list, in search order; an empty list removes every upstream.</summary>
    [Parameter]
    [AllowEmptyCollection]
    [ArgumentCompleter(typeof(RepositoryNameCompleter))]
    [Alias("Upstreams")]
    public string[]? Upstream { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var replaceUpstreams = MyInvocation.BoundParameters.ContainsKey(nameof(Upstream));
        var current = Store.Repositories.Get(Domain, Name);
        if (!WriteOutcome(current, writeValue: false)) return;
        var changes = new List<string>();
        if (Description is not null) changes.Add("description");
        if (replaceUpstreams) changes.Add($"upstreams to ({string.Join(", ", Upstream ?? [])})");
        if (changes.Count == 0)
        {
            if (PassThru) WriteObject(current.Value);
            return;
        }
        if (!ShouldProcess($"repository '{current.Value!.Name}' in domain '{Domain}'", $"Set {string.Join(" and ", changes)}")) return;
        var updated = Store.Repositories.Update(Domain, Name, Description, replaceUpstreams ? Upstream ?? [] : null);
        WriteOutcome(updated, writeValue: PassThru);
    }
}
