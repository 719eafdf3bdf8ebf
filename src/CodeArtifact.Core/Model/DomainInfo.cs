namespace PSCodeArtifact.Core;

/// <summary>A domain, as CodeArtifact's DomainDescription describes it.</summary>
public sealed class DomainInfo
{
    public required string Name { get; init; }

    /// <summary>Active; a removed domain no longer exists.</summary>
    public required string Status { get; init; }

    public required DateTimeOffset CreatedTime { get; init; }

    public required int RepositoryCount { get; init; }

    /// <summary>Bytes of distinct assets stored in the domain (each blob counted once).</summary>
    public required long AssetSizeBytes { get; init; }

    /// <summary>The key that wraps the domain's data key, as <c>provider:keyId</c>.</summary>
    public required string EncryptionKey { get; init; }

    public required IReadOnlyDictionary<string, string> Tags { get; init; }

    public required string Arn { get; init; }

    public override string ToString() => Name;
}
