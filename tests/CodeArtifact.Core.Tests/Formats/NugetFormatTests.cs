using System.IO.Compression;
using System.Text;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Formats;

namespace CodeArtifact.Core.Tests.Formats;

public sealed class NugetFormatTests
{
    private const string Nuspec2013 = "http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd";

    private readonly IPackageFormat _format = new NugetFormat();

    // ---- Fixtures made by dotnet pack (tests/fixtures/nuget/src/pack.sh) ----

    [Fact]
    public void Parse_DemoCoreFixture_ReadsIdentityAndMetadata()
    {
        var bytes = File.ReadAllBytes(Fixture("Demo.Core.1.2.3.nupkg"));

        var asset = ParseOk(bytes, "Demo.Core.1.2.3.nupkg");

        Assert.Null(asset.Namespace);
        Assert.Equal("Demo.Core", asset.Name);
        Assert.Equal("1.2.3", asset.Version);
        Assert.Equal("demo.core.1.2.3.nupkg", asset.AssetName);
        var metadata = asset.Metadata!;
        Assert.Equal("Demo.Core", metadata.DisplayName);
        Assert.Equal("A tiny library used as a NuGet test fixture.", metadata.Description);
        Assert.Equal(metadata.Description, metadata.Summary);
        Assert.Equal("https://example.com/demo", metadata.HomePage);
        Assert.Equal("https://github.com/example/demo", metadata.SourceCodeRepository);
        Assert.Equal([new PackageLicense("MIT", "https://licenses.nuget.org/MIT")], metadata.Licenses);
        Assert.StartsWith("# Demo.Core", metadata.Readme);
        Assert.Contains("A tiny library used as a NuGet test fixture.", metadata.Readme);
        Assert.Empty(metadata.Dependencies);
        Assert.Equal("Demo Authors", metadata.Properties["authors"]);
        Assert.Equal("demo fixture", metadata.Properties["tags"]);
        Assert.Equal("Demo Core", metadata.Properties["title"]);
        Assert.Equal("false", metadata.Properties["isprerelease"]);
        Assert.Equal("false", metadata.Properties["semver2"]);
        Assert.Equal(NuspecBytesOf(bytes), asset.Manifest);
    }

    [Fact]
    public void Parse_DemoExtrasFixture_ReadsSemVer2VersionAndDependencyGroup()
    {
        var bytes = File.ReadAllBytes(Fixture("Demo.Extras.2.0.0-beta.1.nupkg"));

        var asset = ParseOk(bytes, "Demo.Extras.2.0.0-beta.1.nupkg");

        Assert.Equal("Demo.Extras", asset.Name);
        Assert.Equal("2.0.0-beta.1+build.5", asset.Version);
        Assert.Equal("demo.extras.2.0.0-beta.1.nupkg", asset.AssetName);
        var metadata = asset.Metadata!;
        Assert.Equal([new PackageDependency(null, "Demo.Core", "net10.0", "1.2.3")], metadata.Dependencies);
        Assert.Null(metadata.Readme);
        Assert.Empty(metadata.Licenses);
        Assert.Equal("true", metadata.Properties["isprerelease"]);
        Assert.Equal("true", metadata.Properties["semver2"]);
        Assert.Equal(NuspecBytesOf(bytes), asset.Manifest);
    }

    [Fact]
    public void Parse_KnownCoordinatesInOtherCaseAndForm_Succeed()
    {
        var bytes = File.ReadAllBytes(Fixture("Demo.Core.1.2.3.nupkg"));

        var asset = ParseOk(bytes, "Demo.Core.1.2.3.nupkg", new PackageCoordinates(null, "DEMO.core", "1.02.3.0"));

        Assert.Equal("Demo.Core", asset.Name);
    }

    [Fact]
    public void Parse_KnownPrereleaseVersionWithoutBuildMetadata_Succeeds()
    {
        var bytes = File.ReadAllBytes(Fixture("Demo.Extras.2.0.0-beta.1.nupkg"));

        var asset = ParseOk(bytes, "x.nupkg", new PackageCoordinates("", "demo.extras", "2.0.0-BETA.1"));

        Assert.Equal("2.0.0-beta.1+build.5", asset.Version);
    }

    [Fact]
    public void Parse_RenamedFile_IsAccepted()
    {
        var bytes = File.ReadAllBytes(Fixture("Demo.Core.1.2.3.nupkg"));

        var asset = ParseOk(bytes, "downloaded (1).nupkg");

        Assert.Equal("demo.core.1.2.3.nupkg", asset.AssetName);
    }

