using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Services;

namespace CodeArtifact.Core.Tests;

/// <summary>
/// Upstream chains over local repositories: search order, the 25-repository cap, origin-control pruning, external connection
/// members, retention through OpenAssetThroughUpstreamsAsync, listings that include upstreams, and the dependency-confusion
/// check on publish.
/// </summary>
public sealed class UpstreamChainTests : IDisposable
{
    private const string Domain = "chains";
    private const string Lib = "demo-lib";
    private const string LibVersion = "1.2.3";
    private const string LibAsset = "demo-lib-1.2.3.tgz";
    private readonly TempStore _temp = new();

    public UpstreamChainTests()
    {
        Assert.True(Store.Domains.Create(Domain).Succeeded);
    }

    private CaStore Store => _temp.Store;

    private PackageService Packages => Store.Packages;

    public void Dispose() => _temp.Dispose();

    // ------------------------------------------------------------------ helpers

    private void Repo(string name, params string[] upstreams)
    {
        var created = Store.Repositories.Create(Domain, name, upstreams: upstreams);
        Assert.True(created.Succeeded, created.Failure?.Message);
    }

    private void SetUpstreams(string name, params string[] upstreams)
    {
        var updated = Store.Repositories.Update(Domain, name, null, upstreams);
        Assert.True(updated.Succeeded, updated.Failure?.Message);
    }

    private UpstreamChain Chain(string repository, string package = Lib, string format = "npm")
    {
        var chain = Packages.ResolveChain(Domain, repository, format, null, package);
        Assert.True(chain.Succeeded, chain.Failure?.Message);
        return chain.Value!;
    }

    private static string[] Names(UpstreamChain chain) =>
        chain.Members.Select(m => m.IsExternal ? $"{m.Repository}:{m.External!.Name}" : m.Repository).ToArray();

    private static string Fixture(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fixtures", relative);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException(relative);
    }

    private static byte[] FixtureBytes() => File.ReadAllBytes(Fixture("npm/" + LibAsset));

    private Task<Outcome<PackageVersionInfo>> PublishFixture(string repository) =>
        Packages.PublishAsync(new PublishRequest(Domain, repository, LibAsset), new MemoryStream(FixtureBytes()), CancellationToken.None);

    private Task<Outcome<PackageVersionInfo>> PublishTarball(string repository, string name, string version) =>
        Packages.PublishAsync(new PublishRequest(Domain, repository, $"{name}-{version}.tgz") { Format = "npm", Package = name, Version = version },
            new MemoryStream(NpmTarball.Create(name, version)), CancellationToken.None);

    private async Task<byte[]> OpenThrough(string repository, string package = Lib, string version = LibVersion, string asset = LibAsset)
    {
        var opened = await Packages.OpenAssetThroughUpstreamsAsync(Domain, repository, "npm", null, package, version, asset, CancellationToken.None);
        Assert.True(opened.Succeeded, opened.Failure?.Message);
        await using var content = opened.Value.Content;
        using var copy = new MemoryStream();
        await content.CopyToAsync(copy);
        return copy.ToArray();
    }

    private bool Holds(string repository, string package = Lib, string version = LibVersion) =>
        Packages.ListVersions(Domain, repository, "npm", null, package).Value?.Any(v => v.Version == version) == true;

    private long RefCount(string sha256)
    {
        using var connection = Store.Catalog.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT b.ref_count FROM blobs b JOIN domains d ON d.id = b.domain_id WHERE d.name = $d AND b.sha256 = $sha;";
        command.Parameters.AddWithValue("$d", Domain);
        command.Parameters.AddWithValue("$sha", sha256);
        return command.ExecuteScalar() is long count ? count : 0;
    }

    // ------------------------------------------------------------------ search order

    [Fact]
    public void ResolveChain_FollowsTheGuidesExample_DepthFirstInConfiguredOrder()
    {
        // my_repo -> [A -> [C, D -> [E]], B] (repository names have at least two characters)
        Repo("repo-e");
        Repo("repo-c");
        Repo("repo-d", "repo-e");
        Repo("repo-a", "repo-c", "repo-d");
        Repo("repo-b");
        Repo("my_repo", "repo-a", "repo-b");

        string[] expected = ["my_repo", "repo-a", "repo-c", "repo-d", "repo-e", "repo-b"];
        Assert.Equal(expected, Names(Chain("my_repo")));
        Assert.Equal(expected, Store.Repositories.ResolveSearchOrder(Domain, "my_repo").Value!);
        Assert.Equal(["repo-a", "repo-c", "repo-d", "repo-e"], Names(Chain("repo-a")));
        Assert.True(Chain("repo-e").IsLocalOnly);
    }

