using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PSCodeArtifact.Core;
using PSCodeArtifact.Server.Hosting;
using PSCodeArtifact.Server.Pypi;

namespace CodeArtifact.Server.Tests;

public sealed class EndpointTests : IAsyncLifetime
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "psca-server-" + Guid.NewGuid().ToString("N"));
    private CaEndpoint? _endpoint;
    private readonly HttpClient _client = new();

    private CaEndpoint Endpoint => _endpoint!;

    public async Task InitializeAsync()
    {
        var store = CaStore.Open(_folder);
        Assert.True(store.Domains.Create("demo").Succeeded);
        Assert.True(store.Domains.Create("other").Succeeded);
        Assert.True(store.Repositories.Create("demo", "main").Succeeded);
        _endpoint = await CaEndpoint.StartAsync(new EndpointOptions(_folder), CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await Endpoint.StopAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private string Token(string domain) => CaStore.Open(_folder).Tokens.Issue(domain).Value!.AuthorizationToken;

    private Uri Url(string path) => new(Endpoint.Uri, path);

    [Fact]
    public async Task Health_IsAnonymous()
    {
        var response = await _client.GetAsync(Url("/health"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/demo/npm/main/-/ping")]
    [InlineData("/demo/pypi/main/simple/")]
    [InlineData("/no/such/path.json")]
    public async Task AnonymousRequests_GetABasicChallenge(string path)
    {
        var response = await _client.GetAsync(Url(path));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Basic", response.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Contains("Get-CaAuthorizationToken", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Tokens_AreAcceptedAsBearerBasicPasswordAndNuGetApiKey()
    {
        var token = Token("demo");
        var requests = new[]
        {
            new HttpRequestMessage(HttpMethod.Get, Url("/demo/npm/main/-/ping")) { Headers = { Authorization = new("Bearer", token) } },
            new HttpRequestMessage(HttpMethod.Get, Url("/demo/npm/main/-/ping"))
            {
                Headers = { Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("anyone:" + token))) },
            },
            new HttpRequestMessage(HttpMethod.Get, Url("/demo/npm/main/-/ping")) { Headers = { { "X-NuGet-ApiKey", token } } },
        };
        foreach (var request in requests)
        {
            Assert.Equal(HttpStatusCode.OK, (await _client.SendAsync(request)).StatusCode);
        }
    }

    [Fact]
    public async Task ATokenOfAnotherDomain_IsForbidden_AndAForgedOneUnauthorized()
    {
        var other = new HttpRequestMessage(HttpMethod.Get, Url("/demo/npm/main/-/ping")) { Headers = { Authorization = new("Bearer", Token("other")) } };
        Assert.Equal(HttpStatusCode.Forbidden, (await _client.SendAsync(other)).StatusCode);

        var token = Token("demo");
        var forged = token[..^4] + (token[^4] == 'A' ? "BBBB" : "AAAA");
        var bad = new HttpRequestMessage(HttpMethod.Get, Url("/demo/npm/main/-/ping")) { Headers = { Authorization = new("Bearer", forged) } };
        Assert.Equal(HttpStatusCode.Unauthorized, (await _client.SendAsync(bad)).StatusCode);
    }

    [Theory]
    [InlineData("/no/such/path.json")]
    [InlineData("/demo/unknown/main/x")]
    [InlineData("/")]
    public async Task AnUnknownRoute_WithAValidToken_Is404WithAJsonBodySayingSo(string path)
    {
        // A token of another domain than the path's first segment is valid too: the route does not exist for anyone.
        foreach (var domain in new[] { "demo", "other" })
        {
            var request = new HttpRequestMessage(HttpMethod.Get, Url(path)) { Headers = { Authorization = new("Bearer", Token(domain)) } };

            var response = await _client.SendAsync(request);

            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(ErrorCodes.RouteNotFound, body.RootElement.GetProperty("code").GetString());
            Assert.Contains("does not exist", body.RootElement.GetProperty("error").GetString());
        }
    }

    [Theory]
    [InlineData("forged", ErrorCodes.InvalidToken)]
    [InlineData("garbage", ErrorCodes.InvalidToken)]
    [InlineData("expired", ErrorCodes.TokenExpired)]
    public async Task AnUnknownRoute_WithATokenThisStoreDoesNotAccept_IsChallengedWith401(string kind, string code)
    {
        var token = Token("demo");
        var bad = kind switch
        {
            "forged" => token[..^4] + (token[^4] == 'A' ? "BBBB" : "AAAA"),
            "garbage" => "not-a-token",
            _ => Resign(token, payload => payload["Exp"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 1),
        };
        foreach (var path in new[] { "/no/such/path.json", "/demo/unknown/main/x" })
        {
            var request = new HttpRequestMessage(HttpMethod.Get, Url(path)) { Headers = { Authorization = new("Bearer", bad) } };

            var response = await _client.SendAsync(request);

            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Basic", response.Headers.WwwAuthenticate.Single().Scheme);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(code, body.RootElement.GetProperty("code").GetString());
        }
    }

    [Fact]
    public async Task AnUnknownRoute_WithATokenOfARemovedDomain_IsForbiddenLikeEveryRoute()
    {
        var token = Token("other");
        Assert.True(CaStore.Open(_folder).Domains.Remove("other", force: true).Succeeded);

        var request = new HttpRequestMessage(HttpMethod.Get, Url("/no/such/path")) { Headers = { Authorization = new("Bearer", token) } };
        var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains(ErrorCodes.TokenDomainMismatch, await response.Content.ReadAsStringAsync());
    }

    // The token with its payload changed and signed again with the store's key, as the store would sign it.
    private string Resign(string token, Action<JsonObject> change)
    {
        var parts = token.Split('.');
        var payload = JsonNode.Parse(FromBase64Url(parts[1]))!.AsObject();
        change(payload);
        var body = parts[0] + "." + ToBase64Url(Encoding.UTF8.GetBytes(payload.ToJsonString()));
        var key = File.ReadAllBytes(Path.Combine(_folder, "keys", "token-signing.key"));
        return body + "." + ToBase64Url(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(body)));
    }

    private static string ToBase64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='));
    }

    [Fact]
    public async Task ARepositoryCreatedWhileServing_IsServedAtOnce()
    {
        var request = () => new HttpRequestMessage(HttpMethod.Get, Url("/demo/pypi/late/simple/")) { Headers = { Authorization = new("Bearer", Token("demo")) } };
        Assert.Equal(HttpStatusCode.NotFound, (await _client.SendAsync(request())).StatusCode);

        Assert.True(CaStore.Open(_folder).Repositories.Create("demo", "late").Succeeded);

        Assert.Equal(HttpStatusCode.OK, (await _client.SendAsync(request())).StatusCode);
    }

    [Theory]
    [InlineData(null, "text/html")]
    [InlineData("application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01", "application/vnd.pypi.simple.v1+json")]
    [InlineData("text/html; q=0.5, application/vnd.pypi.simple.v1+json; q=0.1", "text/html")]
    [InlineData("application/vnd.pypi.simple.latest+json", "application/vnd.pypi.simple.v1+json")]
    [InlineData("application/xml", null)]
    public void SimplePages_NegotiateByQuality(string? accept, string? expected) =>
        Assert.Equal(expected, SimplePages.Negotiate(accept));

    [Theory]
    [InlineData("", "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8")]
    [InlineData("abc", "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319")]
    public void Blake2b256_MatchesReferenceVectors(string input, string expected) =>
        Assert.Equal(expected, Convert.ToHexStringLower(Blake2b256.Hash(Encoding.ASCII.GetBytes(input))));
}
