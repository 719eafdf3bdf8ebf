using System.IO.Compression;
using System.Text;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Formats;

namespace CodeArtifact.Core.Tests.Formats;

public sealed class MavenFormatTests
{
    private const string Group = "org.pscodeartifact.fixtures";

    private static readonly MavenFormat s_format = new();
    private static readonly PackageCoordinates s_demoLib = new(Group, "demo-lib", "1.0.0");
    private static readonly PackageCoordinates s_demoLibSnapshot = new(Group, "demo-lib", "1.1.0-SNAPSHOT");

    // ---- identity -------------------------------------------------------------------------------------------------

    [Fact]
    public void Format_IsMavenWithSeveralAssetsPerVersion()
    {
        Assert.Equal("maven", s_format.Name);
        Assert.True(s_format.AllowsMultipleAssets);
    }

    [Theory]
    [InlineData("demo-1.0.pom")]
    [InlineData("demo-1.0.jar")]
    [InlineData("demo-1.0-sources.jar")]
    [InlineData("demo-1.0.war")]
    [InlineData("demo-1.0.ear")]
    [InlineData("demo-1.0.aar")]
    [InlineData("demo-1.0.module")]
    [InlineData("DEMO-1.0.JAR")]
    public void Recognizes_MavenFileNames_IsTrue(string fileName) => Assert.True(s_format.Recognizes(fileName));

    [Theory]
    [InlineData("demo-1.0-py3-none-any.whl")]
    [InlineData("demo.1.0.nupkg")]
    [InlineData("demo-1.0.tgz")]
    [InlineData("maven-metadata.xml")]
    [InlineData("demo-1.0.jar.sha1")]
    [InlineData(".jar")]
    [InlineData("jar")]
    public void Recognizes_OtherFileNames_IsFalse(string fileName) => Assert.False(s_format.Recognizes(fileName));

    [Theory]
    [InlineData("org.apache.maven", "maven-core")]
    [InlineData("junit", "junit")]
    [InlineData("com.Example_1", "My.Artifact-2")]
    public void CheckName_ValidCoordinates_IsNull(string groupId, string artifactId) => Assert.Null(s_format.CheckName(groupId, artifactId));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void CheckName_WithoutNamespace_IsInvalidPackageName(string? groupId)
    {
        var failure = s_format.CheckName(groupId, "demo");

        Assert.Equal(ErrorCodes.InvalidPackageName, failure?.Code);
        Assert.Contains("groupId", failure!.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("org/evil", "demo")]
    [InlineData("org evil", "demo")]
    [InlineData("org#evil", "demo")]
    [InlineData("org.é", "demo")]
    [InlineData(".org", "demo")]
    [InlineData("org.", "demo")]
    [InlineData("org..evil", "demo")]
    [InlineData("org", "")]
    [InlineData("org", "a/b")]
    [InlineData("org", "a:b")]
    [InlineData("org", "..")]
    [InlineData("org", "${project.artifactId}")]
    public void CheckName_InvalidCoordinates_IsInvalidPackageName(string groupId, string artifactId) =>
        Assert.Equal(ErrorCodes.InvalidPackageName, s_format.CheckName(groupId, artifactId)?.Code);

    [Fact]
    public void CheckName_LongerThan255_IsInvalidPackageName()
    {
        Assert.Null(s_format.CheckName(new string('g', 255), new string('a', 255)));
        Assert.Equal(ErrorCodes.InvalidPackageName, s_format.CheckName(new string('g', 256), "a")?.Code);
        Assert.Equal(ErrorCodes.InvalidPackageName, s_format.CheckName("g", new string('a', 256))?.Code);
    }

    [Fact]
    public void Normalize_NamesAndNamespaces_KeepTheirCase()
    {
        Assert.Equal("Org.Example", s_format.NormalizeNamespace("Org.Example"));
        Assert.Equal("", s_format.NormalizeNamespace(null));
        Assert.Equal("My-Artifact", s_format.NormalizeName("My-Artifact"));
    }

    [Theory]
    [InlineData("1.0")]
    [InlineData("1.0-SNAPSHOT")]
    [InlineData("5.3.0.RELEASE")]
    [InlineData("1.0.0-rc.1+build.5")]
    [InlineData("20240101")]
    [InlineData("v2-beta")]
    public void NormalizeVersion_ValidVersion_IsUnchanged(string version) => Assert.Equal(version, s_format.NormalizeVersion(version).Value);

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("1.0 beta")]
    [InlineData("1.0\t")]
    [InlineData("1/0")]
    [InlineData("1\\0")]
    [InlineData("1:0")]
    [InlineData("1#0")]
    [InlineData("1*")]
    [InlineData("${foo}")]
    [InlineData("1.0-${build.number}")]
    [InlineData("..")]
    public void NormalizeVersion_InvalidVersion_IsInvalidPackageVersion(string version) =>
        Assert.Equal(ErrorCodes.InvalidPackageVersion, s_format.NormalizeVersion(version).Failure?.Code);

