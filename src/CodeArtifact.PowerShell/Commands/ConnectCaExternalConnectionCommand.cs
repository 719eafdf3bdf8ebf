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

    [Parameter(Mandatory = true, Position = 2)]
    [ArgumentCompleter(typeof(ExternalConnectionNameCompleter))]
    [Alias("ExternalConnection")]
    public string Name { get; set; } = "";

    protected override void ProcessRecord()
    {
        if (!ShouldProcess($"repository '{Repository}' in domain '{Domain}'", $"Connect external connection '{Name}'")) return;
        WriteOutcome(Store.ExternalConnections.Connect(Domain, Repository, Name));
    }
}