    [Fact]
    public void Parse_KnownNameDisagrees_IsPackageFileMismatch()
    {
        var bytes = File.ReadAllBytes(Fixture("Demo.Core.1.2.3.nupkg"));

        AssertFails(bytes, ErrorCodes.PackageFileMismatch, new PackageCoordinates(null, "Demo.Other", null));
    }

    [Theory]
    [InlineData("1.2.4")]
    [InlineData("1.2.3-beta")]
    [InlineData("not-a-version")]
    public void Parse_KnownVersionDisagrees_IsPackageFileMismatch(string knownVersion)
    {
        var bytes = File.ReadAllBytes(Fixture("Demo.Core.1.2.3.nupkg"));

        AssertFails(bytes, ErrorCodes.PackageFileMismatch, new PackageCoordinates(null, null, knownVersion));
    }

    [Fact]
    public void Parse_KnownNamespace_IsInvalidPackageName()
    {
        var bytes = File.ReadAllBytes(Fixture("Demo.Core.1.2.3.nupkg"));

        AssertFails(bytes, ErrorCodes.InvalidPackageName, new PackageCoordinates("demo", "Demo.Core", "1.2.3"));
    }

    [Fact]
    public void Parse_EveryTruncationOfAFixture_FailsAsInvalidPackageFile()
    {
        var bytes = File.ReadAllBytes(Fixture("Demo.Core.1.2.3.nupkg"));

        for (var length = 0; length < bytes.Length; length += 97)
        {
            AssertFails(bytes[..length], ErrorCodes.InvalidPackageFile);
        }
        AssertFails(bytes[..^1], ErrorCodes.InvalidPackageFile);
    }

    // ---- Nuspecs made in code ----

    [Theory]
    [InlineData("http://schemas.microsoft.com/packaging/2010/07/nuspec.xsd")]
    [InlineData("http://schemas.microsoft.com/packaging/2011/08/nuspec.xsd")]
    [InlineData("http://schemas.microsoft.com/packaging/2012/06/nuspec.xsd")]
    [InlineData("http://schemas.microsoft.com/packaging/2013/01/nuspec.xsd")]
    [InlineData("http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd")]
    [InlineData("")]
    public void Parse_AnyNuspecNamespace_ReadsIdVersionAndDescription(string xmlns)
    {
        var asset = ParseOk(Nupkg(Nuspec("<description>Any schema.</description>", xmlns: xmlns)));

        Assert.Equal("Demo.Test", asset.Name);
        Assert.Equal("1.0.0", asset.Version);
        Assert.Equal("Any schema.", asset.Metadata!.Description);
    }

    [Fact]
    public void Parse_NuspecInRootWithOtherName_IsUsed()
    {
        var asset = ParseOk(Nupkg(("whatever.NUSPEC", Encoding.UTF8.GetBytes(Nuspec())), ("lib/net10.0/Demo.Test.dll", "MZ"u8.ToArray())));

        Assert.Equal("Demo.Test", asset.Name);
    }

    [Fact]
    public void Parse_VersionAsWritten_IsKeptAndNormalisedInAssetName()
    {
        var asset = ParseOk(Nupkg(Nuspec(id: "My.Package", version: "01.0.0.0-RC.1+sha.abc")));

        Assert.Equal("01.0.0.0-RC.1+sha.abc", asset.Version);
        Assert.Equal("my.package.1.0.0-rc.1.nupkg", asset.AssetName);
    }

    [Fact]
    public void Parse_SummaryPresent_IsPreferredToDescription()
    {
        var asset = ParseOk(Nupkg(Nuspec("<summary>Short.</summary><description>Long text.</description>")));

        Assert.Equal("Short.", asset.Metadata!.Summary);
        Assert.Equal("Long text.", asset.Metadata.Description);
    }

    [Fact]
    public void Parse_LegacyFlatDependencies_AreFrameworkNeutral()
    {
        var asset = ParseOk(Nupkg(Nuspec("""
            <dependencies>
              <dependency id="Newtonsoft.Json" version="[13.0.1, 14.0.0)" />
              <dependency id="Serilog" />
            </dependencies>
            """)));

        Assert.Equal(
            [new PackageDependency(null, "Newtonsoft.Json", "", "[13.0.1, 14.0.0)"), new PackageDependency(null, "Serilog", "", "")],
            asset.Metadata!.Dependencies);
    }

