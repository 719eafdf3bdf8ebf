using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using PSCodeArtifact.Core.Formats;
using PSCodeArtifact.Core.Storage;

namespace PSCodeArtifact.Core.Services;

/// <summary>
/// What a remote's artifact-level <c>maven-metadata.xml</c> says: its release versions (SNAPSHOTs are never taken from a remote)
/// and its <c>lastUpdated</c>, if it gave a readable one.
/// </summary>
internal sealed record MavenRemoteMetadata(IReadOnlyList<string> Versions, DateTimeOffset? LastUpdated);

// Maven: the remote side of external connections. The connection's URI is a repository root in the standard layout.
// Versions come from {root}{group path}/{artifactId}/maven-metadata.xml. A file is located at
// {root}{group path}/{artifactId}/{version}/{file} and verified against the SHA-1 the remote publishes next to it ({file}.sha1).
// A file of a version the remote's metadata does not list is still taken when the remote has its .sha1: remotes often update
// their metadata later than they add files, and a release is resolved without metadata. A file with neither a .sha1 nor a
// listed version is absent, so misses cost only cached metadata requests, never an asset request. SNAPSHOTs (and their
// timestamped builds) are never ingested from a remote, as in CodeArtifact.
public sealed partial class PackageService
{
    private const int MaxRemoteChecksumBytes = 1024;

    // Parsed remote documents, keyed by the cached body itself: a refreshed document is a new array, so nothing goes stale.
    private static readonly ConditionalWeakTable<byte[], MavenRemoteMetadata> s_parsedMavenMetadata = new();

