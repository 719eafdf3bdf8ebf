using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Formats;
using PSCodeArtifact.Core.Services;

namespace CodeArtifact.Core.Tests;

/// <summary>
/// PyPI through upstreams and external connections: reading remote project pages (PEP 691 JSON, PEP 503 HTML), merged
/// project pages over the chain, and downloads that retain or ingest. The remote is a small HTTP listener on loopback.
/// </summary>
public sealed class PypiUpstreamTests : UpstreamFixture
{
    private static readonly Uri s_page = new("http://remote.test/simple/demo-pkg/");

    public PypiUpstreamTests()
        : base("py", "/", "store", "team", "app")
    {
    }

    // ------------------------------------------------------------------ file names

    [Theory]
    [InlineData("demo_pkg-1.0-py3-none-any.whl", "demo-pkg", "1.0")]
    [InlineData("Demo.Pkg-2.0.0RC1-1-cp311-cp311-manylinux_2_17_x86_64.whl", "demo-pkg", "2.0.0rc1")]
    [InlineData("demo-pkg-1.0-1.tar.gz", "demo-pkg", "1.0.post1")]
    [InlineData("Demo_Pkg-3.0.zip", "Demo.Pkg", "3.0")]
    [InlineData("tiny-demo-1.0.tar.gz", "tiny-demo", "1.0")]
    public void VersionOfFile_ReadsTheVersionFromTheName(string fileName, string project, string expected) =>
        Assert.Equal(expected, ((PypiFormat)PackageFormats.Pypi).VersionOfFile(fileName, project));

    [Theory]
    [InlineData("other-1.0-py3-none-any.whl", "demo-pkg")]
    [InlineData("demo_pkg-1.0-py2.7.egg", "demo-pkg")]
    [InlineData("demo-pkg-1.0.tar.bz2", "demo-pkg")]
    [InlineData("demo-pkg-notaversion.tar.gz", "demo-pkg")]
    [InlineData("demo_pkg-1.0.whl", "demo-pkg")]
    public void VersionOfFile_IsNullForFilesOfOtherProjectsOrKinds(string fileName, string project) =>
        Assert.Null(((PypiFormat)PackageFormats.Pypi).VersionOfFile(fileName, project));

    [Theory]
    [InlineData("http://h:1/d/pypi/r/", "http://h:1/d/pypi/r/simple/demo-pkg/")]
    [InlineData("http://h:1/d/pypi/r", "http://h:1/d/pypi/r/simple/demo-pkg/")]
    [InlineData("http://h:1/d/pypi/r/simple/", "http://h:1/d/pypi/r/simple/demo-pkg/")]
    [InlineData("http://h:1/simple", "http://h:1/simple/demo-pkg/")]
    public void RemoteProjectUrl_TakesARepositoryRootOrItsSimpleIndex(string connection, string expected) =>
        Assert.Equal(expected, PackageService.PypiRemoteProjectUrl(new Uri(connection), "demo-pkg").AbsoluteUri);

    // ------------------------------------------------------------------ remote pages