    [Fact]
    public void Parse_DependencyGroups_UseTheirTargetFrameworkAndIgnoreUngroupedDependencies()
    {
        var asset = ParseOk(Nupkg(Nuspec("""
            <dependencies>
              <group>
                <dependency id="Common" version="1.0.0" />
              </group>
              <group targetFramework=".NETStandard2.0">
                <dependency id="System.Memory" version="4.5.5" exclude="Build,Analyzers" />
              </group>
              <group targetFramework="net8.0" />
              <dependency id="Ignored.ByNuGet" version="1.0.0" />
            </dependencies>
            """)));

        Assert.Equal(
            [new PackageDependency(null, "Common", "", "1.0.0"), new PackageDependency(null, "System.Memory", ".NETStandard2.0", "4.5.5")],
            asset.Metadata!.Dependencies);
        Assert.Equal("false", asset.Metadata.Properties["semver2"]);
    }

    [Theory]
    [InlineData("[1.0.0-beta.1, )")]
    [InlineData("[1.0.0+build, 2.0.0)")]
    public void Parse_DependencyRangeNeedingSemVer2_MarksThePackageSemVer2(string range)
    {
        var asset = ParseOk(Nupkg(Nuspec($"""<dependencies><dependency id="Other" version="{range}" /></dependencies>""")));

        Assert.Equal("false", asset.Metadata!.Properties["isprerelease"]);
        Assert.Equal("true", asset.Metadata.Properties["semver2"]);
    }

    [Theory]
    [InlineData("1.0.0-beta", "true", "false")]
    [InlineData("1.0.0-beta.1", "true", "true")]
    [InlineData("1.0.0+build", "false", "true")]
    [InlineData("1.0.0.1", "false", "false")]
    public void Parse_Version_SetsPrereleaseAndSemVer2Properties(string version, string prerelease, string semver2)
    {
        var asset = ParseOk(Nupkg(Nuspec(version: version)));

        Assert.Equal(prerelease, asset.Metadata!.Properties["isprerelease"]);
        Assert.Equal(semver2, asset.Metadata.Properties["semver2"]);
    }

    [Fact]
    public void Parse_LicenseFile_IsNamedByItsFile()
    {
        var asset = ParseOk(Nupkg(Nuspec("""<license type="file">LICENSE.txt</license>"""), ("LICENSE.txt", "All rights reserved."u8.ToArray())));

        Assert.Equal([new PackageLicense("LICENSE.txt", null)], asset.Metadata!.Licenses);
    }

    [Fact]
    public void Parse_LicenseExpressionWithOperators_LinksToLicensesNugetOrg()
    {
        var asset = ParseOk(Nupkg(Nuspec("""
            <license type="expression">MIT OR Apache-2.0</license>
            <licenseUrl>https://licenses.nuget.org/MIT%20OR%20Apache-2.0</licenseUrl>
            """)));

        Assert.Equal([new PackageLicense("MIT OR Apache-2.0", "https://licenses.nuget.org/MIT%20OR%20Apache-2.0")], asset.Metadata!.Licenses);
    }

    [Fact]
    public void Parse_LicenseExpressionWithUrlCharacters_GetsNoLink()
    {
        var asset = ParseOk(Nupkg(Nuspec("""<license type="expression">MIT/../../evil?x=1</license>""")));

        Assert.Equal([new PackageLicense("MIT/../../evil?x=1", null)], asset.Metadata!.Licenses);
    }

    [Fact]
    public void Parse_LegacyLicenseUrl_IsTheLicense()
    {
        var asset = ParseOk(Nupkg(Nuspec("<licenseUrl>https://example.com/license</licenseUrl>")));

        Assert.Equal([new PackageLicense(null, "https://example.com/license")], asset.Metadata!.Licenses);
    }

