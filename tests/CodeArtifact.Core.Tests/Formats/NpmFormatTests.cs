using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Formats;

namespace CodeArtifact.Core.Tests.Formats;

public sealed class NpmFormatTests
{
    private const string MinimalJson = """{"name":"tiny","version":"1.0.0"}""";

    private const int NpmNameLimit = 214;

    private readonly NpmFormat _format = new();

    // ---- fixtures made by `npm pack` (see tests/fixtures/npm/README.md) ----

    [Fact]
    public void Parse_UnscopedFixture_ReadsCoordinatesAndNamesTheAssetLikeNpm()
    {
        var asset = ParseFixture("demo-lib-1.2.3.tgz");

        Assert.Null(asset.Namespace);
        Assert.Equal("demo-lib", asset.Name);
        Assert.Equal("1.2.3", asset.Version);
        Assert.Equal("demo-lib-1.2.3.tgz", asset.AssetName);
        Assert.Equal(File.ReadAllBytes(Fixture("src", "demo-lib", "package.json")), asset.Manifest);
    }

    [Fact]
    public void Parse_UnscopedFixture_ExtractsMetadataFromPackageJsonAndReadme()
    {
        var metadata = ParseFixture("demo-lib-1.2.3.tgz").Metadata!;

        Assert.Equal("demo-lib", metadata.DisplayName);
        Assert.Equal("A tiny demo library for the npm format tests.", metadata.Summary);
        Assert.Equal("https://example.com/demo-lib", metadata.HomePage);
        Assert.Equal("git+https://example.com/demo/demo-lib.git", metadata.SourceCodeRepository);
        Assert.Equal([new PackageLicense("MIT", null)], metadata.Licenses);
        Assert.Equal("# demo-lib\n\nA tiny demo library.\n", metadata.Readme);
        Assert.Equal(
            [
                new PackageDependency(null, "left-pad", "regular", "^1.3.0"),
                new PackageDependency("demo-scope", "widget", "regular", "1.0.0-beta.1"),
                new PackageDependency(null, "mocha", "dev", "~10.2.0"),
                new PackageDependency(null, "react", "peer", ">=17 <19"),
                new PackageDependency(null, "fsevents", "optional", "2.x"),
            ],
            metadata.Dependencies);
        Assert.Equal("index.js", metadata.Properties["main"]);
        Assert.Equal("""{"demo-lib":"bin/cli.js"}""", metadata.Properties["bin"]);
        Assert.Equal("""{"node":">=18"}""", metadata.Properties["engines"]);
        Assert.False(metadata.Properties.ContainsKey("deprecated"));
    }

    [Fact]
    public void Parse_ScopedPrereleaseFixture_SplitsTheScopeAndNamesTheAssetWithoutIt()
    {
        var asset = ParseFixture("demo-scope-widget-1.0.0-beta.1.tgz");

        Assert.Equal("demo-scope", asset.Namespace);
        Assert.Equal("widget", asset.Name);
        Assert.Equal("1.0.0-beta.1", asset.Version);
        Assert.Equal("widget-1.0.0-beta.1.tgz", asset.AssetName);
        var metadata = asset.Metadata!;
        Assert.Equal("@demo-scope/widget", metadata.DisplayName);
        Assert.Equal("https://example.com/demo/widget.git", metadata.SourceCodeRepository);
        Assert.Equal([new PackageLicense("Apache-2.0", null)], metadata.Licenses);
        Assert.Equal("Widget\n======\n\nA scoped demo widget.\n", metadata.Readme);
        Assert.Equal([new PackageDependency("demo-scope", "core", "regular", "^2.0.0")], metadata.Dependencies);
        Assert.Equal("widget.js", metadata.Properties["main"]);
        Assert.False(metadata.Properties.ContainsKey("bin"));
        Assert.Equal(File.ReadAllBytes(Fixture("src", "widget", "package.json")), asset.Manifest);
    }

