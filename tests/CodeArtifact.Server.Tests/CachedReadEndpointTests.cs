using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Services;
using PSCodeArtifact.Core.Storage;
using PSCodeArtifact.Server.Hosting;

namespace CodeArtifact.Server.Tests;

/// <summary>
/// Reads the endpoint keeps in memory (rendered NuGet version lists, upstream graphs, domain keys) against changes made by
/// another process: each change shows on the next request. The other process is a second store instance on the folder.
/// </summary>
public sealed class CachedReadEndpointTests : IAsyncLifetime
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "psca-server-" + Guid.NewGuid().ToString("N"));
    private readonly HttpClient _client = new();
    private CaEndpoint? _endpoint;

    private CaEndpoint Endpoint => _endpoint!;

    public async Task InitializeAsync()
    {
        var store = CaStore.Open(_folder);
        Assert.True(store.Domains.Create("demo").Succeeded);
        Assert.True(store.Repositories.Create("demo", "base").Succeeded);
        Assert.True(store.Repositories.Create("demo", "main", upstreams: ["base"]).Succeeded);
        _endpoint = await CaEndpoint.StartAsync(new EndpointOptions(_folder), CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await Endpoint.StopAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>A store instance of its own on the endpoint's folder, as a cmdlet in another process has.</summary>
    private CaStore OtherProcess() => CaStore.Open(_folder, new LocalKeyProvider(Path.Combine(_folder, "keys")));

    private async Task<HttpResponseMessage> Get(string path, string? ifNoneMatch = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Endpoint.Uri, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", CaStore.Open(_folder).Tokens.Issue("demo").Value!.AuthorizationToken);
        if (ifNoneMatch is not null) request.Headers.IfNoneMatch.Add(new EntityTagHeaderValue(ifNoneMatch));
        return await _client.SendAsync(request);
    }

    private async Task<(string[] Versions, string ETag)> FlatVersions(string repository)
    {
        var response = await Get($"/demo/nuget/{repository}/v3/flatcontainer/cached.lib/index.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (json.RootElement.GetProperty("versions").EnumerateArray().Select(v => v.GetString()!).ToArray(), response.Headers.ETag!.Tag);
    }

    private static byte[] Nupkg(string id, string version)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var entry = zip.CreateEntry($"{id}.nuspec").Open();
            entry.Write(Encoding.UTF8.GetBytes($"""
                <?xml version="1.0" encoding="utf-8"?>
                <package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
                  <metadata><id>{id}</id><version>{version}</version><authors>Tests</authors><description>Cached reads.</description></metadata>
                </package>
                """));
        }
        return buffer.ToArray();
    }

    private static async Task Push(CaStore store, string repository, byte[] nupkg)
    {
        var pushed = await store.Packages.PushNugetAsync("demo", repository, "package.nupkg", new MemoryStream(nupkg), CancellationToken.None);
        Assert.True(pushed.Succeeded, pushed.Failure?.Message);
    }

    [Fact]
    public async Task FlatVersionList_ShowsEveryChangeOfAnotherProcess_OnTheNextRequest()
    {
        var other = OtherProcess();
        await Push(other, "base", Nupkg("Cached.Lib", "1.0.0"));
        var (first, etag) = await FlatVersions("main");
        Assert.Equal(["1.0.0"], first);
        Assert.Equal(HttpStatusCode.NotModified, (await Get("/demo/nuget/main/v3/flatcontainer/cached.lib/index.json", etag)).StatusCode);

        Assert.True(other.Packages.SetOriginConfiguration("demo", "main", "nuget", null, "Cached.Lib", "ALLOW", "ALLOW").Succeeded);
        await Push(other, "main", Nupkg("Cached.Lib", "2.0.0"));
        var (second, changed) = await FlatVersions("main");
        Assert.Equal(["1.0.0", "2.0.0"], second);
        Assert.NotEqual(etag, changed);

        Assert.True(other.Packages.UpdateStatus("demo", "base", "nuget", null, "Cached.Lib", ["1.0.0"], PackageService.Archived).Succeeded);
        Assert.Equal(["2.0.0"], (await FlatVersions("main")).Versions);
        Assert.True(other.Packages.UpdateStatus("demo", "base", "nuget", null, "Cached.Lib", ["1.0.0"], PackageService.Published).Succeeded);
        Assert.Equal(["1.0.0", "2.0.0"], (await FlatVersions("main")).Versions);

        Assert.True(other.Repositories.Update("demo", "main", null, []).Succeeded);
        Assert.Equal(["2.0.0"], (await FlatVersions("main")).Versions);
        Assert.Equal(["1.0.0"], (await FlatVersions("base")).Versions);
    }

    [Fact]
    public async Task Nupkg_IsServedWithTheCachedKey_UntilAnotherProcessRemovesTheDomain()
    {
        var nupkg = Nupkg("Cached.Lib", "1.0.0");
        await Push(CaStore.Open(_folder), "main", nupkg);
        const string Path = "/demo/nuget/main/v3/flatcontainer/cached.lib/1.0.0/cached.lib.1.0.0.nupkg";
        for (var i = 0; i < 3; i++)
        {
            var response = await Get(Path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(nupkg, await response.Content.ReadAsByteArrayAsync());
        }
        var token = CaStore.Open(_folder).Tokens.Issue("demo").Value!.AuthorizationToken;

        Assert.True(OtherProcess().Domains.Remove("demo", force: true).Succeeded);

        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Endpoint.Uri, Path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var gone = await _client.SendAsync(request);
        Assert.NotEqual(HttpStatusCode.OK, gone.StatusCode);
        Assert.Equal(ErrorCodes.DomainNotFound, (await CaStore.Open(_folder).Packages.OpenNugetPackageThroughUpstreamsAsync("demo", "main", "Cached.Lib", "1.0.0",
            CancellationToken.None)).Failure!.Code);
    }
}
