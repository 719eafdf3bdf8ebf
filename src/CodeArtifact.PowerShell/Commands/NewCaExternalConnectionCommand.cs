using System.Globalization;
using System.Management.Automation;
using System.Net;
using PSCodeArtifact.Core;

namespace PSCodeArtifact.PowerShell.Commands;

/// <summary>Creates an external connection: a remote registry of one format that repositories of the domain can proxy.</summary>
[Cmdlet(VerbsCommon.New, "CaExternalConnection", SupportsShouldProcess = true)]
[OutputType(typeof(ExternalConnectionInfo))]
public sealed class NewCaExternalConnectionCommand : CaCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(DomainNameCompleter))]
    [Alias("DomainName")]
    public string Domain { get; set; } = "";

    /// <summary>The connection's name, for example <c>public:npmjs</c> (just a name: no registry is built in).</summary>
    [Parameter(Mandatory = true, Position = 1)]
    public string Name { get; set; } = "";

    [Parameter(Mandatory = true)]
    [ValidateSet("npm", "pypi", "maven", "nuget")]
    public string Format { get; set; } = "";

    /// <summary>The remote's base URL: npm registry root, PyPI index root (above /simple/), Maven repository root, NuGet service index.</summary>
    [Parameter(Mandatory = true)]
    [Alias("Url")]
    public Uri Uri { get; set; } = null!;

    /// <summary>Sent with Basic authentication to the remote's own host; the password is stored sealed with the domain key.</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>How long fetched metadata (and a remote 404) is served before the remote is asked again: a TimeSpan or seconds; default 5 minutes.</summary>
    [Parameter]
    [SecondsToTimeSpan]
    public TimeSpan? MetadataTtl { get; set; }

    protected override void ProcessRecord()
    {
        if (!ShouldProcess($"external connection '{Name}' ({Format.ToLowerInvariant()}, {Uri}) in domain '{Domain}'", "Create external connection")) return;
        var password = Credential is null ? null : new NetworkCredential("", Credential.Password).Password;
        WriteOutcome(Store.ExternalConnections.New(Domain, Name, Format, Uri, Credential?.UserName, password, MetadataTtl));
    }
}

/// <summary>
/// Takes a number as seconds: PowerShell would otherwise convert <c>300</c> to 300 ticks and <c>'300'</c> to 300 days.
/// TimeSpans and strings such as <c>'00:10:00'</c> pass unchanged.
/// </summary>
internal sealed class SecondsToTimeSpanAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        var value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        return value switch
        {
            int or long or short or byte or uint or ulong or ushort or sbyte => TimeSpan.FromSeconds(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
            double or float or decimal => TimeSpan.FromSeconds(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
            string text when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) => TimeSpan.FromSeconds(seconds),
            _ => inputData,
        };
    }
}