    [Fact]
    public void Parse_OptionalMetadata_BecomesProperties()
    {
        var asset = ParseOk(Nupkg(Nuspec(
            """
            <title>Demo</title>
            <tags> one two </tags>
            <iconUrl>https://example.com/icon.png</iconUrl>
            <requireLicenseAcceptance>True</requireLicenseAcceptance>
            <developmentDependency>0</developmentDependency>
            <packageTypes><packageType name="Dependency" /><packageType name="DotnetTool" version="1.0" /></packageTypes>
            <projectUrl>https://example.com/</projectUrl>
            <repository type="git" url="https://example.com/repo.git" commit="abc" />
            """,
            metadataAttributes: """ minClientVersion="5.0.0" """,
            authors: "Ann, Bob")));

        var properties = asset.Metadata!.Properties;
        Assert.Equal("Demo", properties["title"]);
        Assert.Equal("Ann, Bob", properties["authors"]);
        Assert.Equal("one two", properties["tags"]);
        Assert.Equal("https://example.com/icon.png", properties["iconurl"]);
        Assert.Equal("true", properties["requirelicenseacceptance"]);
        Assert.Equal("false", properties["developmentdependency"]);
        Assert.Equal("Dependency,DotnetTool", properties["packagetypes"]);
        Assert.Equal("5.0.0", properties["minclientversion"]);
        Assert.Equal("https://example.com/", asset.Metadata.HomePage);
        Assert.Equal("https://example.com/repo.git", asset.Metadata.SourceCodeRepository);
        Assert.All(properties.Keys, key => Assert.Equal(key.ToLowerInvariant(), key));
    }

    [Fact]
    public void Parse_AbsentOptionalMetadata_IsLeftOut()
    {
        var asset = ParseOk(Nupkg(Nuspec(authors: "")));

        var metadata = asset.Metadata!;
        Assert.Null(metadata.Summary);
        Assert.Null(metadata.HomePage);
        Assert.Null(metadata.SourceCodeRepository);
        Assert.Null(metadata.Readme);
        Assert.Empty(metadata.Licenses);
        Assert.Empty(metadata.Dependencies);
        Assert.Equal(["isprerelease", "semver2"], metadata.Properties.Keys.Order());
    }

    [Fact]
    public void Parse_ReadmeInFolderWithBackslashPath_IsRead()
    {
        var asset = ParseOk(Nupkg(Nuspec(@"<readme>docs\read me.md</readme>"), ("docs/read%20me.md", "\uFEFF# Héllo"u8.ToArray())));

        Assert.Equal("# Héllo", asset.Metadata!.Readme);
    }

    [Fact]
    public void Parse_ReadmeNamedButMissing_LeavesReadmeOut()
    {
        var asset = ParseOk(Nupkg(Nuspec("<readme>README.md</readme>"), ("OTHER.md", "# Other"u8.ToArray())));

        Assert.Null(asset.Metadata!.Readme);
    }

    [Fact]
    public void Parse_ReadmeLargerThanTheCap_LeavesReadmeOut()
    {
        var huge = Encoding.ASCII.GetBytes(new string('a', PackageLimits.MaxReadmeBytes + 1));

        var asset = ParseOk(Nupkg(Nuspec("<readme>README.md</readme>"), ("README.md", huge)));

        Assert.Null(asset.Metadata!.Readme);
    }

    [Fact]
    public void Parse_ReadmeAtTheCap_IsKept()
    {
        var large = Encoding.ASCII.GetBytes(new string('a', PackageLimits.MaxReadmeBytes));

        var asset = ParseOk(Nupkg(Nuspec("<readme>README.md</readme>"), ("README.md", large)));

        Assert.Equal(PackageLimits.MaxReadmeBytes, asset.Metadata!.Readme!.Length);
    }

    [Fact]
    public void Parse_Manifest_IsTheExactNuspecBytes()
    {
        var nuspec = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(Nuspec("<!-- kept --><description>x</description>"))).ToArray();

        var asset = ParseOk(Nupkg(("Demo.Test.nuspec", nuspec)));

