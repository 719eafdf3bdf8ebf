using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Services;
using PSCodeArtifact.Core.Storage;

namespace CodeArtifact.Core.Tests;

/// <summary>
/// What the read paths keep in memory between requests, and that it never outlives what it stands for: unwrapped domain keys
/// (never served for a removed domain, zeroed when the last user lets go), domain upstream graphs (a change by another process
/// applies to the next chain), the one-query download path, NuGet version lists under their stamp, and npm stamps.
/// Another process is played by a second store instance on the same folder, with its own caches.
/// </summary>
public sealed class ReadCacheTests : UpstreamFixture
{
    private const string Domain = "reads";

    public ReadCacheTests()
        : base(Domain, "/", "store", "team", "app")
    {
    }

    /// <summary>A second store instance on the same folder: its own caches, like another process.</summary>
    private CaStore OtherProcess() => CaStore.Open(Store.Path, new LocalKeyProvider(Path.Combine(Store.Path, "keys")));

    private async Task PublishGeneric(CaStore store, string domain, string repository, string version, string content = "payload")
    {
        var request = new PublishRequest(domain, repository, "tool.txt") { Format = "generic", Namespace = "tools", Package = "tool", Version = version };
        var published = await store.Packages.PublishAsync(request, new MemoryStream(Encoding.UTF8.GetBytes(content)), CancellationToken.None);
        Assert.True(published.Succeeded, published.Failure?.Message);
    }

    private static async Task<string> ReadAll(Outcome<(AssetInfo Asset, Stream Content)> opened)
    {
        Assert.True(opened.Succeeded, opened.Failure?.Message);
        await using var content = opened.Value.Content;
        using var reader = new StreamReader(content);
        return await reader.ReadToEndAsync();
    }

    private static Task<Outcome<(AssetInfo Asset, Stream Content)>> OpenGeneric(CaStore store, string domain, string repository, string version) =>
        store.Packages.OpenAssetAsync(domain, repository, "generic", "tools", "tool", version, "tool.txt", null, CancellationToken.None);

    // ------------------------------------------------------------------ domain keys

    [Fact]
    public async Task DomainKey_IsUnwrappedOnce_AndDisposingAHandleLeavesTheOthersValid()
    {
        var keys = new CountingKeyProvider(Path.Combine(Store.Path, "keys"));
        var store = CaStore.Open(Store.Path, keys);
        await PublishGeneric(store, Domain, "app", "1.0.0");
        var unwrapsBefore = keys.Unwraps;

        var first = store.Domains.GetKey(Domain).Value!;
        var second = store.Domains.GetKey(Domain).Value!;
        var bytes = first.Key.ToArray();
        first.Dispose();

        Assert.Equal(bytes, second.Key.ToArray());
        Assert.Throws<ObjectDisposedException>(() => first.Key.Length);
        Assert.Equal("payload", await ReadAll(await OpenGeneric(store, Domain, "app", "1.0.0")));
        second.Dispose();
        Assert.Equal("payload", await ReadAll(await OpenGeneric(store, Domain, "app", "1.0.0")));
        Assert.True(keys.Unwraps - unwrapsBefore <= 1, $"{keys.Unwraps - unwrapsBefore} unwraps");
    }

    [Fact]
    public async Task DomainRemovedByAnotherProcess_IsNeverServedFromTheKeyCache()
    {
        Assert.True(Store.Domains.Create("doomed").Succeeded);
        Assert.True(Store.Repositories.Create("doomed", "files").Succeeded);
        await PublishGeneric(Store, "doomed", "files", "1.0.0");
        Assert.Equal("payload", await ReadAll(await OpenGeneric(Store, "doomed", "files", "1.0.0")));
        using var held = Store.Domains.GetKey("doomed").Value!;

        Assert.True(OtherProcess().Domains.Remove("doomed", force: true).Succeeded);

        Assert.Equal(ErrorCodes.DomainNotFound, Store.Domains.GetKey("doomed").Failure!.Code);
        Assert.Equal(ErrorCodes.DomainNotFound, (await OpenGeneric(Store, "doomed", "files", "1.0.0")).Failure!.Code);
        var throughUpstreams = await Store.Packages.OpenAssetThroughUpstreamsAsync("doomed", "files", "generic", "tools", "tool", "1.0.0", "tool.txt",
            CancellationToken.None);
        Assert.Equal(ErrorCodes.DomainNotFound, throughUpstreams.Failure!.Code);
        // A handle taken before stays usable until it is disposed.
        Assert.Equal(32, held.Key.Length);
    }

