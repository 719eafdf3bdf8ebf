using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Services;
using PSCodeArtifact.Server.Hosting;

namespace PSCodeArtifact.Server.Generic;

/// <summary>
/// Generic packages over plain HTTP under <c>/{domain}/generic/{repository}/</c> (CodeArtifact has no such download):
/// <list type="bullet">
/// <item><c>GET|HEAD {namespace}/{package}/{version}/{asset}</c>: the asset, with Range and a strong ETag (its SHA-256).
/// Only Published and Unlisted versions hand out assets: an Archived or Unfinished one answers 409 <c>AssetNotAvailable</c>
/// (the asset exists, its version's status withholds it, and a script waiting for an Unfinished version can tell that from
/// a typo); a Disposed one has no assets left and answers 404 saying it is Disposed.</item>
/// <item><c>PUT {namespace}/{package}/{version}/{asset}</c>: publishes the body through the one publish path, verified against
/// the required <c>X-Checksum-Sha256</c> header while it streams; <c>?unfinished=true</c> keeps the version open for more
/// assets, a PUT without it finishes the version. 201 for a new asset, 200 for the same bytes again, 409 for other bytes
/// under the name or a new asset in a finished version.</item>
/// <item><c>GET|HEAD {namespace}/{package}/{version}/</c>: the version and its assets (names, sizes, hashes) as JSON.</item>
/// </list>
/// Segments are decoded once and never climb (<see cref="GenericRoute"/>).
/// </summary>
internal static class GenericEndpoints
{
    public const string ChecksumHeader = "X-Checksum-Sha256";
    private const string Format = "generic";
    private const string InvalidPath = ErrorCodes.InvalidPath;
    private const string ChecksumRequired = ErrorCodes.ChecksumRequired;
    private const string InvalidChecksum = ErrorCodes.InvalidChecksum;
    private const string InvalidQuery = ErrorCodes.InvalidQuery;
    private const string UnsupportedContentEncoding = ErrorCodes.UnsupportedContentEncoding;
    private const int ListAttempts = 3;

    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

    public static RouteGroupBuilder MapGeneric(this RouteGroupBuilder generic)
    {
        generic.MapMethods("/{**path}", [HttpMethods.Get, HttpMethods.Head], Get);
        generic.MapPut("/{**path}", Put);
        // Every other method: a JSON 405 (or the 400/404 the path earns), after the same token check as the rest.
        generic.Map("/{**path}", (HttpContext context) => Other(context)).WithOrder(1);
        return generic;
    }

    private static async Task<IResult> Get(HttpContext context, string domain, string repository, CancellationToken cancellationToken)
    {
        var route = GenericRoute.Parse(context);
        return route.Kind switch
        {
            GenericRouteKind.Asset => await DownloadAsync(context, domain, repository, route, cancellationToken),
            GenericRouteKind.Version => await ListAsync(context, domain, repository, route, cancellationToken),
            _ => Unmatched(context, route),
        };
    }

    private static async Task<IResult> Put(HttpContext context, string domain, string repository, CancellationToken cancellationToken) =>
        GenericRoute.Parse(context) is { Kind: GenericRouteKind.Asset } route
            ? await PublishAsync(context, domain, repository, route, cancellationToken)
            : Other(context);

    private static async Task<IResult> DownloadAsync(HttpContext context, string domain, string repository, GenericRoute route, CancellationToken cancellationToken)
    {
        var packages = Http.Store(context).Packages;
        var opened = await packages.OpenAssetAsync(domain, repository, Format, route.Namespace, route.Package!, route.Version!, route.Asset!, null, cancellationToken);
        if (opened.Failure is { } failure) return await RefusedDownloadAsync(packages, domain, repository, route, failure, cancellationToken);
        var (asset, content) = opened.Value;
        // Any bytes at all can be published; a browser must not guess a type and render them.
        context.Response.Headers.XContentTypeOptions = "nosniff";
        return AssetResults.Serve(asset, content);
    }

