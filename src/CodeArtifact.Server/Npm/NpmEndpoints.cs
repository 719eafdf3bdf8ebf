using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;
using PSCodeArtifact.Core;
using PSCodeArtifact.Server.Hosting;

namespace PSCodeArtifact.Server.Npm;

/// <summary>
/// The npm registry API under <c>/{domain}/npm/{repository}/</c>. One catch-all route per method, because npm spells
/// scoped names three ways (<c>@scope%2fname</c>, <c>@scope%2Fname</c>, <c>@scope/name</c>) and Kestrel keeps <c>%2F</c>
/// encoded; <see cref="NpmRoute"/> reads the path.
/// <list type="bullet">
/// <item><c>GET|HEAD {name}</c>: the packument (abbreviated for <c>Accept: application/vnd.npm.install-v1+json</c>), merged across the
/// repository's upstreams and external connection (<c>?write=true</c>: the repository's own package), cached by stamp, with ETag.</item>
/// <item><c>GET|HEAD {name}/-/{file}.tgz</c>: a tarball, from the first repository of the chain that holds the version (retained
/// here), or fetched from the remote.</item>
/// <item><c>PUT {name}</c>: publish (with <c>_attachments</c>) or deprecate (without); <c>PUT {name}/-rev/{rev}</c>: unpublish versions.</item>
/// <item><c>DELETE {name}/-rev/{rev}</c>: unpublish the package; <c>DELETE {tarball}/-rev/{rev}</c>: the last step of unpublishing a version.</item>
/// <item><c>GET|PUT|DELETE -/package/{name}/dist-tags[/{tag}]</c> (GET merged like the packument), <c>GET -/whoami</c>, <c>GET -/ping</c>, <c>GET -/v1/search</c>.</item>
/// </list>
/// </summary>
internal static class NpmEndpoints
{
    private const string NotFoundMessage = "Not found";
    private const int MaxDistTagBody = 64 * 1024;

    public static RouteGroupBuilder MapNpm(this RouteGroupBuilder npm)
    {
        npm.MapMethods("/{**path}", [HttpMethods.Get, HttpMethods.Head], Get);
        npm.MapPut("/{**path}", Put);
        npm.MapDelete("/{**path}", Delete);
        // Every other method: a JSON 405, after the same token check (the group's filter) as the rest.
        npm.Map("/{**path}", (HttpContext context) => NotAllowed(context)).WithOrder(1);
        return npm;
    }

    private static async Task<IResult> Get(HttpContext context, string domain, string repository, string? path, CancellationToken cancellationToken)
    {
        var route = NpmRoute.Parse(path);
        return route.Kind switch
        {
            NpmRouteKind.Package => await PackumentAsync(context, domain, repository, route, cancellationToken),
            NpmRouteKind.Tarball => await TarballAsync(context, domain, repository, route, cancellationToken),
            NpmRouteKind.DistTags => Tags(await Http.Store(context).Packages.GetNpmDistTagsThroughUpstreamsAsync(domain, repository, route.Scope, route.Name!, cancellationToken)),
            NpmRouteKind.Whoami => Json(new { username = domain }),
            NpmRouteKind.Ping => Json(new { }),
            NpmRouteKind.Search => await SearchAsync(context, domain, repository, cancellationToken),
            NpmRouteKind.Unknown => NotFound(),
            _ => NotAllowed(context),
        };
    }

    private static async Task<IResult> Put(HttpContext context, string domain, string repository, string? path, CancellationToken cancellationToken)
    {
        var route = NpmRoute.Parse(path);
        return route.Kind switch
        {
            NpmRouteKind.Package or NpmRouteKind.PackageRevision => await NpmPublishing.PutAsync(context, domain, repository, route, cancellationToken),
            NpmRouteKind.DistTag => await PutDistTagAsync(context, domain, repository, route, cancellationToken),
            NpmRouteKind.Unknown => NotFound(),
            _ => NotAllowed(context),
        };
    }

    private static IResult Delete(HttpContext context, string domain, string repository, string? path)
    {
        var route = NpmRoute.Parse(path);
        var packages = Http.Store(context).Packages;
        switch (route.Kind)
        {
            case NpmRouteKind.PackageRevision:
                var removed = packages.UnpublishNpmPackage(domain, repository, route.Scope, route.Name!, route.Revision!);
                return removed.Failure is { } failure ? Http.FromFailure(failure) : Json(new { ok = "deleted", success = true });
            case NpmRouteKind.TarballRevision:
                var deleted = packages.DeleteNpmTarball(domain, repository, route.Scope, route.Name!, route.File!, route.Revision!);
                return deleted.Failure is { } stale ? Http.FromFailure(stale) : Json(new { ok = "deleted", success = true });
            case NpmRouteKind.DistTag:
                return Tags(packages.RemoveNpmDistTag(domain, repository, route.Scope, route.Name!, route.Tag!));
            case NpmRouteKind.Package:
                return Http.Error(StatusCodes.Status400BadRequest, ErrorCodes.RevisionRequired,
                    $"Deleting '{route.FullName}' needs its revision: DELETE {route.FullName}/-rev/<_rev of the packument> (what 'npm unpublish' sends).");
            case NpmRouteKind.Unknown:
                return NotFound();
            default:
                return NotAllowed(context);
        }
    }

