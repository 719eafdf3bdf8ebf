using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Services;

namespace CodeArtifact.Core.Tests;

/// <summary>
/// Upstream and external-connection edge cases: remotes that break off, lie about what they serve or race each other, and the
/// independence of retained copies (their blobs, their status) from what they were retained from.
/// </summary>
public sealed class UpstreamReviewTests : UpstreamFixture
{
    private const string Domain = "rev";
    private const string Connection = "public:npm";

    public UpstreamReviewTests()
        : base(Domain, "/registry/", "store", "team", "app")
    {
        Assert.True(Store.Repositories.Create(Domain, "app2", upstreams: ["team"]).Succeeded);
        Connect("store", Connection, "npm", Registry.BaseUri, metadataTtl: TimeSpan.FromMinutes(5));
    }

    private static string Integrity(byte[] bytes) => "sha512-" + Convert.ToBase64String(SHA512.HashData(bytes));

    /// <summary>Serves a packument of <paramref name="name"/> listing one version whose tarball is at <paramref name="tarballUrl"/>.</summary>
    private void ServePackument(string name, string version, byte[] tarball, string? tarballUrl = null)
    {
        var path = $"{name}/-/{name}-{version}.tgz";
        if (tarballUrl is null) Registry.Serve(path, tarball, "application/octet-stream");
        var document = new JsonObject
        {
            ["name"] = name,
            ["dist-tags"] = new JsonObject { ["latest"] = version },
            ["versions"] = new JsonObject
            {
                [version] = new JsonObject
                {
                    ["name"] = name,
                    ["version"] = version,
                    ["dist"] = new JsonObject { ["tarball"] = tarballUrl ?? Registry.BaseUri + path, ["integrity"] = Integrity(tarball) },
                },
            },
        };
        Registry.Serve(name, Encoding.UTF8.GetBytes(document.ToJsonString()), "application/json");
    }

    private Task<Outcome<(AssetInfo Asset, Stream Content)>> Open(string repository, string name, string version) =>
        Packages.OpenAssetThroughUpstreamsAsync(Domain, repository, "npm", null, name, version, $"{name}-{version}.tgz", CancellationToken.None);

