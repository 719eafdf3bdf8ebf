using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Formats;
using PSCodeArtifact.Server.Hosting;

namespace PSCodeArtifact.Server.Pypi;

/// <summary>
/// The PyPI simple and upload APIs under <c>/{domain}/pypi/{repository}/</c>:
/// <list type="bullet">
/// <item><c>GET|HEAD simple/</c> and <c>simple/{project}/</c>: PEP 503 HTML or PEP 691 JSON by <c>Accept</c>; other
/// spellings of a project (and a missing trailing slash) are redirected (301) to the normalised URL.</item>
/// <item><c>GET|HEAD files/{project}/{version}/{file}</c>: the distribution, and <c>{file}.metadata</c> its PEP 658 core metadata.</item>
/// <item><c>POST /</c> and <c>POST legacy/</c>: the legacy upload API twine and uv publish speak.</item>
/// </list>
/// Only Published and Unlisted versions are served; Unlisted ones are listed as yanked (PEP 592). Pages, the project list
/// and downloads reach through the repository's upstreams and external connection (<see cref="PSCodeArtifact.Core.Services.PackageService.GetPypiProjectThroughUpstreamsAsync"/>);
/// every file URL points at the repository that was asked.
/// </summary>
internal static class PypiEndpoints
{
    private const string MetadataSuffix = ".metadata";

    public static RouteGroupBuilder MapPypi(this RouteGroupBuilder pypi)
    {
        string[] read = [HttpMethods.Get, HttpMethods.Head];
        pypi.MapMethods("/simple/", read, ProjectList);
        pypi.MapMethods("/simple/{project}/", read, ProjectDetail);
        pypi.MapMethods("/files/{project}/{version}/{file}", read, Download);
        pypi.MapPost("/", PypiUpload.UploadAsync);
        pypi.MapPost("/legacy/", PypiUpload.UploadAsync);
        pypi.Map("/{**rest}", Unmatched);
        return pypi;
    }

    private static IResult ProjectList(HttpContext context, string domain, string repository)
    {
        if (!context.Request.Path.Value!.EndsWith('/')) return Redirect(context, "simple/");
        if (Negotiate(context) is not { } type) return NotAcceptable();
        var projects = Http.Store(context).Packages.ListPypiProjectsThroughUpstreams(domain, repository);
        return projects.Failure is { } failure ? Http.FromFailure(failure) : Page(SimplePages.ProjectList(projects.Value!, type), type);
    }

    private static async Task<IResult> ProjectDetail(HttpContext context, string domain, string repository, string project, CancellationToken cancellationToken)
    {
        var normalized = PackageFormats.Pypi.NormalizeName(project);
        var redirect = PackageFormats.Pypi.CheckName(null, project) is null && (normalized != project || !context.Request.Path.Value!.EndsWith('/'));
        if (redirect) return Redirect(context, $"simple/{Uri.EscapeDataString(normalized)}/");
        if (Negotiate(context) is not { } type) return NotAcceptable();
        var found = await Http.Store(context).Packages.GetPypiProjectThroughUpstreamsAsync(domain, repository, project, cancellationToken);
        if (found.Failure is { } failure) return Http.FromFailure(failure);
        if (found.Value!.Files.Count == 0)
        {
            return Http.Error(StatusCodes.Status404NotFound, ErrorCodes.PackageNotFound,
                $"The project '{found.Value.Name}' has no Published or Unlisted version in '{repository}' or its upstreams, so it has no files to install.");
        }
        return Page(SimplePages.ProjectDetail(found.Value, type), type);
    }

