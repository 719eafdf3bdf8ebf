using System.Management.Automation;
using PSCodeArtifact.Core;

namespace PSCodeArtifact.PowerShell.Commands;

/// <summary>Attaches an external connection to a repository (at most one per repository); the repository then proxies the remote.</summary>
[Cmdlet(VerbsCommunications.Connect, "CaExternalConnection", SupportsShouldProcess = true)]
[OutputType(typeof(RepositoryInfo))]
public sealed class ConnectCaExternalConnectionCommand : CaCmdlet
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

    protected override void ProcessRecord()
    {
        // A missing domain, repository or connection is reported before any confirmation.
        var repository = Store.Repositories.Get(Domain, Repository);
        if (!WriteOutcome(repository, writeValue: false)) return;
        var connection = Store.ExternalConnections.Get(Domain, Name);
        if (!WriteOutcome(connection, writeValue: false)) return;
        if (!ShouldProcess($"repository '{repository.Value!.Name}' in domain '{Domain}'", $"Connect external connection '{connection.Value!.Name}'")) return;
        WriteOutcome(Store.ExternalConnections.Connect(Domain, Repository, Name));
    }
}