    [GeneratedRegex(@"-[0-9]{8}\.[0-9]{6}-[0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex MavenBuildVersionPattern();

    [GeneratedRegex(@"^(?:(?<hex>[0-9A-Fa-f]{40})(?:\s.*)?|.*=\s*(?<hex>[0-9A-Fa-f]{40}))$", RegexOptions.CultureInvariant)]
    private static partial Regex RemoteSha1Pattern();

    private async Task<Outcome<IReadOnlyList<string>?>> MavenRemoteVersionsAsync(UpstreamChain chain, ExternalSource source, CancellationToken cancellationToken)
    {
        var metadata = await MavenRemoteMetadataAsync(chain, source, cancellationToken);
        if (metadata.Failure is { } failure) return failure;
        return Outcome<IReadOnlyList<string>?>.From(metadata.Value?.Versions);
    }

    private async Task<Outcome<RemoteAsset?>> MavenLocateRemoteAssetAsync(UpstreamChain chain, ExternalSource source, string version, string asset,
        CancellationToken cancellationToken)
    {
        if (!IsMavenRemoteRelease(version) || SplitMavenFileName(chain.Name, version, asset) is not { Qualifier: null }) return Outcome<RemoteAsset?>.From(null);
        var url = MavenRemoteUrl(source, chain.Namespace, chain.Name, version, asset);
        var checksumUrl = new Uri(url.AbsoluteUri + ".sha1");
        var checksum = await _store.Remote.GetMetadataAsync(source, checksumUrl, "text/plain", cancellationToken);
        if (checksum.Failure is { } unavailable) return unavailable;
        if (checksum.Value is { } document)
        {
            var sha1 = ParseRemoteSha1(document.Body);
            return sha1 is null
                ? RemoteRegistry.Invalid(source, $"{checksumUrl} is not a SHA-1 checksum (40 hex digits)")
                : new RemoteAsset(url, new ExpectedDigests(Sha1: sha1));
        }
        // No .sha1 published: a version the remote lists is taken unverified (the remote gave nothing to check against).
        var listed = await MavenRemoteMetadataAsync(chain, source, cancellationToken);
        if (listed.Failure is { } failure) return failure;
        return Outcome<RemoteAsset?>.From(listed.Value?.Versions.Contains(version, StringComparer.Ordinal) == true ? new RemoteAsset(url, null) : null);
    }

    /// <summary>
    /// The remote's artifact-level metadata through the connection's cache (TTL, negative caching, coalescing, stale-if-error);
    /// null when the remote has no such artifact. Anything that is not a <c>maven-metadata.xml</c> of this artifact is garbage.
    /// </summary>
    internal async Task<Outcome<MavenRemoteMetadata?>> MavenRemoteMetadataAsync(UpstreamChain chain, ExternalSource source, CancellationToken cancellationToken)
    {
        // A "name" that is a SNAPSHOT version is a SNAPSHOT's directory read as an artifact: nothing of it comes from a remote.
        if (IsMavenSnapshot(chain.Name)) return Outcome<MavenRemoteMetadata?>.From(null);
        var url = MavenRemoteUrl(source, chain.Namespace, chain.Name, "maven-metadata.xml");
        var fetched = await _store.Remote.GetMetadataAsync(source, url, "application/xml", cancellationToken);
        if (fetched.Failure is { } failure) return failure;
        if (fetched.Value is not { } document) return Outcome<MavenRemoteMetadata?>.From(null);
        if (s_parsedMavenMetadata.TryGetValue(document.Body, out var known)) return known;
        var parsed = ParseRemoteMavenMetadata(document.Body, chain.Namespace ?? "", chain.Name);
        if (parsed.Failure is { } garbage) return RemoteRegistry.Invalid(source, $"{url} {garbage.Message.TrimEnd('.')}");
        s_parsedMavenMetadata.AddOrUpdate(document.Body, parsed.Value!);
        return parsed.Value!;
    }

    /// <summary>
    /// Reads a remote's artifact-level metadata: the versions of <c>&lt;versions&gt;</c> (and <c>release</c>), without SNAPSHOTs
    /// and without entries that are not Maven versions; the failure's message says what is wrong with the document.
    /// </summary>
    internal static Outcome<MavenRemoteMetadata> ParseRemoteMavenMetadata(byte[] body, string groupId, string artifactId)
    {
        var loaded = SafeXml.Load(body, "maven-metadata.xml");
        if (loaded.Failure is { } unreadable) return new Failure(unreadable.Code, FailureKind.Invalid, $"could not be read as XML: {unreadable.Message}", null);
        var root = loaded.Value!.Root;
        if (root is null || root.Name.LocalName != "metadata") return Garbage("has no <metadata> root element");
        var group = Child(root, "groupId");
        var artifact = Child(root, "artifactId");
        // A group directory's metadata (plugin prefixes) or a version directory's answers a path that also reads as an
        // artifact's: it lists no versions.
        if (artifact is null || (Child(root, "version") is not null && artifact != artifactId)) return new MavenRemoteMetadata([], null);
        if ((group is not null && group != groupId) || artifact != artifactId)
        {
            return Garbage($"describes {group}:{artifact}, not {groupId}:{artifactId}");
        }
        var versioning = root.Elements().FirstOrDefault(e => e.Name.LocalName == "versioning");
        var entries = versioning?.Elements().FirstOrDefault(e => e.Name.LocalName == "versions")?.Elements()
            .Where(e => e.Name.LocalName == "version").Select(e => e.Value.Trim()).ToList() ?? [];
        if (Child(versioning, "release") is { } release) entries.Add(release);
        var versions = entries
            .Where(v => v.Length > 0 && IsMavenRemoteRelease(v) && PackageFormats.Maven.NormalizeVersion(v).Succeeded)
            .Distinct(StringComparer.Ordinal).ToList();
        DateTimeOffset? lastUpdated = DateTime.TryParseExact(Child(versioning, "lastUpdated"), "yyyyMMddHHmmss", CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var stamp)
            ? new DateTimeOffset(stamp, TimeSpan.Zero)
            : null;
        return new MavenRemoteMetadata(versions, lastUpdated);

        static string? Child(XElement? parent, string name) =>
            parent?.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value.Trim() is { Length: > 0 } value ? value : null;
        static Failure Garbage(string what) => new(ErrorCodes.UpstreamInvalid, FailureKind.Invalid, what, null);
    }

    /// <summary>
    /// The SHA-1 of a remote <c>.sha1</c> file in lower-case hex: the first non-empty line as plain hex, <c>hex  file-name</c>
    /// or <c>SHA1(file)= hex</c>; null when it is none of these.
    /// </summary>
    internal static string? ParseRemoteSha1(byte[] body)
    {
        if (body.Length > MaxRemoteChecksumBytes) return null;
        var line = Encoding.UTF8.GetString(body).Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0);
        var match = line is null ? null : RemoteSha1Pattern().Match(line);
        return match is { Success: true } ? match.Groups["hex"].Value.ToLowerInvariant() : null;
    }

    /// <summary>Whether a version can come from a remote: not a SNAPSHOT and not a timestamped SNAPSHOT build.</summary>
    private static bool IsMavenRemoteRelease(string version) => !IsMavenSnapshot(version) && !MavenBuildVersionPattern().IsMatch(version);

    private static Uri MavenRemoteUrl(ExternalSource source, string? groupId, string artifactId, params string[] rest)
    {
        var root = source.BaseUri.AbsoluteUri;
        if (!root.EndsWith('/')) root += "/";
        var segments = (groupId ?? "").Split('.', StringSplitOptions.RemoveEmptyEntries).Append(artifactId).Concat(rest).Select(Uri.EscapeDataString);
        return new Uri(root + string.Join('/', segments));
    }
}
