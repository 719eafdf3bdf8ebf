using System.Management.Automation;

namespace PSCodeArtifact.PowerShell.Commands;

/// <summary>Gets the endpoints running in this session.</summary>
[Cmdlet(VerbsCommon.Get, "CaEndpoint")]
[OutputType(typeof(EndpointInfo))]
public sealed class GetCaEndpointCommand : PSCmdlet
{
    protected override void ProcessRecord() => WriteObject(EndpointRegistry.Running(), enumerateCollection: true);
}