    [Fact]
    public async Task DomainCreatedAgainUnderTheSameName_ByAnotherProcess_GetsItsNewKey()
    {
        Assert.True(Store.Domains.Create("reborn").Succeeded);
        byte[] old;
        using (var key = Store.Domains.GetKey("reborn").Value!) old = key.Key.ToArray();

        var other = OtherProcess();
        Assert.True(other.Domains.Remove("reborn", force: true).Succeeded);
        Assert.True(other.Domains.Create("reborn").Succeeded);
        Assert.True(other.Repositories.Create("reborn", "files").Succeeded);
        await PublishGeneric(other, "reborn", "files", "1.0.0", "new domain");

        using var fresh = Store.Domains.GetKey("reborn").Value!;
        using var theirs = other.Domains.GetKey("reborn").Value!;
        Assert.NotEqual(old, fresh.Key.ToArray());
        Assert.Equal(theirs.Key.ToArray(), fresh.Key.ToArray());
        Assert.Equal("new domain", await ReadAll(await OpenGeneric(Store, "reborn", "files", "1.0.0")));
    }

    [Fact]
    public void RemovingADomain_EvictsItsKey_WhichIsZeroedOnceTheLastHandleGoes()
    {
        Assert.True(Store.Domains.Create("gone").Succeeded);
        var held = Store.Domains.GetKey("gone").Value!;
        var material = held.SharedMaterial;

        Assert.True(Store.Domains.Remove("gone", force: false).Succeeded);

        Assert.False(material.IsCleared);
        Assert.Equal(32, held.Key.Length);
        held.Dispose();
        Assert.True(material.IsCleared);
        Assert.All(material.Key, b => Assert.Equal(0, b));
        Assert.All(material.NameKey, b => Assert.Equal(0, b));
    }

    [Fact]
    public void KeyCache_SharesOneKeyAmongHandles_AndZeroesItOnlyWhenEvictedAndReleased()
    {
        var cache = new DomainKeyCache();
        var unwrapped = new List<byte[]>();
        byte[] Unwrap()
        {
            var key = RandomNumberGenerator.GetBytes(32);
            unwrapped.Add(key);
            return key;
        }
        byte[] wrapped = [1, 2, 3];

        var first = cache.Get("d", "local:kek-1", wrapped, Unwrap);
        var second = cache.Get("d", "local:kek-1", [1, 2, 3], Unwrap);
        var material = first.SharedMaterial;

        Assert.Single(unwrapped);
        Assert.Same(material, second.SharedMaterial);
        // The unwrapped bytes are copied into the cache's pinned memory and cleared at once.
        Assert.All(unwrapped[0], b => Assert.Equal(0, b));
        first.Dispose();
        cache.EvictIdle(TimeSpan.Zero);
        Assert.Equal(0, cache.Count);
        Assert.False(material.IsCleared);
        Assert.Equal(32, second.Key.Length);
        second.Dispose();
        Assert.True(material.IsCleared);
        Assert.All(material.Key, b => Assert.Equal(0, b));
    }

    [Fact]
    public void KeyCache_AnotherWrappedKey_Misses_AndTheReplacedKeyIsZeroedWhenUnused()
    {
        var cache = new DomainKeyCache();
        var unwraps = 0;
        byte[] Unwrap()
        {
            unwraps++;
            return RandomNumberGenerator.GetBytes(32);
        }

        var old = cache.Get("d", "local:kek-1", [1, 2, 3], Unwrap);
        var oldMaterial = old.SharedMaterial;
        old.Dispose();
        using var rotated = cache.Get("d", "local:kek-2", [1, 2, 3], Unwrap);
        using var rewrapped = cache.Get("d", "local:kek-2", [4, 5, 6], Unwrap);

        Assert.Equal(3, unwraps);
        Assert.True(oldMaterial.IsCleared);
        Assert.Equal(1, cache.Count);
        Assert.NotSame(rotated.SharedMaterial, rewrapped.SharedMaterial);
        Assert.False(rotated.SharedMaterial.IsCleared);
    }

