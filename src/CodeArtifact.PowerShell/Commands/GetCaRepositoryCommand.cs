using System.Management.Automation;
using PSCodeArtifact.Core;

namespace PSCodeArtifact.PowerShell.Commands;

/// <summary>Gets repositories of a domain (or of every domain) by name or wildcard pattern.</summary>
[Cmdlet(VerbsCommon.Get, "CaRepository")]
[OutputType(typeof(RepositoryInfo))]
public sealed class GetCaRepositoryCommand : CaCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(DomainNameCompleter))]
    [Alias("DomainName")]
    [ValidateNotNullOrEmpty]
    public string? Domain { get; set; }

    [Parameter(Position = 1)]
    [ArgumentCompleter(typeof(RepositoryNameCompleter))]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    // Overlapping names and patterns output each repository once.
    private readonly HashSet<string> _written = new(StringComparer.Ordinal);

    protected override void ProcessRecord()
    {
        var listed = Store.Repositories.List(Domain);
        if (!WriteOutcome(listed, writeValue: false)) return;
        var repositories = listed.Value!;
        if (Name is null)
        {
            WriteObject(repositories, enumerateCollection: true);
            return;
        }
        foreach (var name in Name)
        {
            var pattern = WildcardPattern.Get(name, WildcardOptions.IgnoreCase);
            var matches = repositories.Where(r => pattern.IsMatch(r.Name)).ToList();
            if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
            {
                WriteError(ErrorRecords.From(Domain is null
                    ? new Failure(ErrorCodes.RepositoryNotFound, FailureKind.NotFound, $"No domain has a repository named '{name}'.", name)
                    : Core.Services.RepositoryService.NotFoundFailure(Domain, name)));
                continue;
            }
            WriteObject(matches.Where(r => _written.Add(r.Arn)), enumerateCollection: true);
        }
    }
}
