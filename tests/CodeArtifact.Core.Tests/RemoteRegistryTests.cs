using System.Text;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Services;

namespace CodeArtifact.Core.Tests;

/// <summary>
/// The HTTP side of external connections against a small in-process registry: TTL caching, negative caching, coalescing,
/// stale-if-error, failures when nothing is cached, and where credentials are sent.
/// </summary>
public sealed class RemoteRegistryTests : UpstreamFixture
{
    private const string Domain = "remote";
    private const string Accept = "application/json";
    private int _connections;

    public RemoteRegistryTests()
        : base(Domain, "/npm/")
    {
    }

    private RemoteRegistry Remote => Store.Remote;

    /// <summary>A connection to the fake registry, attached to a repository of its own; its source as upstream chains see it.</summary>
    private ExternalSource Source(TimeSpan? ttl = null, string? password = null, Uri? uri = null)
    {
        var n = ++_connections;
        var repository = $"store{n}";
        Assert.True(Store.Repositories.Create(Domain, repository).Succeeded);
        Connect(repository, $"public:fake{n}", "npm", uri ?? Registry.BaseUri, ttl ?? TimeSpan.FromMinutes(5), password is null ? null : "reader", password);
        var chain = Store.Packages.ResolveChain(Domain, repository, "npm", null, "anything").Value!;
        return chain.Members.Single(m => m.IsExternal).External!;
    }

    private Task<Outcome<RemoteDocument?>> Get(ExternalSource source, string path) =>
        Remote.GetMetadataAsync(source, new Uri(Registry.BaseUri, path), Accept, CancellationToken.None);

    private static string Text(Outcome<RemoteDocument?> outcome)
    {
        Assert.True(outcome.Succeeded, outcome.Failure?.Message);
        Assert.NotNull(outcome.Value);
        return Encoding.UTF8.GetString(outcome.Value!.Body);
    }

    [Fact]
    public async Task Metadata_BeyondTheMemoryBudget_ForgetsTheDocumentsFetchedLongestAgo()
    {
        var body = new string('x', 1000);
        foreach (var name in new[] { "a", "b", "c" }) Registry.Respond("/" + name, 200, $$"""{"pad":"{{body}}"}""");
        var source = Source();
        Remote.MaxCachedBytes = 2500;

        await Get(source, "a");
        await Get(source, "b");
        await Get(source, "c");
        var cached = Remote.CachedBytes;
        await Get(source, "c");
        await Get(source, "a");

        Assert.InRange(cached, 1, 2500);
        Assert.Equal(1, Registry.Count("/c"));
        Assert.Equal(2, Registry.Count("/a"));
    }

    [Fact]
    public async Task Metadata_IsCachedForTheTtl_SoASecondCallSendsNoRequest()
    {
        Registry.Respond("/lib", 200, """{"name":"lib"}""");
        var source = Source();

        var first = await Get(source, "lib");
        var second = await Get(source, "lib");

        Assert.Equal("""{"name":"lib"}""", Text(first));
        Assert.Equal("""{"name":"lib"}""", Text(second));
        Assert.False(second.Value!.Stale);
        Assert.Equal(first.Value!.FetchedAt, second.Value.FetchedAt);
        Assert.Equal(1, Registry.Count("/lib"));
        Assert.Equal(Accept, Registry.LastAccept("/lib"));
    }

    [Fact]
    public async Task Metadata_IsFetchedAgain_OnceTheTtlHasPassed()
    {
        Registry.Respond("/lib", 200, "v1");
        var source = Source(ttl: TimeSpan.FromSeconds(1));
        Assert.Equal("v1", Text(await Get(source, "lib")));

        Registry.Respond("/lib", 200, "v2");
        await Task.Delay(TimeSpan.FromSeconds(1.3));
        var refreshed = await Get(source, "lib");

        Assert.Equal("v2", Text(refreshed));
        Assert.Equal(2, Registry.Count("/lib"));
    }

    [Fact]
    public async Task Metadata_WithATtlOfZero_IsFetchedEveryTime()
    {
        Registry.Respond("/lib", 200, "v1");
        var source = Source(ttl: TimeSpan.Zero);

        await Get(source, "lib");
        await Get(source, "lib");

        Assert.Equal(2, Registry.Count("/lib"));
    }

    [Fact]
    public async Task Metadata_IsCachedPerConnection()
    {
        Registry.Respond("/lib", 200, "v1");

        await Get(Source(), "lib");
        await Get(Source(), "lib");

        Assert.Equal(2, Registry.Count("/lib"));
    }

