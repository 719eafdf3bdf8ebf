using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace PSCodeArtifact.Core.Services;

/// <summary>A metadata document fetched from a remote registry (or served from the cache), and whether it is stale.</summary>
internal sealed record RemoteDocument(byte[] Body, string? ContentType, Uri Url, DateTimeOffset FetchedAt, bool Stale);

/// <summary>
/// The HTTP side of external connections. Metadata is cached per connection and URL for the connection's TTL, a remote 404
/// is cached as well, concurrent requests for one URL share one remote request, and when the remote fails the last good
/// document is served (stale-if-error). Assets are streamed, never cached here: they are stored as versions once verified.
/// Credentials go only to the connection's own host.
/// </summary>
public sealed class RemoteRegistry
{
    /// <summary>The largest metadata document accepted from a remote.</summary>
    public const int MaxMetadataBytes = 64 * 1024 * 1024;

    private static readonly TimeSpan s_retryAfterFailure = TimeSpan.FromSeconds(10);

    /// <summary>How long an asset download may wait for the next bytes before the remote counts as stalled.</summary>
    internal static TimeSpan AssetReadTimeout { get; set; } = TimeSpan.FromSeconds(60);
    private static readonly HttpClient s_http = new(new SocketsHttpHandler
    {
        AutomaticDecompression = DecompressionMethods.All,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectTimeout = TimeSpan.FromSeconds(10),
        AllowAutoRedirect = true,
    })
    {
        Timeout = TimeSpan.FromSeconds(100),
        DefaultRequestHeaders = { UserAgent = { new ProductInfoHeaderValue("PSCodeArtifact", "1.0") } },
    };

    private readonly CaStore _store;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task<Entry>> _inflight = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, (byte[]? Sealed, string? Header)> _authorization = new();
    private long _remoteRequests;
    private long _cachedBytes;

    internal RemoteRegistry(CaStore store)
    {
        _store = store;
    }

    /// <summary>How many requests this store has sent to remote registries (metadata and assets).</summary>
    public long RemoteRequests => Interlocked.Read(ref _remoteRequests);

    /// <summary>
    /// The most document bytes kept in memory; beyond it the documents fetched longest ago are forgotten (they are then
    /// fetched again, and are no longer there to serve while their remote is down). Default 256 MiB.
    /// </summary>
    public long MaxCachedBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>The bytes of the documents cached now.</summary>
    public long CachedBytes => Interlocked.Read(ref _cachedBytes);

    /// <summary>Forgets every cached document (the next request of each URL goes to the remote).</summary>
    public void Clear()
    {
        foreach (var key in _entries.Keys) Forget(key);
    }

    private void Store(string key, Entry entry)
    {
        var previous = _entries.TryGetValue(key, out var old) ? old : null;
        _entries[key] = entry;
        Interlocked.Add(ref _cachedBytes, (entry.Body?.Length ?? 0) - (previous?.Body?.Length ?? 0));
        if (Interlocked.Read(ref _cachedBytes) > MaxCachedBytes) Trim(key);
    }

    private void Forget(string key)
    {
        if (_entries.TryRemove(key, out var removed)) Interlocked.Add(ref _cachedBytes, -(removed.Body?.Length ?? 0));
    }

    // Forgets the documents fetched longest ago until three quarters of the budget is used; the one just stored stays.
    private void Trim(string keep)
    {
        lock (_entries)
        {
            var target = MaxCachedBytes / 4 * 3;
            foreach (var (key, _) in _entries.Where(e => e.Value.Body is not null && e.Key != keep).OrderBy(e => e.Value.FetchedAt).ToList())
            {
                if (Interlocked.Read(ref _cachedBytes) <= target) break;
                Forget(key);
            }
        }
    }

    private sealed record Entry(HttpStatusCode Status, byte[]? Body, string? ContentType, Uri Url, DateTimeOffset FetchedAt, string? Error,
        DateTimeOffset? FailedAt = null);

