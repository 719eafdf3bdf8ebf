using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Services;
using PSCodeArtifact.Server.Generic;
using PSCodeArtifact.Server.Hosting;

namespace CodeArtifact.Server.Tests;

public sealed class GenericEndpointTests : IAsyncLifetime
{
    private const string Repo = "/demo/generic/main";
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "psca-generic-" + Guid.NewGuid().ToString("N"));
    private readonly HttpClient _client = new();
    private CaEndpoint? _endpoint;
    private string _token = "";

    private CaStore Store => CaStore.Open(_folder);

    public async Task InitializeAsync()
    {
        var store = CaStore.Open(_folder);
        Assert.True(store.Domains.Create("demo").Succeeded);
        Assert.True(store.Repositories.Create("demo", "main").Succeeded);
        _token = store.Tokens.Issue("demo").Value!.AuthorizationToken;
        _endpoint = await CaEndpoint.StartAsync(new EndpointOptions(_folder), CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _endpoint!.StopAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    // ------------------------------------------------------------------ publish and download

    [Fact]
    public async Task Put_ANewAsset_Is201WithTheVersionAndItsLocation()
    {
        var bytes = Encoding.UTF8.GetBytes("hello generic");

        var response = await PutAsync($"{Repo}/tools/cli/1.0.0/cli.txt", bytes);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal($"{_endpoint!.Uri.ToString().TrimEnd('/')}{Repo}/tools/cli/1.0.0/cli.txt", response.Headers.Location!.ToString());
        var body = await JsonAsync(response);
        Assert.Equal("generic", body.GetProperty("format").GetString());
        Assert.Equal("tools", body.GetProperty("namespace").GetString());
        Assert.Equal("cli", body.GetProperty("package").GetString());
        Assert.Equal("1.0.0", body.GetProperty("version").GetString());
        Assert.Equal(PackageService.Published, body.GetProperty("status").GetString());
        Assert.Equal("cli.txt", body.GetProperty("asset").GetString());
        Assert.Equal(Sha256(bytes), body.GetProperty("sha256").GetString());
        var version = await Store.Packages.GetVersionAsync("demo", "main", "generic", "tools", "cli", "1.0.0", CancellationToken.None);
        Assert.Equal(version.Value!.Revision, body.GetProperty("revision").GetString());
    }

    [Fact]
    public async Task Get_ServesTheBytes_WithAStrongETag_Ranges_AndHeadLikeGet()
    {
        var bytes = RandomNumberGenerator.GetBytes(100_000);
        await PutAsync($"{Repo}/tools/cli/1.0.0/cli.bin", bytes);
        var url = $"{Repo}/tools/cli/1.0.0/cli.bin";

        var get = await SendAsync(HttpMethod.Get, url);
        var head = await SendAsync(HttpMethod.Head, url);
        var range = await SendAsync(HttpMethod.Get, url, r => r.Headers.Range = new RangeHeaderValue(1000, 1999));
        var revalidated = await SendAsync(HttpMethod.Get, url, r => r.Headers.IfNoneMatch.Add(new EntityTagHeaderValue($"\"{Sha256(bytes)}\"")));

        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(bytes, await get.Content.ReadAsByteArrayAsync());
        Assert.Equal($"\"{Sha256(bytes)}\"", get.Headers.ETag!.ToString());
        Assert.Equal("application/octet-stream", get.Content.Headers.ContentType!.MediaType);
        Assert.Equal("nosniff", get.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Null(get.Content.Headers.ContentEncoding.FirstOrDefault());
        Assert.Equal("bytes", get.Headers.AcceptRanges.Single());

        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(bytes.Length, head.Content.Headers.ContentLength);
        Assert.Equal(get.Headers.ETag, head.Headers.ETag);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());

        Assert.Equal(HttpStatusCode.PartialContent, range.StatusCode);
        Assert.Equal($"bytes 1000-1999/{bytes.Length}", range.Content.Headers.ContentRange!.ToString());
        Assert.Equal(bytes[1000..2000], await range.Content.ReadAsByteArrayAsync());

        Assert.Equal(HttpStatusCode.NotModified, revalidated.StatusCode);
    }

    [Fact]
    public async Task Put_TheSameBytesAgain_Is200_AndOtherBytesUnderTheName_Is409()
    {
        var bytes = Encoding.UTF8.GetBytes("first");
        Assert.Equal(HttpStatusCode.Created, (await PutAsync($"{Repo}/tools/cli/1.0.0/cli.txt", bytes)).StatusCode);
        var revision = Revision("1.0.0");

        var again = await PutAsync($"{Repo}/tools/cli/1.0.0/cli.txt", bytes);
        var other = await PutAsync($"{Repo}/tools/cli/1.0.0/cli.txt", Encoding.UTF8.GetBytes("second"));

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Null(again.Headers.Location);
        Assert.Equal(revision, (await JsonAsync(again)).GetProperty("revision").GetString());
        Assert.Equal(HttpStatusCode.Conflict, other.StatusCode);
        var error = await JsonAsync(other);
        Assert.Equal(ErrorCodes.AssetConflict, error.GetProperty("code").GetString());
        Assert.Contains("other content", error.GetProperty("error").GetString());
        Assert.Equal(revision, Revision("1.0.0"));
    }

    [Theory]
    [InlineData(null, "ChecksumRequired")]
    [InlineData("", "ChecksumRequired")]
    [InlineData("abc", "InvalidChecksum")]
    [InlineData("zz5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8", "InvalidChecksum")]
    [InlineData("0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8a", "InvalidChecksum")]
    public async Task Put_WithoutAWellFormedChecksum_Is400AndSaysWhy(string? checksum, string code)
    {
        var response = await SendAsync(HttpMethod.Put, $"{Repo}/tools/cli/1.0.0/cli.txt", r =>
        {
            r.Content = new ByteArrayContent("data"u8.ToArray());
            if (checksum is not null) r.Headers.TryAddWithoutValidation(GenericEndpoints.ChecksumHeader, checksum);
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await JsonAsync(response);
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Contains(GenericEndpoints.ChecksumHeader, error.GetProperty("error").GetString());
        AssertNothingStored();
    }

    [Fact]
    public async Task Put_WithTheWrongChecksum_Is400_AndStoresNothing()
    {
        var bytes = RandomNumberGenerator.GetBytes(300_000);

        var response = await PutAsync($"{Repo}/tools/cli/1.0.0/cli.bin", bytes, checksum: Sha256([.. bytes, 0]));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await JsonAsync(response);
        Assert.Equal(ErrorCodes.DigestMismatch, error.GetProperty("code").GetString());
        Assert.Contains("nothing was stored", error.GetProperty("error").GetString());
        AssertNothingStored();
    }

    [Fact]
    public async Task Put_AChunkedBodyOfSeveralMegabytes_StreamsIntoTheStore()
    {
        var bytes = RandomNumberGenerator.GetBytes(9 * 1024 * 1024 + 17);

        var response = await SendAsync(HttpMethod.Put, $"{Repo}/tools/cli/2.0.0/big.bin", r =>
        {
            // No Content-Length: the body arrives chunked, as from a pipe.
            r.Content = new StreamContent(new NonSeekableStream(bytes));
            r.Headers.TransferEncodingChunked = true;
            r.Headers.Add(GenericEndpoints.ChecksumHeader, Sha256(bytes));
        });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var asset = Store.Packages.ListAssets("demo", "main", "generic", "tools", "cli", "2.0.0").Value!.Single();
        Assert.Equal(bytes.Length, asset.Size);
        Assert.Equal(Convert.ToHexStringLower(SHA512.HashData(bytes)), asset.Hashes["SHA-512"]);
        Assert.Empty(TempFiles());
    }

    [Fact]
    public async Task Put_OfABodyOverTheEndpointsLimit_Is413_AndStoresNothing()
    {
        await using var small = await CaEndpoint.StartAsync(new EndpointOptions(_folder) { MaxRequestBodySize = 64 * 1024 }, CancellationToken.None);
        var bytes = RandomNumberGenerator.GetBytes(200_000);
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(small.Uri, $"{Repo}/tools/cli/1.0.0/big.bin"))
        {
            Headers = { Authorization = new("Bearer", _token) },
            Content = new ByteArrayContent(bytes),
        };
        request.Headers.Add(GenericEndpoints.ChecksumHeader, Sha256(bytes));

        var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        AssertNothingStored();
    }

    [Fact]
    public async Task Put_WithAContentEncoding_Is415()
    {
        var bytes = "data"u8.ToArray();

        var response = await SendAsync(HttpMethod.Put, $"{Repo}/tools/cli/1.0.0/cli.txt", r =>
        {
            r.Content = new ByteArrayContent(bytes);
            r.Content.Headers.ContentEncoding.Add("gzip");
            r.Headers.Add(GenericEndpoints.ChecksumHeader, Sha256(bytes));
        });

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        AssertNothingStored();
    }

    [Fact]
    public async Task Put_ToAnUnknownRepository_Is404_AndABlockedPackage403()
    {
        var bytes = "data"u8.ToArray();
        Assert.True(Store.Packages.SetOriginConfiguration("demo", "main", "generic", "tools", "blocked", "BLOCK", "ALLOW").Succeeded);

        var unknown = await PutAsync("/demo/generic/nope/tools/cli/1.0.0/cli.txt", bytes);
        var blocked = await PutAsync($"{Repo}/tools/blocked/1.0.0/cli.txt", bytes);

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(ErrorCodes.RepositoryNotFound, (await JsonAsync(unknown)).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, blocked.StatusCode);
        Assert.Equal(ErrorCodes.PublishBlocked, (await JsonAsync(blocked)).GetProperty("code").GetString());
        Assert.Empty(BlobFiles());
    }

    // ------------------------------------------------------------------ unfinished versions and statuses

    [Fact]
    public async Task Unfinished_KeepsTheVersionOpen_UntilAPutWithoutTheFlag()
    {
        var first = await PutAsync($"{Repo}/tools/cli/3.0.0/a.txt?unfinished=true", "a"u8.ToArray());
        var whileOpen = await SendAsync(HttpMethod.Get, $"{Repo}/tools/cli/3.0.0/a.txt");
        var second = await PutAsync($"{Repo}/tools/cli/3.0.0/b.txt?unfinished=1", "b"u8.ToArray());
        var last = await PutAsync($"{Repo}/tools/cli/3.0.0/c.txt", "c"u8.ToArray());
        var afterwards = await PutAsync($"{Repo}/tools/cli/3.0.0/d.txt?unfinished=true", "d"u8.ToArray());

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(PackageService.Unfinished, (await JsonAsync(first)).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.Conflict, whileOpen.StatusCode);
        Assert.Equal(ErrorCodes.AssetNotAvailable, (await JsonAsync(whileOpen)).GetProperty("code").GetString());
        Assert.Equal(PackageService.Unfinished, (await JsonAsync(second)).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.Created, last.StatusCode);
        Assert.Equal(PackageService.Published, (await JsonAsync(last)).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.Conflict, afterwards.StatusCode);
        Assert.Equal(ErrorCodes.VersionAlreadyExists, (await JsonAsync(afterwards)).GetProperty("code").GetString());
        Assert.Equal(new[] { "a.txt", "b.txt", "c.txt" }, Store.Packages.ListAssets("demo", "main", "generic", "tools", "cli", "3.0.0").Value!.Select(a => a.Name));
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, $"{Repo}/tools/cli/3.0.0/a.txt")).StatusCode);
    }

    [Fact]
    public async Task Unfinished_TheSameAssetAgainWithoutTheFlag_FinishesTheVersionWith200()
    {
        await PutAsync($"{Repo}/tools/cli/3.1.0/a.txt?unfinished", "a"u8.ToArray());

        var again = await PutAsync($"{Repo}/tools/cli/3.1.0/a.txt?unfinished=false", "a"u8.ToArray());

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(PackageService.Published, (await JsonAsync(again)).GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("unfinished=maybe")]
    [InlineData("unfinished=yes")]
    public async Task Unfinished_WithAValueThatIsNotAFlag_Is400(string query)
    {
        var response = await PutAsync($"{Repo}/tools/cli/1.0.0/cli.txt?{query}", "data"u8.ToArray());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("InvalidQuery", (await JsonAsync(response)).GetProperty("code").GetString());
        AssertNothingStored();
    }

    [Fact]
    public async Task Get_OfAnArchivedVersion_Is409_AndOfADisposedOne404SayingSo()
    {
        await PutAsync($"{Repo}/tools/cli/1.0.0/cli.txt", "one"u8.ToArray());
        await PutAsync($"{Repo}/tools/cli/2.0.0/cli.txt", "two"u8.ToArray());
        Assert.True(Store.Packages.UpdateStatus("demo", "main", "generic", "tools", "cli", ["1.0.0"], PackageService.Archived).Succeeded);
        Assert.True(Store.Packages.DisposeVersions("demo", "main", "generic", "tools", "cli", ["2.0.0"]).Succeeded);

        var archived = await SendAsync(HttpMethod.Get, $"{Repo}/tools/cli/1.0.0/cli.txt");
        var archivedHead = await SendAsync(HttpMethod.Head, $"{Repo}/tools/cli/1.0.0/cli.txt");
        var disposed = await SendAsync(HttpMethod.Get, $"{Repo}/tools/cli/2.0.0/cli.txt");
        var republish = await PutAsync($"{Repo}/tools/cli/1.0.0/other.txt", "x"u8.ToArray());

        Assert.Equal(HttpStatusCode.Conflict, archived.StatusCode);
        Assert.Contains("Archived", (await JsonAsync(archived)).GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.Conflict, archivedHead.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, disposed.StatusCode);
        Assert.Contains("Disposed", (await JsonAsync(disposed)).GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.Conflict, republish.StatusCode);
        Assert.Equal(ErrorCodes.VersionNotPublishable, (await JsonAsync(republish)).GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("/demo/generic/main/tools/cli/1.0.0/none.txt", ErrorCodes.AssetNotFound)]
    [InlineData("/demo/generic/main/tools/cli/9.9.9/cli.txt", ErrorCodes.PackageVersionNotFound)]
    [InlineData("/demo/generic/main/tools/nope/1.0.0/cli.txt", ErrorCodes.PackageNotFound)]
    [InlineData("/demo/generic/nope/tools/cli/1.0.0/cli.txt", ErrorCodes.RepositoryNotFound)]
    public async Task Get_OfSomethingMissing_Is404WithTheCoresCode(string path, string code)
    {
        await PutAsync($"{Repo}/tools/cli/1.0.0/cli.txt", "one"u8.ToArray());

        var response = await SendAsync(HttpMethod.Get, path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(code, (await JsonAsync(response)).GetProperty("code").GetString());
    }

    // ------------------------------------------------------------------ the asset list

    [Fact]
    public async Task List_GivesTheVersionsAssetsWithSizesHashesAndUrls_AndHeadLikeGet()
    {
        var a = "alpha"u8.ToArray();
        var b = RandomNumberGenerator.GetBytes(1234);
        await PutAsync($"{Repo}/tools/cli/1.0.0/b.bin?unfinished=true", b);
        await PutAsync($"{Repo}/tools/cli/1.0.0/a%20file.txt", a);

        var get = await SendAsync(HttpMethod.Get, $"{Repo}/tools/cli/1.0.0/");
        var withoutSlash = await SendAsync(HttpMethod.Get, $"{Repo}/tools/cli/1.0.0");
        var head = await SendAsync(HttpMethod.Head, $"{Repo}/tools/cli/1.0.0/");
        var revalidated = await SendAsync(HttpMethod.Get, $"{Repo}/tools/cli/1.0.0/", r => r.Headers.IfNoneMatch.Add(get.Headers.ETag!));

        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("application/json", get.Content.Headers.ContentType!.MediaType);
        var body = await JsonAsync(get);
        Assert.Equal(PackageService.Published, body.GetProperty("status").GetString());
        var revision = body.GetProperty("revision").GetString();
        Assert.Equal(Revision("1.0.0"), revision);
        var assets = body.GetProperty("assets").EnumerateArray().ToList();
        Assert.Equal(new[] { "a file.txt", "b.bin" }, assets.Select(x => x.GetProperty("name").GetString()));
        Assert.Equal(a.Length, assets[0].GetProperty("size").GetInt64());
        Assert.Equal(Sha256(b), assets[1].GetProperty("hashes").GetProperty("SHA-256").GetString());
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(b)), assets[1].GetProperty("hashes").GetProperty("MD5").GetString());
        Assert.All(assets, x => Assert.Equal(PackageService.Published, x.GetProperty("status").GetString()));
        Assert.All(assets, x => Assert.Equal(revision, x.GetProperty("revision").GetString()));
        var url = assets[0].GetProperty("url").GetString()!;
        Assert.EndsWith($"{Repo}/tools/cli/1.0.0/a%20file.txt", url);
        Assert.Equal(a, await (await SendAsync(HttpMethod.Get, new Uri(url).PathAndQuery)).Content.ReadAsByteArrayAsync());

        Assert.Equal(await get.Content.ReadAsStringAsync(), await withoutSlash.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(get.Content.Headers.ContentLength, head.Content.Headers.ContentLength);
        Assert.Equal(get.Headers.ETag, head.Headers.ETag);
        Assert.Equal(HttpStatusCode.NotModified, revalidated.StatusCode);
    }

    [Fact]
    public async Task List_OfAnUnknownVersion_Is404()
    {
        var response = await SendAsync(HttpMethod.Get, $"{Repo}/tools/cli/1.0.0/");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(ErrorCodes.PackageNotFound, (await JsonAsync(response)).GetProperty("code").GetString());
    }

    // ------------------------------------------------------------------ paths, methods and auth

    [Theory]
    [InlineData("/demo/generic/main/tools/cli/1.0.0/../cli.txt")]
    [InlineData("/demo/generic/main/tools/cli/%2e%2e/1.0.0/cli.txt")]
    [InlineData("/demo/generic/main/tools/cli/1.0.0/%2E%2E")]
    [InlineData("/demo/generic/main/tools/cli/1.0.0/%2e")]
    [InlineData("/demo/generic/main/tools/cli/./cli.txt")]
    [InlineData("/demo/generic/main/tools/cli/1.0.0/a%2Fb.txt")]
    [InlineData("/demo/generic/main/tools/cli/1.0.0/a%2fb.txt")]
    [InlineData("/demo/generic/main/tools/cli/1.0.0/..%2Fcli.txt")]
    [InlineData("/demo/generic/main/tools/cli/1.0.0/a%5Cb.txt")]
    [InlineData("/demo/generic/main/tools/cli/1.0.0/a\\b.txt")]
    [InlineData("/demo/generic/main/tools//1.0.0/cli.txt")]
    [InlineData("/demo/generic/main/tools/cli/1.0.0/a%00b.txt")]
    [InlineData("/demo/generic/main/tools/cli/1.0.0/a%0Ab.txt")]
    public async Task Paths_ThatCouldClimbOrHideASeparator_Are400_AndStoreNothing(string path)
    {
        var put = await PutAsync(path, "data"u8.ToArray());
        var get = await SendAsync(HttpMethod.Get, path);

        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, get.StatusCode);
        // Kestrel may refuse a request target itself (with an empty body); when the endpoint does, it says why.
        if (put.Content.Headers.ContentLength != 0) Assert.Equal("InvalidPath", (await JsonAsync(put)).GetProperty("code").GetString());
        AssertNothingStored();
    }

    [Fact]
    public async Task Paths_ThatClimbOutOfTheRoute_AreNotFound_AndStoreNothing()
    {
        var response = await PutAsync("/demo/generic/main/tools/%2e%2e/%2e%2e/%2e%2e/%2e%2e/cli.txt", "data"u8.ToArray());

        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"{response.StatusCode}");
        AssertNothingStored();
    }

    [Fact]
    public async Task Paths_AreDecodedOnce()
    {
        var bytes = "data"u8.ToArray();

        var response = await PutAsync($"{Repo}/tools/cli/1.0.0/my%20file%252e%252e.txt", bytes);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("my file%2e%2e.txt", (await JsonAsync(response)).GetProperty("asset").GetString());
        Assert.EndsWith("/1.0.0/my%20file%252e%252e.txt", response.Headers.GetValues("Location").Single());
        Assert.Equal(bytes, await (await SendAsync(HttpMethod.Get, $"{Repo}/tools/cli/1.0.0/my%20file%252e%252e.txt")).Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("POST", "/demo/generic/main/tools/cli/1.0.0/cli.txt", "GET, HEAD, PUT")]
    [InlineData("DELETE", "/demo/generic/main/tools/cli/1.0.0/cli.txt", "GET, HEAD, PUT")]
    [InlineData("PUT", "/demo/generic/main/tools/cli/1.0.0/", "GET, HEAD")]
    [InlineData("PATCH", "/demo/generic/main/tools/cli/1.0.0/", "GET, HEAD")]
    public async Task OtherMethods_Are405WithAllow(string method, string path, string allow)
    {
        var response = await SendAsync(new HttpMethod(method), path, r => r.Content = new ByteArrayContent([]));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal(allow, string.Join(", ", response.Content.Headers.Allow));
        Assert.Equal(ErrorCodes.MethodNotAllowed, (await JsonAsync(response)).GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("GET", "/demo/generic/main/")]
    [InlineData("GET", "/demo/generic/main/tools/cli")]
    [InlineData("GET", "/demo/generic/main/tools/cli/1.0.0/cli.txt/")]
    [InlineData("GET", "/demo/generic/main/tools/cli/1.0.0/cli.txt/more")]
    [InlineData("PUT", "/demo/generic/main/tools/cli")]
    [InlineData("POST", "/demo/generic/main/a/b/c/d/e")]
    public async Task OtherShapes_Are404WithAJsonReason(string method, string path)
    {
        var response = await SendAsync(new HttpMethod(method), path, r => r.Content = new ByteArrayContent([]));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("<namespace>/<package>/<version>/<asset>", (await JsonAsync(response)).GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("HEAD")]
    [InlineData("PUT")]
    public async Task Anonymous_GetsTheBasicChallenge_AndStoresNothing(string method)
    {
        var bytes = "data"u8.ToArray();
        var response = await SendAsync(new HttpMethod(method), $"{Repo}/tools/cli/1.0.0/cli.txt", r =>
        {
            r.Headers.Authorization = null;
            if (method == "PUT")
            {
                r.Content = new ByteArrayContent(bytes);
                r.Headers.Add(GenericEndpoints.ChecksumHeader, Sha256(bytes));
            }
        });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Basic", response.Headers.WwwAuthenticate.Single().Scheme);
        AssertNothingStored();
    }

    [Fact]
    public async Task Tokens_AreAcceptedAsBasicPasswords()
    {
        var bytes = "data"u8.ToArray();
        var response = await SendAsync(HttpMethod.Put, $"{Repo}/tools/cli/1.0.0/cli.txt", r =>
        {
            r.Headers.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("aws:" + _token)));
            r.Content = new ByteArrayContent(bytes);
            r.Headers.Add(GenericEndpoints.ChecksumHeader, Sha256(bytes).ToUpperInvariant());
        });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Theory]
    [InlineData("/demo/generic/main/ns/pkg/1.0/a.txt", "Asset", "ns", "pkg", "1.0", "a.txt")]
    [InlineData("/demo/generic/main/ns/pkg/1.0/", "Version", "ns", "pkg", "1.0", null)]
    [InlineData("/demo/generic/main/ns/pkg/1.0?x=/../", "Version", "ns", "pkg", "1.0", null)]
    [InlineData("http://host:8080/demo/generic/main/n%40s/p%2Bkg/1.0/a+b.txt?unfinished=true", "Asset", "n@s", "p+kg", "1.0", "a+b.txt")]
    [InlineData("/demo/generic/main/ns/pkg/1.0/%252F", "Asset", "ns", "pkg", "1.0", "%2F")]
    [InlineData("/demo/generic/main/ns/pkg", "Unknown", null, null, null, null)]
    [InlineData("/demo/generic/main/ns/pkg/1.0/%2e%2e", "Invalid", null, null, null, null)]
    public void Route_ParsesTheRawTarget(string target, string kind, string? ns, string? package, string? version, string? asset)
    {
        var route = GenericRoute.Parse(target);

        Assert.Equal(kind, route.Kind.ToString());
        Assert.Equal((ns, package, version, asset), (route.Namespace, route.Package, route.Version, route.Asset));
    }

    // ------------------------------------------------------------------ helpers

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private string? Revision(string version) =>
        Store.Packages.ListVersions("demo", "main", "generic", "tools", "cli").Value!.Single(v => v.Version == version).Revision;

    private Task<HttpResponseMessage> PutAsync(string path, byte[] bytes, string? checksum = null) =>
        SendAsync(HttpMethod.Put, path, r =>
        {
            r.Content = new ByteArrayContent(bytes);
            r.Headers.Add(GenericEndpoints.ChecksumHeader, checksum ?? Sha256(bytes));
        });

    /// <summary>Sends the path exactly as written: no dot-segment removal, no unescaping, as curl --path-as-is does.</summary>
    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, Action<HttpRequestMessage>? configure = null)
    {
        var uri = new Uri(_endpoint!.Uri.GetLeftPart(UriPartial.Authority) + path, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        var request = new HttpRequestMessage(method, uri) { Headers = { Authorization = new("Bearer", _token) } };
        configure?.Invoke(request);
        return _client.SendAsync(request);
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private IEnumerable<string> BlobFiles() =>
        Directory.Exists(Path.Combine(_folder, "blobs")) ? Directory.EnumerateFiles(Path.Combine(_folder, "blobs"), "*", SearchOption.AllDirectories) : [];

    private IEnumerable<string> TempFiles() =>
        Directory.Exists(Path.Combine(_folder, "tmp")) ? Directory.EnumerateFiles(Path.Combine(_folder, "tmp"), "*", SearchOption.AllDirectories) : [];

    private void AssertNothingStored()
    {
        Assert.Empty(BlobFiles());
        Assert.Empty(TempFiles());
        Assert.Empty(Store.Packages.ListPackages("demo", "main").Value!);
    }

    /// <summary>A body of unknown length.</summary>
    private sealed class NonSeekableStream(byte[] bytes) : MemoryStream(bytes, writable: false)
    {
        public override bool CanSeek => false;
    }
}
