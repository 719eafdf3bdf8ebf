using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using PSCodeArtifact.Core.Services;

namespace PSCodeArtifact.Server.Npm;

/// <summary>
/// The JSON documents of the npm registry API: full and abbreviated ("corgi") packuments, dist-tags and search results.
/// Version objects are the version's exact package.json plus what the registry adds (<c>_id</c>, <c>dist</c>, <c>deprecated</c>).
/// </summary>
internal static class NpmDocuments
{
    public const string FullContentType = "application/json";
    public const string AbbreviatedContentType = "application/vnd.npm.install-v1+json";

    // The fields of a version in an abbreviated packument (npm/registry docs/responses/package-metadata.md), plus the
    // spellings and platform fields npm's installer also reads (bundledDependencies, libc).
    private static readonly HashSet<string> s_abbreviatedFields = new(StringComparer.Ordinal)
    {
        "name", "version", "deprecated", "dependencies", "optionalDependencies", "devDependencies", "bundleDependencies",
        "bundledDependencies", "peerDependencies", "peerDependenciesMeta", "acceptDependencies", "bin", "directories", "dist",
        "engines", "_hasShrinkwrap", "hasInstallScript", "funding", "cpu", "os", "libc",
    };

    // Top-level fields of a full packument copied from the latest version's package.json.
    private static readonly string[] s_packageFields = ["description", "homepage", "keywords", "repository", "author", "bugs", "license"];

    private static readonly string[] s_installScripts = ["preinstall", "install", "postinstall"];