    /// <summary>
    /// A metadata document: the cached one while fresh, else fetched (once for all concurrent callers). Null when the remote
    /// says the document does not exist (404/410, cached too). A remote that fails with nothing cached is an
    /// <see cref="ErrorCodes.UpstreamUnavailable"/> failure that says why.
    /// </summary>
    internal async Task<Outcome<RemoteDocument?>> GetMetadataAsync(ExternalSource source, Uri url, string accept, CancellationToken cancellationToken)
    {
        var key = string.Join('\n', source.ConnectionId, url.AbsoluteUri, accept);
        var now = DateTimeOffset.UtcNow;
        if (_entries.TryGetValue(key, out var cached) && Usable(cached, source, now) is { } ready) return ready;

        var mine = new TaskCompletionSource<Entry>(TaskCreationOptions.RunContinuationsAsynchronously);
        var shared = _inflight.GetOrAdd(key, mine.Task);
        if (shared == mine.Task)
        {
            try
            {
                // A fetch that finished between our cache check and GetOrAdd has stored its answer already: use it.
                _entries.TryGetValue(key, out cached);
                if (cached is not null && Usable(cached, source, DateTimeOffset.UtcNow) is not null)
                {
                    mine.SetResult(cached);
                    return Result(cached, source, stale: cached.Error is not null);
                }
                var fetched = await FetchAsync(source, url, accept, cached);
                // Stale-if-error: a failed refresh keeps the last good answer (a document or a 404) and notes the failure.
                var stored = fetched.Error is null || cached is null || cached.FetchedAt == default
                    ? fetched
                    : cached with { FailedAt = fetched.FailedAt, Error = fetched.Error };
                Store(key, stored);
                mine.SetResult(stored);
            }
            catch (Exception e)
            {
                mine.SetException(e);
            }
            finally
            {
                _inflight.TryRemove(new KeyValuePair<string, Task<Entry>>(key, mine.Task));
            }
        }
        var entry = await shared.WaitAsync(cancellationToken);
        return Result(entry, source, stale: entry.Error is not null);
    }

    private static Outcome<RemoteDocument?>? Usable(Entry entry, ExternalSource source, DateTimeOffset now)
    {
        if (entry.Error is null) return now - entry.FetchedAt < source.MetadataTtl ? Result(entry, source, stale: false) : (Outcome<RemoteDocument?>?)null;
        // The remote failed lately: serve what we have (or the failure) without asking again for a few seconds.
        return entry.FailedAt is { } failed && now - failed < s_retryAfterFailure ? Result(entry, source, stale: true) : (Outcome<RemoteDocument?>?)null;
    }

    private static Outcome<RemoteDocument?> Result(Entry entry, ExternalSource source, bool stale)
    {
        if (entry.Body is not null) return new RemoteDocument(entry.Body, entry.ContentType, entry.Url, entry.FetchedAt, stale);
        if (entry.Status is HttpStatusCode.NotFound or HttpStatusCode.Gone) return Outcome<RemoteDocument?>.From(null);
        return Unavailable(source, entry.Error ?? $"answered {(int)entry.Status}");
    }