    // ------------------------------------------------------------------ upstream graphs

    private static string[] Names(UpstreamChain chain) =>
        chain.Members.Select(m => m.IsExternal ? $"{m.Repository}:{m.External!.Name}" : m.Repository).ToArray();

    private UpstreamChain Chain(CaStore store, string repository = "app", string format = "npm")
    {
        var chain = store.Packages.ResolveChain(Domain, repository, format, null, "lib");
        Assert.True(chain.Succeeded, chain.Failure?.Message);
        return chain.Value!;
    }

    [Fact]
    public void UpstreamChanges_ByAnotherProcess_ApplyToTheNextChain()
    {
        var other = OtherProcess();
        Assert.Equal(["app", "team", "store"], Names(Chain(Store)));

        Assert.True(other.Repositories.Update(Domain, "app", null, ["store"]).Succeeded);
        Assert.Equal(["app", "store"], Names(Chain(Store)));

        Assert.True(other.ExternalConnections.New(Domain, "public:npm", "npm", Registry.BaseUri).Succeeded);
        Assert.True(other.ExternalConnections.Connect(Domain, "store", "public:npm").Succeeded);
        Assert.Equal(["app", "store", "store:public:npm"], Names(Chain(Store)));

        Assert.True(other.ExternalConnections.Disconnect(Domain, "store", "public:npm").Succeeded);
        Assert.Equal(["app", "store"], Names(Chain(Store)));

        Assert.True(other.Repositories.Create(Domain, "extra").Succeeded);
        Assert.True(other.Repositories.Update(Domain, "app", null, ["extra", "team"]).Succeeded);
        Assert.Equal(["app", "extra", "team", "store"], Names(Chain(Store)));
        Assert.Equal(["extra"], Names(Chain(Store, "extra")));
    }

    [Fact]
    public void DomainRecreatedByAnotherProcess_GivesChainsOfItsNewRepositories()
    {
        var before = Chain(Store);
        var other = OtherProcess();
        Assert.True(other.Domains.Remove(Domain, force: true).Succeeded);

        Assert.Equal(ErrorCodes.DomainNotFound, Store.Packages.ResolveChain(Domain, "app", "npm", null, "lib").Failure!.Code);

        Assert.True(other.Domains.Create(Domain).Succeeded);
        Assert.True(other.Repositories.Create(Domain, "app").Succeeded);
        var after = Chain(Store);
        Assert.Equal(["app"], Names(after));
        Assert.Equal(["app", "team", "store"], Names(before));
        Assert.Equal(ErrorCodes.RepositoryNotFound, Store.Packages.ResolveChain(Domain, "team", "npm", null, "lib").Failure!.Code);
    }

    [Fact]
    public void UpstreamCounter_MovesWithEveryChangeAChainIsComputedFrom()
    {
        var other = OtherProcess();
        var changes = new (string What, Action Change)[]
        {
            ("a domain created", () => Assert.True(other.Domains.Create("counted").Succeeded)),
            ("a repository created", () => Assert.True(other.Repositories.Create(Domain, "fresh").Succeeded)),
            ("an upstream list changed", () => Assert.True(other.Repositories.Update(Domain, "fresh", null, ["store"]).Succeeded)),
            ("a description changed", () => Assert.True(other.Repositories.Update(Domain, "fresh", "described", null).Succeeded)),
            ("a connection created", () => Assert.True(other.ExternalConnections.New(Domain, "public:npm", "npm", Registry.BaseUri).Succeeded)),
            ("a connection connected", () => Assert.True(other.ExternalConnections.Connect(Domain, "fresh", "public:npm").Succeeded)),
            ("a connection disconnected", () => Assert.True(other.ExternalConnections.Disconnect(Domain, "fresh", "public:npm").Succeeded)),
            ("a connection removed", () => Assert.True(other.ExternalConnections.Remove(Domain, "public:npm").Succeeded)),
            ("a repository removed", () => Assert.True(other.Repositories.Remove(Domain, "fresh", force: true).Succeeded)),
            ("a domain removed", () => Assert.True(other.Domains.Remove("counted", force: false).Succeeded)),
        };
        foreach (var (what, change) in changes)
        {
            var before = Counter();
            change();
            Assert.True(Counter() > before, $"The upstream counter did not move when {what}.");
        }

        long Counter()
        {
            using var connection = Store.Catalog.Open();
            return Sql.Scalar<long>(connection, UpstreamGraph.CounterQuery + ";");
        }
    }

