namespace PSCodeArtifact.Server.Hosting;

/// <summary>How an endpoint listens and what it serves.</summary>
public sealed record EndpointOptions(string StorePath)
{
    public string ListenAddress { get; init; } = "127.0.0.1";

    /// <summary>0 picks a free port.</summary>
    public int Port { get; init; }

    /// <summary>A PFX/PEM certificate file; when given the endpoint speaks HTTPS.</summary>
    public string? CertificatePath { get; init; }

    public string? CertificatePassword { get; init; }

    /// <summary>The largest request body accepted (uploads stream; this only caps them).</summary>
    public long MaxRequestBodySize { get; init; } = 2L * 1024 * 1024 * 1024;
}
