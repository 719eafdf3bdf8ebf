using System.Management.Automation;

namespace PSCodeArtifact.PowerShell.Commands;

/// <summary>Stops endpoints started in this session: the ones piped in, or all of them.</summary>
[Cmdlet(VerbsLifecycle.Stop, "CaEndpoint", SupportsShouldProcess = true)]
[OutputType(typeof(void))]
public sealed class StopCaEndpointCommand : PSCmdlet
{
    /// <summary>The endpoints to stop (from Start-CaEndpoint or Get-CaEndpoint); all when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true)]
    public EndpointInfo[]? Endpoint { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var endpoint in Endpoint ?? [.. EndpointRegistry.Running()])
        {
            if (!endpoint.IsRunning) continue;
            if (ShouldProcess(endpoint.Uri.ToString(), "Stop endpoint")) EndpointRegistry.Stop(endpoint);
        }
    }
}
