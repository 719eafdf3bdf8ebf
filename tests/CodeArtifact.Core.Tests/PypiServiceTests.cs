using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Services;

namespace CodeArtifact.Core.Tests;

/// <summary>The reads behind the PyPI simple API: which files are listed and served, and what is said about them.</summary>
public sealed class PypiServiceTests : IDisposable
{
    private readonly TempStore _temp = new();

    public PypiServiceTests()
    {
        Assert.True(Store.Domains.Create("py").Succeeded);
        Assert.True(Store.Repositories.Create("py", "main").Succeeded);
    }

    private CaStore Store => _temp.Store;

    private PackageService Packages => Store.Packages;

    public void Dispose() => _temp.Dispose();

    private static string Fixture(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fixtures", relative);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException(relative);
    }

    private static string Metadata(string name, string version, string? requiresPython) =>
        $"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" + (requiresPython is null ? "" : $"Requires-Python: {requiresPython}\n") + "\nreadme\n";

    /// <summary>A minimal wheel, its file name and the METADATA bytes inside it.</summary>
    private static (string FileName, byte[] Bytes, byte[] Metadata) Wheel(string name, string version, string? requiresPython = null)
    {
        var distribution = name.Replace('-', '_').Replace('.', '_');
        var metadata = Encoding.UTF8.GetBytes(Metadata(name, version, requiresPython));
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            using (var entry = zip.CreateEntry($"{distribution}-{version}.dist-info/METADATA").Open()) entry.Write(metadata);
            using (var entry = zip.CreateEntry($"{distribution.ToLowerInvariant()}/__init__.py").Open()) entry.Write("VALUE = 1\n"u8);
        }
        return ($"{distribution}-{version}-py3-none-any.whl", buffer.ToArray(), metadata);
    }

    private async Task<PackageVersionInfo> Publish(string fileName, byte[] bytes, string repository = "main")
    {
        var published = await Packages.PublishAsync(new PublishRequest("py", repository, fileName) { Format = "pypi" }, new MemoryStream(bytes), CancellationToken.None);
        Assert.True(published.Succeeded, published.Failure?.Message);
        return published.Value!;
    }

    private async Task<PackageVersionInfo> PublishWheel(string name, string version, string? requiresPython = null)
    {
        var (fileName, bytes, _) = Wheel(name, version, requiresPython);
        return await Publish(fileName, bytes);
    }

    private async Task<PackageVersionInfo> PublishFixture(string relative) =>
        await Publish(Path.GetFileName(relative), await File.ReadAllBytesAsync(Fixture(relative)));

    private async Task<PypiProject> Project(string name)
    {
        var project = await Packages.GetPypiProjectAsync("py", "main", name, CancellationToken.None);
        Assert.True(project.Succeeded, project.Failure?.Message);
        return project.Value!;
    }

    private void SetStatus(string package, string version, string status) =>
        Assert.True(Packages.UpdateStatus("py", "main", "pypi", null, package, [version], status).Value!.Single().Succeeded);

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
    public async Task Project_ListsEachFile_WithItsSizeHashUploadTimeAndNames()
    {
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        await PublishFixture("pypi/Tiny_Demo-1.2.0rc1-py3-none-any.whl");
        await PublishFixture("pypi/Tiny-Demo-1.2.0rc1.tar.gz");

        var project = await Project("tiny-demo");

        Assert.Equal(("Tiny-Demo", "tiny-demo"), (project.Name, project.NormalizedName));
        Assert.Equal(["1.2.0rc1"], project.Versions);
        Assert.Equal(["Tiny-Demo-1.2.0rc1.tar.gz", "Tiny_Demo-1.2.0rc1-py3-none-any.whl"], project.Files.Select(f => f.FileName));
        foreach (var file in project.Files)
        {
            var bytes = await File.ReadAllBytesAsync(Fixture("pypi/" + file.FileName));
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), file.Sha256);
            Assert.Equal(bytes.LongLength, file.Size);
            Assert.Equal("1.2.0rc1", file.Version);
            Assert.False(file.Yanked);
            Assert.InRange(file.UploadTime!.Value, before, DateTimeOffset.UtcNow.AddSeconds(1));
        }
    }

    [Fact]
    public async Task Project_AnswersToEverySpellingOfItsName()
    {
        await PublishFixture("pypi/Tiny_Demo-1.2.0rc1-py3-none-any.whl");

        foreach (var spelling in new[] { "Tiny-Demo", "tiny_demo", "TINY.DEMO", "tiny--._demo" })
        {
            Assert.Equal("tiny-demo", (await Project(spelling)).NormalizedName);
        }
    }

    [Fact]
    public async Task Project_ListsPublishedAndUnlistedVersions_UnlistedAsYanked_AndHidesTheRest()
    {
        foreach (var version in new[] { "1.0", "1.1", "2.0", "3.0" }) await PublishWheel("demo-pkg", version);
        SetStatus("demo-pkg", "1.1", PackageService.Unlisted);
        SetStatus("demo-pkg", "2.0", PackageService.Archived);
        Assert.True(Packages.DisposeVersions("py", "main", "pypi", null, "demo-pkg", ["3.0"]).Value!.Single().Succeeded);

        var project = await Project("demo-pkg");

        Assert.Equal(["1.0", "1.1"], project.Versions);
        Assert.Equal([("1.0", false), ("1.1", true)], project.Files.Select(f => (f.Version, f.Yanked)));
    }

    [Fact]
    public async Task Project_OrdersVersionsByPep440()
    {
        foreach (var version in new[] { "1.10", "1.9", "1.0rc1", "1.0", "1.0.post1" }) await PublishWheel("demo-pkg", version);

        var project = await Project("demo-pkg");

        Assert.Equal(["1.0rc1", "1.0", "1.0.post1", "1.9", "1.10"], project.Versions);
        Assert.Equal(project.Versions, project.Files.Select(f => f.Version));
    }

    [Fact]
    public async Task Project_GivesEachFileItsOwnRequiresPython()
    {
        await PublishWheel("demo-pkg", "1.0", ">=3.8, <4");
        await PublishWheel("demo-pkg", "2.0");

        var project = await Project("demo-pkg");

        Assert.Equal([">=3.8, <4", null], project.Files.Select(f => f.RequiresPython));
        // A second read comes from the cache and says the same.
        Assert.Equal([">=3.8, <4", null], (await Project("demo-pkg")).Files.Select(f => f.RequiresPython));
    }

    [Fact]
    public async Task CoreMetadata_IsTheWheelsExactMetadataBytes_WithTheAdvertisedSha256()
    {
        var wheelPath = Fixture("pypi/Tiny_Demo-1.2.0rc1-py3-none-any.whl");
        await PublishFixture("pypi/Tiny_Demo-1.2.0rc1-py3-none-any.whl");
        byte[] expected;
        using (var zip = ZipFile.OpenRead(wheelPath))
        {
            expected = await ReadAll(zip.GetEntry("Tiny_Demo-1.2.0rc1.dist-info/METADATA")!.Open());
        }

        var file = Assert.Single((await Project("tiny-demo")).Files);
        var opened = await Packages.OpenPypiCoreMetadataAsync("py", "main", "tiny-demo", "1.2.0rc1", file.FileName, CancellationToken.None);

        Assert.True(opened.Succeeded, opened.Failure?.Message);
        var bytes = await ReadAll(opened.Value.Content);
        Assert.Equal(expected, bytes);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(expected)), file.CoreMetadataSha256);
        Assert.Equal(file.CoreMetadataSha256, opened.Value.Asset.Hashes["SHA-256"]);
        Assert.Equal(expected.LongLength, opened.Value.Asset.Size);
        Assert.Equal(file.FileName + ".metadata", opened.Value.Asset.Name);
        Assert.Equal(">=3.8", file.RequiresPython);
    }

    [Fact]
    public async Task CoreMetadata_IsNotOfferedForSdists()
    {
        await PublishFixture("pypi/Tiny-Demo-1.2.0rc1.tar.gz");

        var file = Assert.Single((await Project("tiny-demo")).Files);
        var opened = await Packages.OpenPypiCoreMetadataAsync("py", "main", "tiny-demo", "1.2.0rc1", file.FileName, CancellationToken.None);

        Assert.Null(file.CoreMetadataSha256);
        Assert.Equal(ErrorCodes.AssetNotFound, opened.Failure?.Code);
        Assert.Equal(FailureKind.NotFound, opened.Failure?.Kind);
    }

    [Fact]
    public async Task OpenFile_ServesPublishedAndUnlistedVersions_Only()
    {
        var files = new Dictionary<string, (string FileName, byte[] Bytes, byte[] Metadata)>();
        foreach (var version in new[] { "1.0", "1.1", "2.0", "3.0" })
        {
            files[version] = Wheel("demo-pkg", version);
            await Publish(files[version].FileName, files[version].Bytes);
        }
        SetStatus("demo-pkg", "1.1", PackageService.Unlisted);
        SetStatus("demo-pkg", "2.0", PackageService.Archived);
        Assert.True(Packages.DisposeVersions("py", "main", "pypi", null, "demo-pkg", ["3.0"]).Value!.Single().Succeeded);

        foreach (var version in new[] { "1.0", "1.1" })
        {
            var opened = await Packages.OpenPypiFileAsync("py", "main", "Demo_Pkg", version, files[version].FileName, CancellationToken.None);
            Assert.True(opened.Succeeded, opened.Failure?.Message);
            Assert.Equal(files[version].Bytes, await ReadAll(opened.Value.Content));
            var metadata = await Packages.OpenPypiCoreMetadataAsync("py", "main", "demo-pkg", version, files[version].FileName, CancellationToken.None);
            Assert.Equal(files[version].Metadata, await ReadAll(metadata.Value.Content));
        }
        foreach (var version in new[] { "2.0", "3.0" })
        {
            var file = await Packages.OpenPypiFileAsync("py", "main", "demo-pkg", version, files[version].FileName, CancellationToken.None);
            var metadata = await Packages.OpenPypiCoreMetadataAsync("py", "main", "demo-pkg", version, files[version].FileName, CancellationToken.None);
            Assert.Equal((FailureKind.NotFound, FailureKind.NotFound), (file.Failure?.Kind, metadata.Failure?.Kind));
        }
    }

    [Fact]
    public async Task OpenFile_RefusesAFileOfAnotherVersion()
    {
        var (fileName, bytes, _) = Wheel("demo-pkg", "1.0");
        await Publish(fileName, bytes);
        await PublishWheel("demo-pkg", "2.0");

        var opened = await Packages.OpenPypiFileAsync("py", "main", "demo-pkg", "2.0", fileName, CancellationToken.None);

        Assert.Equal(ErrorCodes.AssetNotFound, opened.Failure?.Code);
    }

    [Fact]
    public async Task UnknownOrInvalidProjects_AreNotFound_AndSayWhy()
    {
        await PublishWheel("demo-pkg", "1.0");

        var unknown = await Packages.GetPypiProjectAsync("py", "main", "other-pkg", CancellationToken.None);
        var invalid = await Packages.GetPypiProjectAsync("py", "main", "no such name!", CancellationToken.None);
        var noRepository = await Packages.GetPypiProjectAsync("py", "nope", "demo-pkg", CancellationToken.None);

        Assert.Equal((ErrorCodes.PackageNotFound, FailureKind.NotFound), (unknown.Failure?.Code, unknown.Failure?.Kind));
        Assert.Contains("other-pkg", unknown.Failure!.Message, StringComparison.Ordinal);
        Assert.Equal((ErrorCodes.PackageNotFound, FailureKind.NotFound), (invalid.Failure?.Code, invalid.Failure?.Kind));
        Assert.Contains("not a PyPI project name", invalid.Failure!.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCodes.RepositoryNotFound, noRepository.Failure?.Code);
    }

    [Fact]
    public async Task ProjectList_NamesProjectsWithServedFiles_InNormalisedOrder()
    {
        await PublishWheel("Zeta.Pkg", "1.0");
        await PublishWheel("alpha_pkg", "1.0");
        await PublishWheel("hidden-pkg", "1.0");
        SetStatus("hidden-pkg", "1.0", PackageService.Archived);
        await Packages.PublishAsync(new PublishRequest("py", "main", "demo-lib-1.2.3.tgz"), File.OpenRead(Fixture("npm/demo-lib-1.2.3.tgz")), CancellationToken.None);

        var projects = Packages.ListPypiProjects("py", "main");

        Assert.True(projects.Succeeded, projects.Failure?.Message);
        Assert.Equal([new PypiProjectName("alpha_pkg", "alpha-pkg"), new PypiProjectName("Zeta.Pkg", "zeta-pkg")], projects.Value!);
        Assert.Equal(ErrorCodes.RepositoryNotFound, Packages.ListPypiProjects("py", "nope").Failure?.Code);
    }
}
