using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using PSCodeArtifact.Core.Formats;
using PSCodeArtifact.Core.Storage;

namespace PSCodeArtifact.Core.Services;

/// <summary>
/// One usable version of a remote packument: its version object as the remote wrote it, where its tarball is, the digests
/// the remote published (the exact <c>dist.integrity</c> and <c>dist.shasum</c> texts, and as hex for verification), its
/// deprecation message and publish time.
/// </summary>
internal sealed record NpmRemoteVersion(string VersionKey, byte[] Document, Uri Tarball, string? Integrity, string? Shasum, ExpectedDigests Expected,
    string? Deprecated, DateTimeOffset? Time);

/// <summary>
/// A remote packument as far as this registry uses it: its usable versions by version key, every version key it lists
/// (usable or not), its dist-tags (pointing at usable versions), times and readme.
/// </summary>
internal sealed record NpmRemotePackument(IReadOnlyDictionary<string, NpmRemoteVersion> Versions, IReadOnlyList<string> Listed,
    IReadOnlyDictionary<string, string> DistTags, DateTimeOffset? Created, DateTimeOffset? Modified, string? Readme);

/// <summary>What a remote said about a package: its packument (null when it has no such package) and the document it came from.</summary>
internal sealed record NpmRemoteAnswer(RemoteDocument? Document, NpmRemotePackument? Packument);

// Npm: the remote side of external connections. The connection's URI is a registry root; a package's full packument is
// {root}{name with '/' escaped as %2f}, fetched through the remote registry cache (TTL, 404 caching, coalescing, stale-if-error).
public sealed partial class PackageService
{
    // Parsed packuments by the cached body they were parsed from: the remote cache hands out the same array until it refetches,
    // so each fetched document is parsed once and the entry goes when the document does.
    private static readonly ConditionalWeakTable<byte[], object> s_npmRemoteParsed = new();

    private async Task<Outcome<IReadOnlyList<string>?>> NpmRemoteVersionsAsync(UpstreamChain chain, ExternalSource source, CancellationToken cancellationToken)
    {
        var answer = await NpmRemotePackumentAsync(chain, source, cancellationToken);
        if (answer.Failure is { } failure) return failure;
        return Outcome<IReadOnlyList<string>?>.From(answer.Value!.Packument?.Listed);
    }

    private async Task<Outcome<RemoteAsset?>> NpmLocateRemoteAssetAsync(UpstreamChain chain, ExternalSource source, string version, string asset,
        CancellationToken cancellationToken)
    {
        var answer = await NpmRemotePackumentAsync(chain, source, cancellationToken);
        if (answer.Failure is { } failure) return failure;
        var versionKey = chain.Format.NormalizeVersion(version).Value ?? version;
        if (answer.Value!.Packument?.Versions.GetValueOrDefault(versionKey) is not { } remote) return Outcome<RemoteAsset?>.From(null);
        // Tarballs are named after the unscoped name and the version key, whatever the remote calls its file.
        if (asset != NpmTarballName(chain.Name, versionKey)) return Outcome<RemoteAsset?>.From(null);
        return Outcome<RemoteAsset?>.From(new RemoteAsset(remote.Tarball, remote.Expected));
    }

    private static string NpmTarballName(string name, string versionKey) => $"{name}-{versionKey}.tgz";

    /// <summary>The remote's full packument of the chain's package, validated; garbage is an <see cref="ErrorCodes.UpstreamInvalid"/> failure.</summary>
    internal async Task<Outcome<NpmRemoteAnswer>> NpmRemotePackumentAsync(UpstreamChain chain, ExternalSource source, CancellationToken cancellationToken)
    {
        // The name goes into the remote URL as it is: one npm refuses ("..", "a?b", "a#b") could reach other paths or queries of
        // the remote's host, with the connection's credentials. No registry has such a package.
        if (chain.Format.CheckName(chain.Namespace, chain.Name) is not null) return new NpmRemoteAnswer(null, null);
        var root = source.BaseUri.AbsoluteUri.EndsWith('/') ? source.BaseUri.AbsoluteUri : source.BaseUri.AbsoluteUri + "/";
        var escaped = chain.Namespace is { Length: > 0 } scope ? $"@{scope}%2f{chain.Name}" : chain.Name;
        var url = new Uri(root + escaped);
        var fetched = await _store.Remote.GetMetadataAsync(source, url, "application/json", cancellationToken);
        if (fetched.Failure is { } failure) return failure;
        if (fetched.Value is not { } document) return new NpmRemoteAnswer(null, null);
        var parsed = s_npmRemoteParsed.GetValue(document.Body, body => NpmParseRemote(body, document.Url));
        if (parsed is string why) return RemoteRegistry.Invalid(source, $"the packument at {document.Url} {why}");
        return new NpmRemoteAnswer(document, (NpmRemotePackument)parsed);
    }