    [Fact]
    public async Task PackageChangeSequence_MovesWithEveryChangeOfVersionsAssetsAndTags_AndIsNeverReused()
    {
        long Changes(string repository)
        {
            var chain = Store.Packages.ResolveChain(Domain, repository, "npm", null, "lib").Value!;
            return chain.Asked.PackageId is { } id ? chain.PackageChanges[id] : -1;
        }
        var request = new PublishRequest(Domain, "store", "lib-1.0.0.tgz") { Format = "npm", Package = "lib", Version = "1.0.0" };
        Assert.True((await Packages.PublishAsync(request, new MemoryStream(NpmTarball("lib", "1.0.0")), CancellationToken.None)).Succeeded);
        var seen = new List<long> { Changes("store") };
        var changes = new (string What, Func<Task> Change)[]
        {
            ("a version was published", async () => Assert.True((await Packages.PublishAsync(request with { FileName = "lib-1.1.0.tgz", Version = "1.1.0" },
                new MemoryStream(NpmTarball("lib", "1.1.0")), CancellationToken.None)).Succeeded)),
            ("a status changed", () => Done(Packages.UpdateStatus(Domain, "store", "npm", null, "lib", ["1.0.0"], PackageService.Unlisted).Succeeded)),
            ("a dist-tag was set", () => Done(Packages.SetNpmDistTag(Domain, "store", null, "lib", "beta", "1.1.0").Succeeded)),
            ("a dist-tag was removed", () => Done(Packages.RemoveNpmDistTag(Domain, "store", null, "lib", "beta").Succeeded)),
            ("the origin configuration changed", () => Done(Packages.SetOriginConfiguration(Domain, "store", "npm", null, "lib", "ALLOW", "ALLOW").Succeeded)),
            ("a version was deleted", () => Done(Packages.DeleteVersions(Domain, "store", "npm", null, "lib", ["1.1.0"]).Succeeded)),
        };
        foreach (var (what, change) in changes)
        {
            await change();
            var now = Changes("store");
            Assert.True(now > seen[^1], $"The package's change sequence did not move when {what}.");
            seen.Add(now);
        }

        static Task Done(bool succeeded)
        {
            Assert.True(succeeded);
            return Task.CompletedTask;
        }

        // Retention copies the version into app: a new package row, whose sequence is newer than anything seen.
        var opened = await Packages.OpenAssetThroughUpstreamsAsync(Domain, "app", "npm", null, "lib", "1.0.0", "lib-1.0.0.tgz", CancellationToken.None);
        Assert.True(opened.Succeeded, opened.Failure?.Message);
        await opened.Value.Content.DisposeAsync();
        Assert.True(Changes("app") > seen[^1]);
    }

