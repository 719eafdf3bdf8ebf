namespace PSCodeArtifact.Core;

/// <summary>A repository, as CodeArtifact's RepositoryDescription describes it.</summary>
public sealed class RepositoryInfo
{
    public required string Name { get; init; }

    public required string DomainName { get; init; }

    public required string Description { get; init; }

    /// <summary>Upstream repository names in priority order.</summary>
    public required IReadOnlyList<string> Upstreams { get; init; }

    public required IReadOnlyList<string> ExternalConnections { get; init; }

    public required DateTimeOffset CreatedTime { get; init; }

    public required IReadOnlyDictionary<string, string> Tags { get; init; }

    public required string Arn { get; init; }

    public override string ToString() => $"{DomainName}/{Name}";
}
