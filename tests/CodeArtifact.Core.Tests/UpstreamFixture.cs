using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Services;

namespace CodeArtifact.Core.Tests;

/// <summary>
/// What the tests of external connections share: a temporary store with one domain and a chain of repositories in it, and a
/// <see cref="FakeRegistry"/> on loopback for connections to point at. Both are disposed after each test.
/// </summary>
public abstract class UpstreamFixture : IDisposable
{
    private readonly TempStore _temp = new();
    private readonly string _domain;

    /// <param name="domain">The domain created for the test.</param>
    /// <param name="registryPath">The path the fake registry answers under (its <see cref="FakeRegistry.BaseUri"/>'s path).</param>
    /// <param name="chain">
    /// Repositories to create in <paramref name="domain"/>, most upstream first: each one after the first has the one before it
    /// as its only upstream (<c>"store", "team", "app"</c> makes app → team → store).
    /// </param>
    protected UpstreamFixture(string domain, string registryPath, params string[] chain)
    {
        _domain = domain;
        Registry = new FakeRegistry(registryPath);
        Assert.True(Store.Domains.Create(domain).Succeeded);
        for (var i = 0; i < chain.Length; i++)
        {
            Assert.True(Store.Repositories.Create(domain, chain[i], upstreams: i == 0 ? null : [chain[i - 1]]).Succeeded);
        }
    }

    protected CaStore Store => _temp.Store;

    protected PackageService Packages => Store.Packages;

    /// <summary>The remote registry of the test.</summary>
    protected FakeRegistry Registry { get; }

    /// <summary>Creates the external connection <paramref name="connection"/> to <paramref name="uri"/> and connects <paramref name="repository"/> to it.</summary>
    protected void Connect(string repository, string connection, string format, Uri uri, TimeSpan? metadataTtl = null, string? userName = null,
        string? password = null)
    {
        var created = Store.ExternalConnections.New(_domain, connection, format, uri, userName, password, metadataTtl);
        Assert.True(created.Succeeded, created.Failure?.Message);
        Assert.True(Store.ExternalConnections.Connect(_domain, repository, connection).Succeeded);
    }

    public void Dispose()
    {
        Registry.Dispose();
        _temp.Dispose();
        GC.SuppressFinalize(this);
    }
}
