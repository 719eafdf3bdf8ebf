using System.Management.Automation;
using PSCodeArtifact.Core;

namespace PSCodeArtifact.PowerShell.Commands;

/// <summary>Lists the assets of a package version with their sizes and hashes (ListPackageVersionAssets).</summary>
[Cmdlet(VerbsCommon.Get, "CaPackageVersionAsset")]
[OutputType(typeof(AssetInfo))]
public sealed class GetCaPackageVersionAssetCommand : CaPackageCmdlet
{
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PackageVersion")]
    public string Version { get; set; } = "";

    /// <summary>Asset names or wildcard patterns.</summary>
    [Parameter(Position = 0)]
    [SupportsWildcards]
    public string[]? Name { get; set; }

    /// <summary>Fail with MismatchedRevision unless the version is at this revision.</summary>
    [Parameter]
    public string? Revision { get; set; }

    protected override void ProcessRecord()
    {
        var assets = Store.Packages.ListAssets(Domain, Repository, Format, Namespace, Package, Version, Revision);
        if (!WriteOutcome(assets, writeValue: false)) return;
        var patterns = Name?.Select(n => WildcardPattern.Get(n, WildcardOptions.IgnoreCase)).ToList();
        WriteObject(assets.Value!.Where(a => patterns is null || patterns.Any(p => p.IsMatch(a.Name))), enumerateCollection: true);
    }
}
