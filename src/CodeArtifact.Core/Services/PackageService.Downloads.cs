using PSCodeArtifact.Core.Formats;
using PSCodeArtifact.Core.Storage;

namespace PSCodeArtifact.Core.Services;

// The download fast path. Most downloads ask a repository for an asset of a version it serves itself: one prepared catalog
// query then finds the package, the version, the asset with its digests and the domain's key row, and the key comes from the
// store's key cache. Whatever this query does not find (another status, another repository of the chain, a remote, a
// missing row) goes the full way, which decides and explains exactly as before.
public sealed partial class PackageService
{
    private const string ServedAssetQuery = $"""
        SELECT d.key_id, d.wrapped_key, d.id, r.id, r.name, p.id, p.namespace, p.name, p.origin_publish, p.origin_upstream,
               v.id, v.version, v.version_key, v.status, v.revision, v.origin_type, v.entry_repository, v.entry_external, v.metadata_sha256, v.published_time,
               a.sha256, b.sha1, b.md5, b.sha512, b.size
        FROM domains d
        JOIN repositories r ON r.domain_id = d.id AND r.name_key = $repository
        JOIN packages p ON p.repository_id = r.id AND p.format = $format AND p.namespace_key = $ns AND p.name_key = $name
        JOIN package_versions v ON v.package_id = p.id AND v.version_key = $version AND v.status IN ('{Published}', '{Unlisted}')
        JOIN assets a ON a.version_id = v.id AND a.name = $asset
        JOIN blobs b ON b.domain_id = d.id AND b.sha256 = a.sha256
        WHERE d.name = $domain;
        """;

    /// <summary>An asset of a Published or Unlisted version with what its download needs: the rows and the domain's key row.</summary>
    private sealed record ServedAsset(ResolvedPackage Package, VersionRow Version, AssetRow Asset, string KeyId, byte[] WrappedKey);

    /// <summary>
    /// The asset of a Published or Unlisted version the repository itself holds, found with one prepared query; null when there
    /// is no such asset (or the version has another status), and the caller's full path then says why.
    /// </summary>
    private ServedAsset? FindServedAsset(string domain, string repository, IPackageFormat format, string? @namespace, string package, string version,
        string asset)
    {
        @namespace = StripScope(format, @namespace);
        var nsKey = format.NormalizeNamespace(@namespace);
        var nameKey = format.NormalizeName(package);
        var versionKey = format.NormalizeVersion(version).Value ?? version;
        using var reader = _store.Catalog.RentReader();
        using var rows = reader.Statement(ServedAssetQuery, ("$domain", domain), ("$repository", repository.ToLowerInvariant()), ("$format", format.Name),
            ("$ns", nsKey), ("$name", nameKey), ("$version", versionKey), ("$asset", asset)).ExecuteReader();
        if (!rows.Read()) return null;
        var info = ToPackageInfo(domain, rows.GetString(4), format.Name, rows.GetString(6), rows.GetString(7),
            new PackageOriginConfiguration(rows.GetString(8), rows.GetString(9)));
        var resolved = new ResolvedPackage(rows.GetInt64(2), rows.GetInt64(3), rows.GetInt64(5), format, nsKey, nameKey, info);
        var row = new VersionRow(rows.GetInt64(10), rows.GetString(11), rows.GetString(12), rows.GetString(13), rows.GetString(14), rows.GetString(15),
            rows.IsDBNull(16) ? null : rows.GetString(16), rows.IsDBNull(17) ? null : rows.GetString(17), rows.IsDBNull(18) ? null : rows.GetString(18),
            rows.GetInt64(19));
        var assetRow = new AssetRow(asset, rows.GetString(20), rows.GetString(21), rows.GetString(22), rows.GetString(23), rows.GetInt64(24));
        return new ServedAsset(resolved, row, assetRow, rows.GetString(0), (byte[])rows.GetValue(1));
    }

    /// <summary>Opens the blob of an asset <see cref="FindServedAsset"/> found.</summary>
    private async Task<(AssetInfo Asset, Stream Content)> OpenServedAssetAsync(ServedAsset found, CancellationToken cancellationToken)
    {
        using var domainKey = _store.Domains.KeyOf(found.Package.Info.Domain, found.KeyId, found.WrappedKey);
        var stream = await _store.Blobs.OpenReadAsync(domainKey, found.Asset.Sha256, cancellationToken);
        return (ToAssetInfo(found.Package, found.Version, found.Asset), stream);
    }

    /// <summary>The fast path of a package-manager download: an asset the asked repository serves itself, opened; null otherwise.</summary>
    private async Task<(AssetInfo Asset, Stream Content)?> TryOpenServedAssetAsync(string domain, string repository, string format, string? @namespace,
        string package, string version, string asset, string? revision, CancellationToken cancellationToken)
    {
        if (PackageFormats.Get(format).Value is not { } f) return null;
        if (FindServedAsset(domain, repository, f, @namespace, package, version, asset) is not { } found) return null;
        if (revision is not null && revision != found.Version.Revision) return null;
        return await OpenServedAssetAsync(found, cancellationToken);
    }
}
