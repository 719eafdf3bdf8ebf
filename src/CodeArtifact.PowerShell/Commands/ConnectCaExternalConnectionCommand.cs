using System.Management.Automation;
using PSCodeArtifact.Core;

namespace PSCodeArtifact.PowerShell.Commands;

/// <summary>Attaches an external connection to a repository (at most one per repository); the repository then proxies the remote.</summary>
[Cmdlet(VerbsCommunications.Connect, "CaExternalConnection", SupportsShouldProcess = true)]
[OutputType(typeof(RepositoryInfo))]
public sealed class ConnectCaExternalConnectionCommand : ExternalConnectionLinkCommand
{
    private protected override string Verb => "Connect";

    private protected override Outcome<RepositoryInfo> Change() => Store.ExternalConnections.Connect(Domain, Repository, Name);
}
