using System.Management.Automation;
using PSCodeArtifact.Core;

namespace PSCodeArtifact.PowerShell.Commands;

/// <summary>Removes a repository from its domain.</summary>
[Cmdlet(VerbsCommon.Remove, "CaRepository", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveCaRepositoryCommand : CaCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(DomainNameCompleter))]
    [Alias("DomainName")]
    public string Domain { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(RepositoryNameCompleter))]
    public string Name { get; set; } = "";

    /// <summary>Removes the repository even when it is another repository's upstream, taking it out of their lists.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var removal = Store.Repositories.CheckRemove(Domain, Name, Force);
        if (!WriteOutcome(removal, writeValue: false)) return;
        var (repository, downstream) = (removal.Value!.Repository, removal.Value.Downstream);
        var action = downstream.Count == 0
            ? "Remove repository"
            : $"Remove repository and take it out of the upstreams of {string.Join(", ", downstream.Select(d => $"'{d}'"))}";
        if (!ShouldProcess($"repository '{repository.Name}' in domain '{Domain}'", action)) return;
        WriteOutcome(Store.Repositories.Remove(Domain, Name, Force), writeValue: false);
    }
}
