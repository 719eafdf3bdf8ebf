using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Formats;

namespace CodeArtifact.Core.Tests.Formats;

public sealed class PypiFormatTests
{
    private const string WheelFixture = "Tiny_Demo-1.2.0rc1-py3-none-any.whl";
    private const string SdistFixture = "Tiny-Demo-1.2.0rc1.tar.gz";
    private const string ZipSdistFixture = "Tiny-Demo-1.2.0rc1.zip";

    private static readonly PypiFormat s_format = new();

    // ---- identity ----

    [Fact]
    public void Format_IsPypiWithMultipleAssets()
    {
        Assert.Equal("pypi", s_format.Name);
        Assert.True(s_format.AllowsMultipleAssets);
    }

    [Theory]
    [InlineData("Friendly-Bard")]
    [InlineData("FRIENDLY-BARD")]
    [InlineData("friendly.bard")]
    [InlineData("friendly_bard")]
    [InlineData("friendly--bard")]
    [InlineData("FrIeNdLy-._.-bArD")]
    public void NormalizeName_FollowsPep503(string name) => Assert.Equal("friendly-bard", s_format.NormalizeName(name));

    [Theory]
    [InlineData("Django", "django")]
    [InlineData("zope.interface", "zope-interface")]
    [InlineData("A", "a")]
    [InlineData("Tiny_Demo", "tiny-demo")]
    public void NormalizeName_LowersAndCollapsesSeparators(string name, string expected) => Assert.Equal(expected, s_format.NormalizeName(name));

    [Fact]
    public void NormalizeName_DoesNotFoldNonAsciiLettersOntoAscii() =>
        Assert.Equal("\u212Aelvin", s_format.NormalizeName("\u212Aelvin"));

    [Theory]
    [InlineData("a")]
    [InlineData("Z9")]
    [InlineData("Friendly-Bard")]
    [InlineData("zope.interface")]
    [InlineData("tiny_demo")]
    [InlineData("a-_.b")]
    public void CheckName_AcceptsPep508Names(string name) => Assert.Null(s_format.CheckName(null, name));

    [Theory]
    [InlineData("")]
    [InlineData("-demo")]
    [InlineData("demo-")]
    [InlineData(".demo")]
    [InlineData("demo_")]
    [InlineData("de mo")]
    [InlineData("demo!")]
    [InlineData("démo")]
    [InlineData("\u212Aelvin")]
    [InlineData("demo\n")]
    [InlineData("@scope/demo")]
    public void CheckName_RejectsNamesOutsidePep508(string name) =>
        Assert.Equal(ErrorCodes.InvalidPackageName, s_format.CheckName(null, name)?.Code);

    [Fact]
    public void CheckName_RejectsNamesLongerThan255Characters()
    {
        Assert.Null(s_format.CheckName(null, new string('a', 255)));
        Assert.Equal(ErrorCodes.InvalidPackageName, s_format.CheckName(null, new string('a', 256))?.Code);
    }

    [Fact]
    public void CheckName_RejectsAnyNamespace()
    {
        Assert.Null(s_format.CheckName("", "demo"));
        Assert.Equal(ErrorCodes.InvalidPackageName, s_format.CheckName("acme", "demo")?.Code);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("acme")]
    public void NormalizeNamespace_IsAlwaysEmpty(string? @namespace) => Assert.Equal("", s_format.NormalizeNamespace(@namespace));

    [Theory]
    [InlineData("1.0.0-RC1", "1.0.0rc1")]
    [InlineData("1.0-post1", "1.0.post1")]
    [InlineData("v1.0", "1.0")]
    [InlineData("V1.0", "1.0")]
    [InlineData("1.0.0.dev0", "1.0.0.dev0")]
    [InlineData("1!2.0", "1!2.0")]
    [InlineData("0!1.0", "1.0")]
    [InlineData("1.0+Local.1", "1.0+local.1")]
    [InlineData("1.0+ubuntu-1", "1.0+ubuntu.1")]
    [InlineData("1.0+ubuntu_1", "1.0+ubuntu.1")]
    [InlineData("1.0+abc.007", "1.0+abc.7")]
    [InlineData("01.02.003", "1.2.3")]
    [InlineData(" 1.0 ", "1.0")]
    [InlineData("1.1RC1", "1.1rc1")]
    [InlineData("1.1.a1", "1.1a1")]
    [InlineData("1.1-a1", "1.1a1")]
    [InlineData("1.0a.1", "1.0a1")]
    [InlineData("1.0alpha1", "1.0a1")]
    [InlineData("1.0beta2", "1.0b2")]
    [InlineData("1.0c1", "1.0rc1")]
    [InlineData("1.0pre1", "1.0rc1")]
    [InlineData("1.0preview1", "1.0rc1")]
    [InlineData("1.0a", "1.0a0")]
    [InlineData("1.0a01", "1.0a1")]
    [InlineData("2.1_rc_2", "2.1rc2")]
    [InlineData("1.2post2", "1.2.post2")]
    [InlineData("1.2.post-2", "1.2.post2")]
    [InlineData("1.2.post", "1.2.post0")]
    [InlineData("1.0-r4", "1.0.post4")]
    [InlineData("1.0rev4", "1.0.post4")]
    [InlineData("1.0-1", "1.0.post1")]
    [InlineData("1.2-dev2", "1.2.dev2")]
    [InlineData("1.2dev2", "1.2.dev2")]
    [InlineData("1.2.dev", "1.2.dev0")]
    [InlineData("1.0rc1.post2.dev3+g1234", "1.0rc1.post2.dev3+g1234")]
    [InlineData("2012.10", "2012.10")]
    public void NormalizeVersion_ReturnsThePep440NormalForm(string version, string expected)
    {
        var outcome = s_format.NormalizeVersion(version);

        Assert.Null(outcome.Failure);
        Assert.Equal(expected, outcome.Value);
    }