        Assert.Equal(nuspec, asset.Manifest);
    }

    // ---- Invalid files made in code ----

    [Fact]
    public void Parse_NotAZip_IsInvalidPackageFile() =>
        AssertFails("this is not a zip archive, just text"u8.ToArray(), ErrorCodes.InvalidPackageFile);

    [Fact]
    public void Parse_EmptyFile_IsInvalidPackageFile() => AssertFails([], ErrorCodes.InvalidPackageFile);

    [Fact]
    public void Parse_TruncatedNupkg_IsInvalidPackageFile()
    {
        var bytes = Nupkg(Nuspec(), ("lib/net10.0/Demo.Test.dll", new byte[4096]));

        AssertFails(bytes[..(bytes.Length / 2)], ErrorCodes.InvalidPackageFile);
    }

    [Fact]
    public void Parse_CorruptNuspecData_IsInvalidPackageFile()
    {
        var bytes = Nupkg(Nuspec("<description>" + new string('x', 2000) + "</description>"));
        // The local header is 30 bytes plus the name; flip bytes in the compressed data, leaving the directory intact.
        var dataStart = 30 + "Demo.Test.nuspec".Length;
        for (var i = dataStart; i < dataStart + 20; i++) bytes[i] ^= 0x5A;

        AssertFails(bytes, ErrorCodes.InvalidPackageFile);
    }

    [Fact]
    public void Parse_NoNuspec_IsInvalidPackageFile() =>
        AssertFails(Nupkg(("lib/net10.0/Demo.Test.dll", "MZ"u8.ToArray())), ErrorCodes.InvalidPackageFile, message: ".nuspec");

    [Fact]
    public void Parse_NuspecOnlyInAFolder_IsInvalidPackageFile() =>
        AssertFails(Nupkg(("content/Demo.Test.nuspec", Encoding.UTF8.GetBytes(Nuspec()))), ErrorCodes.InvalidPackageFile, message: ".nuspec");

    [Fact]
    public void Parse_TwoNuspecs_IsInvalidPackageFile() =>
        AssertFails(Nupkg(("a.nuspec", Encoding.UTF8.GetBytes(Nuspec())), ("b.nuspec", Encoding.UTF8.GetBytes(Nuspec()))),
            ErrorCodes.InvalidPackageFile, message: "exactly one");

    [Fact]
    public void Parse_NuspecWithExternalEntity_IsInvalidAndNeverReadsTheFile()
    {
        var secretFile = Path.Combine(Path.GetTempPath(), $"nuget-xxe-{Guid.NewGuid():N}.txt");
        var secret = $"SECRET-{Guid.NewGuid():N}";
        File.WriteAllText(secretFile, secret);
        try
        {
            var nuspec = $"""
                <?xml version="1.0"?>
                <!DOCTYPE package [<!ENTITY xxe SYSTEM "{new Uri(secretFile).AbsoluteUri}">]>
                <package xmlns="{Nuspec2013}">
                  <metadata><id>Demo.Test</id><version>1.0.0</version><description>&xxe;</description><authors>&xxe;</authors></metadata>
                </package>
                """;

            var outcome = Parse(Nupkg(("Demo.Test.nuspec", Encoding.UTF8.GetBytes(nuspec))));

            Assert.Equal(ErrorCodes.InvalidPackageFile, outcome.Failure?.Code);
            Assert.DoesNotContain(secret, outcome.Failure!.Message);
        }
        finally
        {
            File.Delete(secretFile);
        }
    }

    [Fact]
    public void Parse_NuspecWithInternalEntityExpansion_IsInvalidPackageFile()
    {
        const string nuspec = """
            <?xml version="1.0"?>
            <!DOCTYPE package [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
            <package><metadata><id>Demo.Test</id><version>1.0.0</version><description>&b;</description></metadata></package>
            """;

        AssertFails(Nupkg(("Demo.Test.nuspec", Encoding.UTF8.GetBytes(nuspec))), ErrorCodes.InvalidPackageFile);
    }

    [Theory]
    [InlineData("<package><metadata><id>Demo.Test</id><version>1.0.0</version></metadata>")]
    [InlineData("<package><metadata><id>Demo.Test</id><version>1.0.0</version></metadata></package><package />")]
    [InlineData("")]
    [InlineData("not xml at all")]
    public void Parse_MalformedNuspec_IsInvalidPackageFile(string nuspec) =>
        AssertFails(Nupkg(("Demo.Test.nuspec", Encoding.UTF8.GetBytes(nuspec))), ErrorCodes.InvalidPackageFile);

    [Theory]
    [InlineData("<package><metadata><version>1.0.0</version></metadata></package>", "<id>")]
    [InlineData("<package><metadata><id>  </id><version>1.0.0</version></metadata></package>", "<id>")]
    [InlineData("<package><metadata><id>Demo.Test</id></metadata></package>", "<version>")]
    [InlineData("<package><metadata><id>Demo.Test</id><version /></metadata></package>", "<version>")]
    [InlineData("<package><id>Demo.Test</id><version>1.0.0</version></package>", "<metadata>")]
    [InlineData("<nuspec><metadata><id>Demo.Test</id><version>1.0.0</version></metadata></nuspec>", "<package>")]
    public void Parse_NuspecMissingRequiredParts_IsInvalidPackageFile(string nuspec, string named) =>
        AssertFails(Nupkg(("Demo.Test.nuspec", Encoding.UTF8.GetBytes(nuspec))), ErrorCodes.InvalidPackageFile, message: named);

    [Theory]
    [InlineData("bad id")]
    [InlineData("Demo..Test")]
    [InlineData("-Demo")]
    [InlineData("Demo/Test")]
    public void Parse_InvalidId_IsInvalidPackageName(string id) =>
        AssertFails(Nupkg(Nuspec(id: id)), ErrorCodes.InvalidPackageName);

    [Fact]
    public void Parse_IdOf101Characters_IsInvalidPackageName() =>
        AssertFails(Nupkg(Nuspec(id: new string('a', 101))), ErrorCodes.InvalidPackageName);

    [Fact]
    public void Parse_IdOf100Characters_IsAccepted() =>
        Assert.Equal(new string('a', 100), ParseOk(Nupkg(Nuspec(id: new string('a', 100)))).Name);

    [Theory]
    [InlineData("1.0.0.0.0")]
    [InlineData("abc")]
    [InlineData("1.0.0-")]
    [InlineData("v1.0.0")]
    public void Parse_InvalidVersion_IsInvalidPackageVersion(string version) =>
        AssertFails(Nupkg(Nuspec(version: version)), ErrorCodes.InvalidPackageVersion);

    [Theory]
    [InlineData("../evil.txt")]
    [InlineData("lib/../../evil.txt")]
    [InlineData("/etc/evil.txt")]
    [InlineData("C:/evil.txt")]
    public void Parse_UnsafeEntryName_IsInvalidPackageFile(string entryName) =>
        AssertFails(Nupkg(Nuspec(), (entryName, "evil"u8.ToArray())), ErrorCodes.InvalidPackageFile);

    [Fact]
    public void Parse_DecompressionBomb_IsInvalidPackageFile()
    {
        // 17 MiB of zeros deflate to a few KiB: past SafeArchive's 16 MiB floor and far above its ratio cap.
        var bomb = Nupkg(Nuspec(), ("lib/net10.0/bomb.bin", new byte[17 * 1024 * 1024]));
        Assert.True(bomb.Length < 200 * 1024);

        AssertFails(bomb, ErrorCodes.InvalidPackageFile, message: "bomb");
    }

    [Fact]
    public void Parse_NuspecLargerThanTheManifestCap_IsInvalidPackageFile()
    {
        var padding = new string(' ', PackageLimits.MaxManifestBytes);

        AssertFails(Nupkg(Nuspec($"<description>x{padding}x</description>")), ErrorCodes.InvalidPackageFile,
            message: PackageLimits.MaxManifestBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("[2.0.0, 1.0.0]")]
    [InlineData("not-a-range")]
    [InlineData("[1.0.0")]
    public void Parse_InvalidDependencyRange_IsInvalidPackageFile(string range) =>
        AssertFails(Nupkg(Nuspec($"""<dependencies><group targetFramework="net10.0"><dependency id="Other" version="{range}" /></group></dependencies>""")),
            ErrorCodes.InvalidPackageFile, message: range);

    [Fact]
    public void Parse_DependencyWithoutId_IsInvalidPackageFile() =>
        AssertFails(Nupkg(Nuspec("""<dependencies><dependency version="1.0.0" /></dependencies>""")), ErrorCodes.InvalidPackageFile);

    [Fact]
    public void Parse_DependencyWithInvalidId_IsInvalidPackageFile() =>
        AssertFails(Nupkg(Nuspec("""<dependencies><dependency id="bad id" version="1.0.0" /></dependencies>""")), ErrorCodes.InvalidPackageFile);

    [Fact]
    public void Parse_SymbolPackage_IsInvalidPackageFile() =>
        AssertFails(Nupkg(Nuspec("""<packageTypes><packageType name="SymbolsPackage" /></packageTypes>""")), ErrorCodes.InvalidPackageFile,
            message: "symbol");

    [Fact]
    public void Parse_CancelledToken_Throws()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() =>
            _format.Parse(new MemoryStream(Nupkg(Nuspec())), "x.nupkg", null, cancelled.Token));
    }

    // ---- Names, versions and recognition ----

    [Fact]
    public void Format_DescribesNuGet()
    {
        Assert.Equal("nuget", _format.Name);
        Assert.False(_format.AllowsMultipleAssets);
    }

    [Theory]
    [InlineData("Demo.Core.1.2.3.nupkg", true)]
    [InlineData("DEMO.NUPKG", true)]
    [InlineData("renamed.nupkg", true)]
    [InlineData("Demo.Core.1.2.3.snupkg", false)]
    [InlineData("Demo.Core.nuspec", false)]
    [InlineData("Demo.Core.1.2.3.zip", false)]
    [InlineData("nupkg", false)]
    [InlineData(".nupkg", false)]
    public void Recognizes_OnlyNupkgFiles(string fileName, bool expected) => Assert.Equal(expected, _format.Recognizes(fileName));

    [Theory]
    [InlineData("Newtonsoft.Json")]
    [InlineData("a")]
    [InlineData("A_b-c.d")]
    [InlineData("_private")]
    [InlineData("Ünïcode.Pkg")]
    [InlineData("1.2")]
    public void CheckName_ValidId_Passes(string id) => Assert.Null(_format.CheckName(null, id));

    [Theory]
    [InlineData("")]
    [InlineData("bad id")]
    [InlineData(".leading")]
    [InlineData("trailing.")]
    [InlineData("double..dot")]
    [InlineData("dot.-dash")]
    [InlineData("a/b")]
    [InlineData("a@b")]
    [InlineData("a\nb")]
    [InlineData("trailing\n")]
    public void CheckName_InvalidId_IsInvalidPackageName(string id) =>
        Assert.Equal(ErrorCodes.InvalidPackageName, _format.CheckName(null, id)?.Code);

    [Fact]
    public void CheckName_IdLengthLimit_Is100Characters()
    {
        Assert.Null(_format.CheckName(null, new string('x', 100)));
        Assert.Equal(ErrorCodes.InvalidPackageName, _format.CheckName(null, new string('x', 101))?.Code);
    }

    [Fact]
    public void CheckName_WithNamespace_IsInvalidPackageName()
    {
        Assert.Equal(ErrorCodes.InvalidPackageName, _format.CheckName("demo", "Demo.Core")?.Code);
        Assert.Null(_format.CheckName("", "Demo.Core"));
    }

    [Theory]
    [InlineData("Newtonsoft.Json", "newtonsoft.json")]
    [InlineData("demo.core", "demo.core")]
    [InlineData("ÄBC.Pkg", "äbc.pkg")]
    public void NormalizeName_LowerCasesInvariantly(string name, string expected) => Assert.Equal(expected, _format.NormalizeName(name));

    [Fact]
    public void NormalizeNamespace_IsAlwaysEmpty()
    {
        Assert.Equal("", _format.NormalizeNamespace(null));
        Assert.Equal("", _format.NormalizeNamespace(""));
    }

    [Theory]
    [InlineData("1.01.1", "1.1.1")]
    [InlineData("1.0.0.0", "1.0.0")]
    [InlineData("1.0.7+r3456", "1.0.7")]
    [InlineData("1.0.0-Beta.1", "1.0.0-beta.1")]
    [InlineData("1.0.0-ALPHA", "1.0.0-alpha")]
    [InlineData("1", "1.0.0")]
    [InlineData("1.0", "1.0.0")]
    [InlineData("1.0.0.1", "1.0.0.1")]
    [InlineData("1.0.0.1-rc", "1.0.0.1-rc")]
    [InlineData("2.0.0-beta.1+build.5", "2.0.0-beta.1")]
    [InlineData("10.20.30", "10.20.30")]
    public void NormalizeVersion_FollowsNuGetNormalisation(string version, string expected) =>
        Assert.Equal(expected, _format.NormalizeVersion(version).Value);

    [Theory]
    [InlineData("1.0.0.0.0")]
    [InlineData("abc")]
    [InlineData("")]
    [InlineData("v1.0.0")]
    [InlineData("1.0.0-")]
    [InlineData("1.0.0-alpha.01")]
    [InlineData("1.0.0+")]
    [InlineData("1..0")]
    public void NormalizeVersion_Invalid_IsInvalidPackageVersion(string version)
    {
        var outcome = _format.NormalizeVersion(version);

        Assert.Equal(ErrorCodes.InvalidPackageVersion, outcome.Failure?.Code);
        Assert.Null(outcome.Value);
    }

    [Fact]
    public void CompareVersions_OrdersByNuGetRules()
    {
        string[] ascending = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta", "1.0.0", "1.0.0.1", "1.0.1", "1.1.0", "2.0.0-rc.1", "2.0.0", "10.0.0"];

        for (var i = 0; i < ascending.Length - 1; i++)
        {
            Assert.True(_format.CompareVersions(ascending[i], ascending[i + 1]) < 0, $"{ascending[i]} < {ascending[i + 1]}");
            Assert.True(_format.CompareVersions(ascending[i + 1], ascending[i]) > 0, $"{ascending[i + 1]} > {ascending[i]}");
        }
        var shuffled = ascending.Reverse().Select(v => _format.NormalizeVersion(v).Value!).ToList();
        shuffled.Sort(_format.CompareVersions);
        Assert.Equal(ascending.Select(v => _format.NormalizeVersion(v).Value!), shuffled);
    }

    [Theory]
    [InlineData("1.0.0+build", "1.0.0")]
    [InlineData("1.0.0+a", "1.0.0+b")]
    [InlineData("1.0.0-BETA.1", "1.0.0-beta.1")]
    [InlineData("1.0", "1.0.0.0")]
    [InlineData("01.002.0003", "1.2.3")]
    public void Versions_WithTheSameIdentity_CompareEqualAndNormaliseAlike(string left, string right)
    {
        Assert.Equal(0, _format.CompareVersions(left, right));
        Assert.Equal(_format.NormalizeVersion(left).Value, _format.NormalizeVersion(right).Value);
    }

    [Fact]
    public void CompareVersions_UnparsableSortsFirst()
    {
        Assert.True(_format.CompareVersions("garbage", "0.0.1") < 0);
        Assert.True(_format.CompareVersions("0.0.1", "garbage") > 0);
    }

    // ---- Helpers ----

    private ParsedAsset ParseOk(byte[] bytes, string fileName = "Demo.Test.1.0.0.nupkg", PackageCoordinates? known = null)
    {
        var outcome = Parse(bytes, fileName, known);
        Assert.True(outcome.Succeeded, outcome.Failure?.Message);
        return outcome.Value!;
    }

    private void AssertFails(byte[] bytes, string code, PackageCoordinates? known = null, string? message = null)
    {
        var outcome = Parse(bytes, "Demo.Test.1.0.0.nupkg", known);
        Assert.False(outcome.Succeeded, "the package was accepted");
        Assert.Equal(code, outcome.Failure!.Code);
        Assert.Null(outcome.Value);
        if (message is not null) Assert.Contains(message, outcome.Failure.Message, StringComparison.OrdinalIgnoreCase);
    }

    private Outcome<ParsedAsset> Parse(byte[] bytes, string fileName = "Demo.Test.1.0.0.nupkg", PackageCoordinates? known = null)
    {
        using var stream = new MemoryStream(bytes, writable: false);
        return _format.Parse(stream, fileName, known, CancellationToken.None);
    }

    private static string Nuspec(string extra = "", string id = "Demo.Test", string version = "1.0.0", string xmlns = Nuspec2013,
        string metadataAttributes = "", string authors = "Tester")
    {
        var ns = xmlns.Length == 0 ? "" : $" xmlns=\"{xmlns}\"";
        var authorsElement = authors.Length == 0 ? "" : $"<authors>{authors}</authors>";
        return $"""
            <?xml version="1.0" encoding="utf-8"?>
            <package{ns}>
              <metadata{metadataAttributes}>
                <id>{id}</id>
                <version>{version}</version>
                {authorsElement}
                {extra}
              </metadata>
            </package>
            """;
    }

    private static byte[] Nupkg(string nuspec, params (string Name, byte[] Content)[] others) =>
        Nupkg([("Demo.Test.nuspec", Encoding.UTF8.GetBytes(nuspec)), .. others]);

    private static byte[] Nupkg(params (string Name, byte[] Content)[] entries)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                using var entry = zip.CreateEntry(name, CompressionLevel.Optimal).Open();
                entry.Write(content);
            }
        }
        return buffer.ToArray();
    }

    private static byte[] NuspecBytesOf(byte[] nupkg)
    {
        using var zip = new ZipArchive(new MemoryStream(nupkg), ZipArchiveMode.Read);
        var entry = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using var stream = entry.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static string Fixture(string name)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var fixtures = Path.Combine(directory.FullName, "tests", "fixtures");
            if (Directory.Exists(fixtures)) return Path.Combine(fixtures, "nuget", name);
        }
        throw new DirectoryNotFoundException($"No tests/fixtures folder above {AppContext.BaseDirectory}.");
    }
}