    /// <summary>The core's refusal; an asset missing because its version was disposed says so.</summary>
    private static async Task<IResult> RefusedDownloadAsync(PackageService packages, string domain, string repository, GenericRoute route, Failure failure,
        CancellationToken cancellationToken)
    {
        if (failure.Code == ErrorCodes.AssetNotFound
            && await packages.GetVersionAsync(domain, repository, Format, route.Namespace, route.Package!, route.Version!, cancellationToken) is
                { Value.Status: PackageService.Disposed } disposed)
        {
            return Http.Error(StatusCodes.Status404NotFound, ErrorCodes.AssetNotFound,
                $"Version {disposed.Value.Version} of '{disposed.Value.DisplayName}' is Disposed: its assets were deleted.");
        }
        return Http.FromFailure(failure);
    }

    private static async Task<IResult> PublishAsync(HttpContext context, string domain, string repository, GenericRoute route, CancellationToken cancellationToken)
    {
        if (CheckRequest(context.Request, out var sha256, out var unfinished) is { } refused) return refused;
        var packages = Http.Store(context).Packages;
        var request = new PublishRequest(domain, repository, route.Asset!)
        {
            Format = Format, Namespace = route.Namespace, Package = route.Package, Version = route.Version, Unfinished = unfinished, ExpectedSha256 = sha256,
        };
        Outcome<PublishResult> published;
        try
        {
            published = await packages.PublishWithResultAsync(request, context.Request.Body, cancellationToken);
        }
        catch (BadHttpRequestException bad)
        {
            // The body broke off or outgrew the endpoint's limit (413); the core kept nothing of it.
            return Http.Error(bad.StatusCode, ErrorCodes.InvalidUpload, bad.Message);
        }
        if (published.Failure is { } failure) return Http.Error(Http.StatusOf(failure), failure.Code, failure.Message);
        var body = Published(published.Value!.Version, route.Asset!, sha256);
        if (!published.Value.AssetAdded) return Results.Json(body, s_json);
        context.Response.Headers.Location = AssetUrl(context, route);
        return Results.Json(body, s_json, statusCode: StatusCodes.Status201Created);
    }

    /// <summary>The checksum header and the unfinished flag, or the 4xx that says what is wrong with them.</summary>
    private static IResult? CheckRequest(HttpRequest request, out string sha256, out bool unfinished)
    {
        sha256 = "";
        unfinished = false;
        var encoding = request.Headers.ContentEncoding.ToString();
        if (encoding.Length > 0 && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            return Http.Error(StatusCodes.Status415UnsupportedMediaType, UnsupportedContentEncoding,
                $"The body is sent with Content-Encoding '{encoding}'; send the asset's bytes as they are, so that they and their checksum are what is stored.");
        }
        var header = request.Headers[ChecksumHeader];
        if (header.Count == 0 || string.IsNullOrWhiteSpace(header.ToString()))
        {
            return Http.Error(StatusCodes.Status400BadRequest, ChecksumRequired,
                $"A generic asset is published with its SHA-256 in the {ChecksumHeader} header (64 hexadecimal digits), for example: curl -T file -H \"{ChecksumHeader}: $(sha256sum file | cut -d' ' -f1)\".");
        }
        var value = header.ToString().Trim();
        if (header.Count > 1 || value.Length != 64 || !value.All(char.IsAsciiHexDigit))
        {
            return Http.Error(StatusCodes.Status400BadRequest, InvalidChecksum, $"{ChecksumHeader} '{header}' is not one SHA-256 of 64 hexadecimal digits.");
        }
        sha256 = value.ToLowerInvariant();
        var flag = request.Query["unfinished"];
        if (flag.Count == 0) return null;
        switch (flag.ToString().ToLowerInvariant())
        {
            case "" or "true" or "1":
                unfinished = true;
                return null;
            case "false" or "0":
                return null;
            default:
                return Http.Error(StatusCodes.Status400BadRequest, InvalidQuery,
                    $"unfinished={flag} is not a flag: use unfinished=true (or 1) to keep the version open for more assets, or leave it out to finish it.");
        }
    }

