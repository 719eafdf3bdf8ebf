using PSCodeArtifact.Server.Hosting;

namespace PSCodeArtifact.PowerShell;

/// <summary>A running endpoint as the cmdlets show it.</summary>
public sealed class EndpointInfo
{
    internal EndpointInfo(int id, CaEndpoint endpoint)
    {
        Id = id;
        Endpoint = endpoint;
    }

    public int Id { get; }

    /// <summary>The base URL, for example <c>http://127.0.0.1:5123/</c>.</summary>
    public Uri Uri => Endpoint.Uri;

    public int Port => Endpoint.Port;

    public string ListenAddress => Endpoint.Options.ListenAddress;

    public string StorePath => Endpoint.Options.StorePath;

    public DateTimeOffset StartTime => Endpoint.StartTime;

    public bool IsRunning => Endpoint.IsRunning;

    /// <summary>How many requests the endpoint has received since it started.</summary>
    public long RequestCount => Endpoint.RequestCount;

    internal CaEndpoint Endpoint { get; }

    public override string ToString() => Uri.ToString();
}

/// <summary>The endpoints this session started.</summary>
internal static class EndpointRegistry
{
    private static readonly Lock s_lock = new();
    private static readonly List<EndpointInfo> s_endpoints = [];
    private static int s_nextId;

    public static EndpointInfo Add(CaEndpoint endpoint)
    {
        lock (s_lock)
        {
            var info = new EndpointInfo(++s_nextId, endpoint);
            s_endpoints.Add(info);
            return info;
        }
    }

    public static IReadOnlyList<EndpointInfo> Running()
    {
        lock (s_lock)
        {
            return s_endpoints.Where(e => e.IsRunning).ToList();
        }
    }

    public static void Stop(EndpointInfo endpoint)
    {
        endpoint.Endpoint.StopAsync().GetAwaiter().GetResult();
        lock (s_lock)
        {
            s_endpoints.Remove(endpoint);
        }
    }

    public static void StopAll()
    {
        foreach (var endpoint in Running()) Stop(endpoint);
    }
}