    [Fact]
    public void NormalizeVersion_LongerThan255_IsInvalidPackageVersion()
    {
        Assert.True(s_format.NormalizeVersion(new string('1', 255)).Succeeded);
        Assert.Equal(ErrorCodes.InvalidPackageVersion, s_format.NormalizeVersion(new string('1', 256)).Failure?.Code);
    }

    // ---- version order --------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("1.0-SNAPSHOT", "1.0")]
    [InlineData("1.0-alpha-1", "1.0")]
    [InlineData("1.0", "1.0.1")]
    [InlineData("1.9", "1.10")]
    [InlineData("1.0-rc1", "1.0")]
    [InlineData("1.0-alpha-1", "1.0-alpha-2")]
    [InlineData("1.0-alpha-2", "1.0-beta-1")]
    [InlineData("1.0-beta-1", "1.0-milestone-1")]
    [InlineData("1.0-M1", "1.0-RC1")]
    [InlineData("1.0-CR1", "1.0-RC2")]
    [InlineData("1.0-rc-1", "1.0-SNAPSHOT")]
    [InlineData("1.0-alpha-1-SNAPSHOT", "1.0-alpha-1")]
    [InlineData("1.0", "1.0-sp1")]
    [InlineData("1.0-sp1", "1.0-foo")]
    [InlineData("1.0-foo", "1.0-1")]
    [InlineData("1.0", "1.0-1")]
    [InlineData("2.0-1", "2.0.1")]
    [InlineData("2.0.1-klm", "2.0.1-lmn")]
    [InlineData("1.0.0.RC1", "1.0.0-RC2")]
    [InlineData("6.1.0rc3", "6.1.0")]
    [InlineData("1-0.alpha", "1")]
    [InlineData("1", "1-0.1")]
    [InlineData("20190126.230843", "1234567890.12345")]
    [InlineData("123456789012345.1", "12345678901234567890.1")]
    [InlineData("1.17.0-RC1", "1.17.0-SNAPSHOT")]
    [InlineData("4.9.9.RELEASE", "5.0.0.RELEASE")]
    public void CompareVersions_OrdersAsMaven(string older, string newer)
    {
        // Maven's order itself, not the tie-break the format adds for versions Maven calls equal.
        Assert.True(MavenVersionComparer.Compare(older, newer) < 0, $"expected {older} < {newer} by Maven's rules");
        Assert.True(MavenVersionComparer.Compare(newer, older) > 0, $"expected {newer} > {older} by Maven's rules");
        Assert.True(s_format.CompareVersions(older, newer) < 0, $"expected {older} < {newer}");
        Assert.True(s_format.CompareVersions(newer, older) > 0, $"expected {newer} > {older}");
    }

    [Theory]
    [InlineData("1", "1.0")]
    [InlineData("1", "1.0.0")]
    [InlineData("1", "1-0")]
    [InlineData("1.0", "1.0-ga")]
    [InlineData("1.0", "1.0.FINAL")]
    [InlineData("5.3.0.RELEASE", "5.3.0")]
    [InlineData("1-SNAPSHOT", "1.0-snapshot")]
    [InlineData("1a1", "1-alpha-1")]
    [InlineData("1.0-cr1", "1.0-RC-1")]
    [InlineData("2.0.a", "2.0.0.a")]
    [InlineData("2-a", "2.0.a")]
    [InlineData("007", "7")]
    public void CompareVersions_MavenEqualVersions_AreMavenEqualButStillOrdered(string left, string right)
    {
        Assert.Equal(0, MavenVersionComparer.Compare(left, right));
        Assert.Equal(MavenVersionComparer.Canonical(left), MavenVersionComparer.Canonical(right));
        // They are two versions of the package, so the format's order separates them.
        var forward = s_format.CompareVersions(left, right);
        Assert.NotEqual(0, forward);
        Assert.Equal(-forward, s_format.CompareVersions(right, left));
        Assert.Equal(0, s_format.CompareVersions(left, left));
    }

