using System.Management.Automation;
using PSCodeArtifact.Core;

namespace PSCodeArtifact.PowerShell.Commands;

/// <summary>Detaches an external connection from a repository; versions already retained stay.</summary>
[Cmdlet(VerbsCommunications.Disconnect, "CaExternalConnection", SupportsShouldProcess = true)]
[OutputType(typeof(RepositoryInfo))]
public sealed class DisconnectCaExternalConnectionCommand : CaCmdlet
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
        if (!ShouldProcess($"repository '{Repository}' in domain '{Domain}'", $"Disconnect external connection '{Name}'")) return;
        WriteOutcome(Store.ExternalConnections.Disconnect(Domain, Repository, Name));
    }
}
