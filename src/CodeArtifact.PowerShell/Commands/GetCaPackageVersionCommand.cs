using System.Management.Automation;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Formats;
using PSCodeArtifact.Core.Services;

namespace PSCodeArtifact.PowerShell.Commands;

/// <summary>Gets versions of a package (ListPackageVersions), or describes named versions with their metadata (DescribePackageVersion).</summary>
[Cmdlet(VerbsCommon.Get, "CaPackageVersion")]
[OutputType(typeof(PackageVersionInfo))]
public sealed class GetCaPackageVersionCommand : CaPackageCmdlet
{
    /// <summary>
    /// Versions or wildcard patterns, mixed as needed: a version without wildcards is described with its metadata (and is
    /// an error when missing), a pattern filters the listing.
    /// </summary>
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [Alias("PackageVersion")]
    public string[]? Version { get; set; }

    [Parameter]
    [ValidateSet(PackageService.Published, PackageService.Unfinished, PackageService.Unlisted, PackageService.Archived, PackageService.Disposed)]
    public string? Status { get; set; }

    /// <summary>Also gets the versions the repository's upstream repositories hold for the package (the first holding a version wins).</summary>
    [Parameter]
    public SwitchParameter IncludeUpstream { get; set; }

    protected override void ProcessRecord()
    {
        var exact = Version?.Where(v => !WildcardPattern.ContainsWildcardCharacters(v)).ToList() ?? [];
        var patterns = Version?.Where(WildcardPattern.ContainsWildcardCharacters).Select(v => WildcardPattern.Get(v, WildcardOptions.IgnoreCase)).ToList();
        if (Version is not null && patterns!.Count == 0)
        {
            foreach (var version in exact) WriteDescribed(IncludeUpstream ? DescribeThroughUpstreams(version) : Describe(Repository, version));
            return;
        }
        // With exact versions among the patterns, Status is applied here: an exact version of another status is left out, not missing.
        var listingStatus = exact.Count == 0 ? Status : null;
        var listed = IncludeUpstream
            ? Store.Packages.ListVersionsIncludingUpstreams(Domain, Repository, Format, Namespace, Package, listingStatus)
            : Store.Packages.ListVersions(Domain, Repository, Format, Namespace, Package, listingStatus);
        if (!WriteOutcome(listed, writeValue: false)) return;
        if (exact.Count == 0)
        {
            WriteObject(listed.Value!.Where(v => patterns is null || patterns.Any(p => p.IsMatch(v.Version))), enumerateCollection: true);
            return;
        }

        // Exact versions mixed with patterns: each exact version is found in the format's normalised form and described,
        // or reported missing, as it is on its own; the patterns filter the other versions. The output keeps the listing's order.
        var format = PackageFormats.Get(Format).Value!;
        string Key(string version) => format.NormalizeVersion(version).Value ?? version;
        var wanted = exact.Select(Key).ToHashSet(StringComparer.Ordinal);
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (var version in listed.Value!)
        {
            var key = Key(version.Version);
            if (wanted.Contains(key))
            {
                found.Add(key);
                if (HasStatus(version)) WriteOutcome(Describe(version.Repository, version.Version));
            }
            else if (HasStatus(version) && patterns!.Any(p => p.IsMatch(version.Version)))
            {
                WriteObject(version);
            }
        }
        foreach (var missing in exact.Where(v => !found.Contains(Key(v))).DistinctBy(Key))
        {
            WriteOutcome(IncludeUpstream ? DescribeThroughUpstreams(missing) : Describe(Repository, missing));
        }
    }

    private bool HasStatus(PackageVersionInfo version) => Status is null || string.Equals(version.Status, Status, StringComparison.OrdinalIgnoreCase);

    /// <summary>Writes a described version, leaving out one of another status than <see cref="Status"/> without an error.</summary>
    private void WriteDescribed(Outcome<PackageVersionInfo> described)
    {
        if (described.Succeeded && !HasStatus(described.Value!)) return;
        WriteOutcome(described);
    }

    private Outcome<PackageVersionInfo> Describe(string repository, string version) =>
        Store.Packages.GetVersionAsync(Domain, repository, Format, Namespace, Package, version, PipelineStopToken).GetAwaiter().GetResult();

    // The repository holding the version first in the search order describes it.
    private Outcome<PackageVersionInfo> DescribeThroughUpstreams(string version)
    {
        var listed = Store.Packages.ListVersionsIncludingUpstreams(Domain, Repository, Format, Namespace, Package);
        if (listed.Failure is { } failure) return failure;
        var format = PackageFormats.Get(Format).Value!;
        var key = format.NormalizeVersion(version).Value ?? version;
        var holder = listed.Value!.FirstOrDefault(v => (format.NormalizeVersion(v.Version).Value ?? v.Version) == key);
        if (holder is null)
        {
            return new Failure(ErrorCodes.PackageVersionNotFound, FailureKind.NotFound,
                $"Version {version} of '{PackageDisplay}' does not exist in the repository '{Repository}' or in its upstream repositories.", version);
        }
        return Describe(holder.Repository, holder.Version);
    }
}
