using System.Collections;
using System.Management.Automation;
using PSCodeArtifact.Core;

namespace PSCodeArtifact.PowerShell.Commands;

/// <summary>Creates a repository in a domain.</summary>
[Cmdlet(VerbsCommon.New, "CaRepository", SupportsShouldProcess = true)]
[OutputType(typeof(RepositoryInfo))]
public sealed class NewCaRepositoryCommand : CaCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(DomainNameCompleter))]
    [Alias("DomainName")]
    public string Domain { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1)]
    public string Name { get; set; } = "";

    [Parameter]
    public string? Description { get; set; }

    /// <summary>Upstream repositories of the same domain, in the order they are searched.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(RepositoryNameCompleter))]
    [Alias("Upstreams")]
    public string[]? Upstream { get; set; }

    [Parameter]
    public Hashtable? Tag { get; set; }

    protected override void ProcessRecord()
    {
        if (!ShouldProcess($"repository '{Name}' in domain '{Domain}'", "Create repository")) return;
        WriteOutcome(Store.Repositories.Create(Domain, Name, Description, Upstream, ToTags(Tag)));
    }
}
