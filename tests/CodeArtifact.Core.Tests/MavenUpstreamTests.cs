using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Services;

namespace CodeArtifact.Core.Tests;

/// <summary>
/// Maven through upstream repositories and an external connection: the remote adapter (metadata, .sha1, SNAPSHOTs), merged
/// artifact metadata, downloads that retain and ingest, and the dependency-confusion check on a deploy. The remote is a small
/// HTTP server serving fixed files in the repository layout.
/// </summary>
public sealed class MavenUpstreamTests : UpstreamFixture
{
    private const string Domain = "corp";
    private const string Group = "org.example";
    private const string Remote = "remote-lib";

    public MavenUpstreamTests()
        : base(Domain, "/maven/registry/", "store", "team", "app")
    {
        Connect("store", "public:maven", "maven", Registry.BaseUri);
    }

    // ------------------------------------------------------------------ fixtures

    private static byte[] Pom(string artifact, string version) => Encoding.UTF8.GetBytes($"""
        <project xmlns="http://maven.apache.org/POM/4.0.0">
          <modelVersion>4.0.0</modelVersion>
          <groupId>{Group}</groupId><artifactId>{artifact}</artifactId><version>{version}</version>
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

    private static string Sha1(byte[] bytes) => Convert.ToHexStringLower(SHA1.HashData(bytes));

    private static string RemoteMetadata(string artifact, string lastUpdated, params string[] versions) =>
        $"<metadata><groupId>{Group}</groupId><artifactId>{artifact}</artifactId><versioning><release>{versions[^1]}</release><versions>"
        + string.Concat(versions.Select(v => $"<version>{v}</version>")) + $"</versions><lastUpdated>{lastUpdated}</lastUpdated></versioning></metadata>";

    private static string ArtifactPath(string artifact) => $"org/example/{artifact}";

    /// <summary>Puts a release on the remote: POM and jar, each with its .sha1 unless told otherwise.</summary>
    private (byte[] Pom, byte[] Jar) ServeRemoteRelease(string artifact, string version, bool withChecksums = true, string jarContent = "remote")
    {
        var (pom, jar) = (Pom(artifact, version), Jar(jarContent));
        var folder = $"{ArtifactPath(artifact)}/{version}/{artifact}-{version}";
        Registry.Serve($"{folder}.pom", pom);
        Registry.Serve($"{folder}.jar", jar);
        if (withChecksums)
        {
            Registry.Serve($"{folder}.pom.sha1", $"{Sha1(pom)}  {artifact}-{version}.pom\n");
            Registry.Serve($"{folder}.jar.sha1", Sha1(jar).ToUpperInvariant());
        }
        return (pom, jar);
    }

    private async Task Deploy(string repository, string artifact, string version, string content = "local")
    {
        foreach (var (name, bytes) in new[] { ($"{artifact}-{version}.pom", Pom(artifact, version)), ($"{artifact}-{version}.jar", Jar(content)) })
        {
            var put = await Packages.PublishMavenFileAsync(Domain, repository, Group, artifact, version, name, new MemoryStream(bytes), CancellationToken.None);
            Assert.True(put.Succeeded, put.Failure?.Message);
        }
        var metadata = Encoding.UTF8.GetBytes($"<metadata><groupId>{Group}</groupId><artifactId>{artifact}</artifactId><versioning><versions><version>{version}</version></versions></versioning></metadata>");
        var finished = await Packages.PutMavenMetadataAsync(Domain, repository, ["org", "example", artifact], new MemoryStream(metadata), CancellationToken.None);
        Assert.True(finished.Succeeded, finished.Failure?.Message);
    }

    private UpstreamChain Chain(string artifact, string repository = "app") =>
        Packages.ResolveChain(Domain, repository, "maven", Group, artifact).Value!;

    private Task<Outcome<(AssetInfo Asset, Stream Content)>> Open(string artifact, string version, string file, string repository = "app") =>
        Packages.OpenMavenFileThroughUpstreamsAsync(Domain, repository, Group, artifact, version, file, CancellationToken.None);

    private static async Task<byte[]> ReadAll(Stream stream)
    {
        await using (stream)
        {
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer);
            return buffer.ToArray();
        }
    }

    private IReadOnlyList<PackageVersionInfo> Versions(string repository, string artifact) =>
        Packages.ListVersions(Domain, repository, "maven", Group, artifact).Value ?? [];

    // ------------------------------------------------------------------ the remote adapter

    [Fact]
    public async Task RemoteVersions_AreTheReleasesTheRemoteMetadataLists_NeverSnapshots()
    {
        Registry.Serve($"{ArtifactPath(Remote)}/maven-metadata.xml",
            RemoteMetadata(Remote, "20240102030405", "1.0", "1.1-SNAPSHOT", "1.1-20240101.120000-1", "2.0"));

        var versions = await Packages.RemoteVersionsAsync(Chain(Remote), Chain(Remote).Members[^1].External!, CancellationToken.None);

        Assert.True(versions.Succeeded, versions.Failure?.Message);
        Assert.Equal(["1.0", "2.0"], versions.Value!);
    }

    [Fact]
    public async Task RemoteVersions_RemoteWithoutTheArtifact_IsNull()
    {
        var versions = await Packages.RemoteVersionsAsync(Chain(Remote), Chain(Remote).Members[^1].External!, CancellationToken.None);

        Assert.True(versions.Succeeded, versions.Failure?.Message);
        Assert.Null(versions.Value);
    }

    [Theory]
    [InlineData("<html><body>Welcome</body></html>")]
    [InlineData("{\"versions\": [\"1.0\"]}")]
    [InlineData("<metadata><groupId>org.other</groupId><artifactId>remote-lib</artifactId></metadata>")]
    [InlineData("<!DOCTYPE metadata [<!ENTITY x \"1.0\">]><metadata><versioning><versions><version>&x;</version></versions></versioning></metadata>")]
    public async Task RemoteVersions_Garbage_IsUpstreamInvalid(string document)
    {
        Registry.Serve($"{ArtifactPath(Remote)}/maven-metadata.xml", document);

        var versions = await Packages.RemoteVersionsAsync(Chain(Remote), Chain(Remote).Members[^1].External!, CancellationToken.None);

        Assert.Equal(ErrorCodes.UpstreamInvalid, versions.Failure?.Code);
        Assert.Equal(FailureKind.Unavailable, versions.Failure?.Kind);
    }

    [Fact]
    public async Task RemoteVersions_GroupLevelMetadataAtAnArtifactPath_ListsNothing()
    {
        // org/example/remote-lib/maven-metadata.xml is also where the group org.example.remote-lib keeps its plugin prefixes.
        Registry.Serve($"{ArtifactPath(Remote)}/maven-metadata.xml",
            "<metadata><groupId>org.example.remote-lib</groupId><plugins><plugin><name>x</name><prefix>x</prefix><artifactId>x-maven-plugin</artifactId></plugin></plugins></metadata>");

        var versions = await Packages.RemoteVersionsAsync(Chain(Remote), Chain(Remote).Members[^1].External!, CancellationToken.None);
        var merged = await Packages.GetMavenArtifactVersionsThroughUpstreamsAsync(Domain, "app", Group, Remote, CancellationToken.None);

        Assert.True(versions.Succeeded, versions.Failure?.Message);
        Assert.Empty(versions.Value!);
        Assert.Equal(FailureKind.NotFound, merged.Failure?.Kind);
    }

    [Fact]
    public async Task VersionMetadata_OfASnapshotOnlyTheRemoteHas_IsNotFoundWithoutAskingTheRemote()
    {
        Registry.Serve($"{ArtifactPath(Remote)}/1.0-SNAPSHOT/maven-metadata.xml",
            $"<metadata><groupId>{Group}</groupId><artifactId>{Remote}</artifactId><version>1.0-SNAPSHOT</version></metadata>");

        var snapshot = Packages.GetMavenSnapshotThroughUpstreams(Domain, "app", Group, Remote, "1.0-SNAPSHOT");
        // The endpoint then reads the directory as an artifact whose name is the version (artifact-level metadata).
        var asArtifact = await Packages.GetMavenArtifactVersionsThroughUpstreamsAsync(Domain, "app", $"{Group}.{Remote}", "1.0-SNAPSHOT", CancellationToken.None);

        Assert.Equal(ErrorCodes.PackageNotFound, snapshot.Failure?.Code);
        Assert.Equal(FailureKind.NotFound, asArtifact.Failure?.Kind);
        Assert.Empty(Registry.Requests);
    }

    [Fact]
    public async Task ArtifactMetadata_AtAReleaseDirectoryOfTheRemote_ListsNothing()
    {
        Registry.Serve($"{ArtifactPath(Remote)}/1.0/maven-metadata.xml",
            $"<metadata><groupId>{Group}</groupId><artifactId>{Remote}</artifactId><version>1.0</version></metadata>");

        var asArtifact = await Packages.GetMavenArtifactVersionsThroughUpstreamsAsync(Domain, "app", $"{Group}.{Remote}", "1.0", CancellationToken.None);

        Assert.Equal(FailureKind.NotFound, asArtifact.Failure?.Kind);
    }

    [Theory]
    [InlineData("da39a3ee5e6b4b0d3255bfef95601890afd80709", "da39a3ee5e6b4b0d3255bfef95601890afd80709")]
    [InlineData("DA39A3EE5E6B4B0D3255BFEF95601890AFD80709\n", "da39a3ee5e6b4b0d3255bfef95601890afd80709")]
    [InlineData("\n da39a3ee5e6b4b0d3255bfef95601890afd80709  demo-1.0.jar\n", "da39a3ee5e6b4b0d3255bfef95601890afd80709")]
    [InlineData("SHA1(demo-1.0.jar)= da39a3ee5e6b4b0d3255bfef95601890afd80709", "da39a3ee5e6b4b0d3255bfef95601890afd80709")]
    [InlineData("da39a3ee5e6b4b0d3255bfef95601890afd8070", null)]
    [InlineData("da39a3ee5e6b4b0d3255bfef95601890afd80709ab", null)]
    [InlineData("<html>not found</html>", null)]
    [InlineData("", null)]
    public void ParseRemoteSha1_AcceptsTheShapesToolsWrite(string content, string? expected) =>
        Assert.Equal(expected, PackageService.ParseRemoteSha1(Encoding.UTF8.GetBytes(content)));

    // ------------------------------------------------------------------ downloads: retention and ingestion

    [Fact]
    public async Task Download_RemoteOnlyFile_IsVerifiedStoredExternalInTheHolderAndRetainedInTheAskedRepository()
    {
        var (pom, jar) = ServeRemoteRelease(Remote, "1.0");

        var openedPom = await Open(Remote, "1.0", $"{Remote}-1.0.pom");
        var openedJar = await Open(Remote, "1.0", $"{Remote}-1.0.jar");

        Assert.True(openedPom.Succeeded, openedPom.Failure?.Message);
        Assert.Equal(pom, await ReadAll(openedPom.Value.Content));
        Assert.True(openedJar.Succeeded, openedJar.Failure?.Message);
        Assert.Equal(jar, await ReadAll(openedJar.Value.Content));
        Assert.Equal(Sha1(jar), openedJar.Value.Asset.Hashes["SHA-1"]);
        var stored = Assert.Single(Versions("store", Remote));
        Assert.Equal("EXTERNAL", stored.Origin.OriginType);
        Assert.Equal("public:maven", stored.Origin.DomainEntryPointExternalConnection);
        Assert.Equal("1.0", Assert.Single(Versions("app", Remote)).Version);
        Assert.Empty(Versions("team", Remote));
        Assert.Equal([$"{Remote}-1.0.jar", $"{Remote}-1.0.pom"], Packages.ListAssets(Domain, "app", "maven", Group, Remote, "1.0").Value!.Select(a => a.Name));
    }

    [Fact]
    public async Task Download_RetainedFile_IsServedWithoutAskingTheRemoteAgain()
    {
        ServeRemoteRelease(Remote, "1.0");
        Assert.True((await Open(Remote, "1.0", $"{Remote}-1.0.jar")).Succeeded);
        var before = Registry.Requests.Count;

        var again = await Open(Remote, "1.0", $"{Remote}-1.0.jar");
        var checksum = await Packages.GetMavenFileThroughUpstreamsAsync(Domain, "app", Group, Remote, "1.0", $"{Remote}-1.0.jar", CancellationToken.None);

        Assert.True(again.Succeeded, again.Failure?.Message);
        await again.Value.Content.DisposeAsync();
        Assert.True(checksum.Succeeded, checksum.Failure?.Message);
        Assert.Equal(before, Registry.Requests.Count);
    }

    [Fact]
    public async Task Checksum_OfARemoteOnlyFile_IngestsItAndComesFromTheStoredBytes()
    {
        var (_, jar) = ServeRemoteRelease(Remote, "1.0");

        var info = await Packages.GetMavenFileThroughUpstreamsAsync(Domain, "app", Group, Remote, "1.0", $"{Remote}-1.0.jar", CancellationToken.None);

        Assert.True(info.Succeeded, info.Failure?.Message);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(jar)), info.Value!.Hashes["SHA-256"]);
        Assert.Single(Versions("store", Remote));
        Assert.Single(Versions("app", Remote));
    }

    [Fact]
    public async Task Download_Sha1Mismatch_IsUpstreamInvalidAndStoresNothing()
    {
        ServeRemoteRelease(Remote, "1.0");
        Registry.Serve($"{ArtifactPath(Remote)}/1.0/{Remote}-1.0.jar.sha1", new string('0', 40));

        var opened = await Open(Remote, "1.0", $"{Remote}-1.0.jar");

        Assert.Equal(ErrorCodes.UpstreamInvalid, opened.Failure?.Code);
        Assert.Empty(Versions("store", Remote));
        Assert.Empty(Versions("app", Remote));
    }

    [Fact]
    public async Task Download_Sha1ThatIsNotADigest_IsUpstreamInvalid()
    {
        ServeRemoteRelease(Remote, "1.0");
        Registry.Serve($"{ArtifactPath(Remote)}/1.0/{Remote}-1.0.jar.sha1", "<html>sorry</html>");

        var opened = await Open(Remote, "1.0", $"{Remote}-1.0.jar");

        Assert.Equal(ErrorCodes.UpstreamInvalid, opened.Failure?.Code);
        Assert.Empty(Versions("store", Remote));
    }

    [Fact]
    public async Task Download_ListedVersionWithoutSha1_IsTakenUnverified()
    {
        var (_, jar) = ServeRemoteRelease(Remote, "1.0", withChecksums: false);
        Registry.Serve($"{ArtifactPath(Remote)}/maven-metadata.xml", RemoteMetadata(Remote, "20240102030405", "1.0"));

        var opened = await Open(Remote, "1.0", $"{Remote}-1.0.jar");

        Assert.True(opened.Succeeded, opened.Failure?.Message);
        Assert.Equal(jar, await ReadAll(opened.Value.Content));
    }

    [Fact]
    public async Task Download_VersionTheMetadataDoesNotListYet_IsTakenWhenTheRemoteHasItsSha1()
    {
        var (_, jar) = ServeRemoteRelease(Remote, "2.0");
        Registry.Serve($"{ArtifactPath(Remote)}/maven-metadata.xml", RemoteMetadata(Remote, "20240102030405", "1.0"));

        var opened = await Open(Remote, "2.0", $"{Remote}-2.0.jar");

        Assert.True(opened.Succeeded, opened.Failure?.Message);
        Assert.Equal(jar, await ReadAll(opened.Value.Content));
    }

    [Fact]
    public async Task Download_UnlistedVersionWithoutSha1_IsNotFoundAndTheFileIsNeverRequested()
    {
        ServeRemoteRelease(Remote, "2.0", withChecksums: false);
        Registry.Serve($"{ArtifactPath(Remote)}/maven-metadata.xml", RemoteMetadata(Remote, "20240102030405", "1.0"));

        var opened = await Open(Remote, "2.0", $"{Remote}-2.0.jar");

        Assert.Equal(FailureKind.NotFound, opened.Failure?.Kind);
        Assert.Equal(0, Registry.Count($"{ArtifactPath(Remote)}/2.0/{Remote}-2.0.jar"));
    }

    [Fact]
    public async Task Download_Snapshot_IsNeverIngestedFromTheRemote()
    {
        var folder = $"{ArtifactPath(Remote)}/1.0-SNAPSHOT";
        var jar = Jar("snapshot");
        Registry.Serve($"{folder}/{Remote}-1.0-20240101.120000-1.jar", jar);
        Registry.Serve($"{folder}/{Remote}-1.0-20240101.120000-1.jar.sha1", Sha1(jar));
        Registry.Serve($"{folder}/{Remote}-1.0-SNAPSHOT.jar", jar);
        Registry.Serve($"{folder}/{Remote}-1.0-SNAPSHOT.jar.sha1", Sha1(jar));

        var timestamped = await Open(Remote, "1.0-SNAPSHOT", $"{Remote}-1.0-20240101.120000-1.jar");
        var plain = await Open(Remote, "1.0-SNAPSHOT", $"{Remote}-1.0-SNAPSHOT.jar");

        Assert.Equal(FailureKind.NotFound, timestamped.Failure?.Kind);
        Assert.Equal(FailureKind.NotFound, plain.Failure?.Kind);
        Assert.Empty(Registry.Requests);
        Assert.Empty(Versions("store", Remote));
    }

    [Fact]
    public async Task Download_RemoteDownWithNothingRetained_IsUpstreamUnavailable()
    {
        Registry.Stop();

        var opened = await Open(Remote, "1.0", $"{Remote}-1.0.jar");

        Assert.Equal(ErrorCodes.UpstreamUnavailable, opened.Failure?.Code);
        Assert.Equal(FailureKind.Unavailable, opened.Failure?.Kind);
    }

    [Fact]
    public async Task Download_FileOnlyTeamHas_IsRetainedInAppButNotInStore()
    {
        await Deploy("team", "team-util", "1.0", "team");

        var opened = await Open("team-util", "1.0", "team-util-1.0.jar");

        Assert.True(opened.Succeeded, opened.Failure?.Message);
        await opened.Value.Content.DisposeAsync();
        Assert.Equal("INTERNAL", Assert.Single(Versions("app", "team-util")).Origin.OriginType);
        Assert.Empty(Versions("store", "team-util"));
    }

    [Fact]
    public async Task Download_OldSnapshotBuildOfAnUpstream_IsFoundInItsBuildVersion()
    {
        const string artifact = "team-snap";
        var jars = new Dictionary<int, byte[]> { [1] = Jar("build 1"), [2] = Jar("build 2") };
        async Task DeployBuild(int build)
        {
            var value = $"1.0-20240101.12000{build}-{build}";
            foreach (var (name, bytes) in new[] { ($"{artifact}-{value}.pom", Pom(artifact, "1.0-SNAPSHOT")), ($"{artifact}-{value}.jar", jars[build]) })
            {
                var put = await Packages.PublishMavenFileAsync(Domain, "team", Group, artifact, "1.0-SNAPSHOT", name, new MemoryStream(bytes), CancellationToken.None);
                Assert.True(put.Succeeded, put.Failure?.Message);
            }
            var finished = await Packages.FinishMavenVersionAsync(Domain, "team", Group, artifact, "1.0-SNAPSHOT", null, CancellationToken.None);
            Assert.True(finished.Succeeded, finished.Failure?.Message);
        }
        await DeployBuild(1);
        await DeployBuild(2);

        var old = await Open(artifact, "1.0-SNAPSHOT", $"{artifact}-1.0-20240101.120001-1.jar");
        var snapshot = Packages.GetMavenSnapshotThroughUpstreams(Domain, "app", Group, artifact, "1.0-SNAPSHOT");

        Assert.True(old.Succeeded, old.Failure?.Message);
        Assert.Equal(jars[1], await ReadAll(old.Value.Content));
        Assert.True(snapshot.Succeeded, snapshot.Failure?.Message);
        Assert.Equal(2, snapshot.Value!.BuildNumber);
    }

    // ------------------------------------------------------------------ merged metadata

    [Fact]
    public async Task MergedMetadata_UnionsTheChainAndTheRemote_WithLatestReleaseAndLastUpdatedRecomputed()
    {
        Registry.Serve($"{ArtifactPath(Remote)}/maven-metadata.xml", RemoteMetadata(Remote, "20300102030405", "1.0", "2.0"));
        // team takes the package as its own for a version the remote does not have (ALLOW/ALLOW: only reachable versions are refused).
        Assert.True(Packages.SetOriginConfiguration(Domain, "team", "maven", Group, Remote, "ALLOW", "ALLOW").Succeeded);
        await Deploy("team", Remote, "1.5");
        await Deploy("team", Remote, "3.0-SNAPSHOT");

        var merged = await Packages.GetMavenArtifactVersionsThroughUpstreamsAsync(Domain, "app", Group, Remote, CancellationToken.None);

        Assert.True(merged.Succeeded, merged.Failure?.Message);
        Assert.Equal(["1.0", "1.5", "2.0", "3.0-SNAPSHOT"], merged.Value!.Versions);
        Assert.Equal("2.0", merged.Value.Release);
        Assert.Equal("3.0-SNAPSHOT", merged.Value.Latest);
        Assert.Equal(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero), merged.Value.LastUpdated);
    }

    [Fact]
    public async Task MergedMetadata_FirstHolderDecides_AnUnfinishedCopyHidesTheRemoteVersion()
    {
        Registry.Serve($"{ArtifactPath(Remote)}/maven-metadata.xml", RemoteMetadata(Remote, "20240102030405", "1.0", "2.0"));
        Assert.True(Packages.SetOriginConfiguration(Domain, "team", "maven", Group, Remote, "ALLOW", "ALLOW").Succeeded);
        // A deploy of 3.0 in progress in team (Unfinished), then the remote publishes 3.0 too.
        var put = await Packages.PublishMavenFileAsync(Domain, "team", Group, Remote, "3.0", $"{Remote}-3.0.pom", new MemoryStream(Pom(Remote, "3.0")),
            CancellationToken.None);
        Assert.True(put.Succeeded, put.Failure?.Message);
        Registry.Serve($"{ArtifactPath(Remote)}/maven-metadata.xml", RemoteMetadata(Remote, "20240102030405", "1.0", "2.0", "3.0"));
        Store.Remote.Clear();

        var merged = await Packages.GetMavenArtifactVersionsThroughUpstreamsAsync(Domain, "app", Group, Remote, CancellationToken.None);

        Assert.Equal(["1.0", "2.0"], merged.Value!.Versions);
    }

    [Fact]
    public async Task MergedMetadata_UpstreamBlock_HidesEverythingBehindTheRepository()
    {
        Registry.Serve($"{ArtifactPath(Remote)}/maven-metadata.xml", RemoteMetadata(Remote, "20240102030405", "1.0"));
        Assert.True((await Packages.GetMavenArtifactVersionsThroughUpstreamsAsync(Domain, "app", Group, Remote, CancellationToken.None)).Succeeded);

        Assert.True(Packages.SetOriginConfiguration(Domain, "app", "maven", Group, Remote, "ALLOW", "BLOCK").Succeeded);
        var blocked = await Packages.GetMavenArtifactVersionsThroughUpstreamsAsync(Domain, "app", Group, Remote, CancellationToken.None);
        var file = await Open(Remote, "1.0", $"{Remote}-1.0.pom");

        Assert.Equal(FailureKind.NotFound, blocked.Failure?.Kind);
        Assert.Equal(FailureKind.NotFound, file.Failure?.Kind);
    }

    [Fact]
    public async Task MergedMetadata_RemoteDown_ServesWhatTheRepositoriesHold_AndFailsOnlyWhenNothingIsListed()
    {
        await Deploy("team", "team-util", "1.0");
        Registry.Stop();

        var partial = await Packages.GetMavenArtifactVersionsThroughUpstreamsAsync(Domain, "app", Group, "team-util", CancellationToken.None);
        var nothing = await Packages.GetMavenArtifactVersionsThroughUpstreamsAsync(Domain, "app", Group, Remote, CancellationToken.None);

        Assert.True(partial.Succeeded, partial.Failure?.Message);
        Assert.Equal(["1.0"], partial.Value!.Versions);
        Assert.Equal(ErrorCodes.UpstreamUnavailable, nothing.Failure?.Code);
    }

    [Fact]
    public async Task MergedMetadata_RemoteWithoutTheArtifactAndNothingLocal_IsNotFound()
    {
        var merged = await Packages.GetMavenArtifactVersionsThroughUpstreamsAsync(Domain, "app", Group, "nowhere", CancellationToken.None);

        Assert.Equal(FailureKind.NotFound, merged.Failure?.Kind);
    }

    [Fact]
    public async Task MergedMetadata_ConcurrentFirstRequests_AskTheRemoteOnce()
    {
        Registry.Serve($"{ArtifactPath(Remote)}/maven-metadata.xml", RemoteMetadata(Remote, "20240102030405", "1.0"));
        Registry.Delay = TimeSpan.FromMilliseconds(300);

        var all = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            Task.Run(() => Packages.GetMavenArtifactVersionsThroughUpstreamsAsync(Domain, "app", Group, Remote, CancellationToken.None))));

        Assert.All(all, merged => Assert.Equal(["1.0"], merged.Value!.Versions));
        Assert.Equal(1, Registry.Count($"{ArtifactPath(Remote)}/maven-metadata.xml"));
    }

    // ------------------------------------------------------------------ dependency confusion

    [Fact]
    public async Task Deploy_OfAnArtifactTheRemoteHas_IsRefusedUntilTheOriginConfigurationAllowsIt()
    {
        Registry.Serve($"{ArtifactPath(Remote)}/maven-metadata.xml", RemoteMetadata(Remote, "20240102030405", "1.0"));

        var refused = await Packages.PublishMavenFileAsync(Domain, "app", Group, Remote, "9.0", $"{Remote}-9.0.pom", new MemoryStream(Pom(Remote, "9.0")),
            CancellationToken.None);
        Assert.Equal(ErrorCodes.PackageReachableUpstream, refused.Failure?.Code);
        Assert.Equal(FailureKind.Conflict, refused.Failure?.Kind);
        Assert.Contains("public:maven", refused.Failure!.Message, StringComparison.Ordinal);

        Assert.True(Packages.SetOriginConfiguration(Domain, "app", "maven", Group, Remote, "ALLOW", "BLOCK").Succeeded);
        await Deploy("app", Remote, "9.0");
        var merged = await Packages.GetMavenArtifactVersionsThroughUpstreamsAsync(Domain, "app", Group, Remote, CancellationToken.None);
        Assert.Equal(["9.0"], merged.Value!.Versions);
    }

    [Fact]
    public async Task Deploy_OfASnapshotOnlyTheRemoteLists_IsNotDependencyConfusion()
    {
        Registry.Serve($"{ArtifactPath("snap-only")}/maven-metadata.xml", RemoteMetadata("snap-only", "20240102030405", "1.0-SNAPSHOT"));

        var put = await Packages.PublishMavenFileAsync(Domain, "app", Group, "snap-only", "1.0", "snap-only-1.0.pom", new MemoryStream(Pom("snap-only", "1.0")),
            CancellationToken.None);

        Assert.True(put.Succeeded, put.Failure?.Message);
    }
}