    [Fact]
    public void RemotePage_Json_ResolvesUrlsAndKeepsHashesYankedAndRequiresPython()
    {
        var sha = new string('a', 64);
        var json = $$$"""
            {"meta": {"api-version": "1.1"}, "name": "demo-pkg", "versions": ["1.0", "2.0"], "files": [
              {"filename": "demo_pkg-1.0-py3-none-any.whl", "url": "../../files/demo_pkg-1.0-py3-none-any.whl#sha256={{{sha}}}",
               "hashes": {"sha256": "{{{sha.ToUpperInvariant()}}}"}, "requires-python": ">=3.8", "size": 1234,
               "upload-time": "2024-01-02T03:04:05.000000Z", "yanked": "broken build", "core-metadata": {"sha256": "{{{sha}}}"}},
              {"filename": "demo-pkg-2.0.tar.gz", "url": "https://files.test/p/demo-pkg-2.0.tar.gz", "hashes": {"sha256": "{{{sha}}}"}, "yanked": true},
              {"filename": "demo-pkg-2.0.tar.bz2", "url": "x", "hashes": {"sha256": "{{{sha}}}"}},
              {"filename": "demo_pkg-3.0-py3-none-any.whl", "url": "x", "hashes": {"md5": "00"}},
              {"filename": "other-1.0.tar.gz", "url": "x", "hashes": {"sha256": "{{{sha}}}"}}
            ]}
            """;

        var parsed = PackageService.ParsePypiRemotePage(Encoding.UTF8.GetBytes(json), "application/vnd.pypi.simple.v1+json", s_page, "demo-pkg");

        Assert.Null(parsed.Error);
        Assert.Equal("demo-pkg", parsed.Page!.Name);
        Assert.Equal(["demo_pkg-1.0-py3-none-any.whl", "demo-pkg-2.0.tar.gz"], parsed.Page.Files.Select(f => f.FileName));
        var wheel = parsed.Page.Files[0];
        Assert.Equal(("1.0", "http://remote.test/files/demo_pkg-1.0-py3-none-any.whl", sha), (wheel.VersionKey, wheel.Url.AbsoluteUri, wheel.Sha256));
        Assert.Equal((">=3.8", true, "broken build", 1234L), (wheel.RequiresPython, wheel.Yanked, wheel.YankedReason, wheel.Size));
        Assert.Equal(new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero), wheel.UploadTime);
        var sdist = parsed.Page.Files[1];
        Assert.Equal(("2.0", "https://files.test/p/demo-pkg-2.0.tar.gz", true, null), (sdist.VersionKey, sdist.Url.AbsoluteUri, sdist.Yanked, sdist.YankedReason));
    }

    [Fact]
    public void RemotePage_Html_ReadsHrefFragmentsAndUnescapesAttributes()
    {
        var sha = new string('b', 64);
        var html = $"""
            <!DOCTYPE html><html><head><meta name="pypi:repository-version" content="1.0"><base href="/packages/"></head><body>
            <a href="demo_pkg-1.0-py3-none-any.whl#sha256={sha}" data-requires-python="&gt;=3.8,&lt;4">demo_pkg-1.0-py3-none-any.whl</a><br/>
            <a data-yanked href='https://files.test/demo-pkg-1.0.tar.gz#sha256={sha}'>demo-pkg-1.0.tar.gz</a>
            <a href="demo_pkg-2.0-py3-none-any.whl#sha256={sha}" data-yanked="do &quot;not&quot; use">x</a>
            <a href="demo_pkg-3.0-py3-none-any.whl#md5=00">no sha256</a>
            </body></html>
            """;

        var parsed = PackageService.ParsePypiRemotePage(Encoding.UTF8.GetBytes(html), "text/html; charset=utf-8", s_page, "demo-pkg");

        Assert.Null(parsed.Error);
        var files = parsed.Page!.Files;
        Assert.Equal(["demo_pkg-1.0-py3-none-any.whl", "demo-pkg-1.0.tar.gz", "demo_pkg-2.0-py3-none-any.whl"], files.Select(f => f.FileName));
        Assert.Equal(("http://remote.test/packages/demo_pkg-1.0-py3-none-any.whl", ">=3.8,<4", false), (files[0].Url.AbsoluteUri, files[0].RequiresPython, files[0].Yanked));
        Assert.Equal(("https://files.test/demo-pkg-1.0.tar.gz", true, null), (files[1].Url.AbsoluteUri, files[1].Yanked, files[1].YankedReason));
        Assert.Equal((true, "do \"not\" use"), (files[2].Yanked, files[2].YankedReason));
        Assert.All(files, f => Assert.Equal(sha, f.Sha256));
        Assert.All(files, f => Assert.Null(f.Size));
    }

    [Theory]
    [InlineData("application/json", """{"meta": {"api-version": "1.1"}, "files": []}""", "is application/json")]
    [InlineData(null, "<html></html>", "no Content-Type")]
    [InlineData("application/vnd.pypi.simple.v1+json", "not json", "not JSON")]
    [InlineData("application/vnd.pypi.simple.v1+json", """{"files": []}""", "api-version")]
    [InlineData("application/vnd.pypi.simple.v1+json", """{"meta": {"api-version": "2.0"}, "files": []}""", "version 2.0")]
    [InlineData("application/vnd.pypi.simple.v1+json", """{"meta": {"api-version": "1.0"}}""", "files array")]
    [InlineData("application/vnd.pypi.simple.v1+json", """{"meta": {"api-version": "1.0"}, "files": [{"filename": "demo-pkg-1.0.tar.gz"}]}""", "without a url")]
    [InlineData("application/vnd.pypi.simple.v1+json", """{"meta": {"api-version": "1.0"}, "files": [{"filename": "demo-pkg-1.0.tar.gz", "url": "file:///etc/passwd", "hashes": {}}]}""", "not an http or https URL")]
    [InlineData("application/vnd.pypi.simple.v1+json", """{"meta": {"api-version": "1.0"}, "files": [{"filename": "demo-pkg-1.0.tar.gz", "url": "a", "hashes": {"sha256": "abc"}}]}""", "64 hexadecimal")]
    [InlineData("text/html", "just some text", "not an HTML page")]
    [InlineData("text/html", """<html><meta name="pypi:repository-version" content="2.1"></html>""", "version 2.1")]
    public void RemotePage_Garbage_IsAnErrorThatSaysWhat(string? contentType, string body, string expected)
    {
        var parsed = PackageService.ParsePypiRemotePage(Encoding.UTF8.GetBytes(body), contentType, s_page, "demo-pkg");

        Assert.Null(parsed.Page);
        Assert.Contains(expected, parsed.Error);
    }

    // ------------------------------------------------------------------ merged pages over repositories

    [Fact]
    public async Task MergedPage_TakesEachVersionFromTheFirstRepositoryHoldingIt()
    {
        var team10 = await Publish("team", Wheel("demo-pkg", "1.0", ">=3.8"));
        await Publish("team", Wheel("demo-pkg", "2.0", value: "team"));
        // app holds its own 2.0: it may publish once it blocks upstreams, then it lets them in again.
        Assert.True(Packages.SetOriginConfiguration("py", "app", "pypi", null, "demo-pkg", "ALLOW", "BLOCK").Succeeded);
        var app20 = await Publish("app", Wheel("demo-pkg", "2.0", value: "app"));
        Assert.True(Packages.SetOriginConfiguration("py", "app", "pypi", null, "demo-pkg", "ALLOW", "ALLOW").Succeeded);
        SetStatus("team", "demo-pkg", "1.0", PackageService.Unlisted);

        var project = await MergedPage("app", "Demo.Pkg");

        Assert.Equal(["1.0", "2.0"], project.Versions);
        Assert.Equal([Sha(team10.Bytes), Sha(app20.Bytes)], project.Files.Select(f => f.Sha256));
        Assert.Equal([true, false], project.Files.Select(f => f.Yanked));
        Assert.Equal(">=3.8", project.Files[0].RequiresPython);
        Assert.All(project.Files, f => Assert.NotNull(f.CoreMetadataSha256));
        Assert.Equal("demo-pkg", project.NormalizedName);
    }

    [Fact]
    public async Task MergedPage_HidesUpstreamsBehindAPackageThatBlocksThem()
    {
        await Publish("team", Wheel("demo-pkg", "1.0"));
        Assert.True(Packages.SetOriginConfiguration("py", "app", "pypi", null, "demo-pkg", "ALLOW", "BLOCK").Succeeded);

        var blocked = await Packages.GetPypiProjectThroughUpstreamsAsync("py", "app", "demo-pkg", CancellationToken.None);

        Assert.True(blocked.Succeeded, blocked.Failure?.Message);
        Assert.Empty(blocked.Value!.Files);
        Assert.DoesNotContain(Packages.ListPypiProjectsThroughUpstreams("py", "app").Value!, p => p.NormalizedName == "demo-pkg");
    }

    [Fact]
    public async Task MergedPage_OfAProjectNobodyHas_IsNotFound()
    {
        var missing = await Packages.GetPypiProjectThroughUpstreamsAsync("py", "app", "nobody-has-it", CancellationToken.None);

        Assert.Equal(ErrorCodes.PackageNotFound, missing.Failure?.Code);
        Assert.Contains("upstreams", missing.Failure!.Message);
    }

    [Fact]
    public async Task ProjectList_UnitesTheRepositoriesSearched()
    {
        await Publish("team", Wheel("team-only", "1.0"));
        await Publish("store", Wheel("store-only", "1.0"));
        await Publish("app", Wheel("app-only", "1.0"));

        var listed = Packages.ListPypiProjectsThroughUpstreams("py", "app");
        var teamListed = Packages.ListPypiProjectsThroughUpstreams("py", "team");

        Assert.Equal(["app-only", "store-only", "team-only"], listed.Value!.Select(p => p.NormalizedName));
        Assert.Equal(["store-only", "team-only"], teamListed.Value!.Select(p => p.NormalizedName));
    }

    [Fact]
    public async Task Download_ThroughApp_RetainsTheVersionAndServesMetadataFromWhereItIs()
    {
        var wheel = await Publish("team", Wheel("demo-pkg", "1.0"));

        var metadata = await Packages.OpenPypiCoreMetadataThroughUpstreamsAsync("py", "app", "demo-pkg", "1.0", wheel.FileName, CancellationToken.None);
        Assert.True(metadata.Succeeded, metadata.Failure?.Message);
        await using (metadata.Value.Content) Assert.Equal(wheel.Metadata, await ReadAll(metadata.Value.Content));
        Assert.False(Packages.ListVersions("py", "app", "pypi", null, "demo-pkg").Succeeded, "metadata alone retains nothing");

        var file = await Packages.OpenPypiFileThroughUpstreamsAsync("py", "app", "demo-pkg", "1.0", wheel.FileName, CancellationToken.None);

        Assert.True(file.Succeeded, file.Failure?.Message);
        await using (file.Value.Content) Assert.Equal(wheel.Bytes, await ReadAll(file.Value.Content));
        Assert.Equal(["1.0"], Packages.ListVersions("py", "app", "pypi", null, "demo-pkg").Value!.Select(v => v.Version));
    }

    // ------------------------------------------------------------------ an external connection

    [Fact]
    public async Task Remote_FilesAreListedAtAppAndIngestedOnDownload()
    {
        var v10 = Wheel("demo-pkg", "1.0", ">=3.9");
        var sdist = ("demo-pkg-1.0.tar.gz", new byte[] { 1, 2, 3 });
        ConnectRemote(new Dictionary<string, FakeRegistry.Answer>
        {
            ["/simple/demo-pkg/"] = JsonPage("demo-pkg", (v10.FileName, v10.Bytes, ">=3.9"), (sdist.Item1, sdist.Item2, null)),
            ["/files/" + v10.FileName] = new(200, "application/octet-stream", v10.Bytes),
        });

        var before = await MergedPage("app", "demo-pkg");

        Assert.Equal(["demo-pkg-1.0.tar.gz", v10.FileName], before.Files.Select(f => f.FileName));
        Assert.All(before.Files, f => Assert.Null(f.CoreMetadataSha256));
        Assert.Equal(">=3.9", before.Files[1].RequiresPython);
        Assert.Equal(Sha(v10.Bytes), before.Files[1].Sha256);

        var opened = await Packages.OpenPypiFileThroughUpstreamsAsync("py", "app", "demo-pkg", "1.0", v10.FileName, CancellationToken.None);
        Assert.True(opened.Succeeded, opened.Failure?.Message);
        await using (opened.Value.Content) Assert.Equal(v10.Bytes, await ReadAll(opened.Value.Content));

        var stored = Packages.ListVersions("py", "store", "pypi", null, "demo-pkg").Value!.Single();
        Assert.Equal(("EXTERNAL", "public:pypi"), (stored.Origin.OriginType, stored.Origin.DomainEntryPointExternalConnection));
        Assert.Single(Packages.ListVersions("py", "app", "pypi", null, "demo-pkg").Value!);
        Assert.False(Packages.ListVersions("py", "team", "pypi", null, "demo-pkg").Succeeded);
        // The retained version (wheel only) is completed with the sdist the remote still lists; the stored wheel has metadata.
        var after = await MergedPage("app", "demo-pkg");
        Assert.Equal(["demo-pkg-1.0.tar.gz", v10.FileName], after.Files.Select(f => f.FileName));
        Assert.Equal([false, true], after.Files.Select(f => f.CoreMetadataSha256 is not null));
    }

    [Fact]
    public async Task Remote_FileThatDoesNotMatchItsHash_IsRefusedAndNothingIsStored()
    {
        var wheel = Wheel("demo-pkg", "1.0");
        var tampered = wheel.Bytes.Append((byte)0).ToArray();
        ConnectRemote(new Dictionary<string, FakeRegistry.Answer>
        {
            ["/simple/demo-pkg/"] = JsonPage("demo-pkg", (wheel.FileName, wheel.Bytes, null)),
            ["/files/" + wheel.FileName] = new(200, "application/octet-stream", tampered),
        });

        var opened = await Packages.OpenPypiFileThroughUpstreamsAsync("py", "app", "demo-pkg", "1.0", wheel.FileName, CancellationToken.None);

        Assert.Equal(ErrorCodes.UpstreamInvalid, opened.Failure?.Code);
        Assert.False(Packages.ListVersions("py", "store", "pypi", null, "demo-pkg").Succeeded);
        Assert.False(Packages.ListVersions("py", "app", "pypi", null, "demo-pkg").Succeeded);
    }

    [Fact]
    public async Task Remote_GarbagePage_IsUpstreamInvalid()
    {
        ConnectRemote(new Dictionary<string, FakeRegistry.Answer>
        {
            ["/simple/demo-pkg/"] = new(200, "application/json", "{}"u8.ToArray()),
        });

        var page = await Packages.GetPypiProjectThroughUpstreamsAsync("py", "app", "demo-pkg", CancellationToken.None);

        Assert.Equal(ErrorCodes.UpstreamInvalid, page.Failure?.Code);
        Assert.Contains("application/json", page.Failure!.Message);
    }

    [Fact]
    public async Task Remote_404_MeansTheRemoteHasNothing()
    {
        ConnectRemote([]);
        await Publish("store", Wheel("local-pkg", "1.0"));
        Assert.True(Packages.SetOriginConfiguration("py", "store", "pypi", null, "local-pkg", "ALLOW", "ALLOW").Succeeded);

        var local = await MergedPage("app", "local-pkg");
        var nowhere = await Packages.GetPypiProjectThroughUpstreamsAsync("py", "app", "nowhere-pkg", CancellationToken.None);

        Assert.Equal(["1.0"], local.Versions);
        Assert.Equal(ErrorCodes.PackageNotFound, nowhere.Failure?.Code);
    }

    [Fact]
    public async Task Remote_Down_ServesWhatTheRepositoriesHoldAndFailsOnlyWhenNothingElseCanBeListed()
    {
        ConnectRemote([]);
        await Publish("team", Wheel("local-pkg", "1.0"));
        Assert.True(Packages.SetOriginConfiguration("py", "team", "pypi", null, "local-pkg", "ALLOW", "ALLOW").Succeeded);
        Registry.Stop();

        var local = await MergedPage("app", "local-pkg");
        var remoteOnly = await Packages.GetPypiProjectThroughUpstreamsAsync("py", "app", "remote-pkg", CancellationToken.None);
        var download = await Packages.OpenPypiFileThroughUpstreamsAsync("py", "app", "remote-pkg", "1.0", "remote_pkg-1.0-py3-none-any.whl", CancellationToken.None);

        Assert.Equal(["1.0"], local.Versions);
        Assert.Equal(ErrorCodes.UpstreamUnavailable, remoteOnly.Failure?.Code);
        Assert.Equal(FailureKind.Unavailable, remoteOnly.Failure!.Kind);
        Assert.Equal(ErrorCodes.UpstreamUnavailable, download.Failure?.Code);
    }

    [Fact]
    public async Task Publish_OfANameTheRemoteLists_IsRefusedAsDependencyConfusion()
    {
        var wheel = Wheel("demo-pkg", "2.0");
        ConnectRemote(new Dictionary<string, FakeRegistry.Answer>
        {
            ["/simple/demo-pkg/"] = JsonPage("demo-pkg", ("demo_pkg-1.0-py3-none-any.whl", new byte[] { 1 }, null)),
        });

        var refused = await Packages.PublishAsync(new PublishRequest("py", "app", wheel.FileName) { Format = "pypi" }, new MemoryStream(wheel.Bytes), CancellationToken.None);

        Assert.Equal(ErrorCodes.PackageReachableUpstream, refused.Failure?.Code);
        Assert.Contains("public:pypi", refused.Failure!.Message);
    }

    // ------------------------------------------------------------------ helpers

    private void ConnectRemote(Dictionary<string, FakeRegistry.Answer> responses)
    {
        foreach (var (path, answer) in responses) Registry.Serve(path, answer);
        Connect("store", "public:pypi", "pypi", Registry.BaseUri);
    }

    private static FakeRegistry.Answer JsonPage(string name, params (string FileName, byte[] Bytes, string? RequiresPython)[] files)
    {
        var entries = files.Select(f =>
            $"{{\"filename\": \"{f.FileName}\", \"url\": \"../../files/{f.FileName}\", \"hashes\": {{\"sha256\": \"{Sha(f.Bytes)}\"}}"
            + (f.RequiresPython is null ? "" : $", \"requires-python\": \"{f.RequiresPython}\"") + "}");
        var json = $$"""{"meta": {"api-version": "1.1"}, "name": "{{name}}", "files": [{{string.Join(',', entries)}}]}""";
        return new(200, "application/vnd.pypi.simple.v1+json", Encoding.UTF8.GetBytes(json));
    }

    private async Task<PypiProject> MergedPage(string repository, string project)
    {
        var page = await Packages.GetPypiProjectThroughUpstreamsAsync("py", repository, project, CancellationToken.None);
        Assert.True(page.Succeeded, page.Failure?.Message);
        return page.Value!;
    }

    private sealed record BuiltWheel(string FileName, byte[] Bytes, byte[] Metadata);

    /// <summary>A minimal wheel whose module says <paramref name="value"/>, so two builds of one version differ.</summary>
    private static BuiltWheel Wheel(string name, string version, string? requiresPython = null, string value = "1")
    {
        var distribution = name.Replace('-', '_');
        var metadata = Encoding.UTF8.GetBytes($"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
            + (requiresPython is null ? "" : $"Requires-Python: {requiresPython}\n") + "\n");
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            using (var entry = zip.CreateEntry($"{distribution}-{version}.dist-info/METADATA").Open()) entry.Write(metadata);
            using (var entry = zip.CreateEntry($"{distribution}/__init__.py").Open()) entry.Write(Encoding.UTF8.GetBytes($"VALUE = '{value}'\n"));
        }
        return new BuiltWheel($"{distribution}-{version}-py3-none-any.whl", buffer.ToArray(), metadata);
    }

    private async Task<BuiltWheel> Publish(string repository, BuiltWheel wheel)
    {
        var published = await Packages.PublishAsync(new PublishRequest("py", repository, wheel.FileName) { Format = "pypi" }, new MemoryStream(wheel.Bytes), CancellationToken.None);
        Assert.True(published.Succeeded, published.Failure?.Message);
        return wheel;
    }

    private void SetStatus(string repository, string package, string version, string status) =>
        Assert.True(Packages.UpdateStatus("py", repository, "pypi", null, package, [version], status).Value!.Single().Succeeded);

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static async Task<byte[]> ReadAll(Stream stream)
    {
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }
}
