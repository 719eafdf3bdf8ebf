using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Services;

namespace CodeArtifact.Core.Tests;

/// <summary>The npm part of the package service: packument data and its stamp, dist-tags, deprecations, unpublish and search.</summary>
public sealed class NpmServiceTests : IDisposable
{
    private const string Domain = "npmd";
    private const string Repo = "main";
    private readonly TempStore _temp = new();

    public NpmServiceTests()
    {
        Assert.True(Store.Domains.Create(Domain).Succeeded);
        Assert.True(Store.Repositories.Create(Domain, Repo).Succeeded);
    }

    private CaStore Store => _temp.Store;

    private PackageService Packages => Store.Packages;

    public void Dispose() => _temp.Dispose();

    private static byte[] Tarball(string name, string version, string extraJson = "")
    {
        var json = $$"""{"name":"{{name}}","version":"{{version}}","description":"{{name}} does things"{{extraJson}}}""";
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "package/package.json") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(json)) });
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "package/README.md") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes($"# {name} {version}\n")) });
        }
        return buffer.ToArray();
    }

    private async Task<PackageVersionInfo> Publish(string name, string version, string extraJson = "", string? tag = null)
    {
        string? scope = null;
        var bare = name;
        if (name.StartsWith('@'))
        {
            scope = name[1..name.IndexOf('/', StringComparison.Ordinal)];
            bare = name[(name.IndexOf('/', StringComparison.Ordinal) + 1)..];
        }
        var request = new PublishRequest(Domain, Repo, $"{bare}-{version}.tgz") { Format = "npm", Namespace = scope, Package = bare, Version = version, DistTag = tag };
        var published = await Packages.PublishAsync(request, new MemoryStream(Tarball(name, version, extraJson)), CancellationToken.None);
        Assert.True(published.Succeeded, published.Failure?.Message);
        return published.Value!;
    }

    private string Stamp(string name = "lib") => Packages.GetNpmStamp(Domain, Repo, null, name).Value!;

    private async Task<NpmPackage> Package(string name = "lib", string? scope = null)
    {
        var package = await Packages.GetNpmPackageAsync(Domain, Repo, scope, name, CancellationToken.None);
        Assert.True(package.Succeeded, package.Failure?.Message);
        return package.Value!;
    }

    private string Revision(string version, string name = "lib") =>
        Packages.ListVersions(Domain, Repo, "npm", null, name).Value!.Single(v => v.Version == version).Revision;

    private int BlobFiles() => Store.Blobs.ListAddresses(Domain).Count();

    [Fact]
    public async Task Packument_ShowsVersionsTagsDigestsAndManifests_AndItsStampMatches()
    {
        await Publish("lib", "1.0.0");
        await Publish("lib", "1.1.0");
        await Publish("@team/tool", "2.0.0-beta.1");

        var package = await Package();

        Assert.Equal("lib", package.Name);
        Assert.Equal(["1.0.0", "1.1.0"], package.Versions.Select(v => v.Version));
        Assert.Equal("1.1.0", package.DistTags["latest"]);
        Assert.Equal(Stamp(), package.Stamp);
        Assert.StartsWith("2-", package.Stamp, StringComparison.Ordinal);
        Assert.Equal("# lib 1.1.0\n", package.Readme);
        var asset = Packages.ListAssets(Domain, Repo, "npm", null, "lib", "1.0.0").Value!.Single();
        var first = package.Versions[0];
        Assert.Equal(("lib-1.0.0.tgz", asset.Hashes["SHA-512"], asset.Hashes["SHA-1"], asset.Size), (first.AssetName, first.Sha512, first.Sha1, first.Size));
        Assert.Contains("\"version\":\"1.0.0\"", Encoding.UTF8.GetString(first.Manifest!), StringComparison.Ordinal);

        var scoped = await Package("tool", "team");
        Assert.Equal("@team/tool", scoped.Name);
        // A prerelease is latest only while there is no release.
        Assert.Equal("2.0.0-beta.1", scoped.DistTags["latest"]);
    }

    [Fact]
    public async Task Stamp_DoesNotChangeOnReads_AndChangesOnEveryVisibleChange()
    {
        await Publish("lib", "1.0.0");
        await Publish("lib", "1.1.0");
        var previous = Stamp();
        await Package();
        await Packages.GetNpmPackageAsync(Domain, Repo, null, "lib", CancellationToken.None);
        Assert.Equal(previous, Stamp());

        // A state can come back (a tag added and removed again shows the same document), so each step is compared with the last.
        void Changed(string what)
        {
            var current = Stamp();
            Assert.True(current != previous, $"The stamp did not change after {what}.");
            previous = current;
        }

        Assert.True(Packages.UpdateStatus(Domain, Repo, "npm", null, "lib", ["1.1.0"], PackageService.Unlisted).Succeeded);
        Changed("unlisting");
        Assert.True(Packages.UpdateStatus(Domain, Repo, "npm", null, "lib", ["1.1.0"], PackageService.Published).Succeeded);
        Changed("publishing again");
        Assert.True(Packages.SetNpmDistTag(Domain, Repo, null, "lib", "stable", "1.0.0").Succeeded);
        Changed("adding a tag");
        Assert.True(Packages.SetNpmDistTag(Domain, Repo, null, "lib", "stable", "1.1.0").Succeeded);
        Changed("moving a tag");
        Assert.True(Packages.RemoveNpmDistTag(Domain, Repo, null, "lib", "stable").Succeeded);
        Changed("removing a tag");
        Assert.True((await Packages.SetNpmDeprecationsAsync(Domain, Repo, null, "lib", new Dictionary<string, string?> { ["1.0.0"] = "old" }, CancellationToken.None)).Succeeded);
        Changed("a deprecation");
        await Publish("lib", "1.2.0");
        Changed("a publish");
        Assert.True(Packages.DeleteVersions(Domain, Repo, "npm", null, "lib", ["1.2.0"]).Succeeded);
        Changed("a deletion");
    }

    [Fact]
    public async Task UnlistedVersions_StayInstallable_ButCarryNoTag_AndLatestFallsBack()
    {
        await Publish("lib", "1.0.0");
        await Publish("lib", "1.1.0");
        Assert.True(Packages.SetNpmDistTag(Domain, Repo, null, "lib", "next", "1.1.0").Succeeded);

        Assert.True(Packages.UpdateStatus(Domain, Repo, "npm", null, "lib", ["1.1.0"], PackageService.Unlisted).Succeeded);
        var package = await Package();

        Assert.Equal(["1.0.0", "1.1.0"], package.Versions.Select(v => v.Version));
        Assert.Equal(PackageService.Unlisted, package.Versions[1].Status);
        Assert.Equal(new Dictionary<string, string> { ["latest"] = "1.0.0" }, package.DistTags);
        // Nothing was written: the stored tags are unchanged and come back with the version.
        Assert.Equal("1.1.0", Packages.GetDistTags(Domain, Repo, null, "lib").Value!["latest"]);
        Assert.True(Packages.UpdateStatus(Domain, Repo, "npm", null, "lib", ["1.1.0"], PackageService.Published).Succeeded);
        Assert.Equal("1.1.0", (await Package()).DistTags["next"]);
    }

    [Fact]
    public async Task ArchivedVersions_AreNotShown_AndAPackageWithNoneVisibleHasNoVersions()
    {
        await Publish("lib", "1.0.0");
        await Publish("lib", "1.1.0");

        Assert.True(Packages.UpdateStatus(Domain, Repo, "npm", null, "lib", ["1.1.0"], PackageService.Archived).Succeeded);
        var package = await Package();
        Assert.Equal(["1.0.0"], package.Versions.Select(v => v.Version));
        Assert.Equal("1.0.0", package.DistTags["latest"]);

        Assert.True(Packages.UpdateStatus(Domain, Repo, "npm", null, "lib", ["1.0.0"], PackageService.Archived).Succeeded);
        package = await Package();
        Assert.Empty(package.Versions);
        Assert.Empty(package.DistTags);
        Assert.StartsWith("0-", package.Stamp, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deprecate_RewritesTheMetadata_ChangesTheRevision_AndUndeprecateClearsIt()
    {
        await Publish("lib", "1.0.0");
        var before = Revision("1.0.0");

        var set = await Packages.SetNpmDeprecationsAsync(Domain, Repo, null, "lib", new Dictionary<string, string?> { ["1.0.0"] = "use 2.x" }, CancellationToken.None);

        Assert.Equal(["1.0.0"], set.Value!);
        var deprecated = Revision("1.0.0");
        Assert.NotEqual(before, deprecated);
        Assert.Equal("use 2.x", (await Package()).Versions[0].Deprecated);
        // The same message again changes nothing.
        var again = await Packages.SetNpmDeprecationsAsync(Domain, Repo, null, "lib", new Dictionary<string, string?> { ["1.0.0"] = "use 2.x" }, CancellationToken.None);
        Assert.Empty(again.Value!);
        Assert.Equal(deprecated, Revision("1.0.0"));

        var cleared = await Packages.SetNpmDeprecationsAsync(Domain, Repo, null, "lib", new Dictionary<string, string?> { ["1.0.0"] = "" }, CancellationToken.None);
        Assert.Equal(["1.0.0"], cleared.Value!);
        Assert.Null((await Package()).Versions[0].Deprecated);
        Assert.NotEqual(deprecated, Revision("1.0.0"));
    }

    [Fact]
    public async Task Deprecate_ADeprecatedFieldOfPackageJsonCanBeCleared_AndTheOldDocumentIsFreed()
    {
        await Publish("lib", "1.0.0", ""","deprecated":"from the tarball" """);
        Assert.Equal("from the tarball", (await Package()).Versions[0].Deprecated);
        var blobs = BlobFiles();

        Assert.True((await Packages.SetNpmDeprecationsAsync(Domain, Repo, null, "lib", new Dictionary<string, string?> { ["1.0.0"] = null }, CancellationToken.None)).Succeeded);

        Assert.Null((await Package()).Versions[0].Deprecated);
        Assert.Equal(blobs, BlobFiles());
    }

    [Fact]
    public async Task Deprecate_AnUnknownVersion_ChangesNothing()
    {
        await Publish("lib", "1.0.0");
        var stamp = Stamp();

        var result = await Packages.SetNpmDeprecationsAsync(Domain, Repo, null, "lib",
            new Dictionary<string, string?> { ["1.0.0"] = "old", ["9.9.9"] = "old" }, CancellationToken.None);

        Assert.Equal(ErrorCodes.PackageVersionNotFound, result.Failure?.Code);
        Assert.Equal(stamp, Stamp());
    }

    [Fact]
    public async Task UnpublishVersions_DeletesTheVersionsNotKept_RecomputesLatest_AndFreesTheirBlobs()
    {
        await Publish("lib", "1.0.0");
        var blobs = BlobFiles();
        await Publish("lib", "1.1.0");
        await Publish("lib", "2.0.0-rc.1", tag: "next");
        Assert.True(Packages.UpdateStatus(Domain, Repo, "npm", null, "lib", ["2.0.0-rc.1"], PackageService.Archived).Succeeded);

        var deleted = Packages.UnpublishNpmVersions(Domain, Repo, null, "lib", Stamp(), ["1.0.0"]);

        Assert.Equal(["1.1.0"], deleted.Value!);
        var package = await Package();
        Assert.Equal(["1.0.0"], package.Versions.Select(v => v.Version));
        Assert.Equal("1.0.0", Packages.GetDistTags(Domain, Repo, null, "lib").Value!["latest"]);
        // Versions npm never saw (Archived) are not npm's to delete.
        Assert.Contains(Packages.ListVersions(Domain, Repo, "npm", null, "lib").Value!, v => v.Version == "2.0.0-rc.1");
        Assert.True(Packages.DeleteVersions(Domain, Repo, "npm", null, "lib", ["2.0.0-rc.1"]).Succeeded);
        Assert.Equal(blobs, BlobFiles());
    }

    [Fact]
    public async Task Unpublish_WithAStaleRevision_IsAConflict_AndDeletesNothing()
    {
        await Publish("lib", "1.0.0");
        var stale = Stamp();
        await Publish("lib", "1.1.0");

        var versions = Packages.UnpublishNpmVersions(Domain, Repo, null, "lib", stale, ["1.0.0"]);
        var package = Packages.UnpublishNpmPackage(Domain, Repo, null, "lib", stale);

        Assert.Equal((ErrorCodes.MismatchedRevision, FailureKind.Conflict), (versions.Failure?.Code, versions.Failure!.Kind));
        Assert.Equal(ErrorCodes.MismatchedRevision, package.Failure?.Code);
        Assert.Equal(2, (await Package()).Versions.Count);
    }

    [Fact]
    public async Task UnpublishPackage_RemovesEverything_AndTheTarballDeleteThenFindsItGone()
    {
        await Publish("lib", "1.0.0");
        await Publish("lib", "1.1.0");
        Assert.True(Packages.UpdateStatus(Domain, Repo, "npm", null, "lib", ["1.1.0"], PackageService.Archived).Succeeded);

        Assert.True(Packages.UnpublishNpmPackage(Domain, Repo, null, "lib", Stamp()).Succeeded);

        Assert.Equal(ErrorCodes.PackageNotFound, Packages.GetNpmStamp(Domain, Repo, null, "lib").Failure?.Code);
        Assert.Equal(0, BlobFiles());
        Assert.False(Packages.DeleteNpmTarball(Domain, Repo, null, "lib", "lib-1.0.0.tgz", "0-any").Value);
    }

    [Fact]
    public async Task DeleteTarball_OfAVersionStillThere_DeletesIt_WhenTheRevisionIsCurrent()
    {
        await Publish("lib", "1.0.0");
        await Publish("lib", "1.1.0");

        Assert.Equal(ErrorCodes.MismatchedRevision, Packages.DeleteNpmTarball(Domain, Repo, null, "lib", "lib-1.1.0.tgz", "2-stale").Failure?.Code);
        Assert.True(Packages.DeleteNpmTarball(Domain, Repo, null, "lib", "lib-1.1.0.tgz", Stamp()).Value);

        Assert.Equal(["1.0.0"], (await Package()).Versions.Select(v => v.Version));
        Assert.Equal("1.0.0", (await Package()).DistTags["latest"]);
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("v2.1.0")]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("a/b")]
    public async Task DistTag_ThatNpmCouldNotUse_IsRefused(string tag)
    {
        await Publish("lib", "1.0.0");

        Assert.Equal(PackageService.NpmInvalidDistTag, Packages.SetNpmDistTag(Domain, Repo, null, "lib", tag, "1.0.0").Failure?.Code);
    }

    [Fact]
    public async Task DistTags_PointOnlyAtPublishedVersions_AndLatestCannotBeRemoved()
    {
        await Publish("lib", "1.0.0");
        await Publish("lib", "1.1.0");
        Assert.True(Packages.UpdateStatus(Domain, Repo, "npm", null, "lib", ["1.1.0"], PackageService.Unlisted).Succeeded);

        Assert.Equal(ErrorCodes.InvalidStatus, Packages.SetNpmDistTag(Domain, Repo, null, "lib", "beta", "1.1.0").Failure?.Code);
        Assert.Equal(ErrorCodes.PackageVersionNotFound, Packages.SetNpmDistTag(Domain, Repo, null, "lib", "beta", "3.0.0").Failure?.Code);
        Assert.Equal(PackageService.NpmInvalidDistTag, Packages.RemoveNpmDistTag(Domain, Repo, null, "lib", "latest").Failure?.Code);
        Assert.Equal(PackageService.NpmDistTagNotFound, Packages.RemoveNpmDistTag(Domain, Repo, null, "lib", "nope").Failure?.Code);
        var tags = Packages.SetNpmDistTag(Domain, Repo, null, "lib", "stable", "1.0.0");
        Assert.Equal(new Dictionary<string, string> { ["latest"] = "1.0.0", ["stable"] = "1.0.0" }, tags.Value!);
    }

    [Fact]
    public async Task Search_MatchesNameDescriptionAndKeywords_OfTheLatestVisibleVersion()
    {
        await Publish("lib", "1.0.0", ""","keywords":["parsing","fast"],"homepage":"https://example.test/lib" """);
        await Publish("@team/lib-extra", "1.0.0");
        await Publish("hidden", "1.0.0", ""","keywords":["parsing"]""");
        Assert.True(Packages.UpdateStatus(Domain, Repo, "npm", null, "hidden", ["1.0.0"], PackageService.Unlisted).Succeeded);

        var byName = (await Packages.SearchNpmAsync(Domain, Repo, "lib", 0, 20, CancellationToken.None)).Value!;
        var byKeyword = (await Packages.SearchNpmAsync(Domain, Repo, "keywords:parsing", 0, 20, CancellationToken.None)).Value!;
        var byDescription = (await Packages.SearchNpmAsync(Domain, Repo, "does things", 0, 20, CancellationToken.None)).Value!;
        var byScope = (await Packages.SearchNpmAsync(Domain, Repo, "scope:team", 0, 20, CancellationToken.None)).Value!;
        var paged = (await Packages.SearchNpmAsync(Domain, Repo, "", 1, 1, CancellationToken.None)).Value!;

        Assert.Equal(["lib", "@team/lib-extra"], byName.Objects.Select(o => o.Name));
        Assert.Equal(1.0, byName.Objects[0].Score);
        var hit = Assert.Single(byKeyword.Objects);
        Assert.Equal(("lib", "1.0.0", "https://example.test/lib"), (hit.Name, hit.Version, hit.HomePage));
        Assert.Equal(["parsing", "fast"], hit.Keywords);
        Assert.Equal(2, byDescription.Total);
        Assert.Equal(["@team/lib-extra"], byScope.Objects.Select(o => o.Name));
        Assert.Equal((2, 1), (paged.Total, paged.Objects.Count));
    }
}
