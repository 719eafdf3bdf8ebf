using System.Management.Automation;
using System.Runtime.InteropServices;
using PSCodeArtifact.Server.Hosting;

namespace PSCodeArtifact.PowerShell.Commands;

/// <summary>Starts an HTTP endpoint in this process that serves the store's repositories to package managers.</summary>
[Cmdlet(VerbsLifecycle.Start, "CaEndpoint", SupportsShouldProcess = true)]
[OutputType(typeof(EndpointInfo))]
public sealed class StartCaEndpointCommand : CaCmdlet
{
    private readonly CancellationTokenSource _stop = new();

    /// <summary>The TCP port; 0 (the default) picks a free one.</summary>
    [Parameter(Position = 0)]
    [ValidateRange(0, 65535)]
    public int Port { get; set; }

    /// <summary>The IP address to listen on; default 127.0.0.1 (this machine only).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string ListenAddress { get; set; } = "127.0.0.1";

    /// <summary>A PKCS#12 (.pfx) certificate; when given the endpoint speaks HTTPS.</summary>
    [Parameter]
    public string? CertificatePath { get; set; }

    [Parameter]
    public System.Security.SecureString? CertificatePassword { get; set; }

    /// <summary>The largest request body accepted, in bytes (uploads stream; this only caps them). Default 2 GiB.</summary>
    [Parameter]
    [ValidateRange(1L, long.MaxValue)]
    public long MaxRequestBodySize { get; set; } = 2L * 1024 * 1024 * 1024;

    /// <summary>Serve until Ctrl+C or SIGTERM, then stop cleanly (how the endpoint runs as a service).</summary>
    [Parameter]
    public SwitchParameter Wait { get; set; }

    protected override void ProcessRecord()
    {
        if (!System.Net.IPAddress.TryParse(ListenAddress, out _))
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException($"'{ListenAddress}' is not an IP address."),
                "InvalidListenAddress", ErrorCategory.InvalidArgument, ListenAddress));
        }
        string? certificate = null;
        if (CertificatePath is not null)
        {
            certificate = SessionState.Path.GetUnresolvedProviderPathFromPSPath(CertificatePath);
            if (!File.Exists(certificate))
            {
                ThrowTerminatingError(new ErrorRecord(new FileNotFoundException($"The certificate '{certificate}' does not exist.", certificate),
                    "CertificateNotFound", ErrorCategory.ObjectNotFound, CertificatePath));
            }
        }
        if (!ShouldProcess($"{(certificate is null ? "http" : "https")}://{ListenAddress}:{(Port == 0 ? "<free port>" : Port)} serving store '{StorePath}'", "Start endpoint")) return;
        var storePath = Store.Path;
        var options = new EndpointOptions(storePath)
        {
            ListenAddress = ListenAddress,
            Port = Port,
            MaxRequestBodySize = MaxRequestBodySize,
            CertificatePath = certificate,
            CertificatePassword = CertificatePassword is null ? null : new System.Net.NetworkCredential("", CertificatePassword).Password,
        };
        CaEndpoint endpoint;
        try
        {
            endpoint = CaEndpoint.StartAsync(options, PipelineStopToken).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException or InvalidOperationException)
        {
            ThrowTerminatingError(new ErrorRecord(e, "EndpointStartFailed", ErrorCategory.OpenError, options));
            return;
        }
        var info = EndpointRegistry.Add(endpoint);
        WriteObject(info);
        if (!Wait) return;

        using var sigterm = OperatingSystem.IsWindows() ? null : PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal =>
        {
            signal.Cancel = true;
            _stop.Cancel();
        });
        WriteVerbose($"Serving {info.Uri} until Ctrl+C or SIGTERM.");
        try
        {
            _stop.Token.WaitHandle.WaitOne();
        }
        finally
        {
            EndpointRegistry.Stop(info);
            WriteVerbose($"Stopped {info.Uri}.");
        }
    }

    /// <summary>Ctrl+C stops the pipeline; that ends -Wait.</summary>
    protected override void StopProcessing() => _stop.Cancel();
}
