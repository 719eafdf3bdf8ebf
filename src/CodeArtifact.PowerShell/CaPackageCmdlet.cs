using System.Management.Automation;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Formats;

namespace PSCodeArtifact.PowerShell;

/// <summary>
/// The base of cmdlets that address one package: its coordinates are parameters named like the output properties,
/// so package, version and asset objects pipe into the next cmdlet by property name.
/// </summary>
public abstract class CaPackageCmdlet : CaCmdlet
{
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(DomainNameCompleter))]
    [Alias("DomainName")]
    public string Domain { get; set; } = "";

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(RepositoryNameCompleter))]
    public string Repository { get; set; } = "";

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateSet("npm", "pypi", "maven", "nuget", "generic")]
    public string Format
    {
        get => _format;
        set => _format = value.ToLowerInvariant();
    }

    private string _format = "";

    /// <summary>The npm scope (with or without '@'), Maven groupId or generic namespace; none for PyPI and NuGet.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Namespace { get; set; }

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    public string Package { get; set; } = "";

    /// <summary>A readable name of the package for messages (npm scopes, Maven groupIds).</summary>
    protected string PackageDisplay => PackageFormats.DisplayName(Format, Namespace?.TrimStart('@'), Package);

    /// <summary>Writes each result: successes as objects, failures as errors with ids per CodeArtifact code.</summary>
    protected void WriteResults(Outcome<IReadOnlyList<PackageVersionResult>> outcome)
    {
        if (!WriteOutcome(outcome, writeValue: false)) return;
        foreach (var result in outcome.Value!)
        {
            if (result.Succeeded) WriteObject(result);
            else WriteError(ErrorRecords.From(result));
        }
    }
}

/// <summary>Versions collected from the pipeline, grouped per package so each package gets one all-or-nothing batch call.</summary>
internal sealed class VersionBatch
{
    private readonly Dictionary<(string, string, string, string, string), (List<string> Versions, Dictionary<string, string> Revisions)> _groups = [];

    public void Add(string domain, string repository, string format, string? @namespace, string package, IEnumerable<string> versions, string? revision)
    {
        var key = (domain, repository, format, @namespace ?? "", package);
        if (!_groups.TryGetValue(key, out var group)) _groups[key] = group = ([], new Dictionary<string, string>(StringComparer.Ordinal));
        foreach (var version in versions)
        {
            if (!group.Versions.Contains(version)) group.Versions.Add(version);
            if (revision is not null) group.Revisions[version] = revision;
        }
    }

    /// <summary>One batch per package and per 100 versions (the most one call takes); each batch is all or nothing.</summary>
    public IEnumerable<(string Domain, string Repository, string Format, string? Namespace, string Package, IReadOnlyList<string> Versions,
        IReadOnlyDictionary<string, string>? Revisions, string Display)> Groups =>
        _groups.SelectMany(g => g.Value.Versions.Chunk(Core.Services.PackageService.MaxVersionsPerCall).Select(chunk =>
            (g.Key.Item1, g.Key.Item2, g.Key.Item3, g.Key.Item4.Length == 0 ? null : g.Key.Item4, g.Key.Item5, (IReadOnlyList<string>)chunk,
                g.Value.Revisions.Count == 0 ? null : (IReadOnlyDictionary<string, string>)g.Value.Revisions,
                PackageFormats.DisplayName(g.Key.Item3, g.Key.Item4.TrimStart('@'), g.Key.Item5))));
}
