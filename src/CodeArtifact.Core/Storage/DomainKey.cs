using System.Security.Cryptography;
using System.Text;

namespace PSCodeArtifact.Core.Storage;

/// <summary>
/// A handle on a domain's unwrapped data key. Dispose it when done: the key is cleared from memory once the last handle on it
/// (and the store's key cache, see <see cref="DomainKeyCache"/>) lets go. A disposed handle no longer gives the key out.
/// </summary>
public sealed class DomainKey : IDisposable
{
    private readonly DomainKeyMaterial _material;
    private int _disposed;

    public DomainKey(string domain, byte[] key)
        : this(new DomainKeyMaterial(domain, key))
    {
    }

    /// <summary>A handle on material the caller has already taken a reference on for it.</summary>
    internal DomainKey(DomainKeyMaterial material)
    {
        _material = material;
    }

    public string Domain => _material.Domain;

    /// <summary>Associated data that binds encrypted blobs to this domain.</summary>
    public byte[] Context => _material.Context;

    public ReadOnlySpan<byte> Key => Material.Key;

    internal ReadOnlyMemory<byte> KeyMemory => Material.Key;

    /// <summary>The material this handle refers to (tests see whether it was cleared).</summary>
    internal DomainKeyMaterial SharedMaterial => _material;

    private DomainKeyMaterial Material => Volatile.Read(ref _disposed) == 0 ? _material : throw new ObjectDisposedException(nameof(DomainKey));

    /// <summary>The stored name of a blob: HMAC-SHA256 of its plaintext SHA-256 under a key derived from the data key.</summary>
    public string Address(string sha256)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(Material.NameKey, Convert.FromHexString(sha256), mac);
        return Convert.ToHexStringLower(mac);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) _material.Release();
    }
}

/// <summary>
/// The bytes of one unwrapped data key, shared by every <see cref="DomainKey"/> handle on it and counted: the last reference
/// to go (a handle's Dispose, or the key cache evicting it) zeroes them. Pinned, so the collector never leaves copies behind.
/// </summary>
internal sealed class DomainKeyMaterial
{
    private readonly byte[] _key;
    private readonly byte[] _nameKey;
    private int _references = 1;

    /// <summary>Takes over <paramref name="key"/> (it is copied into pinned memory and zeroed) with one reference, the creator's.</summary>
    public DomainKeyMaterial(string domain, byte[] key)
    {
        if (key.Length != 32) throw new ArgumentException("A domain data key has 32 bytes.", nameof(key));
        Domain = domain;
        _key = GC.AllocateArray<byte>(32, pinned: true);
        key.CopyTo(_key, 0);
        CryptographicOperations.ZeroMemory(key);
        _nameKey = GC.AllocateArray<byte>(32, pinned: true);
        HKDF.DeriveKey(HashAlgorithmName.SHA256, _key, _nameKey, salt: default, info: "PSCodeArtifact blob name v1"u8);
        Context = Encoding.UTF8.GetBytes("domain:" + domain);
    }

    public string Domain { get; }

    public byte[] Context { get; }

    public byte[] Key => _key;

    /// <summary>The key blob names are derived with (see <see cref="DomainKey.Address"/>).</summary>
    public byte[] NameKey => _nameKey;

    /// <summary>True once the last reference went and the key was zeroed.</summary>
    public bool IsCleared => Volatile.Read(ref _references) <= 0;

    /// <summary>Takes one more reference; false when the material is already cleared (then it must not be used).</summary>
    public bool TryAddReference()
    {
        var current = Volatile.Read(ref _references);
        while (current > 0)
        {
            var seen = Interlocked.CompareExchange(ref _references, current + 1, current);
            if (seen == current) return true;
            current = seen;
        }
        return false;
    }

    /// <summary>Gives back one reference; the last one clears the key.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _references) != 0) return;
        CryptographicOperations.ZeroMemory(_key);
        CryptographicOperations.ZeroMemory(_nameKey);
    }
}
