using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Services;

namespace CodeArtifact.Core.Tests;

/// <summary>
/// The HTTP side of external connections against a small in-process registry: TTL caching, negative caching, coalescing,
/// stale-if-error, failures when nothing is cached, and where credentials are sent.
/// </summary>
public sealed class RemoteRegistryTests : IDisposable
{
    private const string Domain = "remote";
    private const string Accept = "application/json";
    private readonly TempStore _temp = new();
    private readonly FakeRegistry _server = new();
    private int _connections;

    public RemoteRegistryTests()
    {
        Assert.True(Store.Domains.Create(Domain).Succeeded);
    }

    private CaStore Store => _temp.Store;

    private RemoteRegistry Remote => Store.Remote;

    public void Dispose()
    {
        _server.Dispose();
        _temp.Dispose();
    }

    /// <summary>A connection to the fake registry, attached to a repository of its own; its source as upstream chains see it.</summary>
    private ExternalSource Source(TimeSpan? ttl = null, string? password = null, Uri? uri = null)
    {
        var n = ++_connections;
        var repository = $"store{n}";
        Assert.True(Store.Repositories.Create(Domain, repository).Succeeded);
        var created = Store.ExternalConnections.New(Domain, $"public:fake{n}", "npm", uri ?? _server.BaseUri, password is null ? null : "reader", password,
            ttl ?? TimeSpan.FromMinutes(5));
        Assert.True(created.Succeeded, created.Failure?.Message);
        Assert.True(Store.ExternalConnections.Connect(Domain, repository, created.Value!.Name).Succeeded);
        var chain = Store.Packages.ResolveChain(Domain, repository, "npm", null, "anything").Value!;
        return chain.Members.Single(m => m.IsExternal).External!;
    }

    private Task<Outcome<RemoteDocument?>> Get(ExternalSource source, string path) =>
        Remote.GetMetadataAsync(source, new Uri(_server.BaseUri, path), Accept, CancellationToken.None);

    private static string Text(Outcome<RemoteDocument?> outcome)
    {
        Assert.True(outcome.Succeeded, outcome.Failure?.Message);
        Assert.NotNull(outcome.Value);
        return Encoding.UTF8.GetString(outcome.Value!.Body);
    }

    [Fact]
    public async Task Metadata_IsCachedForTheTtl_SoASecondCallSendsNoRequest()
    {
        _server.Respond("/lib", 200, """{"name":"lib"}""");
        var source = Source();

        var first = await Get(source, "lib");
        var second = await Get(source, "lib");

        Assert.Equal("""{"name":"lib"}""", Text(first));
        Assert.Equal("""{"name":"lib"}""", Text(second));
        Assert.False(second.Value!.Stale);
        Assert.Equal(first.Value!.FetchedAt, second.Value.FetchedAt);
        Assert.Equal(1, _server.Count("/lib"));
        Assert.Equal(Accept, _server.LastAccept("/lib"));
    }

    [Fact]
    public async Task Metadata_IsFetchedAgain_OnceTheTtlHasPassed()
    {
        _server.Respond("/lib", 200, "v1");
        var source = Source(ttl: TimeSpan.FromSeconds(1));
        Assert.Equal("v1", Text(await Get(source, "lib")));

        _server.Respond("/lib", 200, "v2");
        await Task.Delay(TimeSpan.FromSeconds(1.3));
        var refreshed = await Get(source, "lib");

        Assert.Equal("v2", Text(refreshed));
        Assert.Equal(2, _server.Count("/lib"));
    }

    [Fact]
    public async Task Metadata_WithATtlOfZero_IsFetchedEveryTime()
    {
        _server.Respond("/lib", 200, "v1");
        var source = Source(ttl: TimeSpan.Zero);

        await Get(source, "lib");
        await Get(source, "lib");

        Assert.Equal(2, _server.Count("/lib"));
    }

    [Fact]
    public async Task Metadata_IsCachedPerConnection()
    {
        _server.Respond("/lib", 200, "v1");

        await Get(Source(), "lib");
        await Get(Source(), "lib");

        Assert.Equal(2, _server.Count("/lib"));
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
        Assert.Equal(1, _server.Count("/missing"));
    }

    [Fact]
    public async Task TwentyConcurrentCalls_SendOneRequest()
    {
        _server.Respond("/lib", 200, "shared");
        _server.Hold();
        var source = Source();

        var calls = Enumerable.Range(0, 20).Select(_ => Task.Run(() => Get(source, "lib"))).ToList();
        // Let every call reach the registry (or join the one in flight) before the registry answers.
        await _server.WaitForRequestAsync("/lib");
        await Task.Delay(300);
        _server.Release();
        var results = await Task.WhenAll(calls);

        Assert.All(results, r => Assert.Equal("shared", Text(r)));
        Assert.Equal(1, _server.Count("/lib"));
    }

    [Fact]
    public async Task WhenTheRegistryStops_TheLastGoodDocumentIsServed_Stale()
    {
        _server.Respond("/lib", 200, "good");
        var source = Source(ttl: TimeSpan.Zero);
        Assert.Equal("good", Text(await Get(source, "lib")));

        _server.Stop();
        var stale = await Get(source, "lib");

        Assert.Equal("good", Text(stale));
        Assert.True(stale.Value!.Stale);
    }