    private async Task<byte[]> Download(string repository, string name, string version)
    {
        var opened = await Open(repository, name, version);
        Assert.True(opened.Succeeded, opened.Failure?.Message);
        await using var content = opened.Value.Content;
        using var buffer = new MemoryStream();
        await content.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    private IReadOnlyList<PackageVersionInfo> Versions(string repository, string name) =>
        Packages.ListVersions(Domain, repository, "npm", null, name).Value ?? [];

    private int BlobRows()
    {
        using var connection = Store.Catalog.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM blobs b JOIN domains d ON d.id = b.domain_id WHERE d.name = $d;";
        command.Parameters.AddWithValue("$d", Domain);
        return (int)(long)command.ExecuteScalar()!;
    }

    // ------------------------------------------------------------------ remotes that misbehave

    [Fact]
    public async Task Tarball_TheRemoteBreaksOffMidway_IsUpstreamUnavailable_AndNothingIsStored()
    {
        var bytes = NpmTarball.Create("cut", "1.0.0");
        using var breaking = new BreakingServer(bytes.Length + 1000, bytes[..(bytes.Length / 2)]);
        ServePackument("cut", "1.0.0", bytes, breaking.Url + "cut-1.0.0.tgz");

        var opened = await Open("app", "cut", "1.0.0");

        Assert.Equal(ErrorCodes.UpstreamUnavailable, opened.Failure?.Code);
        Assert.Equal(FailureKind.Unavailable, opened.Failure?.Kind);
        Assert.Empty(Versions("store", "cut"));
        Assert.Empty(Versions("app", "cut"));
        Assert.Equal(0, BlobRows());
    }

    [Fact]
    public async Task Tarball_TheRemoteStallsMidway_IsUpstreamUnavailable_AfterTheReadTimeout_AndNothingIsStored()
    {
        var bytes = NpmTarball.Create("stall", "1.0.0");
        using var stalling = new BreakingServer(bytes.Length, bytes[..(bytes.Length / 2)], hold: TimeSpan.FromSeconds(30));
        ServePackument("stall", "1.0.0", bytes, stalling.Url + "stall-1.0.0.tgz");
        var saved = RemoteRegistry.AssetReadTimeout;
        RemoteRegistry.AssetReadTimeout = TimeSpan.FromSeconds(1);
        try
        {
            var opened = await Open("app", "stall", "1.0.0").WaitAsync(TimeSpan.FromSeconds(20));

            Assert.Equal(ErrorCodes.UpstreamUnavailable, opened.Failure?.Code);
            Assert.Contains("sent nothing", opened.Failure!.Message, StringComparison.Ordinal);
            Assert.Empty(Versions("store", "stall"));
            Assert.Equal(0, BlobRows());
        }
        finally
        {
            RemoteRegistry.AssetReadTimeout = saved;
        }
    }

    [Fact]
    public async Task Tarball_OfAnotherPackage_WithAMatchingDigest_IsUpstreamInvalid_AndNothingIsStored()
    {
        var other = NpmTarball.Create("other", "1.0.0");
        ServePackument("wanted", "1.0.0", other);

        var opened = await Open("app", "wanted", "1.0.0");

        Assert.Equal(ErrorCodes.UpstreamInvalid, opened.Failure?.Code);
        Assert.Empty(Versions("store", "wanted"));
        Assert.Empty(Versions("store", "other"));
        Assert.Empty(Versions("app", "wanted"));
        Assert.Equal(0, BlobRows());
    }

    [Fact]
    public async Task Tarball_OfAnotherVersion_WithAMatchingDigest_IsUpstreamInvalid_AndNothingIsStored()
    {
        var newer = NpmTarball.Create("pinned", "2.0.0");
        ServePackument("pinned", "1.0.0", newer);

        var opened = await Open("app", "pinned", "1.0.0");

        Assert.Equal(ErrorCodes.UpstreamInvalid, opened.Failure?.Code);
        Assert.Empty(Versions("store", "pinned"));
        Assert.Equal(0, BlobRows());
    }

    [Theory]
    [InlineData(null, "..")]
    [InlineData(null, "a?write=true")]
    [InlineData(null, "a#b")]
    [InlineData("x?y", "a")]
    public async Task NameNpmRefuses_NeverReachesTheRemote(string? scope, string name)
    {
        Registry.Serve("a", "{}", "application/json");
        var before = Store.Remote.RemoteRequests;

        var source = await Packages.GetNpmPackumentSourceAsync(Domain, "app", scope, name, true, CancellationToken.None);
        var package = source.Failure is { } failure ? failure : (await Packages.GetNpmPackageAsync(source.Value!, CancellationToken.None)).Failure;
        var opened = await Packages.OpenAssetThroughUpstreamsAsync(Domain, "app", "npm", scope, name, "1.0.0", $"{name}-1.0.0.tgz", CancellationToken.None);

        Assert.Equal(FailureKind.NotFound, package?.Kind);
        Assert.Equal(FailureKind.NotFound, opened.Failure?.Kind);
        Assert.Equal(before, Store.Remote.RemoteRequests);
        Assert.Empty(Registry.Requests);
    }

    // A remote page of 100,000 files of one version: read and merged in a few seconds, where scanning the files listed so far
    // for each new one (as the page parser and the merge did) took minutes of CPU per request.
    [Fact(Timeout = 60_000)]
    public async Task PypiPage_WithAHundredThousandFilesOfOneVersion_IsReadAndMerged()
    {
        Connect("team", "public:pypi", "pypi", Registry.BaseUri);
        const int count = 100_000;
        var page = new StringBuilder("""{"meta": {"api-version": "1.1"}, "name": "huge", "files": [""");
        for (var i = 0; i < count; i++)
        {
            page.Append(i == 0 ? "" : ",").Append("{\"filename\": \"huge-1.0-py3-none-linux_").Append(i).Append(".whl\", \"url\": \"f/")
                .Append(i).Append(".whl\", \"hashes\": {\"sha256\": \"").Append('a', 64).Append("\"}}");
        }
        Registry.Serve("simple/huge/", page.Append("]}").ToString(), "application/vnd.pypi.simple.v1+json");

        var project = await Task.Run(() => Packages.GetPypiProjectThroughUpstreamsAsync(Domain, "app", "huge", CancellationToken.None));

        Assert.True(project.Succeeded, project.Failure?.Message);
        Assert.Equal(count, project.Value!.Files.Count);
    }

    // One document read as two kinds: a feed whose registrations and flat container share a URL. The flat container's version
    // list is no registration index, which is garbage (a 502 that says so), not an InvalidCastException.
    [Fact]
    public async Task NugetFeed_WhoseRegistrationsAndFlatContainerShareAUrl_IsUpstreamInvalid_NotACrash()
    {
        var shared = Registry.BaseUri + "v3/shared/";
        Registry.Serve("v3/index.json", $$"""
            {"version": "3.0.0", "resources": [
              {"@id": "{{shared}}", "@type": "PackageBaseAddress/3.0.0"},
              {"@id": "{{shared}}", "@type": "RegistrationsBaseUrl/3.6.0"}]}
            """, "application/json");
        Registry.Serve("v3/shared/odd.pkg/index.json", """{"versions": ["1.0.0"]}""", "application/json");
        Connect("team", "public:nuget", "nuget", new Uri(Registry.BaseUri, "v3/index.json"));

        var listed = await Packages.ListNugetVersionsThroughUpstreamsAsync(Domain, "app", "odd.pkg", CancellationToken.None);
        var registration = await Packages.GetNugetPackageThroughUpstreamsAsync(Domain, "app", "odd.pkg", CancellationToken.None);
        var download = await Packages.OpenNugetPackageThroughUpstreamsAsync(Domain, "app", "odd.pkg", "1.0.0", CancellationToken.None);

        Assert.Equal(["1.0.0"], listed.Value);
        Assert.Equal(ErrorCodes.UpstreamInvalid, registration.Failure?.Code);
        Assert.Equal(ErrorCodes.UpstreamInvalid, download.Failure?.Code);
        Assert.Empty(Packages.ListVersions(Domain, "team", "nuget", null, "odd.pkg").Value ?? []);
    }

    // ------------------------------------------------------------------ concurrency

    [Fact]
    public async Task TwoRepositoriesAskingAtOnce_ShareOneFetch_AndBothRetainTheVersion()
    {
        var bytes = NpmTarball.Create("shared", "1.0.0");
        ServePackument("shared", "1.0.0", bytes);
        // The packument is cached first, so the tarball is what the two requests race for.
        Assert.True((await Packages.GetNpmPackumentSourceAsync(Domain, "app", null, "shared", true, CancellationToken.None)).Succeeded);
        Registry.Hold();
        var first = Download("app", "shared", "1.0.0");
        var second = Download("app2", "shared", "1.0.0");
        await Registry.WaitForRequestAsync("/shared/-/shared-1.0.0.tgz");
        Registry.Release();

        Assert.Equal(bytes, await first);
        Assert.Equal(bytes, await second);
        Assert.Equal(1, Registry.Count("/shared/-/shared-1.0.0.tgz"));
        Assert.Single(Versions("store", "shared"));
        Assert.Single(Versions("app", "shared"));
        Assert.Single(Versions("app2", "shared"));
        Assert.Empty(Versions("team", "shared"));
    }

    // ------------------------------------------------------------------ retained copies are independent

    [Fact]
    public async Task RetainedCopy_KeepsItsStatus_WhenTheUpstreamVersionIsArchivedUnlistedOrDeleted()
    {
        var bytes = NpmTarball.Create("kept", "1.0.0");
        ServePackument("kept", "1.0.0", bytes);
        await Download("app", "kept", "1.0.0");

        Assert.True(Packages.UpdateStatus(Domain, "store", "npm", null, "kept", ["1.0.0"], PackageService.Archived).Succeeded);
        Assert.Equal(PackageService.Published, Versions("app", "kept").Single().Status);
        Assert.Equal(bytes, await Download("app", "kept", "1.0.0"));

        var deleted = Packages.DeleteVersions(Domain, "store", "npm", null, "kept", ["1.0.0"]);
        Assert.True(deleted.Succeeded && deleted.Value!.All(r => r.Succeeded));
        Assert.Equal(bytes, await Download("app", "kept", "1.0.0"));
        Store.Maintenance.RemoveOrphans(TimeSpan.Zero);
        Assert.Equal(bytes, await Download("app", "kept", "1.0.0"));

        var gone = Packages.DeleteVersions(Domain, "app", "npm", null, "kept", ["1.0.0"]);
        Assert.True(gone.Succeeded && gone.Value!.All(r => r.Succeeded));
        // The last copy is gone: its tarball, manifest and metadata blobs are freed.
        Assert.Equal(0, BlobRows());
    }

    /// <summary>A loopback HTTP server that announces a body of some length, sends part of it, and closes the connection.</summary>
    private sealed class BreakingServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public BreakingServer(int announced, byte[] sent, TimeSpan? hold = null)
        {
            _listener.Start();
            Url = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/";
            _loop = Task.Run(async () =>
            {
                while (true)
                {
                    TcpClient client;
                    try
                    {
                        client = await _listener.AcceptTcpClientAsync();
                    }
                    catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
                    {
                        return;
                    }
                    using (client)
                    {
                        var stream = client.GetStream();
                        var buffer = new byte[8192];
                        var request = new StringBuilder();
                        while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                        {
                            var read = await stream.ReadAsync(buffer);
                            if (read == 0) break;
                            request.Append(Encoding.ASCII.GetString(buffer, 0, read));
                        }
                        var head = $"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {announced}\r\nConnection: close\r\n\r\n";
                        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
                        await stream.WriteAsync(sent);
                        await stream.FlushAsync();
                        if (hold is { } stall)
                        {
                            try { await Task.Delay(stall, _stop.Token); } catch (OperationCanceledException) { }
                        }
                        client.Client.Shutdown(SocketShutdown.Both);
                    }
                }
            });
        }

        public string Url { get; }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            _loop.Wait(TimeSpan.FromSeconds(5));
            _stop.Dispose();
        }
    }
}
