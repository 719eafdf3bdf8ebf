namespace PSCodeArtifact.Core;

/// <summary>
/// A remote registry of one format that repositories of a domain can proxy (CodeArtifact's external connection, here a
/// domain-level object with a user-given URL). The password of its credential is stored sealed and never shown.
/// </summary>
public sealed class ExternalConnectionInfo
{
    public required string DomainName { get; init; }

    public required string Name { get; init; }

    /// <summary>npm, pypi, maven or nuget.</summary>
    public required string Format { get; init; }

    /// <summary>The remote's base URL (npm registry root, PyPI index root above <c>/simple/</c>, Maven repository root, NuGet service index).</summary>
    public required Uri Uri { get; init; }

    /// <summary>The user name sent with Basic authentication; null when the connection is anonymous.</summary>
    public string? UserName { get; init; }

    public required bool HasCredential { get; init; }

    /// <summary>How long fetched metadata (and a remote 404) is served before the remote is asked again.</summary>
    public required TimeSpan MetadataTtl { get; init; }

    /// <summary>The repositories the connection is attached to.</summary>
    public required IReadOnlyList<string> Repositories { get; init; }

    public required DateTimeOffset CreatedTime { get; init; }

    public override string ToString() => $"{DomainName}/{Name}";
}