    // Relaxed escaping keeps readmes and ranges such as ">=18" readable; these documents are JSON, never embedded in HTML.
    private static readonly JsonWriterOptions s_writerOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A packument: the full document, or the abbreviated one the installer asks for.</summary>
    public static byte[] Packument(NpmPackage package, string repositoryUrl, string maintainer, bool abbreviated)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer, s_writerOptions))
        {
            var latest = package.DistTags.GetValueOrDefault("latest") is { } tag ? package.Versions.FirstOrDefault(v => v.Version == tag) : null;
            latest ??= package.Versions.LastOrDefault();
            using var latestManifest = Parse(latest?.Manifest);

            writer.WriteStartObject();
            if (!abbreviated)
            {
                writer.WriteString("_id", package.Name);
                writer.WriteString("_rev", package.Stamp);
            }
            writer.WriteString("name", package.Name);
            if (abbreviated) writer.WriteString("modified", Time(package.Modified));
            else CopyFields(writer, latestManifest, s_packageFields);
            writer.WriteStartObject("dist-tags");
            foreach (var (name, version) in package.DistTags) writer.WriteString(name, version);
            writer.WriteEndObject();

            writer.WriteStartObject("versions");
            foreach (var version in package.Versions)
            {
                writer.WritePropertyName(version.Version);
                WriteVersion(writer, package.Name, version, repositoryUrl, abbreviated);
            }
            writer.WriteEndObject();

            if (!abbreviated)
            {
                writer.WriteStartObject("time");
                writer.WriteString("created", Time(package.Created));
                writer.WriteString("modified", Time(package.Modified));
                foreach (var version in package.Versions) writer.WriteString(version.Version, Time(version.PublishedTime));
                writer.WriteEndObject();
                writer.WriteStartArray("maintainers");
                writer.WriteStartObject();
                writer.WriteString("name", maintainer);
                writer.WriteEndObject();
                writer.WriteEndArray();
                writer.WriteString("readme", package.Readme ?? "");
            }
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The URL npm downloads a version's tarball from: under the registry URL, so npm sends its token along.</summary>
    public static string TarballUrl(string repositoryUrl, string packageName, string assetName) => $"{repositoryUrl}{packageName}/-/{assetName}";

    public static byte[] DistTags(IReadOnlyDictionary<string, string> tags) => JsonSerializer.SerializeToUtf8Bytes(tags);

    /// <summary>Search results in the shape of the public registry's <c>/-/v1/search</c>.</summary>
    public static byte[] Search(NpmSearchResult result, string repositoryUrl, string maintainer)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer, s_writerOptions))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("objects");
            foreach (var hit in result.Objects)
            {
                writer.WriteStartObject();
                writer.WriteStartObject("package");
                writer.WriteString("name", hit.Name);
                writer.WriteString("scope", hit.Name.StartsWith('@') ? hit.Name[1..hit.Name.IndexOf('/', StringComparison.Ordinal)] : "unscoped");
                writer.WriteString("version", hit.Version);
                if (hit.Description is not null) writer.WriteString("description", hit.Description);
                writer.WriteStartArray("keywords");
                foreach (var keyword in hit.Keywords) writer.WriteStringValue(keyword);
                writer.WriteEndArray();
                writer.WriteString("date", Time(hit.Date));
                writer.WriteStartObject("links");
                writer.WriteString("npm", repositoryUrl + hit.Name);
                if (hit.HomePage is not null) writer.WriteString("homepage", hit.HomePage);
                if (hit.Repository is not null) writer.WriteString("repository", hit.Repository);
                if (hit.Bugs is not null) writer.WriteString("bugs", hit.Bugs);
                writer.WriteEndObject();
                writer.WriteStartObject("publisher");
                writer.WriteString("username", maintainer);
                writer.WriteString("email", "");
                writer.WriteEndObject();
                writer.WriteStartArray("maintainers");
                writer.WriteStartObject();
                writer.WriteString("username", maintainer);
                writer.WriteString("email", "");
                writer.WriteEndObject();
                writer.WriteEndArray();
                writer.WriteEndObject();
                writer.WriteStartObject("score");
                writer.WriteNumber("final", hit.Score);
                writer.WriteStartObject("detail");
                writer.WriteNumber("quality", hit.Score);
                writer.WriteNumber("popularity", 0);
                writer.WriteNumber("maintenance", 1);
                writer.WriteEndObject();
                writer.WriteEndObject();
                writer.WriteNumber("searchScore", hit.Score);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteNumber("total", result.Total);
            writer.WriteString("time", Time(DateTimeOffset.UtcNow));
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteVersion(Utf8JsonWriter writer, string packageName, NpmPackageVersion version, string repositoryUrl, bool abbreviated)
    {
        using var manifest = Parse(version.Manifest);
        writer.WriteStartObject();
        writer.WriteString("name", packageName);
        writer.WriteString("version", version.Version);
        var hasInstallScript = false;
        if (manifest?.RootElement is { ValueKind: JsonValueKind.Object } root)
        {
            foreach (var property in root.EnumerateObject())
            {
                var name = property.Name;
                // The registry's own fields win; other underscore fields are leftovers of old clients' installs.
                if (name is "name" or "version" or "dist" or "deprecated" or "hasInstallScript") continue;
                if (name.StartsWith('_') && name != "_hasShrinkwrap") continue;
                if (abbreviated && !s_abbreviatedFields.Contains(name)) continue;
                property.WriteTo(writer);
            }
            hasInstallScript = root.TryGetProperty("scripts", out var scripts) && scripts.ValueKind == JsonValueKind.Object
                && s_installScripts.Any(s => scripts.TryGetProperty(s, out _));
            // A remote's version object may say so without listing its scripts.
            hasInstallScript |= root.TryGetProperty("hasInstallScript", out var flag) && flag.ValueKind == JsonValueKind.True;
        }
        if (hasInstallScript) writer.WriteBoolean("hasInstallScript", true);
        if (version.Deprecated is not null) writer.WriteString("deprecated", version.Deprecated);
        if (!abbreviated) writer.WriteString("_id", $"{packageName}@{version.Version}");
        writer.WriteStartObject("dist");
        // A version only a remote has keeps the remote's digests exactly; it is verified against them when fetched.
        if (version.Integrity is not null) writer.WriteString("integrity", version.Integrity);
        else if (version.Sha512.Length > 0) writer.WriteString("integrity", "sha512-" + Convert.ToBase64String(Convert.FromHexString(version.Sha512)));
        if (version.Sha1.Length > 0) writer.WriteString("shasum", version.Sha1);
        writer.WriteString("tarball", TarballUrl(repositoryUrl, packageName, version.AssetName));
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void CopyFields(Utf8JsonWriter writer, JsonDocument? manifest, string[] fields)
    {
        if (manifest?.RootElement is not { ValueKind: JsonValueKind.Object } root) return;
        foreach (var field in fields)
        {
            if (root.TryGetProperty(field, out var value)) value.WriteTo(writer.WithName(field));
        }
    }

    private static Utf8JsonWriter WithName(this Utf8JsonWriter writer, string name)
    {
        writer.WritePropertyName(name);
        return writer;
    }

    private static JsonDocument? Parse(byte[]? manifest)
    {
        if (manifest is null) return null;
        var json = manifest.AsMemory();
        if (json.Span.StartsWith("\uFEFF"u8)) json = json[3..];
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            // Only valid package.json files are ever published; a damaged one still leaves name, version and dist.
            return null;
        }
    }

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
