namespace PSCodeArtifact.Core.Storage;

/// <summary>
/// A key-encryption key (KEK) source that wraps and unwraps per-domain data keys, like a KMS.
/// The default is <see cref="LocalKeyProvider"/>; others (an environment secret, a vault, a cloud KMS) fit the same shape.
/// </summary>
public interface IKeyProvider
{
    /// <summary>The provider's name, the prefix of key ids it issues (for example <c>local</c>).</summary>
    string Name { get; }

    /// <summary>The id of the key that <see cref="Wrap"/> uses now.</summary>
    string CurrentKeyId { get; }

    /// <summary>Wraps <paramref name="dataKey"/> with the current key, bound to <paramref name="context"/>.</summary>
    byte[] Wrap(ReadOnlySpan<byte> dataKey, ReadOnlySpan<byte> context);

    /// <summary>Unwraps a data key wrapped by the key <paramref name="keyId"/>; throws when the key or the context do not match.</summary>
    byte[] Unwrap(string keyId, ReadOnlySpan<byte> wrappedKey, ReadOnlySpan<byte> context);
}
