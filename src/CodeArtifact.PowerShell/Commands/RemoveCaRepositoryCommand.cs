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
        var repository = Store.Repositories.Get(Domain, Name);
        if (!WriteOutcome(repository, writeValue: false)) return;
        if (!ShouldProcess($"repository '{repository.Value!.Name}' in domain '{Domain}'", "Remove repository")) return;
        WriteOutcome(Store.Repositories.Remove(Domain, Name, Force), writeValue: false);
    }
}