    [Theory]
    [InlineData("1.0.0-beta-2-x")]
    [InlineData("latest")]
    [InlineData("")]
    [InlineData("v")]
    [InlineData("1.0.")]
    [InlineData(".1")]
    [InlineData("1..0")]
    [InlineData("1.0+")]
    [InlineData("1.0+local!")]
    [InlineData("1.0+ubuntu 1")]
    [InlineData("1.0 1")]
    [InlineData("1.0a1b1")]
    [InlineData("1.0.dev0a1")]
    [InlineData("1.0-1-1")]
    [InlineData("!1.0")]
    [InlineData("1.0+\u212A")]
    [InlineData("1.\u0661")]
    public void NormalizeVersion_RejectsWhatPep440DoesNot(string version) =>
        Assert.Equal(ErrorCodes.InvalidPackageVersion, s_format.NormalizeVersion(version).Failure?.Code);

    [Fact]
    public void NormalizeVersion_RejectsVersionsLongerThan255Characters() =>
        Assert.Equal(ErrorCodes.InvalidPackageVersion, s_format.NormalizeVersion("1." + new string('0', 254)).Failure?.Code);

    private static readonly string[] s_pep440Order =
    [
        "1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12", "1.0b1.dev456", "1.0b2", "1.0b2.post345.dev456",
        "1.0b2.post345", "1.0rc1.dev456", "1.0rc1", "1.0", "1.0+abc.5", "1.0+abc.7", "1.0+5", "1.0.post456.dev34",
        "1.0.post456", "1.0.15", "1.1.dev1",
    ];

    [Fact]
    public void CompareVersions_OrdersThePep440Examples()
    {
        for (var i = 0; i < s_pep440Order.Length; i++)
        {
            for (var j = 0; j < s_pep440Order.Length; j++)
            {
                var expected = i.CompareTo(j);
                Assert.True(Math.Sign(s_format.CompareVersions(s_pep440Order[i], s_pep440Order[j])) == expected,
                    $"{s_pep440Order[i]} vs {s_pep440Order[j]}: expected {expected}");
            }
        }
    }

    [Fact]
    public void CompareVersions_SortsAShuffledListIntoPep440Order()
    {
        var shuffled = s_pep440Order.Reverse().ToList();
        (shuffled[2], shuffled[9]) = (shuffled[9], shuffled[2]);

        shuffled.Sort(s_format.CompareVersions);

        Assert.Equal(s_pep440Order, shuffled);
    }

    [Theory]
    [InlineData("1.0", "1.0.0", 0)]
    [InlineData("1.0", "1.0.0.0", 0)]
    [InlineData("1.0a0", "1.0a", 0)]
    [InlineData("1.0.dev0", "1.0a0", -1)]
    [InlineData("1.0.dev0", "1.0.post0.dev0", -1)]
    [InlineData("1.0.post1.dev0", "1.0.post1", -1)]
    [InlineData("1.0rc1", "1.0c2", -1)]
    [InlineData("1!1.0", "2.0", 1)]
    [InlineData("2.0", "10.0", -1)]
    [InlineData("1.9", "1.10", -1)]
    [InlineData("1.99999999999999999999999", "1.9", 1)]
    [InlineData("1.0+abc", "1.0+abc.1", -1)]
    [InlineData("1.0+abc", "1.0+ABD", -1)]
    [InlineData("1.0+1", "1.0+abc", 1)]
    [InlineData("1.0+010", "1.0+9", 1)]
    [InlineData("1.0+local", "1.0.post0", -1)]
    [InlineData("latest", "0.0.dev0", -1)]
    [InlineData("beta", "alpha", 1)]
    public void CompareVersions_FollowsPep440(string left, string right, int expected)
    {
        Assert.Equal(expected, Math.Sign(s_format.CompareVersions(left, right)));
        Assert.Equal(-expected, Math.Sign(s_format.CompareVersions(right, left)));
    }

    [Theory]
    [InlineData("Tiny_Demo-1.2.0rc1-py3-none-any.whl", true)]
    [InlineData("anything.whl", true)]
    [InlineData("Tiny-Demo-1.2.0rc1.tar.gz", true)]
    [InlineData("tiny_demo-1.2.0rc1.tar.gz", true)]
    [InlineData("demo-1.0.zip", true)]
    [InlineData("demo-1.0-1.zip", true)]
    [InlineData("backup.tar.gz", false)]
    [InlineData("site-latest.tar.gz", false)]
    [InlineData("archive.zip", false)]
    [InlineData("-1.0.zip", false)]
    [InlineData("demo-1.0.tar.bz2", false)]
    [InlineData("demo-1.0.egg", false)]
    [InlineData("demo-1.0.TAR.GZ", false)]
    [InlineData("demo-1.0.tgz", false)]
    [InlineData("", false)]
    public void Recognizes_WheelsAlwaysAndSdistsOnlyByTheirNamePattern(string fileName, bool expected) =>
        Assert.Equal(expected, s_format.Recognizes(fileName));

