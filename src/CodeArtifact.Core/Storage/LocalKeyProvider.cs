using System.Security.Cryptography;

namespace PSCodeArtifact.Core.Storage;

/// <summary>
/// Key-encryption keys kept as files in <c>&lt;store&gt;/keys/</c>, readable by the owner only.
/// Keys are numbered generations (<c>kek-1.key</c>, …); the highest is current, older ones still unwrap.
/// </summary>
public sealed class LocalKeyProvider : IKeyProvider
{
    private const int KeySize = 32;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly string _folder;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, byte[]> _keys = new(StringComparer.Ordinal);
    private string? _currentKeyId;

    public LocalKeyProvider(string folder)
    {
        _folder = folder;
    }

    public string Name => "local";

    public string CurrentKeyId
    {
        get
        {
            EnsureLoaded();
            return _currentKeyId!;
        }
    }

    public byte[] Wrap(ReadOnlySpan<byte> dataKey, ReadOnlySpan<byte> context)
    {
        var keyId = CurrentKeyId;
        var kek = GetKey(keyId);
        var wrapped = new byte[NonceSize + dataKey.Length + TagSize];
        var nonce = wrapped.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(kek, TagSize);
        aes.Encrypt(nonce, dataKey, wrapped.AsSpan(NonceSize, dataKey.Length), wrapped.AsSpan(NonceSize + dataKey.Length), context);
        return wrapped;
    }

    public byte[] Unwrap(string keyId, ReadOnlySpan<byte> wrappedKey, ReadOnlySpan<byte> context)
    {
        if (wrappedKey.Length <= NonceSize + TagSize)
        {
            throw new CryptographicException("The wrapped key is too short.");
        }
        var kek = GetKey(keyId);
        var plain = new byte[wrappedKey.Length - NonceSize - TagSize];
        using var aes = new AesGcm(kek, TagSize);
        aes.Decrypt(wrappedKey[..NonceSize], wrappedKey.Slice(NonceSize, plain.Length), wrappedKey[^TagSize..], plain, context);
        return plain;
    }

    private byte[] GetKey(string keyId)
    {
        EnsureLoaded();
        lock (_lock)
        {
            if (_keys.TryGetValue(keyId, out var key)) return key;
        }
        // Another process may have rotated the key since this one loaded the folder.
        Load();
        lock (_lock)
        {
            return _keys.TryGetValue(keyId, out var key)
                ? key
                : throw new CryptographicException($"The key '{keyId}' is not in the key folder '{_folder}'.");
        }
    }

    private void EnsureLoaded()
    {
        if (_currentKeyId is null) Load();
    }

    private void Load()
    {
        CreateFolder();
        var files = Directory.GetFiles(_folder, "kek-*.key");
        if (files.Length == 0)
        {
            CreateKeyFile(1);
            files = Directory.GetFiles(_folder, "kek-*.key");
        }
        lock (_lock)
        {
            var bestGeneration = 0;
            foreach (var file in files)
            {
                var stem = Path.GetFileNameWithoutExtension(file);
                if (!int.TryParse(stem.AsSpan(4), out var generation)) continue;
                var key = File.ReadAllBytes(file);
                if (key.Length != KeySize)
                {
                    throw new CryptographicException($"The key file '{file}' is damaged: it holds {key.Length} bytes instead of {KeySize}.");
                }
                var id = KeyId(generation, key);
                _keys[id] = key;
                if (generation > bestGeneration)
                {
                    bestGeneration = generation;
                    _currentKeyId = id;
                }
            }
        }
        if (_currentKeyId is null)
        {
            throw new CryptographicException($"The key folder '{_folder}' holds no usable key.");
        }
    }

    private static string KeyId(int generation, byte[] key) =>
        $"kek-{generation}-{Convert.ToHexStringLower(SHA256.HashData(key).AsSpan(0, 8))}";

    private void CreateFolder()
    {
        if (Directory.Exists(_folder)) return;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(_folder);
        }
        else
        {
            Directory.CreateDirectory(_folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private void CreateKeyFile(int generation)
    {
        var final = Path.Combine(_folder, $"kek-{generation}.key");
        var staging = Path.Combine(_folder, $".kek-{generation}.{Guid.NewGuid():N}.tmp");
        var key = RandomNumberGenerator.GetBytes(KeySize);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var stream = new FileStream(staging, options))
        {
            stream.Write(key);
            stream.Flush(flushToDisk: true);
        }
        // When two processes race to create the first key, one wins and both use it.
        KeyFiles.PublishOnce(staging, final);
    }
}
