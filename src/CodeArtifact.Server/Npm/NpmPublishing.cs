using System.Text.Json;
using Microsoft.AspNetCore.Http;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Services;
using PSCodeArtifact.Server.Hosting;

namespace PSCodeArtifact.Server.Npm;

/// <summary>
/// The npm <c>PUT</c> of a package document, which means one of three things: a publish (one version and its tarball in
/// <c>_attachments</c>), a metadata update such as <c>npm deprecate</c> (no attachments), or, on <c>/-rev/{rev}</c>, an
/// unpublish of the versions the document no longer lists.
/// </summary>
internal static class NpmPublishing
{
    public static async Task<IResult> PutAsync(HttpContext context, string domain, string repository, NpmRoute route, CancellationToken cancellationToken)
    {
        var store = Http.Store(context);
        var read = await NpmPublishBody.ReadAsync(context.Request.Body, Path.Combine(store.Path, "tmp"), cancellationToken);
        if (read.Failure is { } unreadable) return Http.FromFailure(unreadable);
        using var body = read.Value!;
        if (body.Root.TryGetProperty("name", out var name) && (name.ValueKind != JsonValueKind.String || name.GetString() != route.FullName))
        {
            return Invalid($"The document names the package {name.GetRawText()}, but it was sent to '{route.FullName}'.");
        }
        var versions = body.Root.TryGetProperty("versions", out var v) && v.ValueKind == JsonValueKind.Object ? v : (JsonElement?)null;
        if (route.Kind == NpmRouteKind.PackageRevision)
        {
            if (versions is null)
            {
                return Invalid($"An unpublish document lists the versions to keep under 'versions'; to remove the whole package send DELETE {route.FullName}/-rev/{route.Revision}.");
            }
            var keep = versions.Value.EnumerateObject().Select(p => p.Name).ToList();
            var unpublished = store.Packages.UnpublishNpmVersions(domain, repository, route.Scope, route.Name!, route.Revision!, keep);
            return unpublished.Failure is { } failure ? Http.FromFailure(failure) : Results.Json(new { ok = "updated", success = true });
        }
        var hasAttachments = body.Root.TryGetProperty("_attachments", out var attachments)
            && attachments.ValueKind == JsonValueKind.Object && attachments.EnumerateObject().Any();
        return hasAttachments
            ? await PublishAsync(store, domain, repository, route, body, versions, cancellationToken)
            : await UpdateAsync(store, domain, repository, route, versions, cancellationToken);
    }

    private static async Task<IResult> PublishAsync(CaStore store, string domain, string repository, NpmRoute route, NpmPublishBody body,
        JsonElement? versions, CancellationToken cancellationToken)
    {
        var entries = versions?.EnumerateObject().ToList() ?? [];
        if (entries.Count != 1) return Invalid($"A publish carries exactly one version under 'versions'; this document has {entries.Count}.");
        if (body.Attachments.Count != 1)
        {
            return Invalid($"A publish carries exactly one tarball (a '.tgz' key) under '_attachments'; this document has {body.Attachments.Count}.");
        }
        var version = entries[0].Name;
        var manifest = entries[0].Value;
        if (manifest.ValueKind != JsonValueKind.Object) return Invalid($"versions[\"{version}\"] is not an object.");
        var attachment = body.Attachments[0];
        if (CheckAttachment(body.Root.GetProperty("_attachments").GetProperty(attachment.Key), manifest, attachment) is { } mismatch)
        {
            return Invalid($"The tarball '{attachment.Key}' does not match its description: {mismatch} Nothing was stored.");
        }

        var tags = body.Root.TryGetProperty("dist-tags", out var distTags) && distTags.ValueKind == JsonValueKind.Object
            ? distTags.EnumerateObject().Where(t => t.Value.ValueKind == JsonValueKind.String && t.Value.GetString() == version).Select(t => t.Name).ToList()
            : [];
        var fileName = attachment.Key[(attachment.Key.LastIndexOf('/') + 1)..];
        var request = new PublishRequest(domain, repository, fileName)
        {
            Format = "npm",
            Namespace = route.Scope,
            Package = route.Name,
            Version = version,
            DistTag = tags.FirstOrDefault(),
        };
        var published = await store.Packages.PublishAsync(request, attachment.Content, cancellationToken);
        if (published.Failure is { } failure) return Http.FromFailure(failure);
        foreach (var tag in tags.Skip(1))
        {
            if (store.Packages.SetNpmDistTag(domain, repository, route.Scope, route.Name!, tag, version).Failure is { } badTag) return Http.FromFailure(badTag);
        }
        return Results.Json(new { ok = "created", success = true }, statusCode: StatusCodes.Status201Created);
    }