    private async Task<Entry> FetchAsync(ExternalSource source, Uri url, string accept, Entry? previous)
    {
        var now = DateTimeOffset.UtcNow;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            using var request = Request(source, url, accept);
            using var response = await SendAsync(request, timeout.Token);
            if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone) return new Entry(response.StatusCode, null, null, url, now, null);
            if (!response.IsSuccessStatusCode) return Failed(Describe(response), previous, url);
            if (response.Content.Headers.ContentLength > MaxMetadataBytes) return Failed($"sent a document of {response.Content.Headers.ContentLength} bytes (at most {MaxMetadataBytes} are read)", previous, url);
            var body = await ReadLimitedAsync(response.Content, timeout.Token);
            if (body is null) return Failed($"sent a document larger than {MaxMetadataBytes} bytes", previous, url);
            return new Entry(response.StatusCode, body, response.Content.Headers.ContentType?.MediaType, response.RequestMessage?.RequestUri ?? url, now, null);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or OperationCanceledException or IOException)
        {
            return Failed(e is HttpRequestException { InnerException: { } inner } ? inner.Message : e.Message, previous, url);
        }
    }

    // A failure has no FetchedAt: it is not an answer that a later failure could fall back on.
    private static Entry Failed(string error, Entry? previous, Uri url) =>
        new(HttpStatusCode.BadGateway, null, null, url, default, error, DateTimeOffset.UtcNow);

    /// <summary>Opens an asset on the remote for streaming. A 404 is a NotFound failure; anything else that fails is UpstreamUnavailable.</summary>
    internal async Task<Outcome<Stream>> OpenAssetAsync(ExternalSource source, Uri url, CancellationToken cancellationToken)
    {
        HttpResponseMessage? response = null;
        try
        {
            using var request = Request(source, url, "*/*");
            response = await SendAsync(request, cancellationToken, HttpCompletionOption.ResponseHeadersRead);
            if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone)
            {
                response.Dispose();
                return new Failure(ErrorCodes.AssetNotFound, FailureKind.NotFound, $"The external connection '{source.Name}' has no file at {url}.", url.AbsoluteUri);
            }
            if (!response.IsSuccessStatusCode)
            {
                var reason = Describe(response);
                response.Dispose();
                return Unavailable(source, reason);
            }
            return new ResponseStream(response, await response.Content.ReadAsStreamAsync(cancellationToken));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException && !cancellationToken.IsCancellationRequested)
        {
            response?.Dispose();
            return Unavailable(source, e is HttpRequestException { InnerException: { } inner } ? inner.Message : e.Message);
        }
    }

    /// <summary>The failure of a remote that cannot answer now.</summary>
    internal static Failure Unavailable(ExternalSource source, string reason) =>
        new(ErrorCodes.UpstreamUnavailable, FailureKind.Unavailable,
            $"The external connection '{source.Name}' ({source.BaseUri}) is unavailable: {reason.TrimEnd('.')}, and nothing usable is cached.", source.Name);

    /// <summary>The failure of a remote that answered with something that is not what its protocol promises.</summary>
    internal static Failure Invalid(ExternalSource source, string what) =>
        new(ErrorCodes.UpstreamInvalid, FailureKind.Unavailable, $"The external connection '{source.Name}' ({source.BaseUri}) answered garbage: {what.TrimEnd('.')}.", source.Name);

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        Interlocked.Increment(ref _remoteRequests);
        return await s_http.SendAsync(request, completion, cancellationToken);
    }

    private HttpRequestMessage Request(ExternalSource source, Uri url, string accept)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.ParseAdd(accept);
        // Credentials go to the connection's own origin only, never to a host a document points at.
        if (source.SealedPassword is not null && Uri.Compare(url, source.BaseUri, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0
            && AuthorizationOf(source) is { } header)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", header);
        }
        return request;
    }

    private string? AuthorizationOf(ExternalSource source)
    {
        if (_authorization.TryGetValue(source.ConnectionId, out var known) && ReferenceEquals(known.Sealed, source.SealedPassword)) return known.Header;
        if (_authorization.TryGetValue(source.ConnectionId, out known) && known.Sealed is not null && source.SealedPassword is not null
            && known.Sealed.AsSpan().SequenceEqual(source.SealedPassword)) return known.Header;
        var key = _store.Domains.GetKey(source.Domain);
        if (key.Failure is not null) return null;
        using var domainKey = key.Value!;
        var password = ExternalConnectionService.Unseal(domainKey, source);
        var header = password is null ? null : Convert.ToBase64String(Encoding.UTF8.GetBytes($"{source.UserName}:{password}"));
        _authorization[source.ConnectionId] = (source.SealedPassword, header);
        return header;
    }

    private static string Describe(HttpResponseMessage response) => response.StatusCode switch
    {
        HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => $"it refused the connection's credentials ({(int)response.StatusCode})",
        _ => $"it answered {(int)response.StatusCode} {response.ReasonPhrase}",
    };

    private static async Task<byte[]?> ReadLimitedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxMetadataBytes) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// Reading a remote asset's body failed (the remote broke the connection off or sent less than it announced): a failure of
    /// the remote, told apart from failures of the local disk the bytes are written to.
    /// </summary>
    internal sealed class RemoteReadException(Exception inner) : IOException(inner.Message, inner);

    /// <summary>A response body that disposes its response with it; a failed read is a <see cref="RemoteReadException"/>.</summary>
    private sealed class ResponseStream(HttpResponseMessage response, Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            try
            {
                return inner.Read(buffer, offset, count);
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                throw new RemoteReadException(e);
            }
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            // A remote that sends its headers and then stalls must not hold the download (and every request waiting on it).
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            idle.CancelAfter(AssetReadTimeout);
            try
            {
                return await inner.ReadAsync(buffer, idle.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new RemoteReadException(new TimeoutException($"the remote sent nothing for {AssetReadTimeout.TotalSeconds:0} s"));
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                throw new RemoteReadException(e);
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                response.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
