using System.Management.Automation;
using PSCodeArtifact.Core;

namespace PSCodeArtifact.PowerShell.Commands;

/// <summary>Detaches an external connection from a repository; versions already retained stay.</summary>
[Cmdlet(VerbsCommunications.Disconnect, "CaExternalConnection", SupportsShouldProcess = true)]
[OutputType(typeof(RepositoryInfo))]
public sealed class DisconnectCaExternalConnectionCommand : ExternalConnectionLinkCommand
{
    private protected override string Verb => "Disconnect";

    private protected override Outcome<RepositoryInfo> Change() => Store.ExternalConnections.Disconnect(Domain, Repository, Name);
}
