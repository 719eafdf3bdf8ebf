using System.Text;
using Microsoft.Data.Sqlite;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Services;

namespace CodeArtifact.Core.Tests;

/// <summary>The external connection service: validation, the sealed credential, the one-per-repository limit and removal rules.</summary>
public sealed class ExternalConnectionTests : IDisposable
{
    private const string Domain = "ext";
    private static readonly Uri s_npm = new("http://127.0.0.1:9/npm/registry/");
    private readonly TempStore _temp = new();

    public ExternalConnectionTests()
    {
        Assert.True(Store.Domains.Create(Domain).Succeeded);
        Assert.True(Store.Repositories.Create(Domain, "store").Succeeded);
        Assert.True(Store.Repositories.Create(Domain, "other").Succeeded);
    }

    private CaStore Store => _temp.Store;

    private ExternalConnectionService Connections => Store.ExternalConnections;

    public void Dispose() => _temp.Dispose();

    private ExternalConnectionInfo Create(string name = "public:npmjs", string format = "npm", Uri? uri = null, string? user = null, string? password = null,
        TimeSpan? ttl = null)
    {
        var created = Connections.New(Domain, name, format, uri ?? s_npm, user, password, ttl);
        Assert.True(created.Succeeded, created.Failure?.Message);
        return created.Value!;
    }

    private ExternalSource SourceOf(string repository, string format = "npm")
    {
        var chain = Store.Packages.ResolveChain(Domain, repository, format, null, "anything").Value!;
        return chain.Members.Single(m => m.IsExternal).External!;
    }

    [Fact]
    public void New_DescribesTheConnection_WithDefaults()
    {
        var before = DateTimeOffset.UtcNow.AddSeconds(-2);

        var created = Create("Public:NpmJS", "NPM");

        Assert.Equal(("Public:NpmJS", "npm", Domain), (created.Name, created.Format, created.DomainName));
        Assert.Equal(s_npm, created.Uri);
        Assert.Equal(ExternalConnectionService.DefaultMetadataTtl, created.MetadataTtl);
        Assert.False(created.HasCredential);
        Assert.Null(created.UserName);
        Assert.Empty(created.Repositories);
        Assert.InRange(created.CreatedTime, before, DateTimeOffset.UtcNow.AddSeconds(2));
        Assert.Equal("Public:NpmJS", Connections.Get(Domain, "public:npmjs").Value!.Name);
    }

    [Theory]
    [InlineData("npm", "http://host:81/npm/registry", "http://host:81/npm/registry/")]
    [InlineData("pypi", "https://host/pypi/simple", "https://host/pypi/simple/")]
    [InlineData("maven", "https://host/maven2/", "https://host/maven2/")]
    [InlineData("nuget", "https://host/v3/index.json", "https://host/v3/index.json")]
    public void New_GivesRootUrlsATrailingSlash_ButNotTheNugetServiceIndex(string format, string given, string stored)
    {
        Assert.Equal(new Uri(stored), Create(format: format, uri: new Uri(given)).Uri);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("-npm")]
    [InlineData("has space")]
    [InlineData("slash/name")]
    [InlineData("")]
    public void New_RefusesAnInvalidName(string name)
    {
        var refused = Connections.New(Domain, name, "npm", s_npm);

        Assert.Equal(ErrorCodes.InvalidExternalConnection, refused.Failure?.Code);
        Assert.Equal(FailureKind.Invalid, refused.Failure!.Kind);
        Assert.Empty(Connections.List(Domain).Value!);
    }

    [Fact]
    public void New_RefusesANameOf101Characters_AndTakes100()
    {
        Assert.Equal(ErrorCodes.InvalidExternalConnection, Connections.New(Domain, new string('n', 101), "npm", s_npm).Failure?.Code);
        Assert.True(Connections.New(Domain, new string('n', 100), "npm", s_npm).Succeeded);
    }

    [Theory]
    [InlineData("generic")]
    [InlineData("ruby")]
    [InlineData("")]
    public void New_RefusesAFormatThatCannotBeProxied(string format)
    {
        Assert.Equal(ErrorCodes.InvalidExternalConnection, Connections.New(Domain, "public:x", format, s_npm).Failure?.Code);
    }

