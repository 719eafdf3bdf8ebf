using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using NuGet.Versioning;
using PSCodeArtifact.Core.Formats;
using PSCodeArtifact.Core.Services;

namespace PSCodeArtifact.Server.Nuget;

/// <summary>
/// The JSON documents of the NuGet v3 feed: the service index, the flat container's version list, registration indexes
/// (pages inlined) and leaves, search results and autocomplete lists. Field names and shapes follow nuget.org's documents.
/// </summary>
internal static class NugetDocuments
{
    public const string ContentType = "application/json; charset=utf-8";

    /// <summary>Registration pages hold 64 versions, as on nuget.org; every page is inlined, so clients never fetch one.</summary>
    private const int PageSize = 64;

    // nuget.org's marker for unlisted versions: clients that ignore "listed" still read a 1900 publish date as unlisted.
    private static readonly DateTimeOffset s_unlistedPublished = new(1900, 1, 1, 0, 0, 0, TimeSpan.Zero);

    // Relaxed escaping keeps descriptions and ranges such as ">= 1.0" readable; these documents are JSON, never embedded in HTML.
    private static readonly JsonWriterOptions s_writerOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The resources the feed implements, each under the <c>@type</c>s the NuGet client and PSResourceGet look up.</summary>
    public static byte[] ServiceIndex(NugetUrls urls) => Write(writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("version", "3.0.0");
        writer.WriteStartArray("resources");
        Resource(writer, urls.Publish, "PackagePublish/2.0.0", "Push (PUT), unlist (DELETE) and relist (POST) packages.");
        Resource(writer, urls.FlatContainer, "PackageBaseAddress/3.0.0", "Package versions and contents (the flat container restore uses).");
        foreach (var type in new[] { "RegistrationsBaseUrl", "RegistrationsBaseUrl/3.0.0-beta", "RegistrationsBaseUrl/3.0.0-rc", "RegistrationsBaseUrl/3.4.0" })
        {
            Resource(writer, urls.Registrations(semVer2: false), type, "Package metadata without SemVer 2.0.0 versions.");
        }
        Resource(writer, urls.Registrations(semVer2: true), "RegistrationsBaseUrl/3.6.0", "Package metadata, SemVer 2.0.0 versions included.");
        // NuGet 4.3 and later pick this entry; older clients skip it for its clientVersion and use the hives above.
        Resource(writer, urls.Registrations(semVer2: true), "RegistrationsBaseUrl/Versioned", "Package metadata, SemVer 2.0.0 versions included.", "4.3.0-alpha");
        foreach (var type in new[] { "SearchQueryService", "SearchQueryService/3.0.0-beta", "SearchQueryService/3.0.0-rc", "SearchQueryService/3.4.0", "SearchQueryService/3.5.0" })
        {
            Resource(writer, urls.Search, type, "Search listed packages by id, title, description, summary, tags and authors.");
        }
        foreach (var type in new[] { "SearchAutocompleteService", "SearchAutocompleteService/3.0.0-beta", "SearchAutocompleteService/3.0.0-rc", "SearchAutocompleteService/3.5.0" })
        {
            Resource(writer, urls.Autocomplete, type, "Complete package ids (q) and the versions of one id (id).");
        }
        writer.WriteEndArray();
        writer.WriteStartObject("@context");
        writer.WriteString("@vocab", "http://schema.nuget.org/services#");
        writer.WriteString("comment", "http://www.w3.org/2000/01/rdf-schema#comment");
        writer.WriteEndObject();
        writer.WriteEndObject();
    });

    /// <summary>The flat container's <c>{id}/index.json</c>: lower-cased normalised versions, unlisted ones included.</summary>
    public static byte[] FlatVersions(IReadOnlyList<string> versions) => Write(writer =>
    {
        writer.WriteStartObject();
        writer.WriteStartArray("versions");
        foreach (var version in versions) writer.WriteStringValue(version);
        writer.WriteEndArray();
        writer.WriteEndObject();
    });

    /// <summary>A registration index with every page inlined; <paramref name="versions"/> are the hive's versions, oldest first.</summary>
    public static byte[] RegistrationIndex(NugetPackage package, IReadOnlyList<NugetPackageVersion> versions, NugetUrls urls, bool semVer2) => Write(writer =>
    {
        var index = urls.RegistrationIndex(semVer2, package.Id);
        var pages = versions.Chunk(PageSize).ToList();
        writer.WriteStartObject();
        writer.WriteString("@id", index);
        writer.WriteStartArray("@type");
        writer.WriteStringValue("catalog:CatalogRoot");
        writer.WriteStringValue("PackageRegistration");
        writer.WriteStringValue("catalog:Permalink");
        writer.WriteEndArray();
        writer.WriteNumber("count", pages.Count);
        writer.WriteStartArray("items");
        foreach (var page in pages)
        {
            // lower and upper bound the page exactly: the client picks the pages to read by them.
            var lower = page[0].NormalizedVersion;
            var upper = page[^1].NormalizedVersion;
            writer.WriteStartObject();
            writer.WriteString("@id", $"{index}#page/{lower}/{upper}");
            writer.WriteString("@type", "catalog:CatalogPage");
            writer.WriteNumber("count", page.Length);
            writer.WriteStartArray("items");
            foreach (var version in page) Leaf(writer, package, version, urls, semVer2);
            writer.WriteEndArray();
            writer.WriteString("parent", index);
            writer.WriteString("lower", lower);
            writer.WriteString("upper", upper);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    });

    /// <summary>A registration leaf document: where the version's metadata and nupkg are, and whether it is listed.</summary>
    public static byte[] RegistrationLeaf(NugetPackage package, NugetPackageVersion version, NugetUrls urls, bool semVer2) => Write(writer =>
    {
        var leaf = urls.RegistrationLeaf(semVer2, package.Id, version.LowerVersion);
        writer.WriteStartObject();
        writer.WriteString("@id", leaf);
        writer.WriteStartArray("@type");
        writer.WriteStringValue("Package");
        writer.WriteStringValue("http://schema.nuget.org/catalog#Permalink");
        writer.WriteEndArray();
        writer.WriteString("catalogEntry", leaf);
        writer.WriteBoolean("listed", version.Listed);
        writer.WriteString("packageContent", urls.PackageContent(package.Id, version.LowerVersion));
        writer.WriteString("published", Time(version.Listed ? version.PublishedTime : s_unlistedPublished));
        writer.WriteString("registration", urls.RegistrationIndex(semVer2, package.Id));
        writer.WriteEndObject();
    });

    /// <summary>Search results: each package with its latest counted version's metadata and every counted version.</summary>
    public static byte[] Search(NugetSearchResult result, NugetUrls urls, bool semVer2) => Write(writer =>
    {
        writer.WriteStartObject();
        writer.WriteNumber("totalHits", result.TotalHits);
        writer.WriteStartArray("data");
        foreach (var package in result.Packages)
        {
            var latest = package.Versions[^1];
            var metadata = latest.Metadata;
            var registration = urls.RegistrationIndex(semVer2, package.Id);
            writer.WriteStartObject();
            writer.WriteString("@id", registration);
            writer.WriteString("@type", "Package");
            writer.WriteString("registration", registration);
            writer.WriteString("id", package.Id);
            writer.WriteString("version", latest.Version);
            writer.WriteString("description", metadata?.Description ?? "");
            writer.WriteString("summary", Summary(metadata) ?? "");
            writer.WriteString("title", Property(metadata, "title") ?? package.Id);
            OptionalString(writer, "iconUrl", Property(metadata, "iconurl"));
            OptionalString(writer, "licenseUrl", LicenseUrl(metadata));
            OptionalString(writer, "projectUrl", metadata?.HomePage);
            Strings(writer, "tags", PackageService.NugetTags(metadata));
            Strings(writer, "authors", Authors(metadata));
            Strings(writer, "owners", []);
            writer.WriteNumber("totalDownloads", 0);
            writer.WriteBoolean("verified", false);
            writer.WriteStartArray("packageTypes");
            foreach (var type in PackageService.NugetPackageTypes(metadata))
            {
                writer.WriteStartObject();
                writer.WriteString("name", type);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteStartArray("versions");
            foreach (var version in package.Versions)
            {
                writer.WriteStartObject();
                writer.WriteString("version", version.Version);
                writer.WriteNumber("downloads", 0);
                writer.WriteString("@id", urls.RegistrationLeaf(semVer2, package.Id, version.LowerVersion));
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    });

    /// <summary>An autocomplete answer: package ids, or the versions of one package.</summary>
    public static byte[] Autocomplete(int totalHits, IEnumerable<string> data) => Write(writer =>
    {
        writer.WriteStartObject();
        writer.WriteNumber("totalHits", totalHits);
        writer.WriteStartArray("data");
        foreach (var item in data) writer.WriteStringValue(item);
        writer.WriteEndArray();
        writer.WriteEndObject();
    });

    /// <summary>A version in a registration page: the leaf's URL, its catalog entry (the nuspec's metadata) and its nupkg.</summary>
    private static void Leaf(Utf8JsonWriter writer, NugetPackage package, NugetPackageVersion version, NugetUrls urls, bool semVer2)
    {
        var leaf = urls.RegistrationLeaf(semVer2, package.Id, version.LowerVersion);
        var content = urls.PackageContent(package.Id, version.LowerVersion);
        writer.WriteStartObject();
        writer.WriteString("@id", leaf);
        writer.WriteString("@type", "Package");
        if (version.RemoteCatalogEntry is { } remote)
        {
            RemoteCatalogEntry(writer, remote, version, leaf, content, urls, semVer2);
        }
        else
        {
            CatalogEntry(writer, package, version, leaf, content, urls, semVer2);
        }
        writer.WriteString("packageContent", content);
        writer.WriteString("registration", urls.RegistrationIndex(semVer2, package.Id));
        writer.WriteEndObject();
    }

    /// <summary>The catalog entry of a version a repository holds: the nuspec's metadata, and the nupkg's size and SHA-512.</summary>
    private static void CatalogEntry(Utf8JsonWriter writer, NugetPackage package, NugetPackageVersion version, string leaf, string content, NugetUrls urls,
        bool semVer2)
    {
        var metadata = version.Metadata;
        writer.WriteStartObject("catalogEntry");
        writer.WriteString("@id", leaf);
        writer.WriteString("@type", "PackageDetails");
        writer.WriteString("id", metadata?.DisplayName ?? package.Id);
        writer.WriteString("version", version.Version);
        writer.WriteBoolean("listed", version.Listed);
        writer.WriteString("published", Time(version.Listed ? version.PublishedTime : s_unlistedPublished));
        // PSResourceGet (1.0) reads isPrerelease from the entry and fails to convert one without it.
        writer.WriteBoolean("isPrerelease", version.IsPrerelease);
        writer.WriteString("authors", Property(metadata, "authors") ?? "");
        writer.WriteString("description", metadata?.Description ?? "");
        OptionalString(writer, "summary", Summary(metadata));
        OptionalString(writer, "title", Property(metadata, "title"));
        OptionalString(writer, "iconUrl", Property(metadata, "iconurl"));
        OptionalString(writer, "language", Property(metadata, "language"));
        OptionalString(writer, "licenseExpression", LicenseExpression(metadata));
        OptionalString(writer, "licenseUrl", LicenseUrl(metadata));
        OptionalString(writer, "projectUrl", metadata?.HomePage);
        OptionalString(writer, "minClientVersion", Property(metadata, "minclientversion"));
        OptionalString(writer, "copyright", Property(metadata, "copyright"));
        OptionalString(writer, "releaseNotes", Property(metadata, "releasenotes"));
        writer.WriteBoolean("requireLicenseAcceptance", Property(metadata, "requirelicenseacceptance") == "true");
        Strings(writer, "tags", PackageService.NugetTags(metadata));
        writer.WriteString("packageContent", content);
        // What a downstream feed (an external connection to this one) verifies the nupkg against.
        if (version.Sha512.Length == 128)
        {
            writer.WriteString("packageHash", Convert.ToBase64String(Convert.FromHexString(version.Sha512)));
            writer.WriteString("packageHashAlgorithm", "SHA512");
            writer.WriteNumber("packageSize", version.Size);
        }
        DependencyGroups(writer, metadata?.Dependencies ?? [], urls, semVer2);
        writer.WriteEndObject();
    }

    /// <summary>
    /// The catalog entry of a version only a remote has, as the remote wrote it, but with its own URL and its nupkg's at this
    /// feed, dependency registrations at this feed, and the remote's other catalog <c>@id</c>s left out.
    /// </summary>
    private static void RemoteCatalogEntry(Utf8JsonWriter writer, JsonElement entry, NugetPackageVersion version, string leaf, string content, NugetUrls urls,
        bool semVer2)
    {
        writer.WriteStartObject("catalogEntry");
        writer.WriteString("@id", leaf);
        writer.WriteString("packageContent", content);
        foreach (var property in entry.EnumerateObject())
        {
            if (property.NameEquals("@id") || property.NameEquals("packageContent")) continue;
            writer.WritePropertyName(property.Name);
            CopyRewritten(writer, property.Value, urls, semVer2);
        }
        // PSResourceGet (1.0) reads isPrerelease from the entry and fails to convert one without it.
        if (!entry.TryGetProperty("isPrerelease", out _)) writer.WriteBoolean("isPrerelease", version.IsPrerelease);
        writer.WriteEndObject();
    }

    /// <summary>Copies remote JSON, dropping nested <c>@id</c>s and pointing each <c>registration</c> of an object with an <c>id</c> at this feed.</summary>
    private static void CopyRewritten(Utf8JsonWriter writer, JsonElement element, NugetUrls urls, bool semVer2)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var id = element.TryGetProperty("id", out var named) && named.ValueKind == JsonValueKind.String ? named.GetString() : null;
                writer.WriteStartObject();
                foreach (var property in element.EnumerateObject())
                {
                    if (property.NameEquals("@id")) continue;
                    if (property.NameEquals("registration"))
                    {
                        if (id is not null) writer.WriteString("registration", urls.RegistrationIndex(semVer2, id));
                        continue;
                    }
                    writer.WritePropertyName(property.Name);
                    CopyRewritten(writer, property.Value, urls, semVer2);
                }
                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray()) CopyRewritten(writer, item, urls, semVer2);
                writer.WriteEndArray();
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }

    /// <summary>Dependencies grouped by target framework in nuspec order; the framework-neutral group has no targetFramework.</summary>
    private static void DependencyGroups(Utf8JsonWriter writer, IReadOnlyList<PackageDependency> dependencies, NugetUrls urls, bool semVer2)
    {
        if (dependencies.Count == 0) return;
        writer.WriteStartArray("dependencyGroups");
        foreach (var group in dependencies.GroupBy(d => d.DependencyType, StringComparer.OrdinalIgnoreCase))
        {
            writer.WriteStartObject();
            writer.WriteString("@type", "PackageDependencyGroup");
            if (group.Key.Length > 0) writer.WriteString("targetFramework", group.Key);
            writer.WriteStartArray("dependencies");
            foreach (var dependency in group)
            {
                writer.WriteStartObject();
                writer.WriteString("@type", "PackageDependency");
                writer.WriteString("id", dependency.Package);
                writer.WriteString("range", Range(dependency.VersionRequirement));
                writer.WriteString("registration", urls.RegistrationIndex(semVer2, dependency.Package));
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }

    /// <summary>A range in NuGet's normalised notation (<c>1.0.0</c> becomes <c>[1.0.0, )</c>); no requirement is any version.</summary>
    private static string Range(string requirement) =>
        requirement.Length == 0 ? VersionRange.All.ToNormalizedString()
        : VersionRange.TryParse(requirement, out var range) ? range.ToNormalizedString()
        : requirement;

    private static void Resource(Utf8JsonWriter writer, string id, string type, string comment, string? clientVersion = null)
    {
        writer.WriteStartObject();
        writer.WriteString("@id", id);
        writer.WriteString("@type", type);
        writer.WriteString("comment", comment);
        if (clientVersion is not null) writer.WriteString("clientVersion", clientVersion);
        writer.WriteEndObject();
    }

    // The format module falls back to the description for a missing summary; NuGet documents leave it out instead.
    private static string? Summary(PackageMetadata? metadata) => metadata?.Summary is { } summary && summary != metadata.Description ? summary : null;

    private static string? Property(PackageMetadata? metadata, string key) => metadata?.Properties.GetValueOrDefault(key) is { Length: > 0 } value ? value : null;

    // The format module records an SPDX expression as its text with the licenses.nuget.org link pack also writes.
    private static string? LicenseExpression(PackageMetadata? metadata) =>
        metadata?.Licenses.FirstOrDefault(l => l.Name is not null && l.Url?.StartsWith("https://licenses.nuget.org/", StringComparison.Ordinal) == true)?.Name;

    private static string? LicenseUrl(PackageMetadata? metadata) => metadata?.Licenses.FirstOrDefault(l => l.Url is not null)?.Url;

    private static string[] Authors(PackageMetadata? metadata) =>
        Property(metadata, "authors")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];

    private static void OptionalString(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null) writer.WriteString(name, value);
    }

    private static void Strings(Utf8JsonWriter writer, string name, IEnumerable<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values) writer.WriteStringValue(value);
        writer.WriteEndArray();
    }

    private static string Time(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static byte[] Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, s_writerOptions))
        {
            write(writer);
        }
        return buffer.WrittenSpan.ToArray();
    }
}