    private static async Task<IResult> ListAsync(HttpContext context, string domain, string repository, GenericRoute route, CancellationToken cancellationToken)
    {
        var packages = Http.Store(context).Packages;
        // The version and its assets are two reads; pinning the assets to the version's revision keeps the answer consistent.
        for (var attempt = 1; ; attempt++)
        {
            var version = await packages.GetVersionAsync(domain, repository, Format, route.Namespace, route.Package!, route.Version!, cancellationToken);
            if (version.Failure is { } missing) return Http.FromFailure(missing);
            var assets = packages.ListAssets(domain, repository, Format, route.Namespace, route.Package!, route.Version!, version.Value!.Revision);
            if (assets.Failure is { Code: ErrorCodes.MismatchedRevision } && attempt < ListAttempts) continue;
            if (assets.Failure is { } failure) return Http.FromFailure(failure);
            var body = JsonSerializer.SerializeToUtf8Bytes(Listing(context, route, version.Value, assets.Value!), s_json);
            context.Response.Headers.CacheControl = "private, no-cache";
            var etag = new EntityTagHeaderValue("\"" + Convert.ToHexStringLower(SHA256.HashData(body)[..16]) + "\"");
            return Results.Bytes(body, "application/json; charset=utf-8", entityTag: etag);
        }
    }

    private static object Published(PackageVersionInfo version, string asset, string sha256) => new
    {
        format = version.Format,
        domain = version.Domain,
        repository = version.Repository,
        @namespace = version.Namespace,
        package = version.Package,
        version = version.Version,
        status = version.Status,
        revision = version.Revision,
        asset,
        sha256,
    };

    private static object Listing(HttpContext context, GenericRoute route, PackageVersionInfo version, IReadOnlyList<AssetInfo> assets) => new
    {
        format = version.Format,
        domain = version.Domain,
        repository = version.Repository,
        @namespace = version.Namespace,
        package = version.Package,
        version = version.Version,
        status = version.Status,
        revision = version.Revision,
        assets = assets.Select(a => new
        {
            name = a.Name,
            size = a.Size,
            hashes = a.Hashes,
            status = version.Status,
            revision = a.Revision,
            url = AssetUrl(context, route with { Asset = a.Name }),
        }),
    };

    private static string AssetUrl(HttpContext context, GenericRoute route) =>
        Http.RepositoryUrl(context, Format) + string.Join('/', new[] { route.Namespace!, route.Package!, route.Version!, route.Asset! }.Select(Uri.EscapeDataString));

    /// <summary>Methods other than GET, HEAD and PUT, and PUT on a listing: 405 with <c>Allow</c>; bad and unknown paths first get their 400 or 404.</summary>
    private static IResult Other(HttpContext context)
    {
        var route = GenericRoute.Parse(context);
        if (route.Kind is GenericRouteKind.Invalid or GenericRouteKind.Unknown) return Unmatched(context, route);
        var allow = route.Kind == GenericRouteKind.Asset ? "GET, HEAD, PUT" : "GET, HEAD";
        context.Response.Headers.Allow = allow;
        return Http.Error(StatusCodes.Status405MethodNotAllowed, ErrorCodes.MethodNotAllowed,
            $"{context.Request.Method} is not allowed on {context.Request.Path} (it answers {allow}).");
    }

    private static IResult Unmatched(HttpContext context, GenericRoute route) => route.Kind == GenericRouteKind.Invalid
        ? Http.Error(StatusCodes.Status400BadRequest, InvalidPath, route.Problem!)
        : Http.Error(StatusCodes.Status404NotFound, "NotFound",
            $"No generic route matches {context.Request.Method} {context.Request.Path}: assets are at {Http.RepositoryUrl(context, Format)}<namespace>/<package>/<version>/<asset>, and a version's asset list at .../<version>/.");
}