    [Fact]
    public void Parse_LegacyFixture_KeepsMixedCaseAndBuildMetadataButNamesTheAssetWithoutBuild()
    {
        var asset = ParseFixture("Legacy-Pkg-0.1.0+build.7.tgz");

        Assert.Equal("Legacy-Pkg", asset.Name);
        Assert.Equal("0.1.0+build.7", asset.Version);
        Assert.Equal("Legacy-Pkg-0.1.0.tgz", asset.AssetName);
        var metadata = asset.Metadata!;
        Assert.Equal(
            [new PackageLicense("MIT", "https://example.com/mit"), new PackageLicense("BSD-3-Clause", "https://example.com/bsd")],
            metadata.Licenses);
        Assert.Equal("Legacy readme from package.json.", metadata.Readme);
        Assert.Equal("Use demo-lib instead.", metadata.Properties["deprecated"]);
        Assert.Empty(metadata.Dependencies);
    }

    // ---- broken archives, made in code ----

    [Fact]
    public void Parse_NotGzip_IsInvalidPackageFile()
    {
        AssertFails(ErrorCodes.InvalidPackageFile, Encoding.UTF8.GetBytes(MinimalJson), "gzip");
    }

    [Fact]
    public void Parse_EmptyFile_IsInvalidPackageFile()
    {
        AssertFails(ErrorCodes.InvalidPackageFile, []);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(50)]
    [InlineData(90)]
    public void Parse_TruncatedGzip_IsInvalidPackageFile(int percentKept)
    {
        var whole = File.ReadAllBytes(Fixture("demo-lib-1.2.3.tgz"));
        AssertFails(ErrorCodes.InvalidPackageFile, whole[..(whole.Length * percentKept / 100)]);
    }

    [Fact]
    public void Parse_GzipOfGarbage_IsInvalidPackageFile()
    {
        var garbage = new byte[4096];
        new Random(7).NextBytes(garbage);
        AssertFails(ErrorCodes.InvalidPackageFile, Gzip(garbage));
    }

    [Fact]
    public void Parse_TarWithoutPackageJson_IsInvalidPackageFile()
    {
        AssertFails(ErrorCodes.InvalidPackageFile, TarGz(("package/index.js", "module.exports = 1;\n"u8.ToArray())), "no package.json");
    }

    [Theory]
    [InlineData("package.json")]
    [InlineData("package/lib/package.json")]
    public void Parse_PackageJsonNotDirectlyInTheTopLevelFolder_IsInvalidPackageFile(string entryName)
    {
        AssertFails(ErrorCodes.InvalidPackageFile, TarGz((entryName, Utf8(MinimalJson))), "no package.json");
    }

    [Fact]
    public void Parse_PackageJsonInTwoTopLevelFolders_IsInvalidPackageFile()
    {
        var tgz = TarGz(("package/package.json", Utf8(MinimalJson)), ("other/package.json", Utf8("""{"name":"evil","version":"6.6.6"}""")));
        AssertFails(ErrorCodes.InvalidPackageFile, tgz, "exactly one");
    }

    [Fact]
    public void Parse_DuplicatePackageJsonEntries_IsInvalidPackageFile()
    {
        var tgz = TarGz(("package/package.json", Utf8(MinimalJson)), ("package/package.json", Utf8("""{"name":"tiny","version":"6.6.6"}""")));
        AssertFails(ErrorCodes.InvalidPackageFile, tgz, "exactly one");
    }

    [Theory]
    [InlineData("node-widget/package.json")]
    [InlineData("./package/package.json")]
    public void Parse_AnyTopLevelFolderName_IsAcceptedLikeNpm(string entryName)
    {
        var asset = Parse(TarGz((entryName, Utf8(MinimalJson))));
        Assert.Null(asset.Failure);
        Assert.Equal("tiny", asset.Value!.Name);
    }