    [Fact]
    public async Task A404_IsANullDocument_AndIsCachedToo()
    {
        var source = Source();

        var first = await Get(source, "missing");
        var second = await Get(source, "missing");

        Assert.True(first.Succeeded, first.Failure?.Message);
        Assert.Null(first.Value);
        Assert.True(second.Succeeded);
        Assert.Null(second.Value);
        Assert.Equal(1, Registry.Count("/missing"));
    }

    [Fact]
    public async Task TwentyConcurrentCalls_SendOneRequest()
    {
        Registry.Respond("/lib", 200, "shared");
        Registry.Hold();
        var source = Source();

        var calls = Enumerable.Range(0, 20).Select(_ => Task.Run(() => Get(source, "lib"))).ToList();
        // Let every call reach the registry (or join the one in flight) before the registry answers.
        await Registry.WaitForRequestAsync("/lib");
        await Task.Delay(300);
        Registry.Release();
        var results = await Task.WhenAll(calls);

        Assert.All(results, r => Assert.Equal("shared", Text(r)));
        Assert.Equal(1, Registry.Count("/lib"));
    }

    [Fact]
    public async Task WhenTheRegistryStops_TheLastGoodDocumentIsServed_Stale()
    {
        Registry.Respond("/lib", 200, "good");
        var source = Source(ttl: TimeSpan.Zero);
        Assert.Equal("good", Text(await Get(source, "lib")));

        Registry.Stop();
        var stale = await Get(source, "lib");

        Assert.Equal("good", Text(stale));
        Assert.True(stale.Value!.Stale);
    }

    [Fact]
    public async Task WhenTheRegistryAnswers500_TheLastGoodDocumentIsServed_Stale()
    {
        Registry.Respond("/lib", 200, "good");
        var source = Source(ttl: TimeSpan.Zero);
        Assert.Equal("good", Text(await Get(source, "lib")));

        Registry.Respond("/lib", 500, "boom");
        var stale = await Get(source, "lib");
        var again = await Get(source, "lib");

        Assert.Equal("good", Text(stale));
        Assert.True(stale.Value!.Stale);
        Assert.Equal("good", Text(again));
        Assert.Equal(2, Registry.Count("/lib"));
    }

    [Fact]
    public async Task NothingCached_AndTheRegistryDown_IsUpstreamUnavailable()
    {
        var source = Source(uri: new Uri($"http://127.0.0.1:{FakeRegistry.FreePort()}/npm/"));

        var failed = await Remote.GetMetadataAsync(source, new Uri(source.BaseUri, "lib"), Accept, CancellationToken.None);

        Assert.Equal(ErrorCodes.UpstreamUnavailable, failed.Failure?.Code);
        Assert.Equal(FailureKind.Unavailable, failed.Failure!.Kind);
        Assert.Contains(source.Name, failed.Failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NothingCached_AndTheRegistryAnswering500_IsUpstreamUnavailable_NotNotFound()
    {
        Registry.Respond("/lib", 503, "down");
        var source = Source();

        var failed = await Get(source, "lib");

        Assert.Equal(ErrorCodes.UpstreamUnavailable, failed.Failure?.Code);
        Assert.Contains("503", failed.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Credentials_GoToTheConnectionsOwnHost()
    {
        Registry.Respond("/lib", 200, "private");
        var source = Source(password: "remote-token");

        Assert.Equal("private", Text(await Get(source, "lib")));

        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("reader:remote-token")), Registry.LastAuthorization("/lib"));
    }

    [Fact]
    public async Task Credentials_AreNotSentToAnotherPort_NorAcrossARedirect()
    {
        using var other = new FakeRegistry();
        other.Respond("/elsewhere", 200, "other");
        Registry.Redirect("/moved", new Uri(other.BaseUri, "elsewhere"));
        var source = Source(password: "remote-token");

        var direct = await Remote.GetMetadataAsync(source, new Uri(other.BaseUri, "elsewhere"), Accept, CancellationToken.None);
        Assert.Equal("other", Text(direct));
        Assert.Null(other.LastAuthorization("/elsewhere"));

        var redirected = await Get(source, "moved");
        Assert.Equal("other", Text(redirected));
        Assert.NotNull(Registry.LastAuthorization("/moved"));
        Assert.Equal(2, other.Count("/elsewhere"));
        Assert.Null(other.LastAuthorization("/elsewhere"));
    }

    [Fact]
    public async Task AnonymousConnections_SendNoCredentials()
    {
        Registry.Respond("/lib", 200, "public");

        await Get(Source(), "lib");

        Assert.Null(Registry.LastAuthorization("/lib"));
    }

    [Fact]
    public async Task RemoteRequests_CountsWhatWasSent()
    {
        Registry.Respond("/lib", 200, "x");
        var source = Source();
        var before = Remote.RemoteRequests;

        await Get(source, "lib");
        await Get(source, "lib");

        Assert.Equal(before + 1, Remote.RemoteRequests);
    }
}
