using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Services;

namespace CodeArtifact.Core.Tests;

/// <summary>
/// npm through upstreams: remote packuments read through an external connection (a fake registry on loopback), packuments and
/// dist-tags merged across the chain app → team → store(connection), and tarballs fetched, verified and retained.
/// </summary>
public sealed class NpmUpstreamTests : UpstreamFixture
{
    private const string Domain = "up";
    private const string Connection = "public:npm";

    public NpmUpstreamTests()
        : base(Domain, "/registry/", "store", "team", "app")
    {
        Connect("store", Connection, "npm", Registry.BaseUri, metadataTtl: TimeSpan.Zero);
    }

    private static byte[] Tarball(string name, string version, string code = "")
    {
        var json = $$"""{"name":"{{name}}","version":"{{version}}","description":"{{name}} {{code}}"}""";
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "package/package.json") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(json)) });
        }
        return buffer.ToArray();
    }

    private static string Integrity(byte[] bytes) => "sha512-" + Convert.ToBase64String(SHA512.HashData(bytes));

    private static string Shasum(byte[] bytes) => Convert.ToHexStringLower(SHA1.HashData(bytes));

    /// <summary>A remote packument of <paramref name="name"/>: each version's tarball served by the fake registry under <c>{name}/-/</c>.</summary>
    private void ServePackument(string name, IEnumerable<(string Version, byte[] Tarball, JsonObject? Extra)> versions, JsonObject? tags = null,
        Func<byte[], JsonObject>? dist = null)
    {
        var bare = name.Contains('/') ? name[(name.IndexOf('/') + 1)..] : name;
        var document = new JsonObject { ["name"] = name, ["versions"] = new JsonObject(), ["time"] = new JsonObject { ["created"] = "2020-01-01T00:00:00.000Z" } };
        string? latest = null;
        foreach (var (version, tarball, extra) in versions)
        {
            var path = $"{name}/-/{bare}-{version}.tgz";
            Registry.Serve(path, tarball, "application/octet-stream");
            var entry = new JsonObject
            {
                ["name"] = name,
                ["version"] = version,
                ["dist"] = dist?.Invoke(tarball) ?? new JsonObject { ["tarball"] = Registry.BaseUri + path, ["integrity"] = Integrity(tarball), ["shasum"] = Shasum(tarball) },
            };
            foreach (var (key, value) in extra ?? []) entry[key] = value?.DeepClone();
            document["versions"]!.AsObject()[version] = entry;
            document["time"]!.AsObject()[version] = "2021-06-01T00:00:00.000Z";
            latest = version;
        }
        document["dist-tags"] = tags ?? new JsonObject { ["latest"] = latest };
        Registry.Serve(name.Replace("/", "%2f", StringComparison.Ordinal), Encoding.UTF8.GetBytes(document.ToJsonString()), "application/json");
    }

    private async Task Publish(string repository, string name, string version, string code = "", string? tag = null)
    {
        var published = await Packages.PublishAsync(new PublishRequest(Domain, repository, $"{name}-{version}.tgz")
        {
            Format = "npm", Package = name, Version = version, DistTag = tag,
        }, new MemoryStream(Tarball(name, version, code)), CancellationToken.None);
        Assert.True(published.Succeeded, published.Failure?.Message);
    }

    private async Task<Outcome<NpmPackage>> Merged(string name, string repository = "app", string? scope = null)
    {
        var source = await Packages.GetNpmPackumentSourceAsync(Domain, repository, scope, name, includeUpstreams: true, CancellationToken.None);
        return source.Failure is { } failure ? failure : await Packages.GetNpmPackageAsync(source.Value!, CancellationToken.None);
    }

    private async Task<NpmPackage> MergedOk(string name, string repository = "app", string? scope = null)
    {
        var package = await Merged(name, repository, scope);
        Assert.True(package.Succeeded, package.Failure?.Message);
        return package.Value!;
    }

    private async Task<byte[]> Download(string repository, string name, string version, string? scope = null)
    {
        var opened = await Packages.OpenAssetThroughUpstreamsAsync(Domain, repository, "npm", scope, name, version, $"{name}-{version}.tgz", CancellationToken.None);
        Assert.True(opened.Succeeded, opened.Failure?.Message);
        await using var content = opened.Value.Content;
        using var buffer = new MemoryStream();
        await content.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    private IReadOnlyList<PackageVersionInfo> Versions(string repository, string name) =>
        Packages.ListVersions(Domain, repository, "npm", null, name).Value ?? [];

    [Fact]
    public async Task Packument_OfAPackageOnlyTheRemoteHas_ListsItsVersionsWithTheRemoteDigestsAndDeprecations()
    {
        var one = Tarball("lib", "1.0.0");
        var two = Tarball("lib", "2.0.0");
        ServePackument("lib", [("1.0.0", one, null), ("2.0.0", two, new JsonObject { ["deprecated"] = "use 3" })]);

        var package = await MergedOk("lib");

        Assert.Equal(["1.0.0", "2.0.0"], package.Versions.Select(v => v.Version));
        var first = package.Versions[0];
        Assert.Equal(Integrity(one), first.Integrity);
        Assert.Equal(Shasum(one), first.Sha1);
        Assert.Equal("lib-1.0.0.tgz", first.AssetName);
        Assert.Equal(Connection, first.ExternalConnection);
        Assert.Equal("store", first.Repository);
        Assert.Equal("use 3", package.Versions[1].Deprecated);
        Assert.Equal("2.0.0", package.DistTags["latest"]);
        Assert.Equal(new DateTimeOffset(2021, 6, 1, 0, 0, 0, TimeSpan.Zero), first.PublishedTime);
        Assert.StartsWith("m-", package.Stamp, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Packument_FirstMemberHoldingAVersionWins_AndTheUpstreamWinsOnATag()
    {
        ServePackument("lib", [("1.0.0", Tarball("lib", "1.0.0"), null)]);
        Assert.True(Packages.SetOriginConfiguration(Domain, "team", "npm", null, "lib", "ALLOW", "ALLOW").Succeeded);
        await Publish("team", "lib", "3.0.0", "team's");
        // The remote gets 3.0.0 too, with other bytes, after team published it.
        ServePackument("lib", [("1.0.0", Tarball("lib", "1.0.0"), null), ("3.0.0", Tarball("lib", "3.0.0", "remote's"), null)],
            new JsonObject { ["latest"] = "1.0.0" });
        var teamSha512 = Packages.ListAssets(Domain, "team", "npm", null, "lib", "3.0.0").Value!.Single().Hashes["SHA-512"];

        var package = await MergedOk("lib");
        var tags = await Packages.GetNpmDistTagsThroughUpstreamsAsync(Domain, "app", null, "lib", CancellationToken.None);

        var three = package.Versions.Single(v => v.Version == "3.0.0");
        Assert.Equal("team", three.Repository);
        Assert.Null(three.Integrity);
        Assert.Equal(teamSha512, three.Sha512);
        // team says latest is 3.0.0; the remote, further upstream, says 1.0.0 and wins (CodeArtifact's rule).
        Assert.Equal("1.0.0", package.DistTags["latest"]);
        Assert.Equal("1.0.0", tags.Value!["latest"]);
        Assert.Equal(teamSha512, Convert.ToHexStringLower(SHA512.HashData(await Download("app", "lib", "3.0.0"))));
    }

    [Fact]
    public async Task Packument_AVersionTheFirstHolderHides_IsNotTakenFromFurtherUpstream()
    {
        ServePackument("lib", [("1.0.0", Tarball("lib", "1.0.0"), null), ("1.1.0", Tarball("lib", "1.1.0"), null)]);
        await Download("app", "lib", "1.0.0");
        Assert.True(Packages.UpdateStatus(Domain, "app", "npm", null, "lib", ["1.0.0"], PackageService.Archived).Succeeded);

        var package = await MergedOk("lib");

        Assert.Equal(["1.1.0"], package.Versions.Select(v => v.Version));
    }

    [Fact]
    public async Task Tarball_FromTheRemote_IsVerifiedStoredAsExternalInStore_AndRetainedInApp_NotInTeam()
    {
        var bytes = Tarball("lib", "1.0.0");
        // A tarball URL relative to the packument's URL.
        ServePackument("lib", [("1.0.0", bytes, null)], dist: b => new JsonObject { ["tarball"] = "lib/-/lib-1.0.0.tgz", ["integrity"] = Integrity(b) });

        Assert.Equal(bytes, await Download("app", "lib", "1.0.0"));

        var stored = Assert.Single(Versions("store", "lib"));
        Assert.Equal("EXTERNAL", stored.Origin.OriginType);
        Assert.Equal(Connection, stored.Origin.DomainEntryPointExternalConnection);
        Assert.Single(Versions("app", "lib"));
        Assert.Empty(Versions("team", "lib"));
        var merged = await MergedOk("lib");
        Assert.Equal("app", merged.Versions.Single().Repository);
        Assert.Null(merged.Versions.Single().Integrity);
    }

    [Fact]
    public async Task Tarball_ThatDoesNotMatchTheRemoteDigest_IsRefused_AndNothingIsStored()
    {
        var bytes = Tarball("lib", "1.0.0");
        ServePackument("lib", [("1.0.0", bytes, null)], dist: _ => new JsonObject
        {
            ["tarball"] = Registry.BaseUri + "lib/-/lib-1.0.0.tgz",
            ["shasum"] = new string('0', 40),
        });

        var opened = await Packages.OpenAssetThroughUpstreamsAsync(Domain, "app", "npm", null, "lib", "1.0.0", "lib-1.0.0.tgz", CancellationToken.None);

        Assert.Equal(ErrorCodes.UpstreamInvalid, opened.Failure?.Code);
        Assert.Empty(Versions("store", "lib"));
        Assert.Empty(Versions("app", "lib"));
    }

    [Fact]
    public async Task Packument_OfAScopedPackage_IsAskedWithAnEscapedSlash_AndItsTarballIsFetched()
    {
        var bytes = Tarball("@corp/widget", "1.0.0");
        ServePackument("@corp/widget", [("1.0.0", bytes, null)]);

        var package = await MergedOk("widget", scope: "corp");
        var downloaded = await Download("app", "widget", "1.0.0", scope: "corp");

        Assert.Equal("@corp/widget", package.Name);
        Assert.Equal("widget-1.0.0.tgz", package.Versions.Single().AssetName);
        Assert.Contains("/@corp%2fwidget", Registry.Requests);
        Assert.Equal(bytes, downloaded);
    }

    [Theory]
    [InlineData("this is not json", "is not JSON")]
    [InlineData("[1, 2]", "is not a JSON object")]
    [InlineData("""{"name":"lib"}""", "no 'versions' object")]
    [InlineData("""{"name":"lib","versions":{"1.0.0":{"dist":{"tarball":"x.tgz"}}}}""", "none with a usable dist")]
    public async Task Packument_OfARemoteThatAnswersGarbage_IsAClearUpstreamInvalid(string body, string why)
    {
        Registry.Serve("lib", Encoding.UTF8.GetBytes(body), "application/json");

        var package = await Merged("lib");

        Assert.Equal(ErrorCodes.UpstreamInvalid, package.Failure?.Code);
        Assert.Contains(why, package.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Packument_WhenTheRemoteFails_ServesWhatTheChainHas_AndFailsOnlyWhenNothingElseCanBeServed()
    {
        Assert.True(Packages.SetOriginConfiguration(Domain, "team", "npm", null, "lib", "ALLOW", "ALLOW").Succeeded);
        await Publish("team", "lib", "1.0.0");
        Registry.Respond("lib", 500, "", "text/plain");
        Registry.Respond("ghost", 500, "", "text/plain");

        var lib = await MergedOk("lib");
        var ghost = await Merged("ghost");

        Assert.Equal(["1.0.0"], lib.Versions.Select(v => v.Version));
        Assert.Equal(ErrorCodes.UpstreamUnavailable, ghost.Failure?.Code);
        Assert.Equal(FailureKind.Unavailable, ghost.Failure!.Kind);
    }

    [Fact]
    public async Task Packument_OfAPackageNoMemberHas_IsNotFound()
    {
        var package = await Merged("nowhere");

        Assert.Equal(ErrorCodes.PackageNotFound, package.Failure?.Code);
    }

    [Fact]
    public async Task Source_OfALocalPackage_IsLocalOnly_WithTheRepositoryStamp_AndWriteReadsOnlyTheRepository()
    {
        await Publish("app", "mine", "1.0.0");
        ServePackument("theirs", [("1.0.0", Tarball("theirs", "1.0.0"), null)]);

        var local = await Packages.GetNpmPackumentSourceAsync(Domain, "app", null, "mine", includeUpstreams: true, CancellationToken.None);
        var write = await Packages.GetNpmPackumentSourceAsync(Domain, "app", null, "theirs", includeUpstreams: false, CancellationToken.None);

        Assert.True(local.Value!.IsLocalOnly);
        Assert.Equal(Packages.GetNpmStamp(Domain, "app", null, "mine").Value, local.Value.Stamp);
        Assert.Equal(ErrorCodes.PackageNotFound, write.Failure?.Code);
    }

    [Fact]
    public async Task Stamp_StaysWhileNothingChanges_AndChangesWithTheChainAndTheRemoteDocument()
    {
        Assert.True(Store.ExternalConnections.Disconnect(Domain, "store", Connection).Succeeded);
        Assert.True(Store.ExternalConnections.New(Domain, "cached", "npm", Registry.BaseUri, metadataTtl: TimeSpan.FromHours(1)).Succeeded);
        Assert.True(Store.ExternalConnections.Connect(Domain, "store", "cached").Succeeded);
        ServePackument("lib", [("1.0.0", Tarball("lib", "1.0.0"), null)]);
        Assert.True(Packages.SetOriginConfiguration(Domain, "team", "npm", null, "lib", "ALLOW", "ALLOW").Succeeded);
        await Publish("team", "lib", "2.0.0");
        async Task<string> StampOf() => (await Packages.GetNpmPackumentSourceAsync(Domain, "app", null, "lib", true, CancellationToken.None)).Value!.Stamp;

        var first = await StampOf();
        var again = await StampOf();
        await Publish("team", "lib", "2.1.0");
        var afterUpstreamPublish = await StampOf();
        ServePackument("lib", [("1.0.0", Tarball("lib", "1.0.0"), null), ("1.5.0", Tarball("lib", "1.5.0"), null)]);
        Store.Remote.Clear();
        var afterRemoteChange = await StampOf();
        Assert.True(Store.Repositories.Update(Domain, "app", null, ["store"]).Succeeded);
        var afterUnlink = await StampOf();

        Assert.Equal(first, again);
        Assert.Equal(4, new[] { first, afterUpstreamPublish, afterRemoteChange, afterUnlink }.Distinct().Count());
    }

    [Fact]
    public async Task Publish_OfANameTheRemoteHas_IsRefused_UntilTheOriginConfigurationAllowsIt()
    {
        ServePackument("lib", [("1.0.0", Tarball("lib", "1.0.0"), null)]);

        var refused = await Packages.PublishAsync(new PublishRequest(Domain, "app", "lib-9.0.0.tgz") { Format = "npm", Package = "lib", Version = "9.0.0" },
            new MemoryStream(Tarball("lib", "9.0.0")), CancellationToken.None);
        Assert.True(Packages.SetOriginConfiguration(Domain, "app", "npm", null, "lib", "ALLOW", "BLOCK").Succeeded);
        await Publish("app", "lib", "9.0.0");

        Assert.Equal(ErrorCodes.PackageReachableUpstream, refused.Failure?.Code);
        Assert.Contains(Connection, refused.Failure!.Message, StringComparison.Ordinal);
        var source = await Packages.GetNpmPackumentSourceAsync(Domain, "app", null, "lib", true, CancellationToken.None);
        Assert.True(source.Value!.IsLocalOnly);
        Assert.Equal(["9.0.0"], (await Packages.GetNpmPackageAsync(source.Value, CancellationToken.None)).Value!.Versions.Select(v => v.Version));
    }

    [Fact]
    public async Task Deprecation_OfARemoteVersion_StaysShownAfterTheVersionIsFetched()
    {
        var bytes = Tarball("lib", "1.0.0");
        ServePackument("lib", [("1.0.0", bytes, null)]);
        await Download("app", "lib", "1.0.0");
        ServePackument("lib", [("1.0.0", bytes, new JsonObject { ["deprecated"] = "do not use" })]);

        var package = await MergedOk("lib");

        Assert.Equal("app", package.Versions.Single().Repository);
        Assert.Equal("do not use", package.Versions.Single().Deprecated);
    }
}
