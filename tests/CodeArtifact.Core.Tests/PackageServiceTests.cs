using System.Security.Cryptography;
using System.Text;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Services;

namespace CodeArtifact.Core.Tests;

public sealed class PackageServiceTests : IDisposable
{
    private readonly TempStore _temp = new();

    public PackageServiceTests()
    {
        Assert.True(Store.Domains.Create("pkgs").Succeeded);
        Assert.True(Store.Repositories.Create("pkgs", "main").Succeeded);
        Assert.True(Store.Repositories.Create("pkgs", "other").Succeeded);
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

    private async Task<Outcome<PackageVersionInfo>> Publish(string repository, string fixture, PublishRequest? overrides = null)
    {
        var path = Fixture(fixture);
        await using var stream = File.OpenRead(path);
        var request = (overrides ?? new PublishRequest("pkgs", repository, Path.GetFileName(path))) with { Repository = repository };
        return await Packages.PublishAsync(request, stream, CancellationToken.None);
    }

    private async Task<Outcome<PackageVersionInfo>> PublishBytes(string repository, string fileName, byte[] bytes, PublishRequest? overrides = null)
    {
        var request = (overrides ?? new PublishRequest("pkgs", repository, fileName)) with { Repository = repository, FileName = fileName };
        return await Packages.PublishAsync(request, new MemoryStream(bytes), CancellationToken.None);
    }

    private int BlobFiles() => Store.Blobs.ListAddresses("pkgs").Count();

    private int StagingFiles() => Directory.EnumerateFiles(Path.Combine(_temp.Folder, "tmp")).Count();

    private long AssetBytes() => Store.Domains.Get("pkgs").Value!.AssetSizeBytes;

    [Fact]
    public async Task Publish_Npm_CreatesAPublishedVersion_WithItsMetadata()
    {
        var published = await Publish("main", "npm/demo-lib-1.2.3.tgz");

        Assert.True(published.Succeeded, published.Failure?.Message);
        var v = published.Value!;
        Assert.Equal(("npm", "demo-lib", "1.2.3", "Published", "INTERNAL"), (v.Format, v.Package, v.Version, v.Status, v.Origin.OriginType));
        Assert.Equal("main", v.Origin.DomainEntryPointRepository);
        Assert.False(string.IsNullOrEmpty(v.Summary));
        var asset = Assert.Single(Packages.ListAssets("pkgs", "main", "npm", null, "demo-lib", "1.2.3").Value!);
        Assert.Equal("demo-lib-1.2.3.tgz", asset.Name);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Fixture("npm/demo-lib-1.2.3.tgz")))), asset.Hashes["SHA-256"]);
        Assert.Equal("1.2.3", Packages.GetDistTags("pkgs", "main", null, "demo-lib").Value!["latest"]);
    }

    [Fact]
    public async Task Publish_SameFileTwice_IsIdempotent()
    {
        var first = await Publish("main", "npm/demo-lib-1.2.3.tgz");
        var blobs = BlobFiles();
        var second = await Publish("main", "npm/demo-lib-1.2.3.tgz");

        Assert.True(second.Succeeded, second.Failure?.Message);
        Assert.Equal(first.Value!.Revision, second.Value!.Revision);
        Assert.Equal(blobs, BlobFiles());
        Assert.Equal(0, StagingFiles());
    }

    [Fact]
    public async Task PublishWithResult_TellsWhetherTheFileWasAdded()
    {
        var path = Fixture("npm/demo-lib-1.2.3.tgz");
        var request = new PublishRequest("pkgs", "main", Path.GetFileName(path));
        await using (var first = File.OpenRead(path))
        {
            Assert.True((await Packages.PublishWithResultAsync(request, first, CancellationToken.None)).Value!.AssetAdded);
        }
        await using var again = File.OpenRead(path);
        var repeated = await Packages.PublishWithResultAsync(request, again, CancellationToken.None);

        Assert.True(repeated.Succeeded);
        Assert.False(repeated.Value!.AssetAdded);
    }

    [Fact]
    public async Task Publish_WheelAfterSdist_AddsAnAsset_AndANewRevision()
    {
        var sdist = await Publish("main", "pypi/Tiny-Demo-1.2.0rc1.tar.gz");
        var wheel = await Publish("main", "pypi/Tiny_Demo-1.2.0rc1-py3-none-any.whl");

        Assert.True(wheel.Succeeded, wheel.Failure?.Message);
        Assert.NotEqual(sdist.Value!.Revision, wheel.Value!.Revision);
        Assert.Equal(2, Packages.ListAssets("pkgs", "main", "pypi", null, "tiny_demo", "1.2.0rc1").Value!.Count);
    }

    [Fact]
    public async Task Publish_OtherBytesUnderAnExistingAssetName_IsAConflict_AndKeepsNothing()
    {
        var request = new PublishRequest("pkgs", "main", "data.bin") { Format = "generic", Namespace = "team", Package = "tool", Version = "1.0", Unfinished = true };
        Assert.True((await PublishBytes("main", "data.bin", [1, 2, 3], request)).Succeeded);
        var blobs = BlobFiles();
        var bytes = AssetBytes();

        var conflict = await PublishBytes("main", "data.bin", [4, 5, 6], request);

        Assert.Equal(ErrorCodes.AssetConflict, conflict.Failure!.Code);
        Assert.Equal(blobs, BlobFiles());
        Assert.Equal(bytes, AssetBytes());
        Assert.Equal(0, StagingFiles());
    }

    [Fact]
    public async Task Publish_CorruptArchive_LeavesNoRowNoBlobAndNoStagingFile()
    {
        var garbage = RandomNumberGenerator.GetBytes(5000);
        foreach (var name in new[] { "x-1.0.0.tgz", "x-1.0-py3-none-any.whl", "x.1.0.0.nupkg" })
        {
            var refused = await PublishBytes("main", name, garbage);
            Assert.Equal(ErrorCodes.InvalidPackageFile, refused.Failure!.Code);
        }

        Assert.Empty(Packages.ListPackages("pkgs", "main").Value!);
        Assert.Equal(0, BlobFiles());
        Assert.Equal(0, StagingFiles());
        Assert.Equal(0, AssetBytes());
    }

    [Fact]
    public async Task Publish_GenericWithAWrongSha256_IsRefused_AndKeepsNothing()
    {
        var request = new PublishRequest("pkgs", "main", "a.txt")
        {
            Format = "generic", Namespace = "team", Package = "tool", Version = "1.0", ExpectedSha256 = new string('a', 64),
        };
        var refused = await PublishBytes("main", "a.txt", Encoding.UTF8.GetBytes("hello"), request);

        Assert.Equal(ErrorCodes.DigestMismatch, refused.Failure!.Code);
        Assert.Equal(0, BlobFiles());
        Assert.Equal(0, StagingFiles());
    }

    [Fact]
    public async Task Generic_UnfinishedVersion_TakesAssetsUntilPublished()
    {
        var open = new PublishRequest("pkgs", "main", "a") { Format = "generic", Namespace = "team", Package = "tool", Version = "2.0", Unfinished = true };
        Assert.Equal(PackageService.Unfinished, (await PublishBytes("main", "a.txt", [1], open)).Value!.Status);
        Assert.Equal(PackageService.Unfinished, (await PublishBytes("main", "b.txt", [2], open)).Value!.Status);
        var last = await PublishBytes("main", "c.txt", [3], open with { Unfinished = false });

        Assert.Equal(PackageService.Published, last.Value!.Status);
        Assert.Equal(3, Packages.ListAssets("pkgs", "main", "generic", "team", "tool", "2.0").Value!.Count);
        var late = await PublishBytes("main", "d.txt", [4], open);
        Assert.Equal(ErrorCodes.VersionAlreadyExists, late.Failure!.Code);
    }

    [Fact]
    public async Task SameFileInTwoRepositories_IsStoredOnce_AndFreedAfterTheLastReference()
    {
        await Publish("main", "nuget/Demo.Core.1.2.3.nupkg");
        var once = AssetBytes();
        var blobs = BlobFiles();
        await Publish("other", "nuget/Demo.Core.1.2.3.nupkg");

        Assert.Equal(once, AssetBytes());
        Assert.Equal(blobs, BlobFiles());

        Assert.True(Packages.DeleteVersions("pkgs", "main", "nuget", null, "demo.core", ["1.2.3"]).Succeeded);
        Assert.Equal(once, AssetBytes());
        Assert.Equal(blobs, BlobFiles());

        Assert.True(Packages.DeleteVersions("pkgs", "other", "nuget", null, "Demo.Core", ["1.2.3"]).Succeeded);
        Assert.Equal(0, AssetBytes());
        Assert.Equal(0, BlobFiles());
    }

    [Fact]
    public async Task Batch_WithOneFailingVersion_SkipsTheOthers_AndChangesNothing()
    {
        await Publish("main", "nuget/Demo.Core.1.2.3.nupkg");

        var results = Packages.UpdateStatus("pkgs", "main", "nuget", null, "Demo.Core", ["1.2.3", "9.9.9"], PackageService.Archived).Value!;

        Assert.Equal("SKIPPED", results.Single(r => r.Version == "1.2.3").ErrorCode);
        Assert.Equal("NOT_FOUND", results.Single(r => r.Version == "9.9.9").ErrorCode);
        Assert.Equal(PackageService.Published, Packages.ListVersions("pkgs", "main", "nuget", null, "Demo.Core").Value!.Single().Status);
    }

    [Fact]
    public async Task Batch_Guards_ExpectedStatusAndRevision()
    {
        var published = (await Publish("main", "nuget/Demo.Core.1.2.3.nupkg")).Value!;

        Assert.Equal("MISMATCHED_STATUS", Packages.UpdateStatus("pkgs", "main", "nuget", null, "Demo.Core", ["1.2.3"], PackageService.Archived,
            expectedStatus: PackageService.Unlisted).Value!.Single().ErrorCode);
        Assert.Equal("MISMATCHED_REVISION", Packages.UpdateStatus("pkgs", "main", "nuget", null, "Demo.Core", ["1.2.3"], PackageService.Archived,
            revisions: new Dictionary<string, string> { ["1.2.3"] = "stale" }).Value!.Single().ErrorCode);
        var ok = Packages.UpdateStatus("pkgs", "main", "nuget", null, "Demo.Core", ["1.2.3"], PackageService.Archived,
            expectedStatus: PackageService.Published, revisions: new Dictionary<string, string> { ["1.2.3"] = published.Revision }).Value!.Single();
        Assert.Equal(PackageService.Archived, ok.Status);

        var again = await Publish("main", "nuget/Demo.Core.1.2.3.nupkg");
        Assert.Equal(ErrorCodes.VersionNotPublishable, again.Failure!.Code);
    }

    [Fact]
    public async Task Dispose_DeletesTheAssets_KeepsTheRecord_AndForbidsStatusChanges()
    {
        await Publish("main", "npm/demo-lib-1.2.3.tgz");

        var disposed = Packages.DisposeVersions("pkgs", "main", "npm", null, "demo-lib", ["1.2.3"]).Value!.Single();

        Assert.Equal(PackageService.Disposed, disposed.Status);
        Assert.Empty(Packages.ListAssets("pkgs", "main", "npm", null, "demo-lib", "1.2.3").Value!);
        Assert.Equal("NOT_ALLOWED", Packages.UpdateStatus("pkgs", "main", "npm", null, "demo-lib", ["1.2.3"], PackageService.Published).Value!.Single().ErrorCode);
        Assert.Equal(ErrorCodes.VersionNotPublishable, (await Publish("main", "npm/demo-lib-1.2.3.tgz")).Failure!.Code);
        // Only the metadata document is still stored, and it is not an asset.
        Assert.Equal(1, BlobFiles());
        Assert.Equal(0, AssetBytes());
    }

    [Fact]
    public async Task Copy_IsMetadataOnly_KeepsTheRevision_AndBringsTheDistTags()
    {
        var source = (await Publish("main", "npm/demo-lib-1.2.3.tgz")).Value!;
        var blobs = BlobFiles();

        var copied = Packages.CopyVersions("pkgs", "main", "other", "npm", null, "demo-lib", ["1.2.3"]).Value!.Single();

        Assert.True(copied.Succeeded, copied.ErrorMessage);
        Assert.Equal(source.Revision, copied.Revision);
        Assert.Equal(blobs, BlobFiles());
        Assert.Equal("1.2.3", Packages.GetDistTags("pkgs", "other", null, "demo-lib").Value!["latest"]);
        Assert.Equal("ALREADY_EXISTS", Packages.CopyVersions("pkgs", "main", "other", "npm", null, "demo-lib", ["1.2.3"]).Value!.Single().ErrorCode);
        Assert.True(Packages.CopyVersions("pkgs", "main", "other", "npm", null, "demo-lib", ["1.2.3"], allowOverwrite: true).Value!.Single().Succeeded);

        // The copy holds its own references: deleting the source keeps the blob.
        Assert.True(Packages.RemovePackage("pkgs", "main", "npm", null, "demo-lib").Succeeded);
        Assert.Equal(blobs, BlobFiles());
        var opened = await Packages.OpenAssetAsync("pkgs", "other", "npm", null, "demo-lib", "1.2.3", "demo-lib-1.2.3.tgz", null, CancellationToken.None);
        await using var content = opened.Value.Content;
        using var copy = new MemoryStream();
        await content.CopyToAsync(copy);
        Assert.Equal(File.ReadAllBytes(Fixture("npm/demo-lib-1.2.3.tgz")), copy.ToArray());
    }

    [Fact]
    public async Task Copy_IntoAPackageWithPublishBlock_FailsEveryVersionWithNotAllowed_AndCopiesNothing()
    {
        var request = new PublishRequest("pkgs", "main", "tool.txt") { Format = "generic", Namespace = "team", Package = "tool" };
        foreach (var version in new[] { "1.0", "1.1" })
        {
            Assert.True((await PublishBytes("main", "tool.txt", Encoding.UTF8.GetBytes(version), request with { Version = version })).Succeeded);
        }
        // Set ahead of time: the destination holds an empty package that only carries the origin configuration.
        Assert.True(Packages.SetOriginConfiguration("pkgs", "other", "generic", "team", "tool", "BLOCK", "ALLOW").Succeeded);

        var refused = Packages.CopyVersions("pkgs", "main", "other", "generic", "team", "tool", ["1.0", "1.1"]).Value!;
        var mixed = Packages.CopyVersions("pkgs", "main", "other", "generic", "team", "tool", ["1.0", "9.9"]).Value!;

        Assert.Equal(["1.0=NOT_ALLOWED", "1.1=NOT_ALLOWED"], refused.Select(r => $"{r.Version}={r.ErrorCode}"));
        Assert.Contains("publish=BLOCK", refused[0].ErrorMessage);
        Assert.Equal(["1.0=NOT_ALLOWED", "9.9=NOT_FOUND"], mixed.Select(r => $"{r.Version}={r.ErrorCode}"));
        Assert.Empty(Packages.ListVersions("pkgs", "other", "generic", "team", "tool").Value!);

        Assert.True(Packages.SetOriginConfiguration("pkgs", "other", "generic", "team", "tool", "ALLOW", "BLOCK").Succeeded);
        Assert.All(Packages.CopyVersions("pkgs", "main", "other", "generic", "team", "tool", ["1.0", "1.1"]).Value!, r => Assert.True(r.Succeeded, r.ErrorMessage));
    }

    [Fact]
    public async Task OriginConfiguration_PublishBlock_RefusesPublishing()
    {
        Assert.True(Packages.SetOriginConfiguration("pkgs", "main", "npm", null, "demo-lib", "BLOCK", "ALLOW").Succeeded);

        var refused = await Publish("main", "npm/demo-lib-1.2.3.tgz");

        Assert.Equal(ErrorCodes.PublishBlocked, refused.Failure!.Code);
        Assert.Equal(0, BlobFiles());
        Assert.Equal(new PackageOriginConfiguration("BLOCK", "ALLOW"), Packages.GetOriginConfiguration("pkgs", "main", "npm", null, "demo-lib").Value);
    }

    [Fact]
    public async Task ConcurrentPublishAndDelete_OfTheSameBytes_NeverLoseABlobThatIsReferenced()
    {
        var request = new PublishRequest("pkgs", "main", "same.bin") { Format = "generic", Namespace = "team", Package = "p", Version = "1" };
        var bytes = RandomNumberGenerator.GetBytes(50_000);
        for (var round = 0; round < 15; round++)
        {
            Assert.True((await PublishBytes("main", "same.bin", bytes, request)).Succeeded);
            var delete = Task.Run(() => Packages.DeleteVersions("pkgs", "main", "generic", "team", "p", ["1"]));
            var publishOther = PublishBytes("other", "same.bin", bytes, request with { Version = $"r{round}" });
            await delete;
            var other = await publishOther;
            Assert.True(other.Succeeded, other.Failure?.Message);

            var opened = await Packages.OpenAssetAsync("pkgs", "other", "generic", "team", "p", $"r{round}", "same.bin", null, CancellationToken.None);
            await using var content = opened.Value.Content;
            using var copy = new MemoryStream();
            await content.CopyToAsync(copy);
            Assert.Equal(bytes, copy.ToArray());
        }
    }

    [Fact]
    public async Task RemovingARepositoryWithPackages_ReleasesItsBlobs_AndKeepsSharedOnes()
    {
        await Publish("main", "nuget/Demo.Core.1.2.3.nupkg");
        await Publish("main", "npm/demo-lib-1.2.3.tgz");
        await Publish("other", "nuget/Demo.Core.1.2.3.nupkg");
        var shared = Packages.ListAssets("pkgs", "other", "nuget", null, "Demo.Core", "1.2.3").Value!.Single().Size;

        Assert.True(Store.Repositories.Remove("pkgs", "main", force: false).Succeeded);

        Assert.Equal(shared, AssetBytes());
        Assert.True(Store.Domains.Remove("pkgs", force: true).Succeeded);
        Assert.False(Directory.Exists(Path.Combine(_temp.Folder, "blobs", "pkgs")));
    }
}