    [Theory]
    [InlineData("package/../evil")]
    [InlineData("../package/package.json")]
    public void Parse_EntryClimbingOut_IsInvalidPackageFile(string entryName)
    {
        AssertFails(ErrorCodes.InvalidPackageFile, TarGz(("package/package.json", Utf8(MinimalJson)), (entryName, "x"u8.ToArray())), "..");
    }

    [Fact]
    public void Parse_AbsoluteEntry_IsInvalidPackageFile()
    {
        AssertFails(ErrorCodes.InvalidPackageFile, TarGz(("package/package.json", Utf8(MinimalJson)), ("/etc/x", "x"u8.ToArray())), "absolute");
    }

    [Fact]
    public void Parse_DecompressionBomb_IsInvalidPackageFile()
    {
        // 64 MiB of zeros deflate to well under 1 MiB: past SafeArchive's ratio cap, generated without holding the zeros.
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "package/package.json") { DataStream = new MemoryStream(Utf8(MinimalJson)) });
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "package/zeros.bin") { DataStream = new ZeroStream(64L * 1024 * 1024) });
        }
        Assert.True(compressed.Length < 1024 * 1024, $"the bomb is {compressed.Length} bytes");

        AssertFails(ErrorCodes.InvalidPackageFile, compressed.ToArray(), "bomb");
    }

    [Fact]
    public void Parse_PackageJsonLargerThanTheManifestCap_IsInvalidPackageFile()
    {
        var json = $$"""{"name":"tiny","version":"1.0.0","description":"{{new string('a', PackageLimits.MaxManifestBytes)}}"}""";
        AssertFails(ErrorCodes.InvalidPackageFile, TarGz(("package/package.json", Utf8(json))), "larger than");
    }

    [Fact]
    public void Parse_ReadmeLargerThanTheReadmeCap_KeepsThePackageWithoutTheReadme()
    {
        var tgz = TarGz(
            ("package/README.md", Utf8(new string('r', PackageLimits.MaxReadmeBytes + 1))),
            ("package/package.json", Utf8(MinimalJson)));

        var asset = Parse(tgz);

        Assert.Null(asset.Failure);
        Assert.Equal("tiny", asset.Value!.Name);
        Assert.Null(asset.Value.Metadata!.Readme);
    }

    // ---- package.json content ----

    [Theory]
    [InlineData("{")]
    [InlineData("[]")]
    [InlineData("\"tiny\"")]
    [InlineData("""{"name":"tiny","version":"1.0.0",}""")]
    [InlineData("""{"name":"tiny", /* comment */ "version":"1.0.0"}""")]
    public void Parse_PackageJsonThatIsNotAJsonObject_IsInvalidPackageFile(string json)
    {
        AssertFails(ErrorCodes.InvalidPackageFile, TarGz(("package/package.json", Utf8(json))), "package.json");
    }

    [Fact]
    public void Parse_PackageJsonNestedDeeperThan64_IsInvalidPackageFile()
    {
        var json = """{"name":"tiny","version":"1.0.0","x":""" + new string('[', 100) + new string(']', 100) + "}";
        AssertFails(ErrorCodes.InvalidPackageFile, TarGz(("package/package.json", Utf8(json))), "not valid JSON");
    }

    [Fact]
    public void Parse_PackageJsonWithByteOrderMark_IsAcceptedAndKeptExactly()
    {
        var bytes = Utf8("\uFEFF" + MinimalJson);
        Assert.Equal(0xEF, bytes[0]);

        var asset = Parse(TarGz(("package/package.json", bytes)));

        Assert.Null(asset.Failure);
        Assert.Equal(bytes, asset.Value!.Manifest);
    }

    [Theory]
    [InlineData("""{"version":"1.0.0"}""", "no 'name'")]
    [InlineData("""{"name":"tiny"}""", "no 'version'")]
    [InlineData("""{"name":42,"version":"1.0.0"}""", "'name'")]
    [InlineData("""{"name":"tiny","version":1}""", "'version'")]
    public void Parse_MissingOrNonStringNameOrVersion_IsInvalidPackageFile(string json, string expected)
    {
        AssertFails(ErrorCodes.InvalidPackageFile, TarGz(("package/package.json", Utf8(json))), expected);
    }

    [Theory]
    [InlineData("has space")]
    [InlineData(" tiny")]
    [InlineData("..")]
    [InlineData(".hidden")]
    [InlineData("_private")]
    [InlineData("tiny~1")]
    [InlineData("it's")]
    [InlineData("wow!")]
    [InlineData("f(x)")]
    [InlineData("star*")]
    [InlineData("caf\u00e9")]
    [InlineData("a:b")]
    [InlineData("a/b")]
    [InlineData("node_modules")]
    [InlineData("Favicon.ico")]
    [InlineData("@scope")]
    [InlineData("@/tiny")]
    [InlineData("@scope/")]
    [InlineData("@scope/a/b")]
    [InlineData("@scope/.tiny")]
    [InlineData("@.scope/tiny")]
    [InlineData("@_scope/tiny")]
    [InlineData("@sc ope/tiny")]
    [InlineData("")]
    public void Parse_NameNpmRejects_IsInvalidPackageName(string name)
    {
        var json = $$"""{"name":"{{name}}","version":"1.0.0"}""";
        AssertFails(ErrorCodes.InvalidPackageName, TarGz(("package/package.json", Utf8(json))));
    }

    [Fact]
    public void Parse_NameLongerThan214WithItsScope_IsInvalidPackageName()
    {
        var name = new string('n', NpmNameLimit - "@s/".Length + 1);
        var json = $$"""{"name":"@s/{{name}}","version":"1.0.0"}""";
        AssertFails(ErrorCodes.InvalidPackageName, TarGz(("package/package.json", Utf8(json))), "214");
    }

    [Theory]
    [InlineData("1.0")]
    [InlineData("1")]
    [InlineData("1.0.0.0")]
    [InlineData("01.0.0")]
    [InlineData("1.00.0")]
    [InlineData("v1.0.0")]
    [InlineData("=1.0.0")]
    [InlineData(" 1.0.0")]
    [InlineData("1.0.0-")]
    [InlineData("1.0.0-01")]
    [InlineData("1.0.0-alpha..1")]
    [InlineData("1.0.0-alpha_1")]
    [InlineData("1.0.0+")]
    [InlineData("1.0.0+build+again")]
    [InlineData("latest")]
    [InlineData("9007199254740992.0.0")]
    public void Parse_VersionThatIsNotStrictSemVer_IsInvalidPackageVersion(string version)
    {
        var json = $$"""{"name":"tiny","version":"{{version}}"}""";
        AssertFails(ErrorCodes.InvalidPackageVersion, TarGz(("package/package.json", Utf8(json))));
    }

    [Fact]
    public void Parse_LicenseObjectAndStringRepository_AreRead()
    {
        var json = """
            {"name":"tiny","version":"1.0.0","license":{"type":"ISC","url":"https://example.com/isc"},
             "repository":"github:demo/tiny","bin":"cli.js","readme":"ERROR: No README data found!"}
            """;

        var metadata = Parse(TarGz(("package/package.json", Utf8(json)), ("package/README", Utf8("plain readme")))).Value!.Metadata!;

        Assert.Equal([new PackageLicense("ISC", "https://example.com/isc")], metadata.Licenses);
        Assert.Equal("github:demo/tiny", metadata.SourceCodeRepository);
        Assert.Equal("\"cli.js\"", metadata.Properties["bin"]);
        Assert.Equal("plain readme", metadata.Readme);
    }

    [Fact]
    public void Parse_NonStringDependencyRange_IsSkippedLikeNpm()
    {
        var json = """{"name":"tiny","version":"1.0.0","dependencies":{"good":"^1.0.0","bad":{"version":"1"},"worse":2}}""";

        var metadata = Parse(TarGz(("package/package.json", Utf8(json)))).Value!.Metadata!;

        Assert.Equal([new PackageDependency(null, "good", "regular", "^1.0.0")], metadata.Dependencies);
    }

    [Theory]
    [InlineData("README.md", "README", "README.md")]
    [InlineData("README", "README.txt", "README")]
    [InlineData("Readme.Markdown", "readme", "Readme.Markdown")]
    [InlineData("README.txt", "CHANGELOG.md", "README.txt")]
    public void Parse_SeveralReadmeFiles_PrefersMarkdownThenPlainReadme(string first, string second, string expected)
    {
        var tgz = TarGz(
            ("package/package.json", Utf8(MinimalJson)),
            ($"package/{first}", Utf8(first)),
            ($"package/{second}", Utf8(second)),
            ($"package/docs/{expected}.md", Utf8("nested, not the readme")));

        Assert.Equal(expected, Parse(tgz).Value!.Metadata!.Readme);
    }

    [Fact]
    public void Parse_ReadmeFieldInPackageJson_WinsOverTheReadmeFile()
    {
        var json = """{"name":"tiny","version":"1.0.0","readme":"from the field"}""";
        var tgz = TarGz(("package/package.json", Utf8(json)), ("package/README.md", Utf8("from the file")));

        Assert.Equal("from the field", Parse(tgz).Value!.Metadata!.Readme);
    }

    [Fact]
    public void Parse_PackageWithoutReadme_HasNullReadme()
    {
        Assert.Null(Parse(TarGz(("package/package.json", Utf8(MinimalJson)))).Value!.Metadata!.Readme);
    }

    // ---- known coordinates ----

    [Theory]
    [InlineData(null, "demo-lib", "1.2.3")]
    [InlineData(null, "demo-lib", null)]
    [InlineData(null, null, "1.2.3")]
    [InlineData("", "demo-lib", "1.2.3")]
    public void Parse_KnownCoordinatesThatAgree_Succeed(string? @namespace, string? name, string? version)
    {
        var asset = Parse(File.ReadAllBytes(Fixture("demo-lib-1.2.3.tgz")), new PackageCoordinates(@namespace, name, version));
        Assert.Null(asset.Failure);
    }

    [Fact]
    public void Parse_KnownVersionWithoutBuildMetadata_MatchesAFileWithIt()
    {
        var asset = Parse(File.ReadAllBytes(Fixture("Legacy-Pkg-0.1.0+build.7.tgz")), new PackageCoordinates(null, "Legacy-Pkg", "0.1.0"));
        Assert.Null(asset.Failure);
    }

    [Theory]
    [InlineData(null, "demo-lib-x", "1.2.3")]
    [InlineData(null, "Demo-Lib", "1.2.3")]
    [InlineData("demo-scope", "demo-lib", "1.2.3")]
    [InlineData("demo-scope", null, null)]
    [InlineData(null, "demo-lib", "1.2.4")]
    [InlineData(null, null, "1.2.3-beta")]
    public void Parse_KnownCoordinatesThatDisagree_IsPackageFileMismatch(string? @namespace, string? name, string? version)
    {
        var asset = Parse(File.ReadAllBytes(Fixture("demo-lib-1.2.3.tgz")), new PackageCoordinates(@namespace, name, version));
        Assert.Equal(ErrorCodes.PackageFileMismatch, asset.Failure?.Code);
    }

    [Fact]
    public void Parse_KnownNameWithoutScopeForAScopedPackage_IsPackageFileMismatch()
    {
        var asset = Parse(File.ReadAllBytes(Fixture("demo-scope-widget-1.0.0-beta.1.tgz")), new PackageCoordinates(null, "widget", null));
        Assert.Equal(ErrorCodes.PackageFileMismatch, asset.Failure?.Code);
    }

    [Fact]
    public void Parse_KnownScopedCoordinatesThatAgree_Succeed()
    {
        var asset = Parse(File.ReadAllBytes(Fixture("demo-scope-widget-1.0.0-beta.1.tgz")), new PackageCoordinates("demo-scope", "widget", "1.0.0-beta.1"));
        Assert.Null(asset.Failure);
    }

    [Fact]
    public void Parse_KnownVersionThatIsNotSemVer_IsInvalidPackageVersion()
    {
        var asset = Parse(File.ReadAllBytes(Fixture("demo-lib-1.2.3.tgz")), new PackageCoordinates(null, "demo-lib", "v1.2.3"));
        Assert.Equal(ErrorCodes.InvalidPackageVersion, asset.Failure?.Code);
    }

    // ---- names, versions, ordering ----

    [Fact]
    public void Format_IsNpmWithOneAssetPerVersion()
    {
        Assert.Equal("npm", _format.Name);
        Assert.False(_format.AllowsMultipleAssets);
    }

    [Theory]
    [InlineData("demo-lib-1.2.3.tgz", true)]
    [InlineData("WIDGET-1.0.0.TGZ", true)]
    [InlineData("demo-1.0.tar.gz", false)]
    [InlineData("demo-1.0.zip", false)]
    [InlineData("tgz", false)]
    public void Recognizes_OnlyTgzFiles(string fileName, bool expected)
    {
        Assert.Equal(expected, _format.Recognizes(fileName));
    }

    [Theory]
    [InlineData(null, "lodash")]
    [InlineData(null, "JSONStream")]
    [InlineData(null, "http")]
    [InlineData(null, "a.b-c_d")]
    [InlineData("", "lodash")]
    [InlineData("demo-scope", "widget")]
    [InlineData("types", "_underscore-allowed-under-a-scope")]
    [InlineData("Mixed", "Case")]
    public void CheckName_NamesNpmAccepts_Pass(string? @namespace, string name)
    {
        Assert.Null(_format.CheckName(@namespace, name));
    }

    [Theory]
    [InlineData(null, ".tiny")]
    [InlineData(null, "_tiny")]
    [InlineData(null, "ti ny")]
    [InlineData(null, "@scope/tiny")]
    [InlineData("@scope", "tiny")]
    [InlineData("sc/ope", "tiny")]
    [InlineData("scope", "ti~ny")]
    [InlineData("scope", "")]
    public void CheckName_NamesNpmRejects_AreInvalidPackageName(string? @namespace, string name)
    {
        Assert.Equal(ErrorCodes.InvalidPackageName, _format.CheckName(@namespace, name)?.Code);
    }

    [Fact]
    public void NormalizeNameAndNamespace_PreserveCase()
    {
        Assert.Equal("JSONStream", _format.NormalizeName("JSONStream"));
        Assert.Equal("Demo-Scope", _format.NormalizeNamespace("Demo-Scope"));
        Assert.Equal("", _format.NormalizeNamespace(null));
    }

    [Theory]
    [InlineData("0.0.0", "0.0.0")]
    [InlineData("1.2.3", "1.2.3")]
    [InlineData("1.0.0-beta.1", "1.0.0-beta.1")]
    [InlineData("1.0.0+build.7", "1.0.0")]
    [InlineData("1.0.0-rc.1+exp.sha.5114f85", "1.0.0-rc.1")]
    [InlineData("1.0.0+001", "1.0.0")]
    [InlineData("1.0.0-0A.is.legal", "1.0.0-0A.is.legal")]
    [InlineData("1.0.0-x-y-z.--", "1.0.0-x-y-z.--")]
    [InlineData("9007199254740991.0.0", "9007199254740991.0.0")]
    public void NormalizeVersion_StrictSemVer_DropsOnlyBuildMetadata(string version, string expected)
    {
        var normalized = _format.NormalizeVersion(version);
        Assert.Null(normalized.Failure);
        Assert.Equal(expected, normalized.Value);
    }

    [Theory]
    [InlineData("v1.0.0")]
    [InlineData("1.0")]
    [InlineData("01.0.0")]
    [InlineData("1.0.0-beta.01")]
    [InlineData("")]
    public void NormalizeVersion_NotStrictSemVer_IsInvalidPackageVersion(string version)
    {
        Assert.Equal(ErrorCodes.InvalidPackageVersion, _format.NormalizeVersion(version).Failure?.Code);
    }

    [Fact]
    public void CompareVersions_FollowsTheSemVerSpecPrecedenceExample()
    {
        string[] ordered =
        [
            "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",
            "1.0.0", "1.0.1", "1.1.0", "2.0.0-0", "2.0.0", "2.1.0", "2.1.1", "10.0.0",
        ];
        for (var i = 0; i < ordered.Length; i++)
        {
            for (var j = 0; j < ordered.Length; j++)
            {
                Assert.True(Math.Sign(_format.CompareVersions(ordered[i], ordered[j])) == Math.Sign(i.CompareTo(j)), $"{ordered[i]} vs {ordered[j]}");
            }
        }
        var shuffled = ordered.Reverse().ToList();
        shuffled.Sort(_format.CompareVersions);
        Assert.Equal(ordered, shuffled);
    }

    [Theory]
    [InlineData("1.0.0-alpha.2", "1.0.0-alpha.10", -1)]
    [InlineData("1.0.0-alpha.99999999999999999999", "1.0.0-alpha.9", 1)]
    [InlineData("1.0.0-1", "1.0.0-a", -1)]
    [InlineData("1.0.0-A", "1.0.0-a", -1)]
    [InlineData("1.0.0+build.1", "1.0.0+build.2", 0)]
    [InlineData("1.0.0-rc.1+x", "1.0.0-rc.1", 0)]
    [InlineData("1.2.3", "1.2.3", 0)]
    public void CompareVersions_NumericPrereleaseIdentifiersAndBuildMetadata(string left, string right, int expected)
    {
        Assert.Equal(expected, Math.Sign(_format.CompareVersions(left, right)));
        Assert.Equal(-expected, Math.Sign(_format.CompareVersions(right, left)));
    }

    // ---- helpers ----

    private ParsedAsset ParseFixture(string fileName)
    {
        var parsed = Parse(File.ReadAllBytes(Fixture(fileName)), fileName: fileName);
        Assert.Null(parsed.Failure);
        return parsed.Value!;
    }

    private Outcome<ParsedAsset> Parse(byte[] bytes, PackageCoordinates? known = null, string fileName = "upload.tgz")
    {
        using var stream = new MemoryStream(bytes, writable: false);
        return _format.Parse(stream, fileName, known, CancellationToken.None);
    }

    private void AssertFails(string code, byte[] bytes, string? messagePart = null)
    {
        var parsed = Parse(bytes);
        Assert.NotNull(parsed.Failure);
        Assert.Equal(code, parsed.Failure.Code);
        if (messagePart is not null) Assert.Contains(messagePart, parsed.Failure.Message, StringComparison.Ordinal);
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] Gzip(byte[] data)
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(data);
        return compressed.ToArray();
    }

    private static byte[] TarGz(params (string Name, byte[] Data)[] entries)
    {
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, data) in entries)
            {
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });
            }
        }
        return Gzip(tar.ToArray());
    }

    private static string Fixture(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var fixtures = Path.Combine(dir.FullName, "tests", "fixtures");
            if (Directory.Exists(fixtures)) return Path.Combine([fixtures, "npm", .. parts]);
        }
        throw new DirectoryNotFoundException($"No tests/fixtures above {AppContext.BaseDirectory}.");
    }

    /// <summary>A seekable stream of zeros of a given length that never holds them in memory.</summary>
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