    private static async Task<IResult> PackumentAsync(HttpContext context, string domain, string repository, NpmRoute route, CancellationToken cancellationToken)
    {
        var store = Http.Store(context);
        // ?write=true reads what npm is about to change (unpublish, deprecate): the repository's own package, with its own _rev.
        var source = await store.Packages.GetNpmPackumentSourceAsync(domain, repository, route.Scope, route.Name!, !IsWrite(context.Request), cancellationToken);
        if (source.Failure is { } failure) return Missing(failure);
        var abbreviated = WantsAbbreviated(context.Request);
        var repositoryUrl = Http.RepositoryUrl(context, "npm");
        var key = NpmPackumentCache.Key(store.Path, repositoryUrl, source.Value!.CacheKey, abbreviated);
        var rendered = NpmPackumentCache.Get(key);
        if (rendered is null)
        {
            var package = await store.Packages.GetNpmPackageAsync(source.Value, cancellationToken);
            if (package.Failure is { } gone) return Missing(gone);
            var p = package.Value!;
            var body = p.Versions.Count == 0 ? null : NpmDocuments.Packument(p, repositoryUrl, domain, abbreviated);
            // What was read is at least as new as the key (keys only move forward), so it may stand for it.
            rendered = NpmPackumentCache.Add(key, body, ETag(p.Stamp, repositoryUrl, abbreviated));
        }
        // A package whose versions are all hidden (Archived, Unfinished, Disposed) does not exist for npm.
        if (rendered.Body is null) return NotFound(ErrorCodes.PackageNotFound);
        return new NpmJsonResult(rendered, abbreviated ? NpmDocuments.AbbreviatedContentType : NpmDocuments.FullContentType);
    }

    private static async Task<IResult> TarballAsync(HttpContext context, string domain, string repository, NpmRoute route, CancellationToken cancellationToken)
    {
        var file = route.File!;
        var prefix = route.Name + "-";
        if (!file.StartsWith(prefix, StringComparison.Ordinal) || !file.EndsWith(".tgz", StringComparison.Ordinal) || file.Length <= prefix.Length + 4)
        {
            return Http.Error(StatusCodes.Status404NotFound, ErrorCodes.AssetNotFound, $"'{file}' is not a tarball of '{route.FullName}' (they are named '{prefix}<version>.tgz').");
        }
        var version = file[prefix.Length..^4];
        var opened = await Http.Store(context).Packages.OpenAssetThroughUpstreamsAsync(domain, repository, "npm", route.Scope, route.Name!, version, file, cancellationToken);
        if (opened.Failure is { } failure)
        {
            // Archived and Unfinished versions keep their tarballs but do not hand them out: for npm they are not there.
            return failure.Code == ErrorCodes.AssetNotAvailable
                ? Http.Error(StatusCodes.Status404NotFound, ErrorCodes.AssetNotFound, failure.Message)
                : Http.FromFailure(failure);
        }
        var (asset, content) = opened.Value;
        return AssetResults.Serve(asset, content);
    }

    private static async Task<IResult> SearchAsync(HttpContext context, string domain, string repository, CancellationToken cancellationToken)
    {
        var query = context.Request.Query;
        var size = int.TryParse(query["size"], out var s) ? s : 20;
        var from = int.TryParse(query["from"], out var f) ? f : 0;
        var found = await Http.Store(context).Packages.SearchNpmAsync(domain, repository, query["text"], from, size, cancellationToken);
        if (found.Failure is { } failure) return Http.FromFailure(failure);
        context.Response.Headers.CacheControl = "no-cache";
        return Results.Bytes(NpmDocuments.Search(found.Value!, Http.RepositoryUrl(context, "npm"), domain), NpmDocuments.FullContentType);
    }

    private static async Task<IResult> PutDistTagAsync(HttpContext context, string domain, string repository, NpmRoute route, CancellationToken cancellationToken)
    {
        if (await ReadSmallBodyAsync(context.Request, MaxDistTagBody, cancellationToken) is not { } body)
        {
            return Http.Error(StatusCodes.Status400BadRequest, NpmPublishBody.InvalidDocument, $"A dist-tag body is a JSON string of at most {MaxDistTagBody} bytes: the version, such as \"1.2.3\".");
        }
        string? version;
        try
        {
            using var document = JsonDocument.Parse(body);
            version = document.RootElement.ValueKind == JsonValueKind.String ? document.RootElement.GetString() : null;
        }
        catch (JsonException)
        {
            // Some clients send the version as plain text.
            version = Encoding.UTF8.GetString(body).Trim();
        }
        if (string.IsNullOrEmpty(version))
        {
            return Http.Error(StatusCodes.Status400BadRequest, NpmPublishBody.InvalidDocument, "The body must be the version to tag, as a JSON string such as \"1.2.3\".");
        }
        return Tags(Http.Store(context).Packages.SetNpmDistTag(domain, repository, route.Scope, route.Name!, route.Tag!, version));
    }