    [Fact]
    public void CatalogOfSchema3_MigratesToTheUpstreamCounter()
    {
        var path = Path.Combine(Store.Path, "older.db");
        var catalog = new Catalog(path);
        catalog.Migrate();
        using (var connection = catalog.Open())
        {
            var triggers = new List<string>();
            using (var command = Sql.Command(connection, "SELECT name FROM sqlite_master WHERE type = 'trigger';"))
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read()) triggers.Add(reader.GetString(0));
            }
            Assert.Equal(25, triggers.Count);
            foreach (var trigger in triggers) Sql.Execute(connection, $"DROP TRIGGER {trigger};");
            Sql.Execute(connection, "DROP TABLE catalog_counters; ALTER TABLE packages DROP COLUMN change_seq; PRAGMA user_version = 3;");
        }

        new Catalog(path).Migrate();

        using var migrated = catalog.Open();
        Assert.Equal(Catalog.SchemaVersion, Catalog.UserVersion(migrated));
        Sql.Execute(migrated, "INSERT INTO domains (name, status, created_time, key_provider, key_id, wrapped_key) VALUES ('x', 'Active', 0, 'local', 'k', x'00');");
        Assert.Equal(1, Sql.Scalar<long>(migrated, UpstreamGraph.CounterQuery + ";"));
        Assert.Equal(0, Sql.Scalar<long>(migrated, "SELECT value FROM catalog_counters WHERE name = 'packages';"));
        Assert.NotEqual(0, Sql.Scalar<long>(migrated, "SELECT value FROM catalog_counters WHERE name = 'catalog';"));
        SqliteConnection.ClearPool(migrated);
    }

    // ------------------------------------------------------------------ downloads

    [Fact]
    public async Task Download_ThatTheFastPathCannotServe_FailsAsBefore()
    {
        await PublishGeneric(Store, Domain, "app", "1.0.0");
        var revision = Store.Packages.ListVersions(Domain, "app", "generic", "tools", "tool").Value!.Single().Revision;

        var wrongRevision = await Store.Packages.OpenAssetAsync(Domain, "app", "generic", "tools", "tool", "1.0.0", "tool.txt", "stale", CancellationToken.None);
        Assert.Equal(ErrorCodes.MismatchedRevision, wrongRevision.Failure!.Code);
        Assert.Equal("payload", await ReadAll(await Store.Packages.OpenAssetAsync(Domain, "app", "generic", "tools", "tool", "1.0.0", "tool.txt", revision,
            CancellationToken.None)));
        var missing = await Store.Packages.OpenAssetAsync(Domain, "app", "generic", "tools", "tool", "1.0.0", "other.txt", null, CancellationToken.None);
        Assert.Equal(ErrorCodes.AssetNotFound, missing.Failure!.Code);
        Assert.Contains("'tool.txt'", missing.Failure.Message, StringComparison.Ordinal);

        Assert.True(Store.Packages.UpdateStatus(Domain, "app", "generic", "tools", "tool", ["1.0.0"], PackageService.Archived).Succeeded);
        Assert.Equal(ErrorCodes.AssetNotAvailable, (await OpenGeneric(Store, Domain, "app", "1.0.0")).Failure!.Code);
        var throughUpstreams = await Store.Packages.OpenAssetThroughUpstreamsAsync(Domain, "app", "generic", "tools", "tool", "1.0.0", "tool.txt",
            CancellationToken.None);
        Assert.Equal(ErrorCodes.AssetNotAvailable, throughUpstreams.Failure!.Code);
        Assert.Equal(ErrorCodes.RepositoryNotFound, (await OpenGeneric(Store, Domain, "nowhere", "1.0.0")).Failure!.Code);
    }

    // ------------------------------------------------------------------ NuGet version lists

    private static byte[] Nupkg(string id, string version)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var entry = zip.CreateEntry($"{id}.nuspec").Open();
            entry.Write(Encoding.UTF8.GetBytes($"""
                <?xml version="1.0" encoding="utf-8"?>
                <package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
                  <metadata><id>{id}</id><version>{version}</version><authors>Tests</authors><description>Cached lists.</description></metadata>
                </package>
                """));
        }
        return buffer.ToArray();
    }

    private async Task Push(string repository, string id, string version)
    {
        var pushed = await Packages.PushNugetAsync(Domain, repository, "package.nupkg", new MemoryStream(Nupkg(id, version)), CancellationToken.None);
        Assert.True(pushed.Succeeded, pushed.Failure?.Message);
    }

    private void ServeRemoteVersions(params string[] versions)
    {
        Registry.Serve("/v3/index.json", JsonSerializer.SerializeToUtf8Bytes(new
        {
            version = "3.0.0",
            resources = new[] { new Dictionary<string, string> { ["@id"] = Registry.BaseUri + "v3/flatcontainer/", ["@type"] = "PackageBaseAddress/3.0.0" } },
        }), "application/json");
        Registry.Serve("/v3/flatcontainer/cached.lib/index.json", JsonSerializer.SerializeToUtf8Bytes(new { versions }), "application/json");
    }

    /// <summary>The list and stamp the endpoint uses, checked against the list the full path computes.</summary>
    private async Task<(string Stamp, IReadOnlyList<string> Versions)> VersionList(string repository = "app", string id = "Cached.Lib")
    {
        var source = await Packages.GetNugetVersionsSourceAsync(Domain, repository, id, CancellationToken.None);
        Assert.True(source.Succeeded, source.Failure?.Message);
        var listed = await source.Value!.ListAsync(CancellationToken.None);
        Assert.True(listed.Succeeded, listed.Failure?.Message);
        var full = await Packages.ListNugetVersionsThroughUpstreamsAsync(Domain, repository, id, CancellationToken.None);
        Assert.True(full.Succeeded, full.Failure?.Message);
        Assert.Equal(full.Value!, listed.Value!);
        return (source.Value.Stamp, listed.Value!);
    }

    [Fact]
    public async Task NugetVersionList_IsTheFullPathsList_AndItsStampMovesWithEveryChange()
    {
        await Push("store", "Cached.Lib", "1.0.0");
        foreach (var repository in new[] { "store", "team", "app" })
        {
            Assert.True(Packages.SetOriginConfiguration(Domain, repository, "nuget", null, "Cached.Lib", "ALLOW", "ALLOW").Succeeded);
        }
        ServeRemoteVersions("0.9.0", "1.0.0");
        Connect("store", "public:nuget", "nuget", new Uri(Registry.BaseUri, "v3/index.json"));

        var (stamp, versions) = await VersionList();
        Assert.Equal(["0.9.0", "1.0.0"], versions);
        Assert.Equal(stamp, (await VersionList()).Stamp);
        var seen = new HashSet<string> { stamp };

        async Task<string> Changed(string what, params string[] expected)
        {
            var (now, list) = await VersionList();
            Assert.Equal(expected, list);
            Assert.True(seen.Add(now), $"The stamp did not change when {what}.");
            return now;
        }

        await Push("team", "Cached.Lib", "2.0.0-beta.1");
        await Changed("a version was pushed upstream", "0.9.0", "1.0.0", "2.0.0-beta.1");
        await Push("app", "Cached.Lib", "1.5.0");
        await Changed("a version was pushed to the asked repository", "0.9.0", "1.0.0", "1.5.0", "2.0.0-beta.1");
        Assert.True(Packages.SetNugetListed(Domain, "team", "Cached.Lib", "2.0.0-beta.1", listed: false).Succeeded);
        await Changed("a version was unlisted", "0.9.0", "1.0.0", "1.5.0", "2.0.0-beta.1");
        Assert.True(Packages.SetOriginConfiguration(Domain, "app", "nuget", null, "Cached.Lib", "ALLOW", "BLOCK").Succeeded);
        await Changed("the asked repository blocked upstreams", "1.5.0");
        Assert.True(Packages.SetOriginConfiguration(Domain, "app", "nuget", null, "Cached.Lib", "ALLOW", "ALLOW").Succeeded);
        // Back where it was, under a stamp never seen: a list read after a stamp may stand for it, so stamps never come back.
        await Changed("the asked repository allowed upstreams again", "0.9.0", "1.0.0", "1.5.0", "2.0.0-beta.1");
        Assert.True(Packages.UpdateStatus(Domain, "app", "nuget", null, "Cached.Lib", ["1.5.0"], PackageService.Archived).Succeeded);
        await Changed("the asked repository archived a version", "0.9.0", "1.0.0", "2.0.0-beta.1");
        Assert.True(OtherProcess().Repositories.Update(Domain, "team", null, []).Succeeded);
        await Changed("another process removed an upstream link", "2.0.0-beta.1");
        Assert.Equal(["0.9.0", "1.0.0"], (await VersionList("store")).Versions);
    }

    [Fact]
    public async Task NugetVersionList_FailsAsTheFullPathDoes()
    {
        await Push("app", "Cached.Lib", "1.0.0");
        Assert.True(Packages.UpdateStatus(Domain, "app", "nuget", null, "Cached.Lib", ["1.0.0"], PackageService.Archived).Succeeded);

        foreach (var (domain, repository, id) in new[]
        {
            (Domain, "app", "Cached.Lib"), (Domain, "app", "No.Such.Lib"), (Domain, "store", "Cached.Lib"), (Domain, "app", "not/an id"),
            (Domain, "nowhere", "Cached.Lib"), ("nodomain", "app", "Cached.Lib"),
        })
        {
            var source = await Packages.GetNugetVersionsSourceAsync(domain, repository, id, CancellationToken.None);
            var listed = source.Succeeded ? await source.Value!.ListAsync(CancellationToken.None) : source.Failure!;
            var full = await Packages.ListNugetVersionsThroughUpstreamsAsync(domain, repository, id, CancellationToken.None);
            Assert.False(full.Succeeded);
            Assert.Equal(full.Failure, listed.Failure);
        }
    }

    // ------------------------------------------------------------------ npm stamps

    [Fact]
    public async Task NpmStamp_StaysTheRevisionClientsAlreadyHold()
    {
        foreach (var version in new[] { "1.0.0", "1.1.0", "2.0.0-rc.1" })
        {
            var request = new PublishRequest(Domain, "app", $"lib-{version}.tgz") { Format = "npm", Package = "lib", Version = version };
            Assert.True((await Packages.PublishAsync(request, new MemoryStream(NpmTarball("lib", version)), CancellationToken.None)).Succeeded);
        }
        Assert.True(Packages.SetNpmDistTag(Domain, "app", null, "lib", "next", "2.0.0-rc.1").Succeeded);
        Assert.True(Packages.SetNpmDistTag(Domain, "app", null, "lib", "beta", "1.1.0").Succeeded);
        Assert.True(Packages.UpdateStatus(Domain, "app", "npm", null, "lib", ["1.0.0"], PackageService.Archived).Succeeded);

        Assert.Equal(ThreeQueryStamp("app", "lib"), Packages.GetNpmStamp(Domain, "app", null, "lib").Value);
    }

    [Fact]
    public async Task NpmPackumentCacheKey_NeverComesBack_OnceAnythingThePackumentShowsChanged()
    {
        async Task Publish(string repository, string version)
        {
            var request = new PublishRequest(Domain, repository, $"lib-{version}.tgz") { Format = "npm", Package = "lib", Version = version };
            var published = await Packages.PublishAsync(request, new MemoryStream(NpmTarball("lib", version)), CancellationToken.None);
            Assert.True(published.Succeeded, published.Failure?.Message);
        }
        await Publish("store", "1.0.0");
        foreach (var repository in new[] { "team", "app" })
        {
            Assert.True(Packages.SetOriginConfiguration(Domain, repository, "npm", null, "lib", "ALLOW", "ALLOW").Succeeded);
        }
        var seen = new HashSet<string>();
        async Task Changed(string what)
        {
            var source = (await Packages.GetNpmPackumentSourceAsync(Domain, "app", null, "lib", includeUpstreams: true, CancellationToken.None)).Value!;
            Assert.True(seen.Add(source.CacheKey), $"The cache key came back when {what}.");
            var again = (await Packages.GetNpmPackumentSourceAsync(Domain, "app", null, "lib", includeUpstreams: true, CancellationToken.None)).Value!;
            Assert.Equal(source.CacheKey, again.CacheKey);
            Assert.Equal(source.Stamp, again.Stamp);
        }

        await Changed("nothing happened yet");
        await Publish("team", "1.1.0");
        await Changed("a version was published upstream");
        Assert.True(Packages.SetNpmDistTag(Domain, "store", null, "lib", "old", "1.0.0").Succeeded);
        await Changed("an upstream set a dist-tag");
        Assert.True(Packages.SetOriginConfiguration(Domain, "app", "npm", null, "lib", "ALLOW", "BLOCK").Succeeded);
        await Changed("the asked repository blocked upstreams");
        Assert.True(Packages.SetOriginConfiguration(Domain, "app", "npm", null, "lib", "ALLOW", "ALLOW").Succeeded);
        await Changed("the asked repository allowed upstreams again");
        Assert.True(OtherProcess().Repositories.Update(Domain, "app", null, []).Succeeded);
        await Changed("another process removed the upstream link");
        Assert.True(OtherProcess().Repositories.Update(Domain, "app", null, ["team"]).Succeeded);
        await Changed("another process restored the upstream link");
    }

    /// <summary>The stamp as it was computed before it became one query: the package, its versions by id, then its tags by name.</summary>
    private string ThreeQueryStamp(string repository, string name)
    {
        using var connection = Store.Catalog.Open();
        var id = Sql.Scalar<long>(connection, """
            SELECT p.id FROM packages p JOIN repositories r ON r.id = p.repository_id WHERE r.name = $r AND p.format = 'npm' AND p.name_key = $n;
            """, null, ("$r", repository), ("$n", name));
        var text = new StringBuilder();
        var visible = 0;
        using (var command = Sql.Command(connection, "SELECT id, namespace, name, created_time FROM packages WHERE id = $p;", null, ("$p", id)))
        using (var reader = command.ExecuteReader())
        {
            reader.Read();
            text.Append(reader.GetInt64(0)).Append('\0').Append(reader.GetString(1)).Append('\0').Append(reader.GetString(2)).Append('\0').Append(reader.GetInt64(3)).Append('\n');
        }
        using (var command = Sql.Command(connection, "SELECT id, version_key, status, revision, updated_time FROM package_versions WHERE package_id = $p ORDER BY id;",
            null, ("$p", id)))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                if (reader.GetString(2) is PackageService.Published or PackageService.Unlisted) visible++;
                text.Append(reader.GetInt64(0)).Append('\0').Append(reader.GetString(1)).Append('\0').Append(reader.GetString(2)).Append('\0')
                    .Append(reader.GetString(3)).Append('\0').Append(reader.GetInt64(4)).Append('\n');
            }
        }
        text.Append("tags\n");
        var tags = new SortedDictionary<string, string>(StringComparer.Ordinal);
        using (var command = Sql.Command(connection, "SELECT tag, version_key FROM dist_tags WHERE package_id = $p;", null, ("$p", id)))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read()) tags[reader.GetString(0)] = reader.GetString(1);
        }
        foreach (var (tag, version) in tags) text.Append(tag).Append('\0').Append(version).Append('\n');
        return $"{visible}-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())).AsSpan(0, 16))}";
    }

    private static byte[] NpmTarball(string name, string version)
    {
        var json = $$"""{"name":"{{name}}","version":"{{version}}","description":"{{name}} does things"}""";
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new System.Formats.Tar.TarWriter(gzip, System.Formats.Tar.TarEntryFormat.Pax, leaveOpen: true))
        {
            tar.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "package/package.json")
            {
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes(json)),
            });
        }
        return buffer.ToArray();
    }

    /// <summary>The store's own key provider, counting unwraps.</summary>
    private sealed class CountingKeyProvider(string folder) : IKeyProvider
    {
        private readonly LocalKeyProvider _inner = new(folder);
        private int _unwraps;

        public int Unwraps => Volatile.Read(ref _unwraps);

        public string Name => _inner.Name;

        public string CurrentKeyId => _inner.CurrentKeyId;

        public byte[] Wrap(ReadOnlySpan<byte> dataKey, ReadOnlySpan<byte> context) => _inner.Wrap(dataKey, context);

        public byte[] Unwrap(string keyId, ReadOnlySpan<byte> wrappedKey, ReadOnlySpan<byte> context)
        {
            Interlocked.Increment(ref _unwraps);
            return _inner.Unwrap(keyId, wrappedKey, context);
        }
    }
}
