using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PSCodeArtifact.Core;

namespace PSCodeArtifact.Server.Hosting;

/// <summary>
/// A running endpoint: Kestrel serving the store's repositories to package managers. Its public surface has no
/// ASP.NET types, so PowerShell can reflect over objects that hold it before the ASP.NET assemblies are resolved.
/// </summary>
public sealed class CaEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly EndpointState _state;
    private int _stopped;

    private CaEndpoint(WebApplication app, Uri uri, EndpointOptions options, EndpointState state)
    {
        _app = app;
        _state = state;
        Uri = uri;
        Options = options;
        StartTime = DateTimeOffset.Now;
    }

    /// <summary>The base URL, for example <c>http://127.0.0.1:5123</c>.</summary>
    public Uri Uri { get; }

    public int Port => Uri.Port;

    public EndpointOptions Options { get; }

    public DateTimeOffset StartTime { get; }

    public bool IsRunning => Volatile.Read(ref _stopped) == 0;

    /// <summary>How many requests the endpoint has received since it started (all routes, answered or refused).</summary>
    public long RequestCount => _state.Requests;

    /// <summary>Starts Kestrel on the options' address and port and returns once it listens.</summary>
    public static async Task<CaEndpoint> StartAsync(EndpointOptions options, CancellationToken cancellationToken)
    {
        var store = CaStore.Open(options.StorePath);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            // pwsh's entry assembly is not this application.
            ApplicationName = typeof(CaEndpoint).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });
        builder.Logging.ClearProviders();
        // The generic host's console lifetime would take SIGINT/SIGTERM from pwsh; the cmdlet owns the lifetime instead.
        builder.Services.AddSingleton<IHostLifetime, NoHostLifetime>();
        var state = new EndpointState(store, options);
        builder.Services.AddSingleton(state);
        builder.Services.Configure<FormOptions>(form => form.MultipartBodyLengthLimit = options.MaxRequestBodySize);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodySize;
            var address = System.Net.IPAddress.Parse(options.ListenAddress);
            kestrel.Listen(address, options.Port, listen =>
            {
                if (options.CertificatePath is { } certificate)
                {
                    listen.UseHttps(X509CertificateLoader.LoadPkcs12FromFile(certificate, options.CertificatePassword));
                }
            });
        });
        var app = builder.Build();
        app.Use((context, next) =>
        {
            state.CountRequest();
            return next(context);
        });
        Routes.Map(app);
        await app.StartAsync(cancellationToken);
        var bound = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var uri = new Uri(bound.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("[::]", "[::1]", StringComparison.Ordinal));
        return new CaEndpoint(app, uri, options, state);
    }

    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    private sealed class NoHostLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

/// <summary>What every request handler of an endpoint shares.</summary>
public sealed class EndpointState(CaStore store, EndpointOptions options)
{
    public CaStore Store { get; } = store;

    public EndpointOptions Options { get; } = options;

    private long _requests;

    /// <summary>How many requests the endpoint has received since it started.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    internal void CountRequest() => Interlocked.Increment(ref _requests);
}
