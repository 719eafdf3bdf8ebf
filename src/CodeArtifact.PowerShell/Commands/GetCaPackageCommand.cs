using System.Management.Automation;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Formats;

namespace PSCodeArtifact.PowerShell.Commands;

/// <summary>Gets the packages of a repository (ListPackages / DescribePackage).</summary>
[Cmdlet(VerbsCommon.Get, "CaPackage")]
[OutputType(typeof(PackageInfo))]
public sealed class GetCaPackageCommand : CaCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(DomainNameCompleter))]
    [Alias("DomainName")]
    public string Domain { get; set; } = "";

    /// <summary>The repository; binds the Name of repositories piped from Get-CaRepository.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(RepositoryNameCompleter))]
    [Alias("Name")]
    public string Repository { get; set; } = "";

    [Parameter]
    [ValidateSet("npm", "pypi", "maven", "nuget", "generic")]
    public string? Format { get; set; }

    [Parameter]
    [SupportsWildcards]
    public string? Namespace { get; set; }

    [Parameter(Position = 2)]
    [SupportsWildcards]
    public string[]? Package { get; set; }

    /// <summary>Also lists the packages of the repository's upstream repositories (search order; the first holding a package wins).</summary>
    [Parameter]
    public SwitchParameter IncludeUpstream { get; set; }

    // A plain name also finds the package its format would normalise it to (tiny_demo finds Tiny-Demo, demo.core Demo.Core).
    private static bool SameName(PackageInfo package, string name)
    {
        if (WildcardPattern.ContainsWildcardCharacters(name)) return false;
        var format = PackageFormats.Get(package.Format).Value!;
        return format.NormalizeName(name) == format.NormalizeName(package.Package);
    }

    protected override void ProcessRecord()
    {
        var listed = IncludeUpstream
            ? Store.Packages.ListPackagesIncludingUpstreams(Domain, Repository, Format)
            : Store.Packages.ListPackages(Domain, Repository, Format);
        if (!WriteOutcome(listed, writeValue: false)) return;
        IEnumerable<PackageInfo> packages = listed.Value!;
        if (Namespace is not null)
        {
            var ns = WildcardPattern.Get(Namespace.TrimStart('@'), WildcardOptions.IgnoreCase);
            packages = packages.Where(p => ns.IsMatch(p.Namespace ?? ""));
        }
        if (Package is null)
        {
            WriteObject(packages, enumerateCollection: true);
            return;
        }
        var candidates = packages.ToList();
        var written = new HashSet<PackageInfo>();
        foreach (var name in Package)
        {
            var pattern = WildcardPattern.Get(name, WildcardOptions.IgnoreCase);
            var matches = candidates.Where(p => pattern.IsMatch(p.Package) || pattern.IsMatch(p.DisplayName) || SameName(p, name)).ToList();
            if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
            {
                WriteError(ErrorRecords.From(new Failure(ErrorCodes.PackageNotFound, FailureKind.NotFound,
                    $"No package named '{name}'{(Format is null ? "" : $" of format {Format.ToLowerInvariant()}")} exists in the repository '{Repository}' of the domain '{Domain}'{(IncludeUpstream ? " or in its upstream repositories" : "")}.", name)));
                continue;
            }
            WriteObject(matches.Where(written.Add), enumerateCollection: true);
        }
    }
}