    // Maven's own ComparableVersionTest lists (3.9 form), each strictly ascending.
    [Theory]
    [InlineData("1-alpha2snapshot", "1-alpha2", "1-alpha-123", "1-beta-2", "1-beta123", "1-m2", "1-m11", "1-rc", "1-cr2",
        "1-rc123", "1-SNAPSHOT", "1", "1-sp", "1-sp2", "1-sp123", "1-abc", "1-def", "1-pom-1", "1-1-snapshot", "1-1", "1-2", "1-123")]
    [InlineData("2.0", "2.0.a", "2-1", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1-1", "2.1.0.1", "2.2", "2.123",
        "11.a2", "11.a11", "11.b2", "11.b11", "11.m2", "11.m11", "11", "11.a", "11b", "11c", "11m")]
    public void CompareVersions_MavensReferenceLists_AreAscending(params string[] ascending)
    {
        for (var low = 0; low < ascending.Length; low++)
        {
            for (var high = low + 1; high < ascending.Length; high++)
            {
                Assert.True(MavenVersionComparer.Compare(ascending[low], ascending[high]) < 0, $"expected {ascending[low]} < {ascending[high]}");
                Assert.True(MavenVersionComparer.Compare(ascending[high], ascending[low]) > 0, $"expected {ascending[high]} > {ascending[low]}");
            }
        }
    }

    [Theory]
    [InlineData("1.0.0-RC1", "1-rc-1")]
    [InlineData("1.0-SNAPSHOT", "1-snapshot")]
    [InlineData("1.0.0.RELEASE", "1")]
    [InlineData("2.0.a", "2-a")]
    [InlineData("1.0-sp1-redhat", "1-sp-1-redhat")]
    [InlineData("1alpha1", "1-alpha-1")]
    public void CompareVersions_CanonicalForm_IsMavens(string version, string canonical) =>
        Assert.Equal(canonical, MavenVersionComparer.Canonical(version));

    // ---- POMs ---------------------------------------------------------------------------------------------------

    [Fact]
    public void Parse_PomBuiltByMaven_ReadsCoordinatesAndMetadata()
    {
        var asset = AssertParsed(Parse(Fixture("demo-lib-1.0.0.pom"), "demo-lib-1.0.0.pom"));

        Assert.Equal(Group, asset.Namespace);
        Assert.Equal("demo-lib", asset.Name);
        Assert.Equal("1.0.0", asset.Version);
        Assert.Equal("demo-lib-1.0.0.pom", asset.AssetName);
        Assert.Null(asset.Manifest);
        var metadata = asset.Metadata!;
        Assert.Equal("org.pscodeartifact.fixtures:demo-lib", metadata.DisplayName);
        Assert.Equal("Demo Library", metadata.Summary);
        Assert.Equal("A tiny library used as a PSCodeArtifact test fixture.", metadata.Description);
        Assert.Equal("https://example.org/demo-lib", metadata.HomePage);
        Assert.Equal("https://example.org/demo-lib/tree/main", metadata.SourceCodeRepository);
        Assert.Equal([new PackageLicense("Apache-2.0", "https://www.apache.org/licenses/LICENSE-2.0.txt")], metadata.Licenses);
        Assert.Equal([new PackageDependency("junit", "junit", "test", "4.13.2")], metadata.Dependencies);
        Assert.Equal("jar", metadata.Properties["packaging"]);
        Assert.Null(metadata.Readme);
    }

    [Fact]
    public void Parse_PomWithParent_InheritsGroupIdAndVersionAndListsTheParent()
    {
        var asset = AssertParsed(Parse(Fixture("demo-child-2.1.0.pom"), "demo-child-2.1.0.pom"));

        Assert.Equal(Group, asset.Namespace);
        Assert.Equal("demo-child", asset.Name);
        Assert.Equal("2.1.0", asset.Version);
        Assert.Equal("demo-child-2.1.0.pom", asset.AssetName);
        Assert.Equal([new PackageDependency(Group, "demo-parent", "parent", "2.1.0")], asset.Metadata!.Dependencies);
        Assert.Equal("jar", asset.Metadata.Properties["packaging"]);
        Assert.Null(asset.Metadata.Description);
        Assert.Null(asset.Metadata.SourceCodeRepository);
        Assert.Empty(asset.Metadata.Licenses);
    }

    [Fact]
    public void Parse_PomWithDependencies_MapsScopesOptionalAndParent()
    {
        var asset = AssertParsed(Parse(Fixture("demo-app-3.0.pom"), "demo-app-3.0.pom"));

        Assert.Equal("3.0", asset.Version);
        var metadata = asset.Metadata!;
        Assert.Equal(
            [
                new PackageDependency("org.pscodeartifact.parents", "company-parent", "parent", "7"),
                new PackageDependency("org.slf4j", "slf4j-api", "compile", "2.0.9"),
                new PackageDependency(Group, "demo-lib", "runtime", "3.0"),
                new PackageDependency("junit", "junit", "test", "[4.13,5.0)"),
                new PackageDependency("jakarta.servlet", "jakarta.servlet-api", "provided", ""),
                new PackageDependency("com.example", "optional-extra", "optional", "1.2"),
            ],
            metadata.Dependencies);
        Assert.Equal("war", metadata.Properties["packaging"]);
        Assert.Equal("A web application with dependencies of several scopes.", metadata.Description);
        Assert.Equal("https://example.org/demo-app", metadata.HomePage);
        Assert.Equal("https://example.org/demo-app.git", metadata.SourceCodeRepository);
        Assert.Equal([new PackageLicense("MIT", "https://opensource.org/licenses/MIT"), new PackageLicense("Apache-2.0", null)], metadata.Licenses);
    }

