using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CodeArtifact.Core.Tests;

/// <summary>
/// A tiny registry on a free loopback port (HttpListener), the remote end of the upstream tests: it gives canned answers by path
/// (404 for the rest) and logs every request with its Authorization and Accept headers. It can delay its answers, hold them
/// back until released, answer 503 to everything, and stop listening.
/// </summary>
/// <remarks>
/// A path is what a request asks for below <see cref="BaseUri"/>, raw as sent (escapes kept, no query), with a leading slash:
/// under the base <c>/registry/</c>, <c>GET /registry/@corp%2fwidget</c> is the path <c>/@corp%2fwidget</c>. Paths given to it
/// may leave the leading slash out.
/// </remarks>
public sealed class FakeRegistry : IDisposable
{
    private static readonly Answer s_notFound = new(404, "application/json", """{"error":"not found"}"""u8.ToArray());
    private static readonly Answer s_down = new(503, null, []);
    private readonly HttpListener _listener = new();
    private readonly ConcurrentDictionary<string, Func<Answer>> _answers = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<Request> _log = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _seen = new(StringComparer.Ordinal);
    private readonly Task _loop;
    private TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _down;
    private bool _disposed;

    /// <param name="basePath">The path the registry answers under, starting and ending with a slash.</param>
    public FakeRegistry(string basePath = "/")
    {
        if (!basePath.StartsWith('/') || !basePath.EndsWith('/')) throw new ArgumentException("A base path starts and ends with '/'.", nameof(basePath));
        _gate.SetResult();
        BaseUri = new Uri($"http://127.0.0.1:{FreePort()}{basePath}");
        _listener.Prefixes.Add(BaseUri.AbsoluteUri);
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>What the registry answers with: a status, a Content-Type (none when null), a body and, for a redirect, where to.</summary>
    public sealed record Answer(int Status, string? ContentType, byte[] Body, Uri? Location = null);

    /// <summary>One request as it arrived: its path and the Authorization and Accept headers it carried.</summary>
    public sealed record Request(string Path, string? Authorization, string? Accept);

    /// <summary>The registry root, ending with a slash: paths are answered below it.</summary>
    public Uri BaseUri { get; }

    /// <summary>How long each answer waits before it is sent.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>While true, every request is answered 503 (and still logged).</summary>
    public bool Down
    {
        get => _down;
        set => _down = value;
    }

    /// <summary>The paths of every request so far, in the order they arrived.</summary>
    public IReadOnlyList<string> Requests => [.. _log.Select(r => r.Path)];

    /// <summary>A port on loopback that nothing listens on (as far as can be told).</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    public void Serve(string path, Answer answer) => _answers[Key(path)] = () => answer;

    /// <summary>Answers <paramref name="path"/> with what <paramref name="answer"/> says at the time of each request.</summary>
    public void Serve(string path, Func<Answer> answer) => _answers[Key(path)] = answer;

    /// <summary>Answers <paramref name="path"/> 200 with <paramref name="body"/>.</summary>
    public void Serve(string path, byte[] body, string? contentType = null) => Serve(path, new Answer(200, contentType, body));

    /// <summary>Answers <paramref name="path"/> 200 with <paramref name="body"/> in UTF-8.</summary>
    public void Serve(string path, string body, string? contentType = null) => Serve(path, Encoding.UTF8.GetBytes(body), contentType);

    public void Respond(string path, int status, string body, string? contentType = "application/json") =>
        Serve(path, new Answer(status, contentType, Encoding.UTF8.GetBytes(body)));

    public void Redirect(string path, Uri location) => Serve(path, new Answer(302, "application/json", [], location));

    /// <summary>Answers nothing until <see cref="Release"/> (requests are still logged as they arrive).</summary>
    public void Hold() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => _gate.TrySetResult();

    /// <summary>How many requests asked for <paramref name="path"/>.</summary>
    public int Count(string path)
    {
        var key = Key(path);
        return _log.Count(r => r.Path == key);
    }

    public string? LastAuthorization(string path) => Last(path)?.Authorization;

    public string? LastAccept(string path) => Last(path)?.Accept;

    /// <summary>Completes once a request for <paramref name="path"/> has arrived (fails after 30 seconds).</summary>
    public Task WaitForRequestAsync(string path) => Seen(Key(path)).Task.WaitAsync(TimeSpan.FromSeconds(30));

    /// <summary>Stops listening: connections to the port are refused from now on.</summary>
    public void Stop()
    {
        if (!_disposed && _listener.IsListening) _listener.Stop();
    }

    public void Dispose()
    {
        if (_disposed) return;
        Release();
        Stop();
        _disposed = true;
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
    }

    private static string Key(string path) => path.StartsWith('/') ? path : "/" + path;

    private Request? Last(string path)
    {
        var key = Key(path);
        return _log.LastOrDefault(r => r.Path == key);
    }

    private TaskCompletionSource Seen(string key) => _seen.GetOrAdd(key, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

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
        var raw = context.Request.RawUrl ?? "/";
        raw = raw.Split('?', 2)[0];
        var basePath = BaseUri.AbsolutePath;
        var path = raw.StartsWith(basePath, StringComparison.Ordinal) ? raw[(basePath.Length - 1)..] : raw;
        _log.Enqueue(new Request(path, context.Request.Headers["Authorization"], context.Request.Headers["Accept"]));
        Seen(path).TrySetResult();
        try
        {
            if (Delay > TimeSpan.Zero) await Task.Delay(Delay);
            await _gate.Task.WaitAsync(TimeSpan.FromSeconds(30));
            var answer = _down ? s_down : _answers.TryGetValue(path, out var answering) ? answering() : s_notFound;
            context.Response.StatusCode = answer.Status;
            if (answer.Location is not null) context.Response.RedirectLocation = answer.Location.AbsoluteUri;
            if (answer.ContentType is not null) context.Response.ContentType = answer.ContentType;
            context.Response.ContentLength64 = answer.Body.Length;
            await context.Response.OutputStream.WriteAsync(answer.Body);
            context.Response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
        {
            // The listener was stopped while answering.
        }
    }
}