    private static async Task<IResult> Download(HttpContext context, string domain, string repository, string project, string version, string file,
        CancellationToken cancellationToken)
    {
        var packages = Http.Store(context).Packages;
        var metadata = file.EndsWith(MetadataSuffix, StringComparison.Ordinal);
        var opened = metadata
            ? await packages.OpenPypiCoreMetadataThroughUpstreamsAsync(domain, repository, project, version, file[..^MetadataSuffix.Length], cancellationToken)
            : await packages.OpenPypiFileThroughUpstreamsAsync(domain, repository, project, version, file, cancellationToken);
        if (opened.Failure is { } failure)
        {
            // A version that stops being served between the check and the open is as gone as one that never was.
            return failure.Code == ErrorCodes.AssetNotAvailable
                ? Http.Error(StatusCodes.Status404NotFound, ErrorCodes.AssetNotFound, failure.Message)
                : Http.FromFailure(failure);
        }
        var (asset, content) = opened.Value;
        return AssetResults.Serve(asset, content, metadata ? "text/plain; charset=utf-8" : "application/octet-stream");
    }

    /// <summary>404 for paths that are not part of the API, 405 (with <c>Allow</c>) for known paths asked with another method.</summary>
    private static IResult Unmatched(HttpContext context, string? rest)
    {
        var path = (rest ?? "").Trim('/');
        var segments = path.Length == 0 ? 0 : path.Split('/').Length;
        var allow = path is "" or "legacy" ? HttpMethods.Post
            : path == "simple" || (path.StartsWith("simple/", StringComparison.Ordinal) && segments == 2)
              || (path.StartsWith("files/", StringComparison.Ordinal) && segments == 4) ? "GET, HEAD"
            : null;
        if (allow is null || allow.Contains(context.Request.Method, StringComparison.OrdinalIgnoreCase))
        {
            return Http.Error(StatusCodes.Status404NotFound, "NotFound",
                $"No PyPI route matches {context.Request.Method} {context.Request.Path}: pip reads {Http.RepositoryUrl(context, "pypi")}simple/, twine uploads to {Http.RepositoryUrl(context, "pypi")}.");
        }
        context.Response.Headers.Allow = allow;
        var hint = allow == HttpMethods.Post
            ? $"this is the upload URL (POST multipart/form-data, as twine sends); pip's index URL is {Http.RepositoryUrl(context, "pypi")}simple/."
            : "the simple API and its files are read-only.";
        return Http.Error(StatusCodes.Status405MethodNotAllowed, ErrorCodes.MethodNotAllowed, $"{context.Request.Method} is not allowed on {context.Request.Path} (it answers {allow}): {hint}");
    }

    private static string? Negotiate(HttpContext context)
    {
        // The body depends on Accept, so caches must key on it; set before any outcome (406 included).
        context.Response.Headers.Vary = HeaderNames.Accept;
        return SimplePages.Negotiate(context.Request.Headers.Accept.ToString());
    }

    private static IResult NotAcceptable() => Http.Error(StatusCodes.Status406NotAcceptable, "NotAcceptable",
        $"The simple API is served as {SimplePages.JsonType} (PEP 691), {SimplePages.HtmlType} or {SimplePages.TextHtmlType} (PEP 503); the Accept header allows none of them.");

    /// <summary>A rendered page with a strong ETag of its bytes, so a revalidation (pip sends max-age=0) gets a 304.</summary>
    private static IResult Page(byte[] body, string type)
    {
        var etag = new EntityTagHeaderValue("\"" + Convert.ToHexStringLower(SHA256.HashData(body)[..16]) + "\"");
        return new PageResult(Results.Bytes(body, SimplePages.ContentType(type), entityTag: etag));
    }

    /// <summary>A 301 to another path under the repository, keeping the query string.</summary>
    private static IResult Redirect(HttpContext context, string relative)
    {
        var values = context.Request.RouteValues;
        var location = $"{context.Request.PathBase}/{Uri.EscapeDataString((string)values["domain"]!)}/pypi/{Uri.EscapeDataString((string)values["repository"]!)}/{relative}{context.Request.QueryString}";
        return Results.Redirect(location, permanent: true);
    }

    /// <summary>Index pages are private (they need a token) and must be revalidated before reuse.</summary>
    private sealed class PageResult(IResult inner) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.CacheControl = "private, max-age=0, must-revalidate";
            return inner.ExecuteAsync(httpContext);
        }
    }
}
