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
        // Only a command with no -Endpoint at all stops everything; an empty or null list (even piped) stops nothing.
        var given = MyInvocation.BoundParameters.ContainsKey(nameof(Endpoint)) || MyInvocation.ExpectingInput;
        foreach (var endpoint in given ? Endpoint ?? [] : [.. EndpointRegistry.Running()])
        {
            if (endpoint is null || !endpoint.IsRunning) continue;
            if (ShouldProcess(endpoint.Uri.ToString(), "Stop endpoint")) EndpointRegistry.Stop(endpoint);
        }
    }
}
