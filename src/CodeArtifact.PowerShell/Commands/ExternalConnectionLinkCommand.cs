using System.Management.Automation;
using PSCodeArtifact.Core;

namespace PSCodeArtifact.PowerShell.Commands;

/// <summary>What Connect- and Disconnect-CaExternalConnection share: the parameters, the checks before confirming, the output.</summary>
public abstract class ExternalConnectionLinkCommand : CaCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(DomainNameCompleter))]
    [Alias("DomainName")]
    public string Domain { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(RepositoryNameCompleter))]
    public string Repository { get; set; } = "";

    /// <summary>The connection; binds the Name of connections piped from Get-CaExternalConnection.</summary>
    [Parameter(Mandatory = true, Position = 2, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ExternalConnectionNameCompleter))]
    [Alias("ExternalConnection")]
    public string Name { get; set; } = "";

    /// <summary>The verb of the ShouldProcess action ("Connect" or "Disconnect").</summary>
    private protected abstract string Verb { get; }

    /// <summary>The change itself.</summary>
    private protected abstract Outcome<RepositoryInfo> Change();

    protected override void ProcessRecord()
    {
        // A missing domain, repository or connection is reported before any confirmation.
        var repository = Store.Repositories.Get(Domain, Repository);
        if (!WriteOutcome(repository, writeValue: false)) return;
        var connection = Store.ExternalConnections.Get(Domain, Name);
        if (!WriteOutcome(connection, writeValue: false)) return;
        if (!ShouldProcess($"repository '{repository.Value!.Name}' in domain '{Domain}'", $"{Verb} external connection '{connection.Value!.Name}'")) return;
        WriteOutcome(Change());
    }
}