    [Fact]
    public async Task WhenTheRegistryAnswers500_TheLastGoodDocumentIsServed_Stale()
    {
        _server.Respond("/lib", 200, "good");
        var source = Source(ttl: TimeSpan.Zero);
        Assert.Equal("good", Text(await Get(source, "lib")));

        _server.Respond("/lib", 500, "boom");
        var stale = await Get(source, "lib");
        var again = await Get(source, "lib");

        Assert.Equal("good", Text(stale));
        Assert.True(stale.Value!.Stale);
        Assert.Equal("good", Text(again));
        Assert.Equal(2, _server.Count("/lib"));
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
        _server.Respond("/lib", 503, "down");
        var source = Source();

        var failed = await Get(source, "lib");

        Assert.Equal(ErrorCodes.UpstreamUnavailable, failed.Failure?.Code);
        Assert.Contains("503", failed.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Credentials_GoToTheConnectionsOwnHost()
    {
        _server.Respond("/lib", 200, "private");
        var source = Source(password: "remote-token");

        Assert.Equal("private", Text(await Get(source, "lib")));

        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("reader:remote-token")), _server.LastAuthorization("/lib"));
    }

    [Fact]
    public async Task Credentials_AreNotSentToAnotherPort_NorAcrossARedirect()
    {
        using var other = new FakeRegistry();
        other.Respond("/elsewhere", 200, "other");
        _server.Redirect("/moved", new Uri(other.BaseUri, "elsewhere"));
        var source = Source(password: "remote-token");

        var direct = await Remote.GetMetadataAsync(source, new Uri(other.BaseUri, "elsewhere"), Accept, CancellationToken.None);
        Assert.Equal("other", Text(direct));
        Assert.Null(other.LastAuthorization("/elsewhere"));

        var redirected = await Get(source, "moved");
        Assert.Equal("other", Text(redirected));
        Assert.NotNull(_server.LastAuthorization("/moved"));
        Assert.Equal(2, other.Count("/elsewhere"));
        Assert.Null(other.LastAuthorization("/elsewhere"));
    }

    [Fact]
    public async Task AnonymousConnections_SendNoCredentials()
    {
        _server.Respond("/lib", 200, "public");

        await Get(Source(), "lib");

        Assert.Null(_server.LastAuthorization("/lib"));
    }

    [Fact]
    public async Task RemoteRequests_CountsWhatWasSent()
    {
        _server.Respond("/lib", 200, "x");
        var source = Source();
        var before = Remote.RemoteRequests;

        await Get(source, "lib");
        await Get(source, "lib");

        Assert.Equal(before + 1, Remote.RemoteRequests);
    }
}

/// <summary>
/// A tiny registry on a free localhost port (HttpListener): answers configured paths, counts requests per path and records
/// their Authorization and Accept headers. It can hold answers back until released, and be stopped.
/// </summary>
internal sealed class FakeRegistry : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentDictionary<string, (int Status, string Body, Uri? Location)> _answers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string?> _authorization = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string?> _accept = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _seen = new(StringComparer.Ordinal);
    private TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _loop;

    public FakeRegistry()
    {
        _gate.SetResult();
        var port = FreePort();
        BaseUri = new Uri($"http://127.0.0.1:{port}/npm/");
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>The registry root, ending with a slash (paths below are answered with the part after it).</summary>
    public Uri BaseUri { get; }

    public static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    public void Respond(string path, int status, string body) => _answers[path] = (status, body, null);

    public void Redirect(string path, Uri location) => _answers[path] = (302, "", location);

    /// <summary>Answers nothing until <see cref="Release"/>.</summary>
    public void Hold() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => _gate.TrySetResult();

    public int Count(string path) => _counts.GetValueOrDefault(path);

    public string? LastAuthorization(string path) => _authorization.GetValueOrDefault(path);

    public string? LastAccept(string path) => _accept.GetValueOrDefault(path);

    public Task WaitForRequestAsync(string path) => Seen(path).Task.WaitAsync(TimeSpan.FromSeconds(30));

    /// <summary>Stops listening: connections to the port are refused from now on.</summary>
    public void Stop()
    {
        if (_listener.IsListening) _listener.Stop();
    }

    public void Dispose()
    {
        Release();
        Stop();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
    }

    private TaskCompletionSource Seen(string path) => _seen.GetOrAdd(path, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            _ = Task.Run(() => AnswerAsync(context));
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        var path = context.Request.Url!.AbsolutePath;
        path = path.StartsWith("/npm", StringComparison.Ordinal) ? path[4..] : path;
        _counts.AddOrUpdate(path, 1, (_, n) => n + 1);
        _authorization[path] = context.Request.Headers["Authorization"];
        _accept[path] = context.Request.Headers["Accept"];
        Seen(path).TrySetResult();
        await _gate.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var (status, body, location) = _answers.TryGetValue(path, out var answer) ? answer : (404, """{"error":"not found"}""", null);
        try
        {
            context.Response.StatusCode = status;
            if (location is not null) context.Response.RedirectLocation = location.AbsoluteUri;
            context.Response.ContentType = "application/json";
            var bytes = Encoding.UTF8.GetBytes(body);
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
        {
            // The listener was stopped while answering.
        }
    }
}
