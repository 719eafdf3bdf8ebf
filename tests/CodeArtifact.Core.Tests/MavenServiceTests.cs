using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Services;

namespace CodeArtifact.Core.Tests;

/// <summary>The Maven repository layout on the publish path: Unfinished until metadata, checksums, metadata, SNAPSHOT builds.</summary>
public sealed class MavenServiceTests : IDisposable
{
    private const string Group = "org.example";
    private const string Artifact = "demo";
    private readonly TempStore _temp = new();

    public MavenServiceTests()
    {
        Assert.True(Store.Domains.Create("mv").Succeeded);
        Assert.True(Store.Repositories.Create("mv", "main").Succeeded);
    }

    private CaStore Store => _temp.Store;

    private PackageService Packages => Store.Packages;

    public void Dispose() => _temp.Dispose();

    private static byte[] Pom(string version, string description = "a demo") => Encoding.UTF8.GetBytes($"""
        <project xmlns="http://maven.apache.org/POM/4.0.0">
          <modelVersion>4.0.0</modelVersion>
          <groupId>{Group}</groupId><artifactId>{Artifact}</artifactId><version>{version}</version>
          <name>{description}</name>
        </project>
        """);

    private static byte[] Jar(string content)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var entry = zip.CreateEntry("org/example/Demo.txt").Open();
            entry.Write(Encoding.UTF8.GetBytes(content));
        }
        return buffer.ToArray();
    }

    private static byte[] ArtifactMetadata(params string[] versions) => Encoding.UTF8.GetBytes(
        $"<metadata><groupId>{Group}</groupId><artifactId>{Artifact}</artifactId><versioning><versions>"
        + string.Concat(versions.Select(v => $"<version>{v}</version>")) + "</versions></versioning></metadata>");

    private static byte[] SnapshotMetadata(string version, string timestamp, int build) => Encoding.UTF8.GetBytes(
        $"<metadata modelVersion=\"1.1.0\"><groupId>{Group}</groupId><artifactId>{Artifact}</artifactId><version>{version}</version>"
        + $"<versioning><snapshot><timestamp>{timestamp}</timestamp><buildNumber>{build}</buildNumber></snapshot></versioning></metadata>");

    private Task<Outcome<PackageVersionInfo>> Put(string version, string fileName, byte[] bytes) =>
        Packages.PublishMavenFileAsync("mv", "main", Group, Artifact, version, fileName, new MemoryStream(bytes), CancellationToken.None);

    private async Task<PackageVersionInfo> PutOk(string version, string fileName, byte[] bytes)
    {
        var put = await Put(version, fileName, bytes);
        Assert.True(put.Succeeded, put.Failure?.Message);
        return put.Value!;
    }

    private Task<Outcome<MavenMetadataReceipt>> PutMetadata(IReadOnlyList<string> directory, byte[] bytes) =>
        Packages.PutMavenMetadataAsync("mv", "main", directory, new MemoryStream(bytes), CancellationToken.None);

    private static string[] ArtifactDirectory => ["org", "example", Artifact];

    private static string[] VersionDirectory(string version) => [.. ArtifactDirectory, version];

    private async Task DeployRelease(string version, string content = "release")
    {
        await PutOk(version, $"{Artifact}-{version}.pom", Pom(version));
        await PutOk(version, $"{Artifact}-{version}.jar", Jar(content));
        var finished = await PutMetadata(ArtifactDirectory, ArtifactMetadata(version));
        Assert.True(finished.Succeeded, finished.Failure?.Message);
    }

    private async Task DeploySnapshotBuild(string version, string timestamp, int build, string description)
    {
        var value = version[..^"SNAPSHOT".Length] + $"{timestamp}-{build}";
        await PutOk(version, $"{Artifact}-{value}.pom", Pom(version, description));
        await PutOk(version, $"{Artifact}-{value}.jar", Jar(description));
        await PutOk(version, $"{Artifact}-{value}-sources.jar", Jar(description + " sources"));
        var finished = await PutMetadata(VersionDirectory(version), SnapshotMetadata(version, timestamp, build));
        Assert.True(finished.Succeeded, finished.Failure?.Message);
        Assert.True((await PutMetadata(ArtifactDirectory, ArtifactMetadata(version))).Succeeded);
    }

    private IReadOnlyList<string> Statuses() =>
        Packages.ListVersions("mv", "main", "maven", Group, Artifact).Value!.Select(v => $"{v.Version}={v.Status}").Order(StringComparer.Ordinal).ToList();

    [Fact]
    public async Task PublishMavenFile_KeepsTheVersionUnfinished_AndHidesItUntilItsMetadataArrives()
    {
        var pom = await PutOk("1.0", "demo-1.0.pom", Pom("1.0"));
        var jar = await PutOk("1.0", "demo-1.0.jar", Jar("one"));

        Assert.Equal(PackageService.Unfinished, pom.Status);
        Assert.Equal(PackageService.Unfinished, jar.Status);
        Assert.Equal(ErrorCodes.AssetNotFound, Packages.GetMavenFile("mv", "main", Group, Artifact, "1.0", "demo-1.0.jar").Failure?.Code);
        Assert.Equal(FailureKind.NotFound, (await Packages.OpenMavenFileAsync("mv", "main", Group, Artifact, "1.0", "demo-1.0.jar", CancellationToken.None)).Failure?.Kind);
        Assert.Equal(FailureKind.NotFound, Packages.GetMavenArtifactVersions("mv", "main", Group, Artifact).Failure?.Kind);

        var receipt = await PutMetadata(ArtifactDirectory, ArtifactMetadata("1.0"));

        Assert.True(receipt.Succeeded, receipt.Failure?.Message);
        Assert.Equal(MavenMetadataLevel.Artifact, receipt.Value!.Level);
        Assert.Equal(["1.0=Published"], receipt.Value.Versions.Select(v => $"{v.Version}={v.Status}"));
        var opened = await Packages.OpenMavenFileAsync("mv", "main", Group, Artifact, "1.0", "demo-1.0.jar", CancellationToken.None);
        Assert.True(opened.Succeeded, opened.Failure?.Message);
        await using (opened.Value.Content)
        {
            using var copy = new MemoryStream();
            await opened.Value.Content.CopyToAsync(copy);
            Assert.Equal(Jar("one"), copy.ToArray());
        }
        Assert.Equal(["1.0"], Packages.GetMavenArtifactVersions("mv", "main", Group, Artifact).Value!.Versions);
    }

    [Fact]
    public async Task PublishMavenFile_SameBytesAgainIsIdempotent_OtherBytesConflict_NewFilesAreAdded()
    {
        await DeployRelease("1.0", "one");

        Assert.True((await Put("1.0", "demo-1.0.jar", Jar("one"))).Succeeded);
        var conflict = await Put("1.0", "demo-1.0.jar", Jar("other"));
        var late = await Put("1.0", "demo-1.0-javadoc.jar", Jar("docs"));

        Assert.Equal(ErrorCodes.AssetConflict, conflict.Failure?.Code);
        Assert.Equal(FailureKind.Conflict, conflict.Failure?.Kind);
        Assert.True(late.Succeeded, late.Failure?.Message);
        Assert.Equal(PackageService.Published, late.Value!.Status);
        Assert.True(Packages.GetMavenFile("mv", "main", Group, Artifact, "1.0", "demo-1.0-javadoc.jar").Succeeded);
    }

    [Fact]
    public async Task PublishMavenFile_RefusesBadInput_AndKeepsNothing()
    {
        var dtd = Encoding.UTF8.GetBytes("<?xml version=\"1.0\"?><!DOCTYPE project [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><project><groupId>org.example</groupId><artifactId>demo</artifactId><version>1.0</version><name>&x;</name></project>");

        Assert.Equal(ErrorCodes.InvalidPackageFile, (await Put("1.0", "demo-1.0.pom", dtd)).Failure?.Code);
        Assert.Equal(ErrorCodes.InvalidPackageFile, (await Put("1.0", "demo-1.0.pom", "<project><groupId>"u8.ToArray())).Failure?.Code);
        Assert.Equal(ErrorCodes.PackageFileMismatch, (await Put("2.0", "demo-1.0.pom", Pom("1.0"))).Failure?.Code);
        Assert.Equal(ErrorCodes.InvalidPackageFile, (await Put("1.0", "demo-1.0.jar", "not a zip"u8.ToArray())).Failure?.Code);
        Assert.Equal(FailureKind.NotFound, Packages.GetPackage("mv", "main", "maven", Group, Artifact).Failure?.Kind);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_temp.Folder, "tmp"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task PublishMavenFile_TakesConcurrentUploadsIntoOneNewVersion()
    {
        var files = new (string Name, byte[] Bytes)[]
        {
            ("demo-1.0.pom", Pom("1.0")), ("demo-1.0.jar", Jar("main")), ("demo-1.0-sources.jar", Jar("sources")),
            ("demo-1.0-javadoc.jar", Jar("javadoc")), ("demo-1.0-tests.jar", Jar("tests")),
        };

        var uploads = await Task.WhenAll(files.Select(f => Task.Run(() => Put("1.0", f.Name, f.Bytes))));

        Assert.All(uploads, u => Assert.True(u.Succeeded, u.Failure?.Message));
        Assert.Equal(["1.0=Unfinished"], Statuses());
        Assert.Equal(files.Select(f => f.Name).Order(StringComparer.Ordinal),
            Packages.ListAssets("mv", "main", "maven", Group, Artifact, "1.0").Value!.Select(a => a.Name));
    }

    [Fact]
    public async Task PutMavenMetadata_ArtifactLevelAlsoFinishesAnUnfinishedSnapshot()
    {
        await PutOk("1.0-SNAPSHOT", "demo-1.0-20261125.101010-1.pom", Pom("1.0-SNAPSHOT"));
        await PutOk("1.0-SNAPSHOT", "demo-1.0-20261125.101010-1.jar", Jar("one"));

        var receipt = await PutMetadata(ArtifactDirectory, ArtifactMetadata("0.9", "1.0-SNAPSHOT"));

        Assert.True(receipt.Succeeded, receipt.Failure?.Message);
        Assert.Equal(["1.0-SNAPSHOT=Published"], Statuses());
        Assert.Equal(1, Packages.GetMavenSnapshot("mv", "main", Group, Artifact, "1.0-SNAPSHOT").Value!.BuildNumber);
    }

    [Fact]
    public async Task VerifyMavenChecksum_AcceptsTheStoredDigests_InLowerCaseHexOnly()
    {
        await PutOk("1.0", "demo-1.0.jar", Jar("one"));
        var bytes = Jar("one");
        var sha1 = Convert.ToHexStringLower(SHA1.HashData(bytes));

        string? Verify(string extension, string content) =>
            Packages.VerifyMavenChecksum("mv", "main", Group, Artifact, "1.0", "demo-1.0.jar", extension, content).Failure?.Code;

        Assert.Null(Verify("sha1", sha1));
        Assert.Null(Verify("sha1", sha1 + "  demo-1.0.jar\n"));
        Assert.Null(Verify("md5", Convert.ToHexStringLower(MD5.HashData(bytes))));
        Assert.Null(Verify("sha256", Convert.ToHexStringLower(SHA256.HashData(bytes))));
        Assert.Null(Verify("sha512", Convert.ToHexStringLower(SHA512.HashData(bytes))));
        Assert.Equal(ErrorCodes.DigestMismatch, Verify("sha1", sha1.ToUpperInvariant()));
        Assert.Equal(ErrorCodes.DigestMismatch, Verify("sha1", new string('0', 40)));
        Assert.Equal(ErrorCodes.DigestMismatch, Verify("sha1", ""));
        Assert.Equal(ErrorCodes.AssetNotFound,
            Packages.VerifyMavenChecksum("mv", "main", Group, Artifact, "1.0", "demo-1.0-sources.jar", "sha1", sha1).Failure?.Code);
    }

    [Fact]
    public void CheckMavenMetadataChecksum_ChecksOnlyTheShape()
    {
        Assert.Null(PackageService.CheckMavenMetadataChecksum("sha1", new string('a', 40)));
        Assert.Equal(ErrorCodes.DigestMismatch, PackageService.CheckMavenMetadataChecksum("sha1", "xyz")?.Code);
        Assert.Equal(ErrorCodes.InvalidAssetName, PackageService.CheckMavenMetadataChecksum("crc32", "00000000")?.Code);
    }

    [Fact]
    public async Task ArtifactVersions_ListPublishedVersionsInMavenOrder_WithLatestAndRelease()
    {
        foreach (var version in new[] { "1.10", "1.9", "1.0" }) await DeployRelease(version);
        await DeploySnapshotBuild("2.0-SNAPSHOT", "20261125.101010", 1, "snapshot");
        await PutOk("3.0", "demo-3.0.pom", Pom("3.0"));
        Assert.True(Packages.UpdateStatus("mv", "main", "maven", Group, Artifact, ["1.0"], PackageService.Unlisted).Value!.Single().Succeeded);

        var versions = Packages.GetMavenArtifactVersions("mv", "main", Group, Artifact).Value!;

        Assert.Equal(["1.9", "1.10", "2.0-SNAPSHOT"], versions.Versions);
        Assert.Equal("2.0-SNAPSHOT", versions.Latest);
        Assert.Equal("1.10", versions.Release);
        Assert.InRange(versions.LastUpdated, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddSeconds(1));
    }

    [Fact]
    public async Task PutMavenMetadata_ChecksItsDirectory_RefusesDtds_AndNeedsTheFilesFirst()
    {
        await PutOk("1.0", "demo-1.0.pom", Pom("1.0"));

        var elsewhere = await PutMetadata(["org", "other", Artifact], ArtifactMetadata("1.0"));
        var dtd = await PutMetadata(ArtifactDirectory, Encoding.UTF8.GetBytes("<!DOCTYPE metadata [<!ENTITY x \"y\">]><metadata><groupId>&x;</groupId></metadata>"));
        var notMetadata = await PutMetadata(ArtifactDirectory, "<project/>"u8.ToArray());
        var noFiles = await PutMetadata(["org", "example", "nothing"],
            "<metadata><groupId>org.example</groupId><artifactId>nothing</artifactId></metadata>"u8.ToArray());
        var snapshotWithoutFiles = await PutMetadata(VersionDirectory("9.0-SNAPSHOT"), SnapshotMetadata("9.0-SNAPSHOT", "20261125.101010", 1));
        var plugins = await PutMetadata(["org", "example"], "<metadata><plugins><plugin><prefix>demo</prefix><artifactId>demo</artifactId></plugin></plugins></metadata>"u8.ToArray());

        Assert.Equal(ErrorCodes.PackageFileMismatch, elsewhere.Failure?.Code);
        Assert.Equal(ErrorCodes.InvalidPackageFile, dtd.Failure?.Code);
        Assert.Equal(ErrorCodes.InvalidPackageFile, notMetadata.Failure?.Code);
        Assert.Equal(FailureKind.NotFound, noFiles.Failure?.Kind);
        Assert.Equal(FailureKind.NotFound, snapshotWithoutFiles.Failure?.Kind);
        Assert.Equal(MavenMetadataLevel.Group, plugins.Value?.Level);
        Assert.Equal(["1.0=Unfinished"], Statuses());
    }

    [Fact]
    public async Task Snapshot_NewBuildBecomesCurrentWithItsMetadata_OlderBuildMovesToAnUnlistedBuildVersion()
    {
        await DeploySnapshotBuild("1.0-SNAPSHOT", "20261125.101010", 1, "build one");
        var first = Packages.GetMavenSnapshot("mv", "main", Group, Artifact, "1.0-SNAPSHOT").Value!;
        Assert.Equal(("20261125.101010", 1), (first.Timestamp, first.BuildNumber));
        Assert.Equal(["1.0-SNAPSHOT=Published"], Statuses());

        // The second build's files arrive; until its metadata does, the first build stays current.
        await PutOk("1.0-SNAPSHOT", "demo-1.0-20261125.111111-2.pom", Pom("1.0-SNAPSHOT", "build two"));
        await PutOk("1.0-SNAPSHOT", "demo-1.0-20261125.111111-2.jar", Jar("build two"));
        Assert.Equal(1, Packages.GetMavenSnapshot("mv", "main", Group, Artifact, "1.0-SNAPSHOT").Value!.BuildNumber);

        Assert.True((await PutMetadata(VersionDirectory("1.0-SNAPSHOT"), SnapshotMetadata("1.0-SNAPSHOT", "20261125.111111", 2))).Succeeded);

        var second = Packages.GetMavenSnapshot("mv", "main", Group, Artifact, "1.0-SNAPSHOT").Value!;
        Assert.Equal(("20261125.111111", 2), (second.Timestamp, second.BuildNumber));
        Assert.Equal(["jar", "pom"], second.Files.Select(f => f.Extension));
        Assert.All(second.Files, f => Assert.Equal("1.0-20261125.111111-2", f.Value));
        Assert.Equal(["1.0-20261125.101010-1=Unlisted", "1.0-SNAPSHOT=Published"], Statuses());
        Assert.Equal(["demo-1.0-20261125.111111-2.jar", "demo-1.0-20261125.111111-2.pom"],
            Packages.ListAssets("mv", "main", "maven", Group, Artifact, "1.0-SNAPSHOT").Value!.Select(a => a.Name));
        Assert.Equal(["demo-1.0-20261125.101010-1-sources.jar", "demo-1.0-20261125.101010-1.jar", "demo-1.0-20261125.101010-1.pom"],
            Packages.ListAssets("mv", "main", "maven", Group, Artifact, "1.0-20261125.101010-1").Value!.Select(a => a.Name));
        Assert.Equal("build two", (await Packages.GetVersionAsync("mv", "main", "maven", Group, Artifact, "1.0-SNAPSHOT", CancellationToken.None)).Value!.Summary);
        Assert.Equal("build one", (await Packages.GetVersionAsync("mv", "main", "maven", Group, Artifact, "1.0-20261125.101010-1", CancellationToken.None)).Value!.Summary);

        // The old build is still downloadable by its exact name, from the SNAPSHOT's directory, but no longer listed.
        var old = Packages.GetMavenFile("mv", "main", Group, Artifact, "1.0-SNAPSHOT", "demo-1.0-20261125.101010-1.jar");
        Assert.True(old.Succeeded, old.Failure?.Message);
        Assert.Equal("1.0-20261125.101010-1", old.Value!.Version);
        Assert.Equal(["1.0-SNAPSHOT"], Packages.GetMavenArtifactVersions("mv", "main", Group, Artifact).Value!.Versions);
    }

    [Fact]
    public async Task Snapshot_MetadataIsRefusedForReleasesAndUnfinishedVersions()
    {
        await DeployRelease("1.0");
        await PutOk("2.0-SNAPSHOT", "demo-2.0-20261125.101010-1.pom", Pom("2.0-SNAPSHOT"));

        Assert.Equal(FailureKind.NotFound, Packages.GetMavenSnapshot("mv", "main", Group, Artifact, "1.0").Failure?.Kind);
        Assert.Equal(FailureKind.NotFound, Packages.GetMavenSnapshot("mv", "main", Group, Artifact, "2.0-SNAPSHOT").Failure?.Kind);
    }

    [Fact]
    public async Task FinishMavenVersion_RefusesArchivedVersions()
    {
        await DeployRelease("1.0");
        Assert.True(Packages.UpdateStatus("mv", "main", "maven", Group, Artifact, ["1.0"], PackageService.Archived).Value!.Single().Succeeded);

        var finished = await Packages.FinishMavenVersionAsync("mv", "main", Group, Artifact, "1.0", null, CancellationToken.None);

        Assert.Equal(ErrorCodes.VersionNotPublishable, finished.Failure?.Code);
    }

    [Theory]
    [InlineData("1.0", "demo-1.0.jar", null, null, "jar")]
    [InlineData("1.0", "demo-1.0-sources.jar", null, "sources", "jar")]
    [InlineData("1.0", "demo-1.0.tar.gz", null, null, "tar.gz")]
    [InlineData("1.0-SNAPSHOT", "demo-1.0-SNAPSHOT.pom", null, null, "pom")]
    [InlineData("1.0-SNAPSHOT", "demo-1.0-20261125.101010-12-tests.jar", "20261125.101010-12", "tests", "jar")]
    [InlineData("1.0-SNAPSHOT", "demo-1.0-20261125.101010-3.jar.asc", "20261125.101010-3", null, "jar.asc")]
    public void SplitMavenFileName_FindsQualifierClassifierAndExtension(string version, string fileName, string? qualifier, string? classifier, string extension)
    {
        Assert.Equal((qualifier, classifier, extension), PackageService.SplitMavenFileName(Artifact, version, fileName));
    }

    [Theory]
    [InlineData("1.0", "other-1.0.jar")]
    [InlineData("1.0", "demo-1.0")]
    [InlineData("1.0", "demo-1.0-.jar")]
    [InlineData("1.0", "demo-2.0.jar")]
    [InlineData("1.0-SNAPSHOT", "demo-1.0-2026.jar")]
    public void SplitMavenFileName_RefusesNamesOffTheLayout(string version, string fileName)
    {
        Assert.Null(PackageService.SplitMavenFileName(Artifact, version, fileName));
    }
}