    private static IResult Tags(Outcome<IReadOnlyDictionary<string, string>> tags) =>
        tags.Failure is { } failure ? Http.FromFailure(failure) : Results.Bytes(NpmDocuments.DistTags(tags.Value!), NpmDocuments.FullContentType);

    /// <summary>The abbreviated document when the client prefers it (npm's installer); <c>?write=true</c> always gets the full one.</summary>
    private static bool WantsAbbreviated(HttpRequest request)
    {
        if (IsWrite(request)) return false;
        if (!MediaTypeHeaderValue.TryParseList(request.Headers.Accept, out var types)) return false;
        double? corgi = null, json = null;
        foreach (var type in types)
        {
            var quality = type.Quality ?? 1;
            if (type.MediaType.Equals(NpmDocuments.AbbreviatedContentType, StringComparison.OrdinalIgnoreCase)) corgi = Math.Max(corgi ?? 0, quality);
            else if (type.MediaType.Equals(NpmDocuments.FullContentType, StringComparison.OrdinalIgnoreCase)) json = Math.Max(json ?? 0, quality);
        }
        return corgi > 0 && corgi >= (json ?? 0);
    }

    private static bool IsWrite(HttpRequest request) => string.Equals(request.Query["write"], "true", StringComparison.OrdinalIgnoreCase);

    private static string ETag(string stamp, string repositoryUrl, bool abbreviated)
    {
        // The URL is part of the document (tarball URLs), so it is part of the tag.
        var url = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(repositoryUrl)).AsSpan(0, 4));
        return $"W/\"{stamp}-{(abbreviated ? "c" : "f")}{url}\"";
    }

    private static async Task<byte[]?> ReadSmallBodyAsync(HttpRequest request, int max, CancellationToken cancellationToken)
    {
        if (request.ContentLength > max) return null;
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > max) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static IResult Json(object value) => Results.Json(value, contentType: NpmDocuments.FullContentType);

    private static IResult NotFound(string code = "NotFound") => Http.Error(StatusCodes.Status404NotFound, code, NotFoundMessage);

    // npm expects {"error":"Not found"} for a package it does not know; a wrong domain or repository in the registry URL gets its reason.
    private static IResult Missing(Failure failure) =>
        failure.Code == ErrorCodes.PackageNotFound ? NotFound(failure.Code) : Http.FromFailure(failure);

    private static IResult NotAllowed(HttpContext context)
    {
        context.Response.Headers.Allow = "GET, HEAD, PUT, DELETE";
        return Http.Error(StatusCodes.Status405MethodNotAllowed, ErrorCodes.MethodNotAllowed,
            $"{context.Request.Method} is not supported on {context.Request.Path}; the npm registry API uses GET, HEAD, PUT and DELETE.");
    }
}

/// <summary>A cached packument: Vary, ETag and 304 revalidation, and its gzip form when the client takes it.</summary>
internal sealed class NpmJsonResult(NpmRendered rendered, string contentType) : IResult
{
    public async Task ExecuteAsync(HttpContext context)
    {
        var response = context.Response;
        response.Headers.Vary = "Accept, Accept-Encoding";
        response.Headers.ETag = rendered.ETag;
        // Publishing is immediate here, so clients must revalidate (cheap: a 304) rather than trust a copy.
        response.Headers.CacheControl = "no-cache";
        if (Matches(context.Request.Headers.IfNoneMatch.ToString(), rendered.ETag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }
        var gzip = rendered.Gzip is not null && AcceptsGzip(context.Request);
        var body = gzip ? rendered.Gzip! : rendered.Body!;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = contentType;
        response.ContentLength = body.Length;
        if (gzip) response.Headers.ContentEncoding = "gzip";
        if (!HttpMethods.IsHead(context.Request.Method)) await response.Body.WriteAsync(body, context.RequestAborted);
    }

    private static bool Matches(string ifNoneMatch, string etag)
    {
        if (ifNoneMatch.Length == 0) return false;
        var opaque = etag.StartsWith("W/", StringComparison.Ordinal) ? etag[2..] : etag;
        foreach (var candidate in ifNoneMatch.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (candidate == "*") return true;
            var value = candidate.StartsWith("W/", StringComparison.Ordinal) ? candidate[2..] : candidate;
            if (value == opaque) return true;
        }
        return false;
    }

    private static bool AcceptsGzip(HttpRequest request) =>
        StringWithQualityHeaderValue.TryParseList(request.Headers.AcceptEncoding, out var encodings)
        && encodings.Any(e => e.Value.Equals("gzip", StringComparison.OrdinalIgnoreCase) && (e.Quality ?? 1) > 0);
}