    /// <summary>A document without attachments changes metadata: each listed version's <c>deprecated</c> (absent or "" clears it).</summary>
    private static async Task<IResult> UpdateAsync(CaStore store, string domain, string repository, NpmRoute route, JsonElement? versions,
        CancellationToken cancellationToken)
    {
        var messages = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var entry in versions is { } listed ? listed.EnumerateObject().ToList() : [])
        {
            messages[entry.Name] = entry.Value.ValueKind == JsonValueKind.Object && entry.Value.TryGetProperty("deprecated", out var deprecated)
                && deprecated.ValueKind == JsonValueKind.String ? deprecated.GetString() : null;
        }
        if (messages.Count == 0)
        {
            var exists = store.Packages.GetNpmStamp(domain, repository, route.Scope, route.Name!);
            return exists.Failure is { } missing ? Http.FromFailure(missing) : Results.Json(new { ok = "updated", success = true });
        }
        var updated = await store.Packages.SetNpmDeprecationsAsync(domain, repository, route.Scope, route.Name!, messages, cancellationToken);
        return updated.Failure switch
        {
            null => Results.Json(new { ok = "updated", success = true }),
            { Code: ErrorCodes.PackageNotFound or ErrorCodes.PackageVersionNotFound } missing => Invalid(
                $"{missing.Message} The document carries no tarball for it (its '_attachments' are missing or empty), so there is nothing to publish."),
            { } failure => Http.FromFailure(failure),
        };
    }

    /// <summary>Why a decoded tarball disagrees with its declared length, <c>dist.integrity</c> or <c>dist.shasum</c>; null when it agrees.</summary>
    private static string? CheckAttachment(JsonElement declared, JsonElement manifest, NpmAttachment attachment)
    {
        if (declared.ValueKind == JsonValueKind.Object && declared.TryGetProperty("length", out var length))
        {
            if (!length.TryGetInt64(out var expected)) return "its 'length' is not a number.";
            if (expected != attachment.Length) return $"its 'length' is {expected} but its data decodes to {attachment.Length} bytes.";
        }
        if (!manifest.TryGetProperty("dist", out var dist) || dist.ValueKind != JsonValueKind.Object) return null;
        if (dist.TryGetProperty("integrity", out var integrity) && integrity.ValueKind == JsonValueKind.String && CheckIntegrity(integrity.GetString()!, attachment) is { } why)
        {
            return why;
        }
        if (dist.TryGetProperty("shasum", out var shasum) && shasum.ValueKind == JsonValueKind.String
            && !string.Equals(shasum.GetString(), Convert.ToHexStringLower(attachment.Sha1), StringComparison.OrdinalIgnoreCase))
        {
            return $"its dist.shasum is {shasum.GetString()} but the data's SHA-1 is {Convert.ToHexStringLower(attachment.Sha1)}.";
        }
        return null;
    }

    /// <summary>Checks the Subresource Integrity entries this registry computes (sha512, sha1); at least one must be there.</summary>
    private static string? CheckIntegrity(string integrity, NpmAttachment attachment)
    {
        var known = 0;
        foreach (var entry in integrity.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            var dash = entry.IndexOf('-', StringComparison.Ordinal);
            if (dash < 0) continue;
            var algorithm = entry[..dash];
            var digest = entry[(dash + 1)..].Split('?')[0];
            var actual = algorithm switch
            {
                "sha512" => attachment.Sha512,
                "sha1" => attachment.Sha1,
                _ => null,
            };
            if (actual is null) continue;
            known++;
            if (digest != Convert.ToBase64String(actual)) return $"its dist.integrity says {entry} but the data is {algorithm}-{Convert.ToBase64String(actual)}.";
        }
        return known > 0 || integrity.Trim().Length == 0 ? null : $"its dist.integrity ({integrity}) has no sha512 or sha1 digest to check.";
    }

    private static IResult Invalid(string message) => Http.Error(StatusCodes.Status400BadRequest, NpmPublishBody.InvalidDocument, message);
}
