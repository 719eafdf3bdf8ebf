using System.Management.Automation;
using PSCodeArtifact.Core.Services;

namespace PSCodeArtifact.PowerShell.Commands;

/// <summary>Issues a signed, expiring authorization token for a domain (GetAuthorizationToken).</summary>
[Cmdlet(VerbsCommon.Get, "CaAuthorizationToken")]
[OutputType(typeof(DomainToken))]
public sealed class GetCaAuthorizationTokenCommand : CaCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(DomainNameCompleter))]
    [Alias("DomainName")]
    public string Domain { get; set; } = "";

    /// <summary>How long the token lasts: 0 (the default, 12 hours) or 900 to 43200 seconds.</summary>
    [Parameter]
    public int DurationSeconds { get; set; }

    protected override void ProcessRecord() => WriteOutcome(Store.Tokens.Issue(Domain, DurationSeconds));
}
