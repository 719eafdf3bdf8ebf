using System.Collections.Concurrent;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Services;

namespace CodeArtifact.Core.Tests;

/// <summary>
/// NuGet through upstreams and an external connection, against a fake remote feed on loopback: the chain app -> store, store
/// connected to the remote. Merged version lists and registrations, ingestion verified against packageHash, garbage and
/// outages, search merging and the dependency-confusion check on push.
/// </summary>
public sealed class NugetUpstreamTests : UpstreamFixture
{
    private const string Domain = "nup";
    private readonly NugetFeed _remote;

    public NugetUpstreamTests()
        : base(Domain, "/", "store", "app")
    {
        _remote = new NugetFeed(Registry);
        Connect("store", "public:nuget", "nuget", _remote.ServiceIndex);
    }

    private static byte[] Nupkg(string id, string version, string description = "From the remote.")
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var entry = zip.CreateEntry($"{id}.nuspec").Open();
            entry.Write(Encoding.UTF8.GetBytes($"""
                <?xml version="1.0" encoding="utf-8"?>
                <package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
                  <metadata><id>{id}</id><version>{version}</version><authors>Tests</authors><description>{description}</description></metadata>
                </package>
                """));
        }
        return buffer.ToArray();
    }

    private async Task Push(string repository, byte[] nupkg)
    {
        var pushed = await Packages.PushNugetAsync(Domain, repository, "package.nupkg", new MemoryStream(nupkg), CancellationToken.None);
        Assert.True(pushed.Succeeded, pushed.Failure?.Message);
    }

    /// <summary>A package held by store that still takes upstream versions (as an ingested package would).</summary>
    private async Task PushToStoreAllowingUpstream(byte[] nupkg, string id)
    {
        await Push("store", nupkg);
        Assert.True(Packages.SetOriginConfiguration(Domain, "store", "nuget", null, id, "ALLOW", "ALLOW").Succeeded);
    }

    private async Task<IReadOnlyList<string>> Versions(string id, string repository = "app")
    {
        var versions = await Packages.ListNugetVersionsThroughUpstreamsAsync(Domain, repository, id, CancellationToken.None);
        Assert.True(versions.Succeeded, versions.Failure?.Message);
        return versions.Value!;
    }

    [Fact]
    public async Task RemoteOnlyPackage_IsListedAndIngestedOnDownload_VerifiedAgainstItsPackageHash()
    {
        var nupkg = Nupkg("Remote.Pkg", "1.0.0");
        _remote.AddPackage("Remote.Pkg", ("1.0.0", nupkg), ("2.0.0-Beta.1", Nupkg("Remote.Pkg", "2.0.0-Beta.1")));

        Assert.Equal(["1.0.0", "2.0.0-beta.1"], await Versions("remote.pkg"));
        var opened = await Packages.OpenNugetPackageThroughUpstreamsAsync(Domain, "app", "Remote.Pkg", "1.0.0", CancellationToken.None);

        Assert.True(opened.Succeeded, opened.Failure?.Message);
        using (var content = new MemoryStream())
        {
            await using (opened.Value.Content) await opened.Value.Content.CopyToAsync(content);
            Assert.Equal(nupkg, content.ToArray());
        }
        var stored = Packages.ListVersions(Domain, "store", "nuget", null, "Remote.Pkg").Value!.Single();
        Assert.Equal("EXTERNAL", stored.Origin.OriginType);
        Assert.Equal("public:nuget", stored.Origin.DomainEntryPointExternalConnection);
        Assert.Equal("1.0.0", Packages.ListVersions(Domain, "app", "nuget", null, "Remote.Pkg").Value!.Single().Version);
    }

    [Fact]
    public async Task NuspecOfARemoteOnlyVersion_IsServedFromTheIngestedNupkg()
    {
        _remote.AddPackage("Remote.Pkg", ("1.0.0", Nupkg("Remote.Pkg", "1.0.0")));

        var opened = await Packages.OpenNugetManifestThroughUpstreamsAsync(Domain, "app", "remote.pkg", "1.0.0", CancellationToken.None);

        Assert.True(opened.Succeeded, opened.Failure?.Message);
        using var reader = new StreamReader(opened.Value.Content);
        Assert.Contains("<id>Remote.Pkg</id>", await reader.ReadToEndAsync());
        Assert.Equal("remote.pkg.nuspec", opened.Value.Asset.Name);
        Assert.True(Packages.ListVersions(Domain, "store", "nuget", null, "Remote.Pkg").Succeeded);
    }

    [Fact]
    public async Task RegistrationPagesThatAreNotInlined_AreFetched_ForTheHash()
    {
        var nupkg = Nupkg("Paged.Pkg", "1.0.0");
        _remote.AddPackage("Paged.Pkg", inlinePages: false, ("1.0.0", nupkg));

        var opened = await Packages.OpenNugetPackageThroughUpstreamsAsync(Domain, "app", "paged.pkg", "1.0.0", CancellationToken.None);

        Assert.True(opened.Succeeded, opened.Failure?.Message);
        await opened.Value.Content.DisposeAsync();
        Assert.Contains("/v3/registration/paged.pkg/page.json", Registry.Requests);
    }

    [Fact]
    public async Task RegistrationWithMorePagesToFetchThanAFeedServes_IsUpstreamInvalid_WithoutFetchingThemAll()
    {
        var nupkg = Nupkg("Many.Pages", "1.0.0");
        Registry.Serve("/v3/flatcontainer/many.pages/index.json", """{"versions":["1.0.0"]}""");
        Registry.Serve("/v3/flatcontainer/many.pages/1.0.0/many.pages.1.0.0.nupkg", nupkg);
        var pages = Enumerable.Range(0, 500).Select(i => new Dictionary<string, string> { ["@id"] = $"{Registry.BaseUri}v3/registration/many.pages/page{i}.json" });
        Registry.Serve("/v3/registration/many.pages/index.json", JsonSerializer.SerializeToUtf8Bytes(new { count = 500, items = pages }));
        for (var i = 0; i < 500; i++) Registry.Serve($"/v3/registration/many.pages/page{i}.json", """{"items":[]}""");

        var opened = await Packages.OpenNugetPackageThroughUpstreamsAsync(Domain, "app", "Many.Pages", "1.0.0", CancellationToken.None);

        Assert.Equal(ErrorCodes.UpstreamInvalid, opened.Failure?.Code);
        Assert.True(opened.Failure!.Message.Contains("pages to fetch", StringComparison.Ordinal), opened.Failure.Message);
        Assert.InRange(Registry.Requests.Count(r => r.Contains("/page", StringComparison.Ordinal)), 1, 128);
        Assert.False(Packages.ListVersions(Domain, "store", "nuget", null, "Many.Pages").Succeeded);
    }

    [Fact]
    public async Task RemoteNupkgThatDoesNotMatchItsPackageHash_IsRefused_AndNothingIsStored()
    {
        _remote.AddPackage("Forged.Pkg", ("1.0.0", Nupkg("Forged.Pkg", "1.0.0")));
        Registry.Serve("/v3/flatcontainer/forged.pkg/1.0.0/forged.pkg.1.0.0.nupkg", Nupkg("Forged.Pkg", "1.0.0", "Tampered with."));

        var opened = await Packages.OpenNugetPackageThroughUpstreamsAsync(Domain, "app", "Forged.Pkg", "1.0.0", CancellationToken.None);

        Assert.Equal(ErrorCodes.UpstreamInvalid, opened.Failure?.Code);
        Assert.Equal(FailureKind.Unavailable, opened.Failure!.Kind);
        Assert.False(Packages.ListVersions(Domain, "store", "nuget", null, "Forged.Pkg").Succeeded);
        Assert.False(Packages.ListVersions(Domain, "app", "nuget", null, "Forged.Pkg").Succeeded);
    }

    [Theory]
    [InlineData("/v3/flatcontainer/junk.pkg/index.json", "this is not JSON")]
    [InlineData("/v3/flatcontainer/junk.pkg/index.json", """{"versions":["1.0.0","not a version"]}""")]
    [InlineData("/v3/flatcontainer/junk.pkg/index.json", """["1.0.0"]""")]
    [InlineData("/v3/index.json", """{"version":"3.0.0","resources":[]}""")]
    public async Task RemoteAnsweringGarbage_IsUpstreamInvalid(string path, string body)
    {
        _remote.AddPackage("Junk.Pkg", ("1.0.0", Nupkg("Junk.Pkg", "1.0.0")));
        Registry.Serve(path, body);

        var versions = await Packages.ListNugetVersionsThroughUpstreamsAsync(Domain, "app", "junk.pkg", CancellationToken.None);

        Assert.Equal(ErrorCodes.UpstreamInvalid, versions.Failure?.Code);
        Assert.Contains("garbage", versions.Failure!.Message);
    }

    [Fact]
    public async Task RemoteThatIsDown_LeavesLocalVersionsServed_AndIsUnavailableWhenNothingElseHasThePackage()
    {
        await PushToStoreAllowingUpstream(Nupkg("Mixed.Pkg", "1.0.0"), "Mixed.Pkg");
        Registry.Down = true;

        Assert.Equal(["1.0.0"], await Versions("mixed.pkg"));
        var nothing = await Packages.ListNugetVersionsThroughUpstreamsAsync(Domain, "app", "only.remote", CancellationToken.None);
        var registration = await Packages.GetNugetPackageThroughUpstreamsAsync(Domain, "app", "only.remote", CancellationToken.None);

        Assert.Equal(ErrorCodes.UpstreamUnavailable, nothing.Failure?.Code);
        Assert.Equal(ErrorCodes.UpstreamUnavailable, registration.Failure?.Code);
    }

    [Fact]
    public async Task RemoteThatHasNoSuchPackage_IsNotFound_NotAFailure()
    {
        var versions = await Packages.ListNugetVersionsThroughUpstreamsAsync(Domain, "app", "nowhere.pkg", CancellationToken.None);

        Assert.Equal(ErrorCodes.PackageNotFound, versions.Failure?.Code);
    }

    [Fact]
    public async Task Registration_MergesTheChainAndTheRemote_TheFirstHolderOfAVersionWins()
    {
        await PushToStoreAllowingUpstream(Nupkg("Mixed.Pkg", "1.0.0", "Held by store."), "Mixed.Pkg");
        _remote.AddPackage("Mixed.Pkg", ("1.0.0", Nupkg("Mixed.Pkg", "1.0.0")), ("1.1.0", Nupkg("Mixed.Pkg", "1.1.0")));
        // The push asked the remote (dependency confusion) and cached its 404.
        Store.Remote.Clear();

        var merged = await Packages.GetNugetPackageThroughUpstreamsAsync(Domain, "app", "mixed.pkg", CancellationToken.None);

        Assert.True(merged.Succeeded, merged.Failure?.Message);
        var versions = merged.Value!.Versions;
        Assert.Equal(["1.0.0", "1.1.0"], versions.Select(v => v.Version));
        Assert.Equal("Held by store.", versions[0].Metadata?.Description);
        Assert.Null(versions[0].RemoteCatalogEntry);
        Assert.Equal("From the remote.", versions[1].RemoteCatalogEntry?.GetProperty("description").GetString());
        Assert.Equal(Convert.ToHexStringLower(SHA512.HashData(Nupkg("Mixed.Pkg", "1.1.0"))), versions[1].Sha512);
    }

    [Fact]
    public async Task AVersionTheFirstHolderArchived_IsHidden_EvenThoughTheRemoteHasIt()
    {
        await PushToStoreAllowingUpstream(Nupkg("Mixed.Pkg", "1.0.0", "Held by store."), "Mixed.Pkg");
        Assert.True(Packages.UpdateStatus(Domain, "store", "nuget", null, "Mixed.Pkg", ["1.0.0"], "Archived").Succeeded);
        _remote.AddPackage("Mixed.Pkg", ("1.0.0", Nupkg("Mixed.Pkg", "1.0.0")), ("1.1.0", Nupkg("Mixed.Pkg", "1.1.0")));
        // The push asked the remote (dependency confusion) and cached its 404.
        Store.Remote.Clear();

        Assert.Equal(["1.1.0"], await Versions("mixed.pkg"));
    }

    [Fact]
    public async Task Push_OfAnIdTheRemoteHas_IsRefusedAsReachableUpstream()
    {
        _remote.AddPackage("Remote.Pkg", ("1.0.0", Nupkg("Remote.Pkg", "1.0.0")));

        var pushed = await Packages.PushNugetAsync(Domain, "app", "package.nupkg", new MemoryStream(Nupkg("Remote.Pkg", "3.0.0")), CancellationToken.None);

        Assert.Equal(ErrorCodes.PackageReachableUpstream, pushed.Failure?.Code);
        Assert.Equal(FailureKind.Conflict, pushed.Failure!.Kind);
        Assert.Contains("public:nuget", pushed.Failure.Message);
    }

    [Fact]
    public async Task Search_MergesLocalAndRemoteHits_AndAPackageThatBlocksUpstreamsHidesTheRemoteOne()
    {
        // Published directly, so store's package blocks upstreams: the remote's Alpha.Local must not show through app.
        await Push("store", Nupkg("Alpha.Local", "1.0.0", "Alpha held by store."));
        await PushToStoreAllowingUpstream(Nupkg("Alpha.Mixed", "1.0.0", "Alpha mixed."), "Alpha.Mixed");
        _remote.AddPackage("Alpha.Local", ("9.0.0", Nupkg("Alpha.Local", "9.0.0")));
        _remote.AddPackage("Alpha.Mixed", ("2.0.0", Nupkg("Alpha.Mixed", "2.0.0")));
        _remote.AddPackage("Alpha.Remote", ("1.0.0", Nupkg("Alpha.Remote", "1.0.0")));
        _remote.Search = ["Alpha.Local", "Alpha.Mixed", "Alpha.Remote"];

        var found = await Packages.SearchNugetThroughUpstreamsAsync(Domain, "app", new NugetSearchQuery { Text = "alpha", Prerelease = true, SemVer2 = true },
            CancellationToken.None);

        Assert.True(found.Succeeded, found.Failure?.Message);
        var packages = found.Value!.Packages.ToDictionary(p => p.Id);
        Assert.Equal(["Alpha.Local", "Alpha.Mixed", "Alpha.Remote"], packages.Keys.Order());
        Assert.Equal(["1.0.0"], packages["Alpha.Local"].Versions.Select(v => v.Version));
        Assert.Equal(["1.0.0", "2.0.0"], packages["Alpha.Mixed"].Versions.Select(v => v.Version));
        Assert.Equal("From the remote.", packages["Alpha.Remote"].Versions[^1].Metadata?.Description);
    }

    [Fact]
    public async Task Search_ServesTheLocalPart_WhenTheRemoteIsDown()
    {
        await Push("store", Nupkg("Alpha.Local", "1.0.0"));
        Registry.Down = true;

        var found = await Packages.SearchNugetThroughUpstreamsAsync(Domain, "app", new NugetSearchQuery { Text = "alpha" }, CancellationToken.None);

        Assert.True(found.Succeeded, found.Failure?.Message);
        Assert.Equal(["Alpha.Local"], found.Value!.Packages.Select(p => p.Id));
    }

    /// <summary>
    /// A NuGet v3 feed served by a <see cref="FakeRegistry"/>: a service index, and per package a flat container, a registration
    /// (pages inlined or not, with packageHash) and nupkgs; plus a search answer.
    /// </summary>
    private sealed class NugetFeed
    {
        private readonly FakeRegistry _registry;
        private readonly Uri _base;
        private readonly ConcurrentDictionary<string, List<string>> _versions = new(StringComparer.OrdinalIgnoreCase);

        public NugetFeed(FakeRegistry registry)
        {
            _registry = registry;
            _base = registry.BaseUri;
            _registry.Serve("/v3/index.json", JsonSerializer.SerializeToUtf8Bytes(new
            {
                version = "3.0.0",
                resources = new object[]
                {
                    new Dictionary<string, string> { ["@id"] = _base + "v3/flatcontainer", ["@type"] = "PackageBaseAddress/3.0.0" },
                    new Dictionary<string, string> { ["@id"] = _base + "v3/registration/", ["@type"] = "RegistrationsBaseUrl/3.6.0" },
                    new Dictionary<string, string> { ["@id"] = _base + "v3/query", ["@type"] = "SearchQueryService/3.0.0-beta" },
                },
            }));
            _registry.Serve("/v3/query", () => new FakeRegistry.Answer(200, null, SearchAnswer()));
        }

        public Uri ServiceIndex => new(_base, "v3/index.json");

        /// <summary>The ids the search answer lists (with their registered versions), whatever the query.</summary>
        public IReadOnlyList<string> Search { get; set; } = [];

        public void AddPackage(string id, params (string Version, byte[] Nupkg)[] versions) => AddPackage(id, inlinePages: true, versions);

        public void AddPackage(string id, bool inlinePages, params (string Version, byte[] Nupkg)[] versions)
        {
            var lower = id.ToLowerInvariant();
            _versions[id] = versions.Select(v => v.Version).ToList();
            _registry.Serve($"/v3/flatcontainer/{lower}/index.json", Json(new { versions = versions.Select(v => v.Version.ToLowerInvariant()) }));
            var leaves = versions.Select(v => new Dictionary<string, object>
            {
                ["@id"] = $"{_base}v3/registration/{lower}/{v.Version.ToLowerInvariant()}.json",
                ["packageContent"] = $"{_base}v3/flatcontainer/{lower}/{v.Version.ToLowerInvariant()}/{lower}.{v.Version.ToLowerInvariant()}.nupkg",
                ["catalogEntry"] = new Dictionary<string, object>
                {
                    ["@id"] = $"{_base}catalog/{lower}.{v.Version.ToLowerInvariant()}.json",
                    ["id"] = id,
                    ["version"] = v.Version,
                    ["description"] = "From the remote.",
                    ["packageHash"] = Convert.ToBase64String(SHA512.HashData(v.Nupkg)),
                    ["packageHashAlgorithm"] = "SHA512",
                },
            }).ToList();
            var page = new Dictionary<string, object>
            {
                ["@id"] = $"{_base}v3/registration/{lower}/page.json",
                ["count"] = leaves.Count,
                ["lower"] = versions[0].Version,
                ["upper"] = versions[^1].Version,
                ["items"] = leaves,
            };
            if (!inlinePages)
            {
                _registry.Serve($"/v3/registration/{lower}/page.json", Json(page));
                page = page.Where(p => p.Key != "items").ToDictionary();
            }
            _registry.Serve($"/v3/registration/{lower}/index.json", Json(new { count = 1, items = new[] { page } }));
            foreach (var (version, nupkg) in versions)
            {
                var v = version.ToLowerInvariant();
                _registry.Serve($"/v3/flatcontainer/{lower}/{v}/{lower}.{v}.nupkg", nupkg);
            }
        }

        private static byte[] Json(object value) => JsonSerializer.SerializeToUtf8Bytes(value);

        private byte[] SearchAnswer() => Json(new
        {
            totalHits = Search.Count,
            data = Search.Select(id => new Dictionary<string, object>
            {
                ["@id"] = $"{_base}v3/registration/{id.ToLowerInvariant()}/index.json",
                ["registration"] = $"{_base}v3/registration/{id.ToLowerInvariant()}/index.json",
                ["id"] = id,
                ["version"] = _versions[id][^1],
                ["description"] = "From the remote.",
                ["authors"] = new[] { "Tests" },
                ["versions"] = _versions[id].Select(v => new Dictionary<string, object> { ["version"] = v, ["@id"] = $"{_base}x/{v}.json" }),
            }),
        });
    }
}