    [Theory]
    [InlineData("demo-lib-1.1.0-SNAPSHOT.pom")]
    [InlineData("demo-lib-1.1.0-20240102.030405-7.pom")]
    public void Parse_SnapshotPom_KeepsTheSnapshotVersionAndTheFileName(string fileName)
    {
        var asset = AssertParsed(Parse(Fixture("demo-lib-1.1.0-SNAPSHOT.pom"), fileName, s_demoLibSnapshot));

        Assert.Equal("1.1.0-SNAPSHOT", asset.Version);
        Assert.Equal(fileName, asset.AssetName);
    }

    [Fact]
    public void Parse_PomUploadedAsPomXml_GetsMavensFileName()
    {
        var asset = AssertParsed(Parse(Fixture("demo-lib-1.0.0.pom"), "pom.xml"));

        Assert.Equal("demo-lib-1.0.0.pom", asset.AssetName);
    }

    [Fact]
    public void Parse_PomWithPropertyReferences_ResolvesThemFromItsOwnProperties()
    {
        var pom = Pom("""
            <parent><groupId>org.example</groupId><artifactId>base</artifactId><version>4.2</version></parent>
            <groupId>${project.parent.groupId}.sub</groupId>
            <artifactId>thing</artifactId>
            <version>${major}.${minor}-SNAPSHOT</version>
            <properties><major>${project.parent.version}</major><minor>1</minor></properties>
            <dependencies>
              <dependency><groupId>${project.groupId}</groupId><artifactId>sibling</artifactId><version>${project.version}</version></dependency>
              <dependency><groupId>org.other</groupId><artifactId>other</artifactId><version>${from.the.parent}</version></dependency>
            </dependencies>
            """);

        var asset = AssertParsed(Parse(pom, "thing-4.2.1-SNAPSHOT.pom"));

        Assert.Equal("org.example.sub", asset.Namespace);
        Assert.Equal("4.2.1-SNAPSHOT", asset.Version);
        Assert.Equal(new PackageDependency("org.example.sub", "sibling", "compile", "4.2.1-SNAPSHOT"), asset.Metadata!.Dependencies[1]);
        // A dependency version may come from the parent's properties; it is listed as written.
        Assert.Equal("${from.the.parent}", asset.Metadata.Dependencies[2].VersionRequirement);
    }

    [Fact]
    public void Parse_PomMatchingKnownCoordinates_Succeeds() =>
        AssertParsed(Parse(Fixture("demo-lib-1.0.0.pom"), "demo-lib-1.0.0.pom", s_demoLib));

    [Theory]
    [InlineData("org.other", "demo-lib", "1.0.0")]
    [InlineData(Group, "other", "1.0.0")]
    [InlineData(Group, "demo-lib", "1.0.1")]
    [InlineData(null, null, "1.0.0-SNAPSHOT")]
    public void Parse_PomDisagreeingWithKnownCoordinates_IsPackageFileMismatch(string? groupId, string? artifactId, string? version)
    {
        var outcome = Parse(Fixture("demo-lib-1.0.0.pom"), "demo-lib-1.0.0.pom", new PackageCoordinates(groupId, artifactId, version));

        Assert.Equal(ErrorCodes.PackageFileMismatch, outcome.Failure?.Code);
    }

    [Theory]
    [InlineData("other-1.0.0.pom")]
    [InlineData("demo-lib-1.0.1.pom")]
    [InlineData("demo-lib-1.0.0-sources.pom")]
    [InlineData("demo-lib-1.0.0-20240102.030405-7.pom")]
    public void Parse_PomWhoseFileNameDoesNotFitItsCoordinates_IsPackageFileMismatch(string fileName) =>
        Assert.Equal(ErrorCodes.PackageFileMismatch, Parse(Fixture("demo-lib-1.0.0.pom"), fileName).Failure?.Code);

