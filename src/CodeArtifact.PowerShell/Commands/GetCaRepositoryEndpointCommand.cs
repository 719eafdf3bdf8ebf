using System.Management.Automation;
using PSCodeArtifact.Core;

namespace PSCodeArtifact.PowerShell.Commands;

/// <summary>Gets the URL a package manager uses for a repository and format (GetRepositoryEndpoint).</summary>
[Cmdlet(VerbsCommon.Get, "CaRepositoryEndpoint")]
[OutputType(typeof(string))]
public sealed class GetCaRepositoryEndpointCommand : CaCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(DomainNameCompleter))]
    [Alias("DomainName")]
    public string Domain { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(RepositoryNameCompleter))]
    [Alias("Name")]
    public string Repository { get; set; } = "";

    [Parameter(Mandatory = true, Position = 2)]
    [ValidateSet("npm", "pypi", "maven", "nuget", "generic")]
    public string Format { get; set; } = "";

    /// <summary>The endpoint; when omitted, the only one running in this session.</summary>
    [Parameter]
    public EndpointInfo? Endpoint { get; set; }

    protected override void ProcessRecord()
    {
        var endpoint = Endpoint;
        if (endpoint is null)
        {
            var running = EndpointRegistry.Running();
            if (running.Count != 1)
            {
                ThrowTerminatingError(new ErrorRecord(new InvalidOperationException(running.Count == 0
                        ? "No endpoint is running in this session; start one with Start-CaEndpoint."
                        : $"{running.Count} endpoints are running; say which with -Endpoint."),
                    running.Count == 0 ? "NoEndpointRunning" : "EndpointAmbiguous", ErrorCategory.InvalidOperation, null));
            }
            endpoint = running[0];
        }
        var repository = CaStore.Open(endpoint.StorePath).Repositories.Get(Domain, Repository);
        if (!WriteOutcome(repository, writeValue: false)) return;
        WriteObject($"{endpoint.Uri.ToString().TrimEnd('/')}/{Domain}/{Format.ToLowerInvariant()}/{repository.Value!.Name}/");
    }
}