    [Theory]
    [InlineData("ftp://host/npm/")]
    [InlineData("file:///tmp/registry/")]
    [InlineData("http://user:secret@host/npm/")]
    [InlineData("http://host/npm/?token=1")]
    [InlineData("http://host/npm/?access_token=secret")]
    [InlineData("http://user:secret@host/npm/?a=b")]
    [InlineData("http://host/npm/#top")]
    public void New_RefusesAnUnusableUrl(string url)
    {
        var refused = Connections.New(Domain, "public:npm", "npm", new Uri(url));

        Assert.Equal(ErrorCodes.InvalidExternalConnection, refused.Failure?.Code);
        // A password in the URL (user info or a query token) is not echoed back.
        Assert.DoesNotContain("secret", refused.Failure!.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", refused.Failure.Target ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public void New_RefusesARelativeUrl()
    {
        Assert.Equal(ErrorCodes.InvalidExternalConnection, Connections.New(Domain, "public:npm", "npm", new Uri("npm/registry", UriKind.Relative)).Failure?.Code);
    }

    [Fact]
    public void New_TakesATtlFromZeroToSevenDays_AndRefusesOthers()
    {
        Assert.Equal(TimeSpan.Zero, Create("zero", ttl: TimeSpan.Zero).MetadataTtl);
        Assert.Equal(TimeSpan.FromDays(7), Create("week", ttl: TimeSpan.FromDays(7)).MetadataTtl);
        Assert.Equal(ErrorCodes.InvalidExternalConnection, Connections.New(Domain, "negative", "npm", s_npm, metadataTtl: TimeSpan.FromSeconds(-1)).Failure?.Code);
        Assert.Equal(ErrorCodes.InvalidExternalConnection, Connections.New(Domain, "long", "npm", s_npm, metadataTtl: TimeSpan.FromDays(7.5)).Failure?.Code);
    }

    [Fact]
    public void New_RefusesADuplicateNameInAnyCase_AndAMissingDomain()
    {
        Create("public:npmjs");

        Assert.Equal(ErrorCodes.ExternalConnectionAlreadyExists, Connections.New(Domain, "PUBLIC:NPMJS", "npm", s_npm).Failure?.Code);
        Assert.Equal(ErrorCodes.DomainNotFound, Connections.New("nosuch", "public:npmjs", "npm", s_npm).Failure?.Code);
        Assert.Equal(ErrorCodes.ExternalConnectionNotFound, Connections.Get(Domain, "public:other").Failure?.Code);
    }

    [Fact]
    public void Credential_IsSealed_AndUnsealsWithTheDomainKey()
    {
        const string Password = "pca1.very-secret-remote-token";
        var created = Create(user: "reader", password: Password);
        Assert.True(created.HasCredential);
        Assert.Equal("reader", created.UserName);
        Assert.True(Connections.Connect(Domain, "store", created.Name).Succeeded);

        var source = SourceOf("store");
        using var key = Store.Domains.GetKey(Domain).Value!;

        Assert.NotNull(source.SealedPassword);
        Assert.True(source.SealedPassword.AsSpan().IndexOf(Encoding.UTF8.GetBytes(Password)) < 0);
        Assert.Equal(Password, ExternalConnectionService.Unseal(key, source));
    }

    [Fact]
    public void Credential_IsNotInAnyFileOfTheStore_InPlainText()
    {
        const string Password = "pca1.plain-text-must-not-appear";
        Create(password: Password);
        Store.Catalog.Checkpoint();
        SqliteConnection.ClearAllPools();

        foreach (var (path, bytes) in _temp.AllFiles())
        {
            Assert.True(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(Password)) < 0, $"The password is in {path}.");
        }
    }

    [Fact]
    public void Credential_WithoutAUserName_UsesAws()
    {
        Assert.Equal("aws", Create(password: "token").UserName);
    }

    [Fact]
    public void Connect_ShowsOnBothSides_AndAConnectionServesSeveralRepositories()
    {
        Create();

        var store = Connections.Connect(Domain, "STORE", "public:npmjs");
        var other = Connections.Connect(Domain, "other", "public:npmjs");

        Assert.Equal(["public:npmjs"], store.Value!.ExternalConnections);
        Assert.Equal(["public:npmjs"], other.Value!.ExternalConnections);
        Assert.Equal(["other", "store"], Connections.Get(Domain, "public:npmjs").Value!.Repositories);
        Assert.Equal(["public:npmjs"], Store.Repositories.Get(Domain, "store").Value!.ExternalConnections);
    }

    [Fact]
    public void Connect_AllowsOneConnectionPerRepository_AndTheSameOneAgain()
    {
        Create("public:npmjs");
        Create("public:pypi", "pypi", new Uri("http://127.0.0.1:9/pypi/"));
        Assert.True(Connections.Connect(Domain, "store", "public:npmjs").Succeeded);

        var again = Connections.Connect(Domain, "store", "public:npmjs");
        var second = Connections.Connect(Domain, "store", "public:pypi");

        Assert.True(again.Succeeded);
        Assert.Equal(ErrorCodes.ExternalConnectionLimit, second.Failure?.Code);
        Assert.Equal(FailureKind.LimitExceeded, second.Failure!.Kind);
        Assert.Equal(["public:npmjs"], Store.Repositories.Get(Domain, "store").Value!.ExternalConnections);
    }

    [Fact]
    public void Connect_AndDisconnect_ReportWhatIsMissing()
    {
        Create();

        Assert.Equal(ErrorCodes.RepositoryNotFound, Connections.Connect(Domain, "nosuch", "public:npmjs").Failure?.Code);
        Assert.Equal(ErrorCodes.ExternalConnectionNotFound, Connections.Connect(Domain, "store", "public:nosuch").Failure?.Code);
        Assert.Equal(ErrorCodes.DomainNotFound, Connections.Connect("nosuch", "store", "public:npmjs").Failure?.Code);
        Assert.Equal(ErrorCodes.ExternalConnectionNotConnected, Connections.Disconnect(Domain, "store", "public:npmjs").Failure?.Code);
    }

    [Fact]
    public void Remove_IsRefusedWhileConnected_AndWorksAfterDisconnect()
    {
        Create();
        Assert.True(Connections.Connect(Domain, "store", "public:npmjs").Succeeded);

        var refused = Connections.Remove(Domain, "public:npmjs");
        var checkedFirst = Connections.CheckRemove(Domain, "public:npmjs");

        Assert.Equal(ErrorCodes.ExternalConnectionInUse, refused.Failure?.Code);
        Assert.Equal(FailureKind.Conflict, refused.Failure!.Kind);
        Assert.Contains("'store'", refused.Failure.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCodes.ExternalConnectionInUse, checkedFirst.Failure?.Code);

        var disconnected = Connections.Disconnect(Domain, "store", "public:npmjs");
        Assert.Empty(disconnected.Value!.ExternalConnections);
        Assert.True(Connections.CheckRemove(Domain, "public:npmjs").Succeeded);
        Assert.Equal("public:npmjs", Connections.Remove(Domain, "public:npmjs").Value!.Name);
        Assert.Empty(Connections.List(Domain).Value!);
        Assert.Equal(ErrorCodes.ExternalConnectionNotFound, Connections.Remove(Domain, "public:npmjs").Failure?.Code);
    }

    [Fact]
    public void RemovingTheRepository_DropsItsConnectionLink()
    {
        Create();
        Assert.True(Connections.Connect(Domain, "store", "public:npmjs").Succeeded);

        Assert.True(Store.Repositories.Remove(Domain, "store", force: false).Succeeded);

        Assert.Empty(Connections.Get(Domain, "public:npmjs").Value!.Repositories);
        Assert.True(Connections.Remove(Domain, "public:npmjs").Succeeded);
    }

    [Fact]
    public void RemovingTheDomain_RemovesItsConnections()
    {
        Create();
        Assert.True(Connections.Connect(Domain, "store", "public:npmjs").Succeeded);

        Assert.True(Store.Domains.Remove(Domain, force: true).Succeeded);
        Assert.True(Store.Domains.Create(Domain).Succeeded);

        Assert.Empty(Connections.List(Domain).Value!);
    }

    [Fact]
    public void ConnectionsBelongToTheirDomain()
    {
        Assert.True(Store.Domains.Create("ext-two").Succeeded);
        Assert.True(Store.Repositories.Create("ext-two", "store").Succeeded);
        Create();

        Assert.Empty(Connections.List("ext-two").Value!);
        Assert.Equal(ErrorCodes.ExternalConnectionNotFound, Connections.Connect("ext-two", "store", "public:npmjs").Failure?.Code);
        Assert.Equal(ErrorCodes.DomainNotFound, Connections.List("nosuch").Failure?.Code);
    }
}