    [Fact]
    public void Parse_PomWithExternalEntity_IsRefusedWithoutReadingTheFile()
    {
        var secretFile = Path.Combine(Path.GetTempPath(), "psca-maven-xxe-" + Guid.NewGuid().ToString("N"));
        var secret = "secret-" + Guid.NewGuid().ToString("N");
        File.WriteAllText(secretFile, secret);
        try
        {
            foreach (var target in new[] { "file:///etc/passwd", new Uri(secretFile).AbsoluteUri })
            {
                var pom = Encoding.UTF8.GetBytes($"""
                    <?xml version="1.0"?>
                    <!DOCTYPE project [ <!ENTITY xxe SYSTEM "{target}"> ]>
                    <project><groupId>org.example</groupId><artifactId>demo</artifactId><version>1.0</version>
                      <description>&xxe;</description></project>
                    """);

                var outcome = Parse(pom, "demo-1.0.pom");

                Assert.Equal(ErrorCodes.InvalidPackageFile, outcome.Failure?.Code);
                Assert.DoesNotContain(secret, outcome.Failure!.Message, StringComparison.Ordinal);
                Assert.DoesNotContain("root:", outcome.Failure.Message, StringComparison.Ordinal);
            }
        }
        finally
        {
            File.Delete(secretFile);
        }
    }

    [Fact]
    public void Parse_PomWithInternalEntityExpansion_IsInvalidPackageFile()
    {
        var pom = Encoding.UTF8.GetBytes("""
            <?xml version="1.0"?>
            <!DOCTYPE project [ <!ENTITY a "aaaaaaaaaa"> <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"> ]>
            <project><groupId>org.example</groupId><artifactId>demo</artifactId><version>1.0</version><name>&b;</name></project>
            """);

        Assert.Equal(ErrorCodes.InvalidPackageFile, Parse(pom, "demo-1.0.pom").Failure?.Code);
    }