    /// <summary>Parses a remote packument; a string says what is wrong with it.</summary>
    private static object NpmParseRemote(byte[] body, Uri url)
    {
        JsonDocument parsed;
        try
        {
            parsed = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return "is not JSON";
        }
        using (parsed)
        {
            var root = parsed.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return "is not a JSON object";
            if (!root.TryGetProperty("versions", out var versions) || versions.ValueKind != JsonValueKind.Object) return "has no 'versions' object";
            var times = root.TryGetProperty("time", out var t) && t.ValueKind == JsonValueKind.Object ? t : (JsonElement?)null;
            var usable = new Dictionary<string, NpmRemoteVersion>(StringComparer.Ordinal);
            var listed = new List<string>();
            foreach (var entry in versions.EnumerateObject())
            {
                listed.Add(entry.Name);
                // A version this registry could not serve (no tarball, no digest, not SemVer) is left out, not the whole package.
                if (NpmRemoteVersionOf(entry, url, times) is { } version) usable.TryAdd(version.VersionKey, version);
            }
            if (listed.Count > 0 && usable.Count == 0)
            {
                return $"lists {listed.Count} version(s) but none with a usable dist (a tarball URL and a sha512 integrity or a shasum)";
            }
            var tags = new Dictionary<string, string>(StringComparer.Ordinal);
            if (root.TryGetProperty("dist-tags", out var distTags) && distTags.ValueKind == JsonValueKind.Object)
            {
                foreach (var tag in distTags.EnumerateObject())
                {
                    if (tag.Value.ValueKind == JsonValueKind.String && PackageFormats.Npm.NormalizeVersion(tag.Value.GetString()!).Value is { } key
                        && usable.ContainsKey(key))
                    {
                        tags[tag.Name] = key;
                    }
                }
            }
            var readme = root.TryGetProperty("readme", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
            return new NpmRemotePackument(usable, listed, tags, NpmTime(times, "created"), NpmTime(times, "modified"), readme);
        }
    }

    private static NpmRemoteVersion? NpmRemoteVersionOf(JsonProperty entry, Uri url, JsonElement? times)
    {
        var value = entry.Value;
        if (value.ValueKind != JsonValueKind.Object || PackageFormats.Npm.NormalizeVersion(entry.Name).Value is not { } key) return null;
        if (!value.TryGetProperty("dist", out var dist) || dist.ValueKind != JsonValueKind.Object) return null;
        if (NpmText(dist, "tarball") is not { } tarballText || !Uri.TryCreate(url, tarballText, out var tarball)
            || tarball.Scheme is not ("http" or "https")) return null;
        var integrity = NpmText(dist, "integrity");
        var shasum = NpmText(dist, "shasum");
        string? sha512 = null, sha1 = null;
        foreach (var item in (integrity ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            var dash = item.IndexOf('-', StringComparison.Ordinal);
            if (dash < 0) continue;
            var hex = NpmBase64ToHex(item[(dash + 1)..].Split('?')[0]);
            switch (item[..dash])
            {
                case "sha512" when hex?.Length == 128:
                    sha512 ??= hex;
                    break;
                case "sha1" when hex?.Length == 40:
                    sha1 ??= hex;
                    break;
            }
        }
        if (shasum is not null)
        {
            if (shasum.Length != 40 || !shasum.All(char.IsAsciiHexDigit)) return null;
            var lower = shasum.ToLowerInvariant();
            if (sha1 is not null && sha1 != lower) return null;
            sha1 = lower;
        }
        if (sha512 is null && sha1 is null) return null;
        var deprecated = NpmText(value, "deprecated");
        return new NpmRemoteVersion(key, Encoding.UTF8.GetBytes(value.GetRawText()), tarball, integrity, shasum, new ExpectedDigests(Sha1: sha1, Sha512: sha512),
            deprecated, NpmTime(times, entry.Name));
    }

    private static string? NpmBase64ToHex(string base64)
    {
        var bytes = new byte[(base64.Length * 3 / 4) + 3];
        return Convert.TryFromBase64String(base64, bytes, out var written) ? Convert.ToHexStringLower(bytes.AsSpan(0, written)) : null;
    }

    private static DateTimeOffset? NpmTime(JsonElement? times, string property) =>
        times is { } t && NpmText(t, property) is { } text
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time : null;
}
