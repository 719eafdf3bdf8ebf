using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Services;

namespace CodeArtifact.Core.Tests;

/// <summary>The NuGet part of the package service: pushes with NuGet's duplicate rule, unlist/relist, the flat container, registrations and search.</summary>
public sealed class NugetServiceTests : IDisposable
{
    private const string Domain = "nud";
    private const string Repo = "main";
    private readonly TempStore _temp = new();

    public NugetServiceTests()
    {
        Assert.True(Store.Domains.Create(Domain).Succeeded);
        Assert.True(Store.Repositories.Create(Domain, Repo).Succeeded);
    }

    private CaStore Store => _temp.Store;

    private PackageService Packages => Store.Packages;

    public void Dispose() => _temp.Dispose();

    private static byte[] Nuspec(string id, string version, string metadata = "") => Encoding.UTF8.GetBytes($"""
        <?xml version="1.0" encoding="utf-8"?>
        <package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
          <metadata>
            <id>{id}</id>
            <version>{version}</version>
            <authors>Test Authors</authors>
            <description>{id} does things.</description>
            {metadata}
          </metadata>
        </package>
        """);

    private static byte[] Nupkg(string id, string version, string metadata = "", string content = "MZ")
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            using (var entry = zip.CreateEntry($"{id}.nuspec").Open()) entry.Write(Nuspec(id, version, metadata));
            using (var entry = zip.CreateEntry($"lib/net10.0/{id}.dll").Open()) entry.Write(Encoding.UTF8.GetBytes(content));
        }
        return buffer.ToArray();
    }

    private async Task<Outcome<PackageVersionInfo>> Push(byte[] nupkg) =>
        await Packages.PushNugetAsync(Domain, Repo, "package.nupkg", new MemoryStream(nupkg), CancellationToken.None);

    private async Task<PackageVersionInfo> PushOk(string id, string version, string metadata = "", string content = "MZ")
    {
        var pushed = await Push(Nupkg(id, version, metadata, content));
        Assert.True(pushed.Succeeded, pushed.Failure?.Message);
        return pushed.Value!;
    }

    private async Task<NugetPackage> Package(string id)
    {
        var package = await Packages.GetNugetPackageAsync(Domain, Repo, id, CancellationToken.None);
        Assert.True(package.Succeeded, package.Failure?.Message);
        return package.Value!;
    }

    private async Task<NugetSearchResult> Search(string? text, bool prerelease = true, bool semVer2 = true, int skip = 0, int take = 20, string? packageType = null)
    {
        var query = new NugetSearchQuery { Text = text, Prerelease = prerelease, SemVer2 = semVer2, Skip = skip, Take = take, PackageType = packageType };
        var result = await Packages.SearchNugetAsync(Domain, Repo, query, CancellationToken.None);
        Assert.True(result.Succeeded, result.Failure?.Message);
        return result.Value!;
    }

    private string Status(string id, string version) =>
        Packages.ListVersions(Domain, Repo, "nuget", null, id).Value!.Single(v => v.Version == version).Status;

    private void SetStatus(string id, string version, string status) =>
        Assert.True(Packages.UpdateStatus(Domain, Repo, "nuget", null, id, [version], status).Value!.Single().Succeeded);

    private static async Task<byte[]> ReadAll(Stream stream)
    {
        await using (stream)
        {
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            return copy.ToArray();
        }
    }

    [Fact]
    public async Task Push_NewVersion_IsPublishedUnderTheLowerCaseAssetName()
    {
        var bytes = Nupkg("Demo.Lib", "1.0.0");

        var pushed = await Push(bytes);

        Assert.True(pushed.Succeeded, pushed.Failure?.Message);
        Assert.Equal("Published", pushed.Value!.Status);
        var asset = Packages.ListAssets(Domain, Repo, "nuget", null, "demo.lib", "1.0.0").Value!.Single();
        Assert.Equal("demo.lib.1.0.0.nupkg", asset.Name);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), asset.Hashes["SHA-256"]);
    }

    [Fact]
    public async Task Push_SameBytesAgain_IsVersionAlreadyExists()
    {
        var bytes = Nupkg("Demo.Lib", "1.0.0");
        var first = (await Push(bytes)).Value!;

        var again = await Push(bytes);

        Assert.Equal(ErrorCodes.VersionAlreadyExists, again.Failure?.Code);
        Assert.Equal(FailureKind.Conflict, again.Failure!.Kind);
        var version = Packages.ListVersions(Domain, Repo, "nuget", null, "Demo.Lib").Value!.Single();
        Assert.Equal(first.Revision, version.Revision);
    }

    [Theory]
    [InlineData("1.0")]
    [InlineData("1.0.0.0")]
    [InlineData("1.0.0+other.build")]
    public async Task Push_SameVersionSpelledOtherwise_IsVersionAlreadyExists(string spelling)
    {
        await PushOk("Demo.Lib", "1.0.0");

        var again = await Push(Nupkg("DEMO.LIB", spelling, content: "other bytes"));

        Assert.Equal(ErrorCodes.VersionAlreadyExists, again.Failure?.Code);
        Assert.Single(Packages.ListVersions(Domain, Repo, "nuget", null, "demo.lib").Value!);
    }

    [Fact]
    public async Task Push_OfAnUnlistedVersion_IsStillAConflict()
    {
        await PushOk("Demo.Lib", "1.0.0");
        SetStatus("Demo.Lib", "1.0.0", "Unlisted");

        var again = await Push(Nupkg("Demo.Lib", "1.0.0"));

        Assert.Equal(ErrorCodes.VersionAlreadyExists, again.Failure?.Code);
        Assert.Equal("Unlisted", Status("Demo.Lib", "1.0.0"));
    }

    [Fact]
    public async Task Push_WithoutNuspec_IsInvalidAndStoresNothing()
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var entry = zip.CreateEntry("lib/net10.0/x.dll").Open();
            entry.Write("MZ"u8);
        }

        var pushed = await Push(buffer.ToArray());

        Assert.Equal(ErrorCodes.InvalidPackageFile, pushed.Failure?.Code);
        Assert.Empty(Packages.ListPackages(Domain, Repo).Value!);
    }

    [Fact]
    public async Task ListVersions_AreLowerCaseNormalisedInNuGetOrder_WithUnlistedButWithoutArchived()
    {
        foreach (var version in new[] { "2.0.0", "1.0.0-beta.10", "1.0.0-Beta.2", "1.0.0", "1.0.0.5", "01.0.0-alpha+build.7", "3.0.0" })
        {
            await PushOk("Demo.Lib", version);
        }
        SetStatus("Demo.Lib", "2.0.0", "Unlisted");
        SetStatus("Demo.Lib", "3.0.0", "Archived");

        var versions = Packages.ListNugetVersions(Domain, Repo, "DEMO.lib");

        Assert.True(versions.Succeeded, versions.Failure?.Message);
        Assert.Equal(["1.0.0-alpha", "1.0.0-beta.2", "1.0.0-beta.10", "1.0.0", "1.0.0.5", "2.0.0"], versions.Value!);
    }

    [Fact]
    public async Task ListVersions_OfAPackageWithNothingServed_IsNotFound()
    {
        await PushOk("Demo.Lib", "1.0.0");
        SetStatus("Demo.Lib", "1.0.0", "Archived");

        Assert.Equal(ErrorCodes.PackageNotFound, Packages.ListNugetVersions(Domain, Repo, "Demo.Lib").Failure?.Code);
        Assert.Equal(ErrorCodes.PackageNotFound, Packages.ListNugetVersions(Domain, Repo, "Other.Lib").Failure?.Code);
        Assert.Equal(ErrorCodes.PackageNotFound, Packages.ListNugetVersions(Domain, Repo, "not a valid id").Failure?.Code);
    }

    [Fact]
    public async Task GetPackage_DescribesEveryServedVersion()
    {
        await PushOk("Demo.Lib", "1.0.0", "<tags>alpha beta</tags><title>Demo</title>");
        await PushOk("Demo.Lib", "2.0.0-rc.1+sha.abc");
        await PushOk("Demo.Lib", "1.5.0-preview",
            """<dependencies><group targetFramework="net10.0"><dependency id="Other" version="[1.0.0-beta.1, )" /></group></dependencies>""");
        SetStatus("Demo.Lib", "1.0.0", "Unlisted");

        var package = await Package("demo.lib");

        Assert.Equal("Demo.Lib", package.Id);
        Assert.Equal(["1.0.0", "1.5.0-preview", "2.0.0-rc.1+sha.abc"], package.Versions.Select(v => v.Version));
        Assert.Equal(["1.0.0", "1.5.0-preview", "2.0.0-rc.1"], package.Versions.Select(v => v.NormalizedVersion));
        Assert.Equal([false, true, true], package.Versions.Select(v => v.Listed));
        Assert.Equal([false, true, true], package.Versions.Select(v => v.IsPrerelease));
        // 1.5.0-preview is SemVer 1.0.0 itself but depends on a dotted prerelease, which makes it a SemVer 2.0.0 package.
        Assert.Equal([false, true, true], package.Versions.Select(v => v.IsSemVer2));
        Assert.Equal(["alpha", "beta"], PackageService.NugetTags(package.Versions[0].Metadata));
        Assert.Equal("net10.0", package.Versions[1].Metadata!.Dependencies.Single().DependencyType);
        Assert.All(package.Versions, v => Assert.Equal(128, v.Sha512.Length));
    }

    [Fact]
    public async Task OpenPackage_IsCaseInsensitive_ServesUnlistedButNotArchivedVersions()
    {
        var bytes = Nupkg("Demo.Lib", "1.0.0-Beta");
        Assert.True((await Push(bytes)).Succeeded);
        await PushOk("Demo.Lib", "2.0.0");
        SetStatus("Demo.Lib", "1.0.0-Beta", "Unlisted");
        SetStatus("Demo.Lib", "2.0.0", "Archived");

        var opened = await Packages.OpenNugetPackageAsync(Domain, Repo, "DEMO.LIB", "1.0.0-BETA", CancellationToken.None);
        var archived = await Packages.OpenNugetPackageAsync(Domain, Repo, "demo.lib", "2.0.0", CancellationToken.None);
        var missing = await Packages.OpenNugetPackageAsync(Domain, Repo, "demo.lib", "9.0.0", CancellationToken.None);

        Assert.True(opened.Succeeded, opened.Failure?.Message);
        Assert.Equal(bytes, await ReadAll(opened.Value.Content));
        Assert.Equal(ErrorCodes.PackageVersionNotFound, archived.Failure?.Code);
        Assert.Equal(ErrorCodes.PackageVersionNotFound, missing.Failure?.Code);
    }

    [Fact]
    public async Task OpenManifest_IsTheExactNuspec()
    {
        await PushOk("Demo.Lib", "1.0.0", "<tags>x</tags>");

        var opened = await Packages.OpenNugetManifestAsync(Domain, Repo, "demo.lib", "1.0.0", CancellationToken.None);

        Assert.True(opened.Succeeded, opened.Failure?.Message);
        Assert.Equal(Nuspec("Demo.Lib", "1.0.0", "<tags>x</tags>"), await ReadAll(opened.Value.Content));
        Assert.Equal("demo.lib.nuspec", opened.Value.Asset.Name);
    }

    [Fact]
    public async Task SetListed_UnlistsAndRelists_AnySpellingOfTheVersion()
    {
        await PushOk("Demo.Lib", "1.0.0");

        var unlisted = Packages.SetNugetListed(Domain, Repo, "DEMO.LIB", "1.0", listed: false);
        var again = Packages.SetNugetListed(Domain, Repo, "demo.lib", "1.0.0", listed: false);
        var statusAfterUnlist = Status("Demo.Lib", "1.0.0");
        var relisted = Packages.SetNugetListed(Domain, Repo, "demo.lib", "1.0.0.0", listed: true);

        Assert.Equal("Unlisted", unlisted.Value?.Status);
        Assert.Equal("Unlisted", again.Value?.Status);
        Assert.Equal("Unlisted", statusAfterUnlist);
        Assert.Equal("Published", relisted.Value?.Status);
        Assert.Equal("Published", Status("Demo.Lib", "1.0.0"));
    }

    [Fact]
    public async Task SetListed_OfUnknownOrHiddenVersions_IsRefused()
    {
        await PushOk("Demo.Lib", "1.0.0");
        SetStatus("Demo.Lib", "1.0.0", "Archived");

        Assert.Equal(ErrorCodes.PackageVersionNotFound, Packages.SetNugetListed(Domain, Repo, "Demo.Lib", "2.0.0", listed: false).Failure?.Code);
        Assert.Equal(ErrorCodes.PackageVersionNotFound, Packages.SetNugetListed(Domain, Repo, "Demo.Lib", "not-a-version", listed: false).Failure?.Code);
        Assert.Equal(ErrorCodes.PackageNotFound, Packages.SetNugetListed(Domain, Repo, "Other.Lib", "1.0.0", listed: false).Failure?.Code);
        var archived = Packages.SetNugetListed(Domain, Repo, "Demo.Lib", "1.0.0", listed: true);
        Assert.Equal(ErrorCodes.InvalidStatus, archived.Failure?.Code);
        Assert.Equal(FailureKind.Conflict, archived.Failure!.Kind);
        Assert.Equal("Archived", Status("Demo.Lib", "1.0.0"));
    }

    [Fact]
    public async Task Search_CountsListedVersionsOnly_AndHonoursPrereleaseAndSemVer2()
    {
        await PushOk("Demo.Lib", "1.0.0");
        await PushOk("Demo.Lib", "1.1.0-beta");
        await PushOk("Demo.Lib", "2.0.0-rc.1");
        await PushOk("Demo.Unlisted", "1.0.0");
        SetStatus("Demo.Unlisted", "1.0.0", "Unlisted");

        var all = await Search("demo");
        var releases = await Search("demo", prerelease: false);
        var semVer1 = await Search("demo", semVer2: false);

        Assert.Equal(["Demo.Lib"], all.Packages.Select(p => p.Id));
        Assert.Equal(["1.0.0", "1.1.0-beta", "2.0.0-rc.1"], all.Packages[0].Versions.Select(v => v.Version));
        Assert.Equal(["1.0.0"], releases.Packages[0].Versions.Select(v => v.Version));
        Assert.Equal(["1.0.0", "1.1.0-beta"], semVer1.Packages[0].Versions.Select(v => v.Version));
    }

    [Fact]
    public async Task Search_RanksExactIdsFirst_AndPages()
    {
        await PushOk("Json.Tools", "1.0.0", "<tags>json</tags>");
        await PushOk("Json", "1.0.0");
        await PushOk("Fast.Json", "1.0.0");
        await PushOk("Serializer", "1.0.0", "<tags>json xml</tags>");

        var hits = await Search("json");
        var page = await Search("json", skip: 1, take: 2);

        Assert.Equal(["Json", "Json.Tools", "Fast.Json", "Serializer"], hits.Packages.Select(p => p.Id));
        Assert.Equal(4, page.TotalHits);
        Assert.Equal(["Json.Tools", "Fast.Json"], page.Packages.Select(p => p.Id));
    }

    [Theory]
    [InlineData("tags:xml", "Serializer")]
    [InlineData("tag:JSON", "Json.Tools,Serializer")]
    [InlineData("packageid:json.tools", "Json.Tools")]
    [InlineData("id:tools", "Json.Tools")]
    [InlineData("author:\"Test Authors\" json.t", "Json.Tools")]
    [InlineData("description:serializer", "Serializer")]
    [InlineData("json xml", "Serializer")]
    [InlineData("nothing-matches", "")]
    [InlineData("", "Json.Tools,Serializer")]
    public async Task Search_UnderstandsFieldTerms(string text, string expected)
    {
        await PushOk("Json.Tools", "1.0.0", "<tags>json</tags>");
        await PushOk("Serializer", "1.0.0", "<tags>json xml</tags>");

        var hits = await Search(text);

        Assert.Equal(expected, string.Join(',', hits.Packages.Select(p => p.Id).Order(StringComparer.Ordinal)));
    }

    [Fact]
    public async Task Search_FiltersByPackageType_DependencyByDefault()
    {
        await PushOk("Demo.Lib", "1.0.0");
        await PushOk("Demo.Tool", "1.0.0", """<packageTypes><packageType name="DotnetTool" /></packageTypes>""");

        Assert.Equal(["Demo.Tool"], (await Search("demo", packageType: "dotnettool")).Packages.Select(p => p.Id));
        Assert.Equal(["Demo.Lib"], (await Search("demo", packageType: "Dependency")).Packages.Select(p => p.Id));
    }

    [Fact]
    public async Task Reads_OfAnotherFormatsPackage_AreNotFound()
    {
        var wheel = await Packages.PublishAsync(new PublishRequest(Domain, Repo, "x.txt") { Format = "generic", Namespace = "ns", Package = "Demo.Lib", Version = "1.0.0" },
            new MemoryStream("x"u8.ToArray()), CancellationToken.None);
        Assert.True(wheel.Succeeded, wheel.Failure?.Message);

        Assert.Equal(ErrorCodes.PackageNotFound, Packages.ListNugetVersions(Domain, Repo, "Demo.Lib").Failure?.Code);
        Assert.Empty((await Search(null)).Packages);
    }
}