    [Fact]
    public void Parse_PomWithExponentialProperties_IsInvalidPackageFile()
    {
        var properties = new StringBuilder("<p0>").Append('x', 1000).Append("</p0>");
        for (var i = 1; i <= 15; i++) properties.Append($"<p{i}>${{p{i - 1}}}${{p{i - 1}}}</p{i}>");
        var pom = Pom($$"""
            <groupId>org.example</groupId><artifactId>demo</artifactId><version>1.0</version>
            <properties>{{properties}}</properties>
            <description>${p15}</description>
            """);

        var outcome = Parse(pom, "demo-1.0.pom");

        Assert.Equal(ErrorCodes.InvalidPackageFile, outcome.Failure?.Code);
        Assert.Contains("expand", outcome.Failure!.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("<project><groupId>org.example</groupId><artifactId>demo</artifactId><version>1.0</version>")]
    [InlineData("<project><groupId>org.example</groupId></artifactId>")]
    [InlineData("not xml at all")]
    [InlineData("")]
    public void Parse_MalformedPom_IsInvalidPackageFile(string xml) =>
        Assert.Equal(ErrorCodes.InvalidPackageFile, Parse(Encoding.UTF8.GetBytes(xml), "demo-1.0.pom").Failure?.Code);

    [Fact]
    public void Parse_XmlWhoseRootIsNotProject_IsInvalidPackageFile()
    {
        var xml = Encoding.UTF8.GetBytes("<metadata><groupId>org.example</groupId><artifactId>demo</artifactId><version>1.0</version></metadata>");

        Assert.Equal(ErrorCodes.InvalidPackageFile, Parse(xml, "demo-1.0.pom").Failure?.Code);
    }

    [Fact]
    public void Parse_PomWithoutArtifactId_IsInvalidPackageFile()
    {
        var outcome = Parse(Pom("<groupId>org.example</groupId><version>1.0</version>"), "demo-1.0.pom");

        Assert.Equal(ErrorCodes.InvalidPackageFile, outcome.Failure?.Code);
        Assert.Contains("artifactId", outcome.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_PomWithoutVersionOrParent_IsInvalidPackageFile()
    {
        var outcome = Parse(Pom("<groupId>org.example</groupId><artifactId>demo</artifactId>"), "demo-1.0.pom");

        Assert.Equal(ErrorCodes.InvalidPackageFile, outcome.Failure?.Code);
        Assert.Contains("version", outcome.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_PomWithoutGroupIdOrParent_IsInvalidPackageFile() =>
        Assert.Equal(ErrorCodes.InvalidPackageFile, Parse(Pom("<artifactId>demo</artifactId><version>1.0</version>"), "demo-1.0.pom").Failure?.Code);

    [Theory]
    [InlineData("${foo}")]
    [InlineData("1.0-${build.number}")]
    [InlineData("${project.version}")]
    [InlineData("${a}")]
    public void Parse_PomWithUnresolvedVersion_IsInvalidPackageVersion(string version)
    {
        // ${a} and ${b} refer to each other: the cycle must end, unresolved.
        var pom = Pom($"<groupId>org.example</groupId><artifactId>demo</artifactId><version>{version}</version><properties><a>${{b}}</a><b>${{a}}</b></properties>");

        var outcome = Parse(pom, "demo.pom");

        Assert.Equal(ErrorCodes.InvalidPackageVersion, outcome.Failure?.Code);
    }

    [Fact]
    public void Parse_PomWithUnresolvedGroupId_IsInvalidPackageName()
    {
        var pom = Pom("<groupId>${company.group}</groupId><artifactId>demo</artifactId><version>1.0</version>");

        Assert.Equal(ErrorCodes.InvalidPackageName, Parse(pom, "demo-1.0.pom").Failure?.Code);
    }

    [Theory]
    [InlineData("org/evil", "demo", "1.0", ErrorCodes.InvalidPackageName)]
    [InlineData("org.example", "de mo", "1.0", ErrorCodes.InvalidPackageName)]
    [InlineData("org.example", "demo", "1.0/../..", ErrorCodes.InvalidPackageVersion)]
    [InlineData("org.example", "demo", "1:0", ErrorCodes.InvalidPackageVersion)]
    public void Parse_PomWithInvalidCoordinates_IsRefused(string groupId, string artifactId, string version, string code)
    {
        var pom = Pom($"<groupId>{groupId}</groupId><artifactId>{artifactId}</artifactId><version>{version}</version>");

        Assert.Equal(code, Parse(pom, "pom.xml").Failure?.Code);
    }

    [Fact]
    public void Parse_PomLargerThanTheManifestLimit_IsInvalidPackageFile()
    {
        var head = "<project><groupId>org.example</groupId><artifactId>demo</artifactId><version>1.0</version><description>";
        const string tail = "</description></project>";
        var pom = Encoding.UTF8.GetBytes(head + new string('x', PackageLimits.MaxManifestBytes - head.Length - tail.Length + 1) + tail);

        var outcome = Parse(pom, "demo-1.0.pom");

        Assert.Equal(PackageLimits.MaxManifestBytes + 1, pom.Length);
        Assert.Equal(ErrorCodes.InvalidPackageFile, outcome.Failure?.Code);
        Assert.Contains("larger", outcome.Failure!.Message, StringComparison.Ordinal);
    }

    // ---- other files ------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("demo-lib-1.0.0.jar")]
    [InlineData("demo-lib-1.0.0-sources.jar")]
    public void Parse_JarBuiltByMavenWithKnownCoordinates_IsAnAssetWithoutMetadata(string fileName)
    {
        var asset = AssertParsed(Parse(Fixture(fileName), fileName, s_demoLib));

        Assert.Equal(Group, asset.Namespace);
        Assert.Equal("demo-lib", asset.Name);
        Assert.Equal("1.0.0", asset.Version);
        Assert.Equal(fileName, asset.AssetName);
        Assert.Null(asset.Metadata);
        Assert.Null(asset.Manifest);
    }

    [Fact]
    public void Parse_JarWithoutKnownCoordinates_IsInvalidPackageFile()
    {
        var outcome = Parse(Fixture("demo-lib-1.0.0.jar"), "demo-lib-1.0.0.jar", known: null);

        Assert.Equal(ErrorCodes.InvalidPackageFile, outcome.Failure?.Code);
        Assert.Contains("POM", outcome.Failure!.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "demo-lib", "1.0.0")]
    [InlineData(Group, null, "1.0.0")]
    [InlineData(Group, "demo-lib", null)]
    [InlineData(Group, "demo-lib", "")]
    public void Parse_JarWithPartialCoordinates_IsInvalidPackageFile(string? groupId, string? artifactId, string? version) =>
        Assert.Equal(ErrorCodes.InvalidPackageFile,
            Parse(Fixture("demo-lib-1.0.0.jar"), "demo-lib-1.0.0.jar", new PackageCoordinates(groupId, artifactId, version)).Failure?.Code);

    [Theory]
    [InlineData("other-1.0.0.jar")]
    [InlineData("demo-lib-1.0.1.jar")]
    [InlineData("demo-lib-1.0.0")]
    [InlineData("demo-lib-1.0.0.")]
    [InlineData("demo-lib-1.0.0-.jar")]
    [InlineData("demo-lib-1.0.0-sources")]
    [InlineData("demo-lib-1.0.0jar")]
    [InlineData("Demo-lib-1.0.0.jar")]
    [InlineData("demo-lib-1.0.0-20240102.030405-7.jar")]
    [InlineData("../demo-lib-1.0.0.jar")]
    [InlineData("demo-lib-1.0.0.jar/x.jar")]
    public void Parse_JarWhoseNameDoesNotFitTheCoordinates_IsPackageFileMismatch(string fileName) =>
        Assert.Equal(ErrorCodes.PackageFileMismatch, Parse(Fixture("demo-lib-1.0.0.jar"), fileName, s_demoLib).Failure?.Code);

    [Theory]
    [InlineData("demo-lib-1.1.0-SNAPSHOT.jar")]
    [InlineData("demo-lib-1.1.0-20240102.030405-7.jar")]
    [InlineData("demo-lib-1.1.0-20240102.030405-7-sources.jar")]
    public void Parse_SnapshotJar_AcceptsTheTimestampedFileName(string fileName)
    {
        var asset = AssertParsed(Parse(Fixture("demo-lib-1.0.0.jar"), fileName, s_demoLibSnapshot));

        Assert.Equal("1.1.0-SNAPSHOT", asset.Version);
        Assert.Equal(fileName, asset.AssetName);
    }

    [Theory]
    [InlineData("demo-lib-1.1.0-20241302.030405-7.jar")]
    [InlineData("demo-lib-1.1.0-20240102.030405.jar")]
    [InlineData("demo-lib-1.1.0-20240102-7.jar")]
    [InlineData("demo-lib-1.1.0-20240102.030405-0.jar")]
    [InlineData("demo-lib-1.1.1-20240102.030405-7.jar")]
    public void Parse_SnapshotJarWithABadTimestamp_IsPackageFileMismatch(string fileName) =>
        Assert.Equal(ErrorCodes.PackageFileMismatch, Parse(Fixture("demo-lib-1.0.0.jar"), fileName, s_demoLibSnapshot).Failure?.Code);

    [Fact]
    public void Parse_JarWithoutAManifest_IsAccepted()
    {
        var jar = Zip(("org/example/Demo.class", "not really bytecode"));

        AssertParsed(Parse(jar, "demo-lib-1.0.0.jar", s_demoLib));
    }

    [Theory]
    [InlineData("demo-lib-1.0.0.jar")]
    [InlineData("demo-lib-1.0.0.war")]
    [InlineData("demo-lib-1.0.0.aar")]
    [InlineData("demo-lib-1.0.0-javadoc.jar")]
    public void Parse_ArchiveThatIsNotAZip_IsInvalidPackageFile(string fileName)
    {
        var notZip = Encoding.UTF8.GetBytes("this is plain text, not a zip archive");

        Assert.Equal(ErrorCodes.InvalidPackageFile, Parse(notZip, fileName, s_demoLib).Failure?.Code);
    }

    [Fact]
    public void Parse_TruncatedJar_IsInvalidPackageFile()
    {
        var jar = Fixture("demo-lib-1.0.0.jar");

        Assert.Equal(ErrorCodes.InvalidPackageFile, Parse(jar[..(jar.Length / 2)], "demo-lib-1.0.0.jar", s_demoLib).Failure?.Code);
    }

    [Theory]
    [InlineData("../evil")]
    [InlineData("META-INF/../../evil")]
    [InlineData("/etc/evil")]
    public void Parse_JarWithAnEntryOutsideTheArchive_IsInvalidPackageFile(string entryName)
    {
        var jar = Zip(("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n"), (entryName, "boom"));

        var outcome = Parse(jar, "demo-lib-1.0.0.jar", s_demoLib);

        Assert.Equal(ErrorCodes.InvalidPackageFile, outcome.Failure?.Code);
        Assert.Contains(entryName, outcome.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_OtherExtensions_AreAcceptedWithoutLookingInside()
    {
        var asset = AssertParsed(Parse("anything"u8.ToArray(), "demo-lib-1.0.0-dist.tar.gz", s_demoLib));

        Assert.Equal("demo-lib-1.0.0-dist.tar.gz", asset.AssetName);
    }

    [Fact]
    public void Parse_AssetNameLongerThan255_IsInvalidPackageFile()
    {
        var known = new PackageCoordinates(Group, new string('a', 200), "1." + new string('0', 60));
        var fileName = $"{known.Name}-{known.Version}.jar";
        var pom = Pom($"<groupId>{Group}</groupId><artifactId>{known.Name}</artifactId><version>{known.Version}</version>");

        Assert.Equal(ErrorCodes.InvalidPackageFile, Parse(Fixture("demo-lib-1.0.0.jar"), fileName, known).Failure?.Code);
        Assert.Equal(ErrorCodes.InvalidPackageFile, Parse(pom, "pom.xml").Failure?.Code);
    }

    [Fact]
    public void Parse_ArtifactWithInvalidKnownCoordinates_IsRefused()
    {
        var jar = Fixture("demo-lib-1.0.0.jar");

        Assert.Equal(ErrorCodes.InvalidPackageVersion, Parse(jar, "demo-lib-1 0.jar", new PackageCoordinates(Group, "demo-lib", "1 0")).Failure?.Code);
        Assert.Equal(ErrorCodes.InvalidPackageName, Parse(jar, "demo lib-1.0.jar", new PackageCoordinates(Group, "demo lib", "1.0")).Failure?.Code);
    }

    [Fact]
    public void Parse_GradleModuleForTheSameComponent_IsAccepted()
    {
        var module = Encoding.UTF8.GetBytes($$"""
            {"formatVersion":"1.1","component":{"group":"{{Group}}","module":"demo-lib","version":"1.0.0"},"variants":[]}
            """);

        var asset = AssertParsed(Parse(module, "demo-lib-1.0.0.module", s_demoLib));

        Assert.Equal("demo-lib-1.0.0.module", asset.AssetName);
        Assert.Null(asset.Metadata);
    }

    [Fact]
    public void Parse_GradleModuleWithAByteOrderMark_IsAccepted()
    {
        var module = "\uFEFF{\"formatVersion\":\"1.1\"}"u8.ToArray();

        Assert.Equal(0xEF, module[0]);
        AssertParsed(Parse(module, "demo-lib-1.0.0.module", s_demoLib));
    }

    [Fact]
    public void Parse_GradleModuleForAnotherComponent_IsPackageFileMismatch()
    {
        var module = Encoding.UTF8.GetBytes($$"""
            {"formatVersion":"1.1","component":{"group":"{{Group}}","module":"demo-lib","version":"9.9"} }
            """);

        Assert.Equal(ErrorCodes.PackageFileMismatch, Parse(module, "demo-lib-1.0.0.module", s_demoLib).Failure?.Code);
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("[1, 2]")]
    public void Parse_GradleModuleThatIsNotAJsonObject_IsInvalidPackageFile(string json) =>
        Assert.Equal(ErrorCodes.InvalidPackageFile, Parse(Encoding.UTF8.GetBytes(json), "demo-lib-1.0.0.module", s_demoLib).Failure?.Code);

    [Fact]
    public void Parse_PomAndJarOfOneVersion_AgreeOnTheVersion()
    {
        // What a publish of several files does: the POM's coordinates become the jar's known coordinates.
        var pom = AssertParsed(Parse(Fixture("demo-lib-1.0.0.pom"), "demo-lib-1.0.0.pom"));
        var known = new PackageCoordinates(pom.Namespace, pom.Name, pom.Version);

        var jar = AssertParsed(Parse(Fixture("demo-lib-1.0.0.jar"), "demo-lib-1.0.0.jar", known));
        var sources = AssertParsed(Parse(Fixture("demo-lib-1.0.0-sources.jar"), "demo-lib-1.0.0-sources.jar", known));

        Assert.Equal((pom.Namespace, pom.Name, pom.Version), (jar.Namespace, jar.Name, jar.Version));
        Assert.Equal((pom.Namespace, pom.Name, pom.Version), (sources.Namespace, sources.Name, sources.Version));
        Assert.Equal(3, new[] { pom.AssetName, jar.AssetName, sources.AssetName }.Distinct().Count());
    }

    // ---- helpers ----------------------------------------------------------------------------------------------------

    private static Outcome<ParsedAsset> Parse(byte[] bytes, string fileName, PackageCoordinates? known = null)
    {
        using var stream = new MemoryStream(bytes, writable: false);
        return s_format.Parse(stream, fileName, known, CancellationToken.None);
    }

    private static ParsedAsset AssertParsed(Outcome<ParsedAsset> outcome)
    {
        Assert.True(outcome.Succeeded, outcome.Failure?.Message);
        return outcome.Value!;
    }

    private static byte[] Pom(string body) =>
        Encoding.UTF8.GetBytes($"""<?xml version="1.0"?><project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>{body}</project>""");

    private static byte[] Zip(params (string Name, string Content)[] entries)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                using var stream = zip.CreateEntry(name).Open();
                stream.Write(Encoding.UTF8.GetBytes(content));
            }
        }
        return buffer.ToArray();
    }

    private static byte[] Fixture(string name) => File.ReadAllBytes(Path.Combine(FixtureFolder(), name));

    /// <summary>The fixtures are read from the source tree, found by walking up from the test binaries.</summary>
    private static string FixtureFolder()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            var candidate = Path.Combine(folder.FullName, "tests", "fixtures", "maven");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"No tests/fixtures/maven above {AppContext.BaseDirectory}.");
    }
}
