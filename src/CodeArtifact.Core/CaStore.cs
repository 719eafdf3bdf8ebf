using System.Collections.Concurrent;
using PSCodeArtifact.Core.Services;
using PSCodeArtifact.Core.Storage;

namespace PSCodeArtifact.Core;

/// <summary>
/// One store: <c>catalog.db</c>, <c>keys/</c>, <c>blobs/</c> and <c>tmp/</c> under one folder. Several processes may
/// open the same store at once. Instances hold no open handles and are shared per path within a process.
/// </summary>
public sealed class CaStore
{
    /// <summary>The environment variable that selects the store folder.</summary>
    public const string StoreVariable = "PSCODEARTIFACT_STORE";

    private static readonly ConcurrentDictionary<string, Lazy<CaStore>> s_stores = new(
        OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);

    private CaStore(string path, IKeyProvider? keyProvider)
    {
        Path = path;
        Directory.CreateDirectory(path);
        Catalog = new Catalog(System.IO.Path.Combine(path, "catalog.db"));
        Catalog.Migrate();
        Keys = keyProvider ?? new LocalKeyProvider(System.IO.Path.Combine(path, "keys"));
        Blobs = new FileBlobStore(System.IO.Path.Combine(path, "blobs"), System.IO.Path.Combine(path, "tmp"));
        Domains = new DomainService(this);
        Repositories = new RepositoryService(this);
        ExternalConnections = new ExternalConnectionService(this);
        Remote = new RemoteRegistry(this);
        Packages = new PackageService(this);
        Tokens = new TokenService(this);
        Maintenance = new StoreMaintenance(this);
    }

    /// <summary>The store folder (absolute).</summary>
    public string Path { get; }

    public Catalog Catalog { get; }

    public IKeyProvider Keys { get; }

    public IBlobStore Blobs { get; }

    public DomainService Domains { get; }

    public RepositoryService Repositories { get; }

    public PackageService Packages { get; }

    /// <summary>External connections: remote registries repositories proxy.</summary>
    public ExternalConnectionService ExternalConnections { get; }

    /// <summary>The HTTP side of external connections: cached, coalesced metadata fetches and asset downloads.</summary>
    public RemoteRegistry Remote { get; }

    public TokenService Tokens { get; }

    public StoreMaintenance Maintenance { get; }

    /// <summary>The folder of the store to use now: <c>$env:PSCODEARTIFACT_STORE</c> if set, else the per-user data folder.</summary>
    public static string ResolvePath()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(StoreVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment)) return System.IO.Path.GetFullPath(fromEnvironment);
        var data = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create);
        if (string.IsNullOrEmpty(data))
        {
            data = System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        }
        return System.IO.Path.Combine(data, "PSCodeArtifact");
    }

    /// <summary>Opens (creating or migrating if needed) the store at <paramref name="path"/>, or at <see cref="ResolvePath"/>.</summary>
    public static CaStore Open(string? path = null)
    {
        var full = System.IO.Path.GetFullPath(path ?? ResolvePath());
        // A folder that was deleted (a test's throwaway store) must be created anew, not served from the cache.
        if (s_stores.TryGetValue(full, out var cached) && cached.IsValueCreated && !File.Exists(cached.Value.Catalog.DatabasePath))
        {
            s_stores.TryRemove(full, out _);
            // Pooled connections still point at the deleted catalog file.
            cached.Value.Catalog.CloseReaders();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        }
        return s_stores.GetOrAdd(full, p => new Lazy<CaStore>(() => new CaStore(p, null), LazyThreadSafetyMode.PublicationOnly)).Value;
    }

    /// <summary>Opens a store with a key provider of the caller's choosing (not cached).</summary>
    public static CaStore Open(string path, IKeyProvider keyProvider) => new(System.IO.Path.GetFullPath(path), keyProvider);
}