    [Fact]
    public void ResolveChain_VisitsEachRepositoryOnce_InADiamond()
    {
        // top -> [left -> [shared], right -> [shared -> [base]]]
        Repo("base");
        Repo("shared", "base");
        Repo("left", "shared");
        Repo("right", "shared");
        Repo("top", "left", "right");

        var names = Names(Chain("top"));

        Assert.Equal(["top", "left", "shared", "base", "right"], names);
        Assert.Equal(names.Length, names.Distinct().Count());
    }

    [Fact]
    public void ResolveChain_StopsAt25Repositories_InADeepChain()
    {
        for (var i = 29; i >= 0; i--)
        {
            if (i == 29) Repo($"deep{i:D2}");
            else Repo($"deep{i:D2}", $"deep{i + 1:D2}");
        }

        var names = Names(Chain("deep00"));

        Assert.Equal(PSCodeArtifact.Core.Names.MaxUpstreamsSearched, names.Length);
        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"deep{i:D2}"), names);
        Assert.Equal(names, Store.Repositories.ResolveSearchOrder(Domain, "deep00").Value!);
    }

    [Fact]
    public void ResolveChain_StopsAt25Repositories_InAWideAndDeepGraph()
    {
        // root -> 10 branches, each three repositories deep: 31 repositories reachable, 25 searched.
        var branches = new List<string>();
        for (var b = 0; b < PSCodeArtifact.Core.Names.MaxDirectUpstreams; b++)
        {
            Repo($"b{b}-3");
            Repo($"b{b}-2", $"b{b}-3");
            Repo($"b{b}-1", $"b{b}-2");
            branches.Add($"b{b}-1");
        }
        Repo("root");
        SetUpstreams("root", [.. branches]);

        var names = Names(Chain("root"));

        var expected = new[] { "root" }.Concat(Enumerable.Range(0, 10).SelectMany(b => new[] { $"b{b}-1", $"b{b}-2", $"b{b}-3" })).Take(25);
        Assert.Equal(expected, names);
        Assert.Equal(names, Store.Repositories.ResolveSearchOrder(Domain, "root").Value!);
    }

    [Fact]
    public void ResolveChain_IsComputedFromTheCatalog_SoAChangedUpstreamListAppliesAtOnce()
    {
        Repo("one");
        Repo("two");
        Repo("app", "one");
        var before = Chain("app");

        SetUpstreams("app", "two", "one");
        var after = Chain("app");

        Assert.Equal(["app", "one"], Names(before));
        Assert.Equal(["app", "two", "one"], Names(after));
        Assert.NotEqual(before.Stamp, after.Stamp);
    }

    // ------------------------------------------------------------------ origin controls and external connections

    [Fact]
    public void ResolveChain_UpstreamBlockOnAMember_PrunesWhatLiesBehindIt()
    {
        // app -> [team -> [store], other]
        Repo("store");
        Repo("team", "store");
        Repo("other");
        Repo("app", "team", "other");
        Assert.True(Packages.SetOriginConfiguration(Domain, "team", "npm", null, Lib, PackageOriginConfiguration.Allow, PackageOriginConfiguration.Block).Succeeded);

        Assert.Equal(["app", "team", "other"], Names(Chain("app")));
        // Only for that package: another package still sees the whole chain.
        Assert.Equal(["app", "team", "store", "other"], Names(Chain("app", "another")));
    }

    [Fact]
    public void ResolveChain_UpstreamBlockOnTheAskedRepository_SearchesOnlyIt()
    {
        Repo("store");
        Repo("app", "store");
        Assert.True(Packages.SetOriginConfiguration(Domain, "app", "npm", null, Lib, PackageOriginConfiguration.Allow, PackageOriginConfiguration.Block).Succeeded);

        var chain = Chain("app");

        Assert.True(chain.IsLocalOnly);
        Assert.NotNull(chain.Asked.PackageId);
    }

    [Fact]
    public void ResolveChain_ARepositoryBehindABlockingMember_IsStillSearchedThroughAnotherPath()
    {
        // app -> [team -> [shared], other -> [shared]]: team blocks, other does not.
        Repo("shared");
        Repo("team", "shared");
        Repo("other", "shared");
        Repo("app", "team", "other");
        Assert.True(Packages.SetOriginConfiguration(Domain, "team", "npm", null, Lib, PackageOriginConfiguration.Allow, PackageOriginConfiguration.Block).Succeeded);

        Assert.Equal(["app", "team", "other", "shared"], Names(Chain("app")));
    }

    [Fact]
    public void ResolveChain_AnExternalConnectionMember_FollowsItsHolder()
    {
        Repo("store");
        Repo("other");
        Repo("app", "store", "other");
        Assert.True(Store.ExternalConnections.New(Domain, "public:npm", "npm", new Uri("http://127.0.0.1:9/npm/")).Succeeded);
        Assert.True(Store.ExternalConnections.Connect(Domain, "store", "public:npm").Succeeded);

        var chain = Chain("app");

        Assert.Equal(["app", "store", "store:public:npm", "other"], Names(chain));
        var external = chain.Members[2];
        Assert.True(external.IsExternal);
        Assert.Equal(chain.Members[1].RepositoryId, external.RepositoryId);
        Assert.Equal("store", external.External!.HolderRepository);
        Assert.Equal(chain.Members[1].RepositoryId, external.External.HolderRepositoryId);
    }

    [Fact]
    public void ResolveChain_ConnectionOfTheAskedRepository_ComesRightAfterIt_AndOnlyForItsFormat()
    {
        Repo("up");
        Repo("store", "up");
        Assert.True(Store.ExternalConnections.New(Domain, "public:npm", "npm", new Uri("http://127.0.0.1:9/npm/")).Succeeded);
        Assert.True(Store.ExternalConnections.Connect(Domain, "store", "public:npm").Succeeded);

        Assert.Equal(["store", "store:public:npm", "up"], Names(Chain("store")));
        Assert.Equal(["store", "up"], Names(Chain("store", "tiny-demo", "pypi")));
    }

    [Fact]
    public void ResolveChain_UpstreamBlockOnTheHolder_HidesItsConnection()
    {
        Repo("store");
        Repo("app", "store");
        Assert.True(Store.ExternalConnections.New(Domain, "public:npm", "npm", new Uri("http://127.0.0.1:9/npm/")).Succeeded);
        Assert.True(Store.ExternalConnections.Connect(Domain, "store", "public:npm").Succeeded);
        Assert.True(Packages.SetOriginConfiguration(Domain, "store", "npm", null, Lib, PackageOriginConfiguration.Allow, PackageOriginConfiguration.Block).Succeeded);

        Assert.Equal(["app", "store"], Names(Chain("app")));
    }

    [Fact]
    public void ResolveChain_GenericPackages_AreNeverSearchedUpstream()
    {
        Repo("store");
        Repo("app", "store");

        Assert.True(Packages.ResolveChain(Domain, "app", "generic", "tools", "tool").Value!.IsLocalOnly);
    }

    // ------------------------------------------------------------------ retention

    [Fact]
    public async Task OpenThroughUpstreams_RetainsInTheAskedRepository_NotInTheOnesBetween()
    {
        Repo("store");
        Repo("team", "store");
        Repo("app", "team");
        Assert.True((await PublishFixture("store")).Succeeded);
        var sha = Convert.ToHexStringLower(SHA256.HashData(FixtureBytes()));
        Assert.Equal(1, RefCount(sha));

        var bytes = await OpenThrough("app");

        Assert.Equal(FixtureBytes(), bytes);
        Assert.True(Holds("app"));
        Assert.Equal(ErrorCodes.PackageNotFound, Packages.ListVersions(Domain, "team", "npm", null, Lib).Failure!.Code);
        var retained = Packages.ListVersions(Domain, "app", "npm", null, Lib).Value!.Single();
        Assert.Equal(("INTERNAL", "store"), (retained.Origin.OriginType, retained.Origin.DomainEntryPointRepository));
        Assert.Equal(Packages.ListVersions(Domain, "store", "npm", null, Lib).Value!.Single().Revision, retained.Revision);
        Assert.Equal(PackageOriginConfiguration.External, Packages.GetOriginConfiguration(Domain, "app", "npm", null, Lib).Value);
        // Metadata only: one blob, referenced by both versions.
        Assert.Equal(2, RefCount(sha));
        Assert.Single(Packages.ListAssets(Domain, "app", "npm", null, Lib, LibVersion).Value!);
    }

    [Fact]
    public async Task OpenThroughUpstreams_ASecondOpen_ServesTheRetainedCopy_WithoutMoreReferences()
    {
        Repo("store");
        Repo("app", "store");
        Assert.True((await PublishFixture("store")).Succeeded);
        var sha = Convert.ToHexStringLower(SHA256.HashData(FixtureBytes()));
        var blobs = Store.Blobs.ListAddresses(Domain).Count();

        await OpenThrough("app");
        await OpenThrough("app");

        Assert.Equal(2, RefCount(sha));
        Assert.Equal(blobs, Store.Blobs.ListAddresses(Domain).Count());
    }

    [Fact]
    public async Task RetainedVersion_StillOpens_AfterTheUpstreamLinkAndTheUpstreamVersionAndRepositoryAreGone()
    {
        Repo("store");
        Repo("team", "store");
        Repo("app", "team");
        Assert.True((await PublishFixture("store")).Succeeded);
        var sha = Convert.ToHexStringLower(SHA256.HashData(FixtureBytes()));
        await OpenThrough("app");

        SetUpstreams("app");
        Assert.Equal(FixtureBytes(), await OpenThrough("app"));

        var deleted = Packages.DeleteVersions(Domain, "store", "npm", null, Lib, [LibVersion]);
        Assert.True(deleted.Succeeded && deleted.Value!.All(r => r.Succeeded));
        Assert.Equal(1, RefCount(sha));
        Assert.Equal(FixtureBytes(), await OpenThrough("app"));

        Assert.True(Store.Repositories.Remove(Domain, "store", force: true).Succeeded);
        Assert.Equal(FixtureBytes(), await OpenThrough("app"));
        Assert.Equal(1, RefCount(sha));
    }

    [Fact]
    public async Task OpenThroughUpstreams_ServesTheFirstRepositoryHoldingTheVersion()
    {
        Repo("first");
        Repo("second");
        Repo("app", "first", "second");
        Assert.True((await PublishTarball("second", "twice", "1.0.0")).Succeeded);
        var firstBytes = NpmTarball.Create("twice", "1.0.0", "first");
        Assert.True((await Packages.PublishAsync(new PublishRequest(Domain, "first", "twice-1.0.0.tgz"), new MemoryStream(firstBytes), CancellationToken.None)).Succeeded);

        var bytes = await OpenThrough("app", "twice", "1.0.0", "twice-1.0.0.tgz");

        Assert.Equal(firstBytes, bytes);
        Assert.Equal("first", Packages.ListVersions(Domain, "app", "npm", null, "twice").Value!.Single().Origin.DomainEntryPointRepository);
    }

    [Fact]
    public async Task OpenThroughUpstreams_DoesNotRetain_WhenTheAskedPackageBlocksUpstreams()
    {
        Repo("store");
        Repo("app", "store");
        Assert.True((await PublishFixture("store")).Succeeded);
        Assert.True(Packages.SetOriginConfiguration(Domain, "app", "npm", null, Lib, PackageOriginConfiguration.Allow, PackageOriginConfiguration.Block).Succeeded);

        var opened = await Packages.OpenAssetThroughUpstreamsAsync(Domain, "app", "npm", null, Lib, LibVersion, LibAsset, CancellationToken.None);

        Assert.Equal(ErrorCodes.PackageVersionNotFound, opened.Failure?.Code);
        Assert.False(Holds("app"));
    }

    [Fact]
    public async Task OpenThroughUpstreams_AVersionNowhere_IsNotFound()
    {
        Repo("store");
        Repo("app", "store");
        Assert.True((await PublishFixture("store")).Succeeded);

        var opened = await Packages.OpenAssetThroughUpstreamsAsync(Domain, "app", "npm", null, Lib, "9.9.9", "demo-lib-9.9.9.tgz", CancellationToken.None);

        Assert.Equal(FailureKind.NotFound, opened.Failure?.Kind);
        Assert.False(Holds("app", Lib, "9.9.9"));
    }

    // ------------------------------------------------------------------ listings that include upstreams

    [Fact]
    public async Task ListIncludingUpstreams_AddsWhatUpstreamsHold_FirstRepositoryWins()
    {
        Repo("store");
        Repo("team", "store");
        Repo("app", "team");
        Assert.True((await PublishFixture("store")).Succeeded);
        Assert.True((await PublishTarball("team", "team-only", "1.0.0")).Succeeded);
        Assert.True((await PublishTarball("store", "team-only", "0.9.0")).Succeeded);
        Assert.True((await PublishTarball("team", "shared", "1.0.0")).Succeeded);
        Assert.True((await PublishTarball("store", "shared", "2.0.0")).Succeeded);
        Assert.True((await PublishTarball("app", "own", "1.0.0")).Succeeded);

        var packages = Packages.ListPackagesIncludingUpstreams(Domain, "app").Value!;
        // Published in team first, "shared" there has upstream=BLOCK: store's versions are behind it.
        var blocked = Packages.ListVersionsIncludingUpstreams(Domain, "app", "npm", null, "shared").Value!;
        Assert.True(Packages.SetOriginConfiguration(Domain, "team", "npm", null, "shared", PackageOriginConfiguration.Allow, PackageOriginConfiguration.Allow).Succeeded);
        var versions = Packages.ListVersionsIncludingUpstreams(Domain, "app", "npm", null, "shared").Value!;

        Assert.Equal([(Lib, "store"), ("own", "app"), ("shared", "team"), ("team-only", "team")],
            packages.Select(p => (p.Package, p.Repository)).OrderBy(p => p.Package, StringComparer.Ordinal));
        Assert.Equal([("1.0.0", "team")], blocked.Select(v => (v.Version, v.Repository)));
        Assert.Equal([("1.0.0", "team"), ("2.0.0", "store")], versions.Select(v => (v.Version, v.Repository)));
        Assert.Equal(["own"], Packages.ListPackages(Domain, "app").Value!.Select(p => p.Package));
        Assert.Equal(ErrorCodes.PackageNotFound, Packages.ListVersions(Domain, "app", "npm", null, "shared").Failure!.Code);
    }

    [Fact]
    public async Task ListVersionsIncludingUpstreams_HonoursUpstreamBlock_AndFiltersByStatusAfterTheChoice()
    {
        Repo("store");
        Repo("app", "store");
        Assert.True((await PublishTarball("store", "pkg", "1.0.0")).Succeeded);
        Assert.True((await PublishTarball("store", "pkg", "2.0.0")).Succeeded);
        Assert.True(Packages.UpdateStatus(Domain, "store", "npm", null, "pkg", ["2.0.0"], PackageService.Unlisted).Succeeded);

        Assert.Equal(["2.0.0"], Packages.ListVersionsIncludingUpstreams(Domain, "app", "npm", null, "pkg", PackageService.Unlisted).Value!.Select(v => v.Version));

        Assert.True(Packages.SetOriginConfiguration(Domain, "app", "npm", null, "pkg", PackageOriginConfiguration.Allow, PackageOriginConfiguration.Block).Succeeded);
        Assert.Empty(Packages.ListVersionsIncludingUpstreams(Domain, "app", "npm", null, "pkg").Value!);
        Assert.Equal(ErrorCodes.PackageNotFound, Packages.ListVersionsIncludingUpstreams(Domain, "app", "npm", null, "nowhere").Failure!.Code);
    }

    // ------------------------------------------------------------------ dependency confusion

    [Fact]
    public async Task Publish_APackageReachableUpstream_IsRefused_UntilItsOriginConfigurationAllowsIt()
    {
        Repo("team");
        Repo("app", "team");
        Assert.True((await PublishFixture("team")).Succeeded);

        var refused = await PublishFixture("app");

        Assert.Equal(ErrorCodes.PackageReachableUpstream, refused.Failure?.Code);
        Assert.Equal(FailureKind.Conflict, refused.Failure!.Kind);
        Assert.Contains("'team'", refused.Failure.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCodes.PackageNotFound, Packages.GetPackage(Domain, "app", "npm", null, Lib).Failure?.Code);

        Assert.True(Packages.SetOriginConfiguration(Domain, "app", "npm", null, Lib, PackageOriginConfiguration.Allow, PackageOriginConfiguration.Block).Succeeded);
        var published = await PublishFixture("app");

        Assert.True(published.Succeeded, published.Failure?.Message);
        Assert.Equal("INTERNAL", published.Value!.Origin.OriginType);
    }

    [Fact]
    public async Task Publish_WithAllowAllow_RefusesOnlyTheVersionsReachableUpstream()
    {
        Repo("team");
        Repo("app", "team");
        Assert.True((await PublishTarball("team", "pkg", "1.0.0")).Succeeded);
        Assert.True(Packages.SetOriginConfiguration(Domain, "app", "npm", null, "pkg", PackageOriginConfiguration.Allow, PackageOriginConfiguration.Allow).Succeeded);

        var same = await PublishTarball("app", "pkg", "1.0.0");
        var other = await PublishTarball("app", "pkg", "1.1.0");

        Assert.Equal(ErrorCodes.PackageReachableUpstream, same.Failure?.Code);
        Assert.True(other.Succeeded, other.Failure?.Message);
    }

    [Fact]
    public async Task Publish_APackageNoUpstreamHolds_OrOnlyHoldsArchived_IsAllowed()
    {
        Repo("team");
        Repo("app", "team");
        Assert.True((await PublishTarball("team", "old", "1.0.0")).Succeeded);
        Assert.True(Packages.UpdateStatus(Domain, "team", "npm", null, "old", ["1.0.0"], PackageService.Archived).Succeeded);

        Assert.True((await PublishTarball("app", "fresh", "1.0.0")).Succeeded);
        Assert.True((await PublishTarball("app", "old", "2.0.0")).Succeeded);
    }

    [Fact]
    public async Task Publish_WhenTheCheckNeedsARemoteThatIsDown_IsUpstreamUnavailable_AndStoresNothing()
    {
        Repo("store");
        Repo("app", "store");
        var down = new Uri($"http://127.0.0.1:{FakeRegistry.FreePort()}/npm/");
        Assert.True(Store.ExternalConnections.New(Domain, "public:npm", "npm", down).Succeeded);
        Assert.True(Store.ExternalConnections.Connect(Domain, "store", "public:npm").Succeeded);
        var blobs = Store.Blobs.ListAddresses(Domain).Count();

        var refused = await PublishTarball("app", "pkg", "1.0.0");

        Assert.Equal(ErrorCodes.UpstreamUnavailable, refused.Failure?.Code);
        Assert.Contains("public:npm", refused.Failure!.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCodes.PackageNotFound, Packages.GetPackage(Domain, "app", "npm", null, "pkg").Failure?.Code);
        Assert.Equal(blobs, Store.Blobs.ListAddresses(Domain).Count());

        // A package of app's own, with upstream=BLOCK, needs no remote.
        Assert.True(Packages.SetOriginConfiguration(Domain, "app", "npm", null, "pkg", PackageOriginConfiguration.Allow, PackageOriginConfiguration.Block).Succeeded);
        Assert.True((await PublishTarball("app", "pkg", "1.0.0")).Succeeded);
    }

    [Fact]
    public async Task Publish_ToTheUpstreamItself_IsNotAffectedByItsDownstreams()
    {
        Repo("team");
        Repo("app", "team");
        Assert.True((await PublishTarball("app", "pkg", "1.0.0")).Succeeded);

        Assert.True((await PublishTarball("team", "pkg", "1.0.0")).Succeeded);
    }
}

/// <summary>Builds small npm tarballs (package/package.json and a readme) for tests.</summary>
internal static class NpmTarball
{
    public static byte[] Create(string name, string version, string description = "does things")
    {
        var json = $$"""{"name":"{{name}}","version":"{{version}}","description":"{{name}} {{description}}"}""";
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "package/package.json") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(json)) });
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "package/README.md") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes($"# {name} {version}\n")) });
        }
        return buffer.ToArray();
    }
}
