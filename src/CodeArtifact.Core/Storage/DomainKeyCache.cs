using System.Collections.Concurrent;

namespace PSCodeArtifact.Core.Storage;

/// <summary>
/// The unwrapped data keys of one store's domains, kept so that a download does not unwrap its domain's key every time.
/// <list type="bullet">
/// <item>A key is found by the wrapped key the caller has just read from the catalog, never by the domain's name alone: a
/// domain removed by any process has no row, so its lookup fails before the cache is asked, and a domain created again under
/// the same name, or a key wrapped anew, has other wrapped bytes and simply misses.</item>
/// <item>An entry holds one reference on its <see cref="DomainKeyMaterial"/>, each handle given out another: evicting an entry
/// (replaced, unused for <see cref="IdleTime"/>, the domain removed here, or too many domains) drops the cache's reference, and
/// the key is zeroed once the handles still in use are disposed too.</item>
/// </list>
/// </summary>
internal sealed class DomainKeyCache
{
    /// <summary>How long an unused key stays in memory.</summary>
    public static readonly TimeSpan IdleTime = TimeSpan.FromSeconds(60);

    private const int MaxDomains = 256;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _sweepLock = new();
    private Timer? _sweep;

    /// <summary>The number of keys held (for tests).</summary>
    public int Count => _entries.Count;

    /// <summary>
    /// A handle on the domain's key, whose catalog row the caller has just read (<paramref name="keyId"/> and
    /// <paramref name="wrapped"/>): the cached key when it was unwrapped from exactly those bytes, else <paramref name="unwrap"/>'s.
    /// </summary>
    public DomainKey Get(string domain, string keyId, byte[] wrapped, Func<byte[]> unwrap)
    {
        if (_entries.TryGetValue(domain, out var entry) && entry.Matches(keyId, wrapped) && entry.Material.TryAddReference())
        {
            entry.Touch();
            return new DomainKey(entry.Material);
        }
        var material = new DomainKeyMaterial(domain, unwrap());
        // One reference for the handle returned (taken at creation), one for the cache.
        material.TryAddReference();
        var fresh = new Entry(keyId, (byte[])wrapped.Clone(), material);
        // Whoever takes an entry out of the dictionary releases it: here the one this key replaces.
        while (true)
        {
            if (_entries.TryGetValue(domain, out var current))
            {
                if (!_entries.TryUpdate(domain, fresh, current)) continue;
                current.Release();
                break;
            }
            if (_entries.TryAdd(domain, fresh)) break;
        }
        TrimToSize();
        StartSweep();
        return new DomainKey(material);
    }

    /// <summary>Drops the domain's key (after the domain is removed); handles in use stay valid until disposed.</summary>
    public void Evict(string domain)
    {
        if (_entries.TryRemove(domain, out var entry)) entry.Release();
    }

    /// <summary>Drops every key not used for <paramref name="idle"/>.</summary>
    public void EvictIdle(TimeSpan idle)
    {
        var now = Environment.TickCount64;
        foreach (var (domain, entry) in _entries)
        {
            if (now - entry.LastUsed >= idle.TotalMilliseconds && _entries.TryRemove(new KeyValuePair<string, Entry>(domain, entry))) entry.Release();
        }
    }

    private void TrimToSize()
    {
        while (_entries.Count > MaxDomains)
        {
            var oldest = _entries.MinBy(e => e.Value.LastUsed);
            if (_entries.TryRemove(oldest)) oldest.Value.Release();
        }
    }

    private void StartSweep()
    {
        lock (_sweepLock)
        {
            _sweep ??= new Timer(_ => Sweep(), null, IdleTime / 2, IdleTime / 2);
        }
    }

    private void Sweep()
    {
        EvictIdle(IdleTime);
        lock (_sweepLock)
        {
            // A key added after this check finds no timer and starts one.
            if (_entries.IsEmpty && _sweep is not null)
            {
                _sweep.Dispose();
                _sweep = null;
            }
        }
    }

    private sealed class Entry(string keyId, byte[] wrapped, DomainKeyMaterial material)
    {
        private int _released;

        public DomainKeyMaterial Material { get; } = material;

        public long LastUsed { get; private set; } = Environment.TickCount64;

        public bool Matches(string keyId2, byte[] wrapped2) => keyId == keyId2 && wrapped.AsSpan().SequenceEqual(wrapped2);

        public void Touch() => LastUsed = Environment.TickCount64;

        /// <summary>Drops the cache's reference, once.</summary>
        public void Release()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) Material.Release();
        }
    }
}
