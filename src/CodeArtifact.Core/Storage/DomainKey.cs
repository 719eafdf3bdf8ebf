using System.Security.Cryptography;
using System.Text;

namespace PSCodeArtifact.Core.Storage;

/// <summary>A domain's unwrapped data key. Dispose it to clear the key from memory.</summary>
public sealed class DomainKey : IDisposable
{
    private readonly byte[] _key;

    public DomainKey(string domain, byte[] key)
    {
        if (key.Length != 32) throw new ArgumentException("A domain data key has 32 bytes.", nameof(key));
        Domain = domain;
        _key = key;
        Context = Encoding.UTF8.GetBytes("domain:" + domain);
    }

    public string Domain { get; }

    /// <summary>Associated data that binds encrypted blobs to this domain.</summary>
    public byte[] Context { get; }

    public ReadOnlySpan<byte> Key => _key;

    internal ReadOnlyMemory<byte> KeyMemory => _key;

    /// <summary>The stored name of a blob: HMAC-SHA256 of its plaintext SHA-256 under a key derived from the data key.</summary>
    public string Address(string sha256)
    {
        Span<byte> nameKey = stackalloc byte[32];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, _key, nameKey, salt: default, info: "PSCodeArtifact blob name v1"u8);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(nameKey, Convert.FromHexString(sha256), mac);
        CryptographicOperations.ZeroMemory(nameKey);
        return Convert.ToHexStringLower(mac);
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_key);
}