    // ---- fixtures built by setuptools (see tests/fixtures/pypi/README.md) ----

    [Fact]
    public void Parse_SetuptoolsWheel_ReadsNameVersionAndAssetName()
    {
        var asset = ParseFixture(WheelFixture);

        Assert.Null(asset.Namespace);
        Assert.Equal("Tiny-Demo", asset.Name);
        Assert.Equal("1.2.0rc1", asset.Version);
        Assert.Equal(WheelFixture, asset.AssetName);
    }

    [Fact]
    public void Parse_SetuptoolsWheel_ExtractsTheMetadata()
    {
        var metadata = ParseFixture(WheelFixture).Metadata!;

        Assert.Equal("Tiny-Demo", metadata.DisplayName);
        Assert.Equal("A tiny project whose wheel and sdist are PSCodeArtifact test fixtures.", metadata.Summary);
        Assert.Equal("# Tiny Demo\n\nThe long description of **Tiny-Demo**, used as the readme.\n", metadata.Description);
        Assert.Equal(metadata.Description, metadata.Readme);
        Assert.Equal("https://example.com/tiny-demo", metadata.HomePage);
        Assert.Equal("https://github.com/example/tiny-demo", metadata.SourceCodeRepository);
        Assert.Equal([new PackageLicense("MIT", null)], metadata.Licenses);
        Assert.Equal(
            [
                new PackageDependency(null, "requests", "Requires-Dist", ">=2.0"),
                new PackageDependency(null, "tomli", "Requires-Dist", ">=1.1; python_version < \"3.11\""),
            ],
            metadata.Dependencies);
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["packagetype"] = "bdist_wheel",
                ["python-version"] = "py3",
                ["metadata-version"] = "2.1",
                ["requires-python"] = ">=3.8",
                ["description-content-type"] = "text/markdown",
            },
            metadata.Properties);
    }

    [Fact]
    public void Parse_SetuptoolsWheel_KeepsTheExactMetadataBytes()
    {
        var bytes = File.ReadAllBytes(FixturePath(WheelFixture));
        using var zip = new ZipArchive(new MemoryStream(bytes));
        using var entry = new MemoryStream();
        using (var stream = zip.GetEntry("Tiny_Demo-1.2.0rc1.dist-info/METADATA")!.Open()) stream.CopyTo(entry);

        Assert.Equal(entry.ToArray(), ParseFixture(WheelFixture).Manifest);
    }

    [Theory]
    [InlineData(SdistFixture)]
    [InlineData(ZipSdistFixture)]
    public void Parse_SetuptoolsSdist_ReadsPkgInfo(string fileName)
    {
        var asset = ParseFixture(fileName);

        Assert.Equal("Tiny-Demo", asset.Name);
        Assert.Equal("1.2.0rc1", asset.Version);
        Assert.Equal(fileName, asset.AssetName);
        var metadata = asset.Metadata!;
        Assert.Equal("Tiny-Demo", metadata.DisplayName);
        Assert.StartsWith("# Tiny Demo", metadata.Readme);
        Assert.Equal("https://github.com/example/tiny-demo", metadata.SourceCodeRepository);
        Assert.Equal("sdist", metadata.Properties["packagetype"]);
        Assert.Equal("source", metadata.Properties["python-version"]);
        Assert.Equal(">=3.8", metadata.Properties["requires-python"]);
        // setuptools 66 writes Metadata-Version 2.1 PKG-INFO without Requires-Dist (those live in requires.txt).
        Assert.Empty(metadata.Dependencies);
        Assert.StartsWith("Metadata-Version: 2.1\nName: Tiny-Demo\n", Encoding.UTF8.GetString(asset.Manifest!));
    }

    [Fact]
    public void Parse_WithKnownCoordinatesThatAgreeAfterNormalisation_Succeeds()
    {
        var outcome = Parse(File.ReadAllBytes(FixturePath(WheelFixture)), WheelFixture, new PackageCoordinates(null, "tiny.demo", "1.2.0-RC1"));

        Assert.Null(outcome.Failure);
    }

    [Theory]
    [InlineData(null, "other", null, ErrorCodes.PackageFileMismatch)]
    [InlineData(null, null, "1.2.0", ErrorCodes.PackageFileMismatch)]
    [InlineData(null, null, "not a version", ErrorCodes.PackageFileMismatch)]
    [InlineData("acme", null, null, ErrorCodes.InvalidPackageName)]
    public void Parse_WithKnownCoordinatesThatDisagree_Fails(string? @namespace, string? name, string? version, string code)
    {
        var outcome = Parse(File.ReadAllBytes(FixturePath(WheelFixture)), WheelFixture, new PackageCoordinates(@namespace, name, version));

        Assert.Equal(code, outcome.Failure?.Code);
    }

    [Fact]
    public void Parse_WhenCancelled_Throws() =>
        Assert.Throws<OperationCanceledException>(() =>
            s_format.Parse(new MemoryStream(File.ReadAllBytes(FixturePath(WheelFixture))), WheelFixture, null, new CancellationToken(true)));

    // ---- wheels made in code ----

    [Fact]
    public void Parse_MinimalWheel_Succeeds()
    {
        var outcome = Parse(Wheel(("demo-1.0.dist-info/METADATA", Metadata())), "demo-1.0-py3-none-any.whl");

        Assert.Null(outcome.Failure);
        Assert.Equal("demo", outcome.Value!.Name);
    }

    [Fact]
    public void Parse_WheelWithBuildTagAndEscapedNames_ComparesAfterNormalisation()
    {
        var metadata = Metadata(name: "Friendly.Bard", version: "1.0-post1");

        var outcome = Parse(Wheel(("friendly_bard-1.0.post1.dist-info/METADATA", metadata)), "Friendly_Bard-1.0.post1-1-cp312-cp312-manylinux_2_17_x86_64.whl");

        Assert.Null(outcome.Failure);
        Assert.Equal("Friendly.Bard", outcome.Value!.Name);
        Assert.Equal("1.0-post1", outcome.Value.Version);
        Assert.Equal("cp312", outcome.Value.Metadata!.Properties["python-version"]);
    }

    [Fact]
    public void Parse_NotAZip_IsInvalidPackageFile() =>
        AssertFails(ErrorCodes.InvalidPackageFile, Encoding.UTF8.GetBytes("this is not a zip archive at all"), "demo-1.0-py3-none-any.whl");

    [Fact]
    public void Parse_TruncatedWheel_IsInvalidPackageFile()
    {
        var bytes = File.ReadAllBytes(FixturePath(WheelFixture));

        AssertFails(ErrorCodes.InvalidPackageFile, bytes[..(bytes.Length / 2)], WheelFixture);
    }

    [Fact]
    public void Parse_WheelWithoutDistInfo_IsInvalidPackageFile() =>
        AssertFails(ErrorCodes.InvalidPackageFile, Wheel(("demo/__init__.py", ""u8.ToArray())), "demo-1.0-py3-none-any.whl");

    [Fact]
    public void Parse_WheelWithoutMetadata_IsInvalidPackageFile() =>
        AssertFails(ErrorCodes.InvalidPackageFile, Wheel(("demo-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\n"u8.ToArray())), "demo-1.0-py3-none-any.whl");

    [Fact]
    public void Parse_WheelWithMetadataOnlyInANestedFolder_IsInvalidPackageFile() =>
        AssertFails(ErrorCodes.InvalidPackageFile, Wheel(("demo/demo-1.0.dist-info/METADATA", Metadata())), "demo-1.0-py3-none-any.whl");

    [Fact]
    public void Parse_WheelWithTwoDistInfoFolders_IsInvalidPackageFile() =>
        AssertFails(ErrorCodes.InvalidPackageFile,
            Wheel(("demo-1.0.dist-info/METADATA", Metadata()), ("other-2.0.dist-info/METADATA", Metadata("other", "2.0"))),
            "demo-1.0-py3-none-any.whl");

    [Fact]
    public void Parse_WheelWithMetadataTwice_IsInvalidPackageFile() =>
        AssertFails(ErrorCodes.InvalidPackageFile,
            Wheel(("demo-1.0.dist-info/METADATA", Metadata()), ("demo-1.0.dist-info/METADATA", Metadata("evil"))),
            "demo-1.0-py3-none-any.whl");

    [Theory]
    [InlineData("Metadata-Version: 2.1\nVersion: 1.0\n")]
    [InlineData("Metadata-Version: 2.1\nName: demo\n")]
    [InlineData("Metadata-Version: 2.1\nName:\nVersion: 1.0\n")]
    [InlineData("Name: demo\nVersion: 1.0\n")]
    [InlineData("Metadata-Version: 2.1\nName: demo\nName: demo\nVersion: 1.0\n")]
    [InlineData("")]
    public void Parse_MetadataWithoutASingleNameVersionOrMetadataVersion_IsInvalidPackageFile(string metadata) =>
        AssertFails(ErrorCodes.InvalidPackageFile, Wheel(("demo-1.0.dist-info/METADATA", Encoding.UTF8.GetBytes(metadata))), "demo-1.0-py3-none-any.whl");

    [Theory]
    [InlineData(" Name: demo\n")]
    [InlineData("Metadata-Version: 2.1\nthis line is no header\nName: demo\nVersion: 1.0\n")]
    public void Parse_MetadataWithMalformedHeaders_IsInvalidPackageFile(string metadata) =>
        AssertFails(ErrorCodes.InvalidPackageFile, Wheel(("demo-1.0.dist-info/METADATA", Encoding.UTF8.GetBytes(metadata))), "demo-1.0-py3-none-any.whl");

    [Fact]
    public void Parse_MetadataThatIsNotUtf8_IsInvalidPackageFile()
    {
        // "Summary: café" in Latin-1.
        byte[] metadata = [.. Metadata(), .. "Summary: caf"u8, 0xE9, (byte)'\n'];

        AssertFails(ErrorCodes.InvalidPackageFile, Wheel(("demo-1.0.dist-info/METADATA", metadata)), "demo-1.0-py3-none-any.whl");
    }

    [Theory]
    [InlineData("other-1.0-py3-none-any.whl")]
    [InlineData("demo-1.1-py3-none-any.whl")]
    [InlineData("demo-1.0.post0-py3-none-any.whl")]
    public void Parse_WheelFileNameDisagreeingWithMetadata_IsPackageFileMismatch(string fileName) =>
        AssertFails(ErrorCodes.PackageFileMismatch, Wheel(("demo-1.0.dist-info/METADATA", Metadata())), fileName);

    [Theory]
    [InlineData("other-1.0.dist-info/METADATA")]
    [InlineData("demo-2.0.dist-info/METADATA")]
    [InlineData("demo.dist-info/METADATA")]
    public void Parse_DistInfoFolderDisagreeingWithMetadata_IsPackageFileMismatch(string entry) =>
        AssertFails(ErrorCodes.PackageFileMismatch, Wheel((entry, Metadata())), "demo-1.0-py3-none-any.whl");

    [Theory]
    [InlineData("demo-1.0-py3.whl")]
    [InlineData("demo-1.0-none-any.whl")]
    [InlineData(".whl")]
    [InlineData("demo-1.0-1-2-py3-none-any.whl")]
    [InlineData("demo-1.0--py3-none-any.whl")]
    [InlineData("demo-1.0-x1-py3-none-any.whl")]
    public void Parse_MalformedWheelFileName_IsInvalidPackageFile(string fileName) =>
        AssertFails(ErrorCodes.InvalidPackageFile, Wheel(("demo-1.0.dist-info/METADATA", Metadata())), fileName);

    [Theory]
    [InlineData("dir/demo-1.0-py3-none-any.whl")]
    [InlineData("..\\demo-1.0-py3-none-any.whl")]
    [InlineData("demo-1.0-py3-none-any.exe")]
    [InlineData("")]
    public void Parse_UnusableFileName_IsInvalidPackageFile(string fileName) =>
        AssertFails(ErrorCodes.InvalidPackageFile, Wheel(("demo-1.0.dist-info/METADATA", Metadata())), fileName);

    [Theory]
    [InlineData("demo!", "demo!-1.0-py3-none-any.whl")]
    [InlineData("-demo", "demo-1.0-py3-none-any.whl")]
    [InlineData("de mo", "demo-1.0-py3-none-any.whl")]
    [InlineData("demo", "demo!-1.0-py3-none-any.whl")]
    public void Parse_InvalidName_IsInvalidPackageName(string name, string fileName) =>
        AssertFails(ErrorCodes.InvalidPackageName, Wheel(("demo-1.0.dist-info/METADATA", Metadata(name))), fileName);

    [Theory]
    [InlineData("1.0.0-beta-2-x", "demo-1.0-py3-none-any.whl")]
    [InlineData("latest", "demo-1.0-py3-none-any.whl")]
    [InlineData("1.0", "demo-latest-py3-none-any.whl")]
    public void Parse_InvalidVersion_IsInvalidPackageVersion(string version, string fileName) =>
        AssertFails(ErrorCodes.InvalidPackageVersion, Wheel(("demo-1.0.dist-info/METADATA", Metadata(version: version))), fileName);

    [Theory]
    [InlineData("../evil")]
    [InlineData("demo/../../evil")]
    [InlineData("/abs")]
    [InlineData("\\abs")]
    [InlineData("C:/abs")]
    public void Parse_WheelWithUnsafeEntryName_IsInvalidPackageFile(string entry) =>
        AssertFails(ErrorCodes.InvalidPackageFile,
            Wheel(("demo-1.0.dist-info/METADATA", Metadata()), (entry, "x"u8.ToArray())),
            "demo-1.0-py3-none-any.whl");

    [Fact]
    public void Parse_WheelThatIsAZipBomb_IsInvalidPackageFile()
    {
        // 128 MiB of zeros deflate to about 128 KiB, streamed so the test never holds them: far past SafeArchive's ratio cap.
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            using (var stream = zip.CreateEntry("demo-1.0.dist-info/METADATA").Open()) stream.Write(Metadata());
            using var zeros = zip.CreateEntry("demo/zeros.bin", CompressionLevel.Optimal).Open();
            WriteZeros(zeros, 128L * 1024 * 1024);
        }
        Assert.True(buffer.Length < 1024 * 1024, $"the bomb should be small, not {buffer.Length} bytes");

        AssertFails(ErrorCodes.InvalidPackageFile, buffer.ToArray(), "demo-1.0-py3-none-any.whl");
    }

    [Fact]
    public void Parse_MetadataLargerThanTheManifestLimit_IsInvalidPackageFile()
    {
        var metadata = Metadata(body: new string('x', PackageLimits.MaxManifestBytes));

        AssertFails(ErrorCodes.InvalidPackageFile, Wheel(("demo-1.0.dist-info/METADATA", metadata)), "demo-1.0-py3-none-any.whl");
    }

    [Fact]
    public void Parse_MetadataJustUnderTheManifestLimit_Succeeds()
    {
        var head = Metadata();
        var metadata = Metadata(body: new string('x', PackageLimits.MaxManifestBytes - head.Length - 1));

        var outcome = Parse(Wheel(("demo-1.0.dist-info/METADATA", metadata)), "demo-1.0-py3-none-any.whl");

        Assert.Null(outcome.Failure);
        Assert.Equal(PackageLimits.MaxManifestBytes, outcome.Value!.Manifest!.Length);
    }

    [Fact]
    public void Parse_RequiresDistForms_BecomeDependencies()
    {
        var metadata = Metadata(headers: """
            Requires-Dist: requests (>=2.0)
            Requires-Dist: tomli>=1.1; python_version < "3.11"
            Requires-Dist: Foo.Bar[socks, http2] >=1.0,<2 ; extra == "net"
            Requires-Dist: plain
            Requires-Dist: pkg @ https://example.com/a;b.whl ; os_name == "nt"
            """);

        var dependencies = ParseWheelMetadata(metadata).Dependencies;

        Assert.Equal(
            [
                new PackageDependency(null, "requests", "Requires-Dist", ">=2.0"),
                new PackageDependency(null, "tomli", "Requires-Dist", ">=1.1; python_version < \"3.11\""),
                new PackageDependency(null, "Foo.Bar", "Requires-Dist", "[socks,http2]>=1.0,<2; extra == \"net\""),
                new PackageDependency(null, "plain", "Requires-Dist", ""),
                new PackageDependency(null, "pkg", "Requires-Dist", "@ https://example.com/a;b.whl; os_name == \"nt\""),
            ],
            dependencies);
    }

    [Theory]
    [InlineData(">=1.0")]
    [InlineData("[extra]>=1.0")]
    [InlineData("demo2[extra>=1.0")]
    public void Parse_RequiresDistThatIsNotPep508_IsInvalidPackageFile(string requirement) =>
        AssertFails(ErrorCodes.InvalidPackageFile,
            Wheel(("demo-1.0.dist-info/METADATA", Metadata(headers: "Requires-Dist: " + requirement))),
            "demo-1.0-py3-none-any.whl");

    [Fact]
    public void Parse_FoldedHeadersAndCrLf_AreUnfolded()
    {
        var metadata = Encoding.UTF8.GetBytes(
            "Metadata-Version: 2.4\r\nName: demo\r\nVersion: 1.0\r\nSummary: a summary\r\n  folded onto two lines\r\n"
            + "License-Expression: MIT OR\r\n Apache-2.0\r\n\r\nBody line 1\r\nBody line 2\r\n");

        var parsed = ParseWheelMetadata(metadata);

        Assert.Equal("a summary folded onto two lines", parsed.Summary);
        Assert.Equal([new PackageLicense("MIT OR Apache-2.0", null)], parsed.Licenses);
        Assert.Equal("Body line 1\r\nBody line 2\r\n", parsed.Readme);
        Assert.Equal("2.4", parsed.Properties["metadata-version"]);
    }

    [Fact]
    public void Parse_DescriptionHeaderWithoutBody_IsTheLongDescription()
    {
        var metadata = Metadata(headers: "Description: Title\n        =====\n       |\n       |    indented\nKeywords: x");

        var parsed = ParseWheelMetadata(metadata);

        Assert.Equal("Title\n=====\n\n    indented", parsed.Description);
        Assert.Equal(parsed.Description, parsed.Readme);
    }

    [Fact]
    public void Parse_BodyWinsOverDescriptionHeader()
    {
        var parsed = ParseWheelMetadata(Metadata(headers: "Description: old", body: "new"));

        Assert.Equal("new", parsed.Description);
    }

    [Fact]
    public void Parse_UnknownPlaceholdersAndMissingFields_AreNull()
    {
        var parsed = ParseWheelMetadata(Metadata(headers: "Summary: UNKNOWN\nHome-page: UNKNOWN\nLicense: UNKNOWN\nDescription: UNKNOWN"));

        Assert.Null(parsed.Summary);
        Assert.Null(parsed.HomePage);
        Assert.Null(parsed.Description);
        Assert.Null(parsed.Readme);
        Assert.Null(parsed.SourceCodeRepository);
        Assert.Empty(parsed.Licenses);
        Assert.Empty(parsed.Dependencies);
        Assert.False(parsed.Properties.ContainsKey("requires-python"));
        Assert.False(parsed.Properties.ContainsKey("description-content-type"));
    }

    [Fact]
    public void Parse_HomePageHeader_WinsOverProjectUrl()
    {
        var parsed = ParseWheelMetadata(Metadata(headers: "Project-URL: Homepage, https://b.example\nHome-page: https://a.example"));

        Assert.Equal("https://a.example", parsed.HomePage);
    }

    [Theory]
    [InlineData("Source Code, https://src.example", "https://src.example")]
    [InlineData("Repository, https://repo.example", "https://repo.example")]
    [InlineData("source, https://src.example", "https://src.example")]
    [InlineData("Documentation, https://docs.example", null)]
    [InlineData("no comma here", null)]
    public void Parse_ProjectUrls_GiveTheSourceCodeRepository(string projectUrl, string? expected) =>
        Assert.Equal(expected, ParseWheelMetadata(Metadata(headers: "Project-URL: " + projectUrl)).SourceCodeRepository);

    [Fact]
    public void Parse_LicenseExpression_WinsOverLicenseAndClassifiers()
    {
        var parsed = ParseWheelMetadata(Metadata(headers:
            "License-Expression: Apache-2.0\nLicense: MIT\nClassifier: License :: OSI Approved :: MIT License"));

        Assert.Equal([new PackageLicense("Apache-2.0", null)], parsed.Licenses);
    }

    [Fact]
    public void Parse_LicenseTextInsteadOfAName_FallsBackToClassifiers()
    {
        var parsed = ParseWheelMetadata(Metadata(headers:
            "License: " + string.Join("\n        ", Enumerable.Repeat("Permission is hereby granted, free of charge, to any person.", 5))
            + "\nClassifier: License :: OSI Approved :: MIT License\nClassifier: License :: OSI Approved\n"
            + "Classifier: License :: OSI Approved :: Apache Software License\nClassifier: Programming Language :: Python"));

        Assert.Equal([new PackageLicense("MIT License", null), new PackageLicense("Apache Software License", null)], parsed.Licenses);
    }

    // ---- sdists made in code ----

    [Fact]
    public void Parse_MinimalTarGzSdist_Succeeds()
    {
        var outcome = Parse(TarGz(("demo-1.0/PKG-INFO", Metadata()), ("demo-1.0/setup.py", "x"u8.ToArray())), "demo-1.0.tar.gz");

        Assert.Null(outcome.Failure);
        Assert.Equal("sdist", outcome.Value!.Metadata!.Properties["packagetype"]);
    }

    [Fact]
    public void Parse_SdistWithDotSlashEntries_Succeeds() =>
        Assert.Null(Parse(TarGz(("./demo-1.0/PKG-INFO", Metadata())), "demo-1.0.tar.gz").Failure);

    [Fact]
    public void Parse_TruncatedSdist_IsInvalidPackageFile()
    {
        var bytes = File.ReadAllBytes(FixturePath(SdistFixture));

        AssertFails(ErrorCodes.InvalidPackageFile, bytes[..(bytes.Length / 2)], SdistFixture);
    }

    [Fact]
    public void Parse_SdistWithoutPkgInfo_IsInvalidPackageFile() =>
        AssertFails(ErrorCodes.InvalidPackageFile, TarGz(("demo-1.0/setup.py", "x"u8.ToArray())), "demo-1.0.tar.gz");

    [Fact]
    public void Parse_SdistWithPkgInfoOnlyInASubfolder_IsInvalidPackageFile() =>
        AssertFails(ErrorCodes.InvalidPackageFile, TarGz(("demo-1.0/src/demo.egg-info/PKG-INFO", Metadata())), "demo-1.0.tar.gz");

    [Fact]
    public void Parse_SdistWithPkgInfoTwice_IsInvalidPackageFile() =>
        AssertFails(ErrorCodes.InvalidPackageFile, TarGz(("demo-1.0/PKG-INFO", Metadata()), ("demo-1.0/PKG-INFO", Metadata("evil"))), "demo-1.0.tar.gz");

    [Theory]
    [InlineData("other-1.0/PKG-INFO")]
    [InlineData("demo-1.1/PKG-INFO")]
    [InlineData("demo/PKG-INFO")]
    public void Parse_SdistWhoseFolderDisagrees_IsPackageFileMismatch(string entry) =>
        AssertFails(ErrorCodes.PackageFileMismatch, TarGz((entry, Metadata())), "demo-1.0.tar.gz");

    [Theory]
    [InlineData("other-1.0.tar.gz")]
    [InlineData("demo-2.0.tar.gz")]
    public void Parse_SdistWhoseFileNameDisagrees_IsPackageFileMismatch(string fileName) =>
        AssertFails(ErrorCodes.PackageFileMismatch, TarGz(("demo-1.0/PKG-INFO", Metadata())), fileName);

    [Theory]
    [InlineData("demo.tar.gz", ErrorCodes.InvalidPackageFile)]
    [InlineData("demo-latest.tar.gz", ErrorCodes.InvalidPackageVersion)]
    [InlineData("demo!-1.0.tar.gz", ErrorCodes.InvalidPackageName)]
    public void Parse_SdistFileNameNotNameDashVersion_Fails(string fileName, string code) =>
        AssertFails(code, TarGz(("demo-1.0/PKG-INFO", Metadata())), fileName);

    [Fact]
    public void Parse_SdistWithTwoTopLevelFolders_IsInvalidPackageFile() =>
        AssertFails(ErrorCodes.InvalidPackageFile, TarGz(("demo-1.0/PKG-INFO", Metadata()), ("other/setup.py", "x"u8.ToArray())), "demo-1.0.tar.gz");

    [Fact]
    public void Parse_SdistWithAFileAtTheTop_IsInvalidPackageFile() =>
        AssertFails(ErrorCodes.InvalidPackageFile, TarGz(("demo-1.0/PKG-INFO", Metadata()), ("setup.py", "x"u8.ToArray())), "demo-1.0.tar.gz");

    [Theory]
    [InlineData("demo-1.0/../../evil")]
    [InlineData("/abs")]
    public void Parse_SdistWithUnsafeEntryName_IsInvalidPackageFile(string entry) =>
        AssertFails(ErrorCodes.InvalidPackageFile, TarGz(("demo-1.0/PKG-INFO", Metadata()), (entry, "x"u8.ToArray())), "demo-1.0.tar.gz");

    [Fact]
    public void Parse_SdistThatIsNotGzip_IsInvalidPackageFile() =>
        AssertFails(ErrorCodes.InvalidPackageFile, Encoding.UTF8.GetBytes("plain text, not gzip"), "demo-1.0.tar.gz");

    [Fact]
    public void Parse_SdistThatIsAGzipBomb_IsInvalidPackageFile()
    {
        // The zeros come from a stream that allocates nothing; the reader must give up while inflating, not after.
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "demo-1.0/PKG-INFO") { DataStream = new MemoryStream(Metadata()) });
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "demo-1.0/zeros.bin") { DataStream = new ZeroStream(128L * 1024 * 1024) });
        }
        Assert.True(buffer.Length < 1024 * 1024, $"the bomb should be small, not {buffer.Length} bytes");

        AssertFails(ErrorCodes.InvalidPackageFile, buffer.ToArray(), "demo-1.0.tar.gz");
    }

    [Fact]
    public void Parse_SdistPkgInfoLargerThanTheManifestLimit_IsInvalidPackageFile() =>
        AssertFails(ErrorCodes.InvalidPackageFile,
            TarGz(("demo-1.0/PKG-INFO", Metadata(body: new string('x', PackageLimits.MaxManifestBytes)))), "demo-1.0.tar.gz");

    [Fact]
    public void Parse_ZipSdistWithTwoTopLevelFolders_IsInvalidPackageFile() =>
        AssertFails(ErrorCodes.InvalidPackageFile, Wheel(("demo-1.0/PKG-INFO", Metadata()), ("other/x", "x"u8.ToArray())), "demo-1.0.zip");

    [Fact]
    public void Parse_ZipSdistWithoutPkgInfo_IsInvalidPackageFile() =>
        AssertFails(ErrorCodes.InvalidPackageFile, Wheel(("demo-1.0/setup.py", "x"u8.ToArray())), "demo-1.0.zip");

    [Fact]
    public void Parse_ZipSdistWithUnsafeEntryName_IsInvalidPackageFile() =>
        AssertFails(ErrorCodes.InvalidPackageFile, Wheel(("demo-1.0/PKG-INFO", Metadata()), ("../evil", "x"u8.ToArray())), "demo-1.0.zip");

    // ---- helpers ----

    private static Outcome<ParsedAsset> Parse(byte[] bytes, string fileName, PackageCoordinates? known = null) =>
        s_format.Parse(new MemoryStream(bytes, writable: false), fileName, known, CancellationToken.None);

    private static ParsedAsset ParseFixture(string fileName)
    {
        var outcome = Parse(File.ReadAllBytes(FixturePath(fileName)), fileName);
        Assert.Null(outcome.Failure);
        return outcome.Value!;
    }

    private static PackageMetadata ParseWheelMetadata(byte[] metadata)
    {
        var outcome = Parse(Wheel(("demo-1.0.dist-info/METADATA", metadata)), "demo-1.0-py3-none-any.whl");
        Assert.Null(outcome.Failure);
        return outcome.Value!.Metadata!;
    }

    private static void AssertFails(string code, byte[] bytes, string fileName)
    {
        var outcome = Parse(bytes, fileName);

        Assert.False(outcome.Succeeded, "the file should have been refused");
        Assert.Equal(code, outcome.Failure!.Code);
        Assert.Equal(FailureKind.Invalid, outcome.Failure.Kind);
    }

    private static byte[] Metadata(string name = "demo", string version = "1.0", string headers = "", string? body = null)
    {
        var text = new StringBuilder($"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
        if (headers.Length > 0) text.Append(headers.ReplaceLineEndings("\n")).Append('\n');
        if (body is not null) text.Append('\n').Append(body);
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>A zip with the given entries (a wheel, or a zip sdist).</summary>
    private static byte[] Wheel(params (string Name, byte[] Content)[] entries)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                using var stream = zip.CreateEntry(name).Open();
                stream.Write(content);
            }
        }
        return buffer.ToArray();
    }

    private static byte[] TarGz(params (string Name, byte[] Content)[] entries)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content) });
            }
        }
        return buffer.ToArray();
    }

    private static void WriteZeros(Stream stream, long count)
    {
        var chunk = new byte[1024 * 1024];
        for (var written = 0L; written < count; written += chunk.Length) stream.Write(chunk);
    }

    private static string FixturePath(string fileName)
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            var fixtures = Path.Combine(folder.FullName, "tests", "fixtures");
            if (Directory.Exists(fixtures)) return Path.Combine(fixtures, "pypi", fileName);
        }
        throw new DirectoryNotFoundException($"No tests/fixtures folder above {AppContext.BaseDirectory}.");
    }

    /// <summary>A seekable stream of zeros that allocates nothing, for bombs.</summary>
    private sealed class ZeroStream(long length) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position { get; set; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = (int)Math.Min(count, length - Position);
            Array.Clear(buffer, offset, read);
            Position += read;
            return read;
        }

        public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => Position + offset,
            _ => length + offset,
        };

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
