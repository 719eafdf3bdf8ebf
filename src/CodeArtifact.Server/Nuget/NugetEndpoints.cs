using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;
using NuGet.Versioning;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Services;
using PSCodeArtifact.Server.Hosting;

namespace PSCodeArtifact.Server.Nuget;

/// <summary>
/// The NuGet v3 feed under <c>/{domain}/nuget/{repository}/</c> (the source URL is <c>…/v3/index.json</c>):
/// <list type="bullet">
/// <item><c>GET|HEAD v3/index.json</c>: the service index.</item>
/// <item><c>GET|HEAD v3/flatcontainer/{id}/index.json</c>, <c>…/{id}/{version}/{id}.{version}.nupkg</c> and <c>…/{id}/{version}/{id}.nuspec</c>.</item>
/// <item><c>GET|HEAD v3/registration[-semver2]/{id}/index.json</c> and <c>…/{id}/{version}.json</c>: registrations, the first without SemVer 2.0.0 versions.</item>
/// <item><c>GET|HEAD v3/query</c> and <c>v3/autocomplete</c>: search and autocomplete over listed versions.</item>
/// <item><c>PUT api/v2/package</c>: push; <c>DELETE api/v2/package/{id}/{version}</c>: unlist; <c>POST</c> on it: relist.</item>
/// </list>
/// Only Published and Unlisted versions are served; Unlisted ones stay restorable and in registrations (listed: false).
/// Reads merge the repository's upstreams and their external connections (the first repository holding a version decides);
/// downloads go through them too, retaining what they fetch.
/// </summary>
internal static class NugetEndpoints
{
    private const string NupkgType = "application/octet-stream";
    private const string NuspecType = "application/xml";

    public static RouteGroupBuilder MapNuget(this RouteGroupBuilder nuget)
    {
        string[] read = [HttpMethods.Get, HttpMethods.Head];
        nuget.MapMethods($"/{NugetUrls.ServiceIndexPath}", read, (HttpContext context) => Json(NugetDocuments.ServiceIndex(NugetUrls.Of(context))));
        nuget.MapMethods($"/{NugetUrls.FlatContainerPath}/{{id}}/index.json", read, FlatVersions);
        nuget.MapMethods($"/{NugetUrls.FlatContainerPath}/{{id}}/{{version}}/{{file}}", read, FlatFileAsync);
        nuget.MapMethods($"/{NugetUrls.RegistrationPath}/{{id}}/index.json", read, (HttpContext c, string domain, string repository, string id, CancellationToken t) =>
            RegistrationIndexAsync(c, domain, repository, id, semVer2: false, t));
        nuget.MapMethods($"/{NugetUrls.RegistrationPath}/{{id}}/{{leaf}}", read, (HttpContext c, string domain, string repository, string id, string leaf, CancellationToken t) =>
            RegistrationLeafAsync(c, domain, repository, id, leaf, semVer2: false, t));
        nuget.MapMethods($"/{NugetUrls.RegistrationSemVer2Path}/{{id}}/index.json", read, (HttpContext c, string domain, string repository, string id, CancellationToken t) =>
            RegistrationIndexAsync(c, domain, repository, id, semVer2: true, t));
        nuget.MapMethods($"/{NugetUrls.RegistrationSemVer2Path}/{{id}}/{{leaf}}", read, (HttpContext c, string domain, string repository, string id, string leaf, CancellationToken t) =>
            RegistrationLeafAsync(c, domain, repository, id, leaf, semVer2: true, t));
        nuget.MapMethods($"/{NugetUrls.SearchPath}", read, SearchAsync);
        nuget.MapMethods($"/{NugetUrls.AutocompletePath}", read, AutocompleteAsync);
        nuget.MapPut($"/{NugetUrls.PublishPath}", NugetPush.PushAsync);
        nuget.MapDelete($"/{NugetUrls.PublishPath}/{{id}}/{{version}}", (HttpContext c, string domain, string repository, string id, string version) =>
            SetListed(c, domain, repository, id, version, listed: false));
        nuget.MapPost($"/{NugetUrls.PublishPath}/{{id}}/{{version}}", (HttpContext c, string domain, string repository, string id, string version) =>
            SetListed(c, domain, repository, id, version, listed: true));
        nuget.Map("/{**rest}", Unmatched).WithOrder(1);
        return nuget;
    }

    private static async Task<IResult> FlatVersions(HttpContext context, string domain, string repository, string id, CancellationToken cancellationToken)
    {
        var store = Http.Store(context);
        var source = await store.Packages.GetNugetVersionsSourceAsync(domain, repository, id, cancellationToken);
        if (source.Failure is { } failure) return Http.FromFailure(failure);
        // Rendered once per stamp: the list changes only when the stamp does.
        if (NugetDocumentCache.Get(store.Path, source.Value!.Stamp) is { } cached) return Json(cached);
        var versions = await source.Value.ListAsync(cancellationToken);
        if (versions.Failure is { } notListed) return Http.FromFailure(notListed);
        return Json(NugetDocumentCache.Add(store.Path, source.Value.Stamp, NugetDocuments.FlatVersions(versions.Value!)));
    }

    private static async Task<IResult> FlatFileAsync(HttpContext context, string domain, string repository, string id, string version, string file,
        CancellationToken cancellationToken)
    {
        var packages = Http.Store(context).Packages;
        var nuspec = string.Equals(file, $"{id}.nuspec", StringComparison.OrdinalIgnoreCase);
        if (!nuspec && !string.Equals(file, $"{id}.{version}.nupkg", StringComparison.OrdinalIgnoreCase))
        {
            return Http.Error(StatusCodes.Status404NotFound, ErrorCodes.AssetNotFound,
                $"The flat container holds '{id.ToLowerInvariant()}.{version.ToLowerInvariant()}.nupkg' and '{id.ToLowerInvariant()}.nuspec' for this version, not '{file}'.");
        }
        var opened = nuspec
            ? await packages.OpenNugetManifestThroughUpstreamsAsync(domain, repository, id, version, cancellationToken)
            : await packages.OpenNugetPackageThroughUpstreamsAsync(domain, repository, id, version, cancellationToken);
        if (opened.Failure is { } failure)
        {
            // A version that stops being served between the check and the open is as gone as one that never was.
            return failure.Code == ErrorCodes.AssetNotAvailable
                ? Http.Error(StatusCodes.Status404NotFound, ErrorCodes.AssetNotFound, failure.Message)
                : Http.FromFailure(failure);
        }
        var (asset, content) = opened.Value;
        return AssetResults.Serve(asset, content, nuspec ? NuspecType : NupkgType);
    }

    private static async Task<IResult> RegistrationIndexAsync(HttpContext context, string domain, string repository, string id, bool semVer2,
        CancellationToken cancellationToken)
    {
        var found = await Http.Store(context).Packages.GetNugetPackageThroughUpstreamsAsync(domain, repository, id, cancellationToken);
        if (found.Failure is { } failure) return Http.FromFailure(failure);
        var package = found.Value!;
        var versions = package.Versions.Where(v => semVer2 || !v.IsSemVer2).ToList();
        if (versions.Count == 0) return OnlySemVer2(package.Id, NugetUrls.Of(context));
        return Json(NugetDocuments.RegistrationIndex(package, versions, NugetUrls.Of(context), semVer2));
    }

    private static async Task<IResult> RegistrationLeafAsync(HttpContext context, string domain, string repository, string id, string leaf, bool semVer2,
        CancellationToken cancellationToken)
    {
        var wanted = leaf.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && NuGetVersion.TryParse(leaf[..^5], out var parsed) ? parsed : null;
        if (wanted is null)
        {
            return Http.Error(StatusCodes.Status404NotFound, ErrorCodes.PackageVersionNotFound, $"'{leaf}' is not a registration leaf; leaves are named '<version>.json'.");
        }
        var found = await Http.Store(context).Packages.GetNugetPackageThroughUpstreamsAsync(domain, repository, id, cancellationToken);
        if (found.Failure is { } failure) return Http.FromFailure(failure);
        var package = found.Value!;
        var version = package.Versions.FirstOrDefault(v => VersionComparer.Default.Equals(NuGetVersion.Parse(v.Version), wanted));
        if (version is null || (version.IsSemVer2 && !semVer2))
        {
            return Http.Error(StatusCodes.Status404NotFound, ErrorCodes.PackageVersionNotFound,
                version is null ? $"'{package.Id}' has no served version {wanted.ToNormalizedString()}."
                    : $"Version {version.Version} of '{package.Id}' is a SemVer 2.0.0 version; it is in {NugetUrls.Of(context).Registrations(semVer2: true)}.");
        }
        return Json(NugetDocuments.RegistrationLeaf(package, version, NugetUrls.Of(context), semVer2));
    }

    private static async Task<IResult> SearchAsync(HttpContext context, string domain, string repository, CancellationToken cancellationToken)
    {
        var query = SearchQuery(context.Request.Query);
        var found = await Http.Store(context).Packages.SearchNugetThroughUpstreamsAsync(domain, repository, query, cancellationToken);
        return found.Failure is { } failure ? Http.FromFailure(failure) : Json(NugetDocuments.Search(found.Value!, NugetUrls.Of(context), query.SemVer2));
    }

    /// <summary><c>?q=</c> completes package ids (by id substring); <c>?id=</c> lists the listed versions of one package.</summary>
    private static async Task<IResult> AutocompleteAsync(HttpContext context, string domain, string repository, CancellationToken cancellationToken)
    {
        var packages = Http.Store(context).Packages;
        var query = SearchQuery(context.Request.Query);
        if (context.Request.Query["id"].ToString() is { Length: > 0 } id)
        {
            var found = await packages.GetNugetPackageThroughUpstreamsAsync(domain, repository, id, cancellationToken);
            if (found.Failure is { Kind: FailureKind.NotFound, Code: not ErrorCodes.RepositoryNotFound and not ErrorCodes.DomainNotFound }) return Json(NugetDocuments.Autocomplete(0, []));
            if (found.Failure is { } failure) return Http.FromFailure(failure);
            var versions = found.Value!.Versions.Where(v => v.Listed && (query.Prerelease || !v.IsPrerelease) && (query.SemVer2 || !v.IsSemVer2))
                .Select(v => v.NormalizedVersion).ToList();
            return Json(NugetDocuments.Autocomplete(versions.Count, versions));
        }
        var text = query.Text is { Length: > 0 } q ? $"id:\"{q.Replace("\"", "", StringComparison.Ordinal)}\"" : null;
        var ids = await packages.SearchNugetThroughUpstreamsAsync(domain, repository, query with { Text = text }, cancellationToken);
        return ids.Failure is { } refused ? Http.FromFailure(refused) : Json(NugetDocuments.Autocomplete(ids.Value!.TotalHits, ids.Value.Packages.Select(p => p.Id)));
    }

    /// <summary>DELETE unlists (204), POST relists (200), as on nuget.org; an unknown version is a 404.</summary>
    private static IResult SetListed(HttpContext context, string domain, string repository, string id, string version, bool listed)
    {
        var changed = Http.Store(context).Packages.SetNugetListed(domain, repository, id, version, listed);
        if (changed.Failure is { } failure) return NugetPush.Refuse(context, Http.StatusOf(failure), failure.Code, failure.Message);
        return listed ? Results.Json(new { id, version = changed.Value!.Version, listed }) : Results.NoContent();
    }

    /// <summary>404 for paths that are not part of the feed, 405 (with <c>Allow</c>) for known paths asked with another method.</summary>
    private static IResult Unmatched(HttpContext context, string? rest)
    {
        var path = (rest ?? "").Trim('/');
        var segments = path.Length == 0 ? 0 : path.Split('/').Length;
        var allow = path == NugetUrls.PublishPath ? HttpMethods.Put
            : path.StartsWith(NugetUrls.PublishPath + "/", StringComparison.Ordinal) && segments == 5 ? "DELETE, POST"
            : path.StartsWith("v3/", StringComparison.Ordinal) ? "GET, HEAD"
            : null;
        var source = NugetUrls.Of(context).ServiceIndex;
        if (allow is null || allow.Contains(context.Request.Method, StringComparison.OrdinalIgnoreCase))
        {
            return Http.Error(StatusCodes.Status404NotFound, "NotFound", $"No NuGet route matches {context.Request.Method} {context.Request.Path}; the package source is {source}.");
        }
        context.Response.Headers.Allow = allow;
        return Http.Error(StatusCodes.Status405MethodNotAllowed, ErrorCodes.MethodNotAllowed,
            $"{context.Request.Method} is not allowed on {context.Request.Path} (it answers {allow}); the package source is {source}.");
    }

    private static NugetSearchQuery SearchQuery(IQueryCollection query) => new()
    {
        Text = query["q"].ToString(),
        Skip = int.TryParse(query["skip"], out var skip) ? Math.Max(0, skip) : 0,
        Take = int.TryParse(query["take"], out var take) ? Math.Clamp(take, 0, PackageService.NugetMaxTake) : 20,
        Prerelease = bool.TryParse(query["prerelease"], out var prerelease) && prerelease,
        SemVer2 = NuGetVersion.TryParse(query["semVerLevel"], out var level) && level.Major >= 2,
        PackageType = query["packageType"].ToString() is { Length: > 0 } type ? type : query["packageTypeFilter"].ToString() is { Length: > 0 } filter ? filter : null,
    };

    private static IResult OnlySemVer2(string id, NugetUrls urls) => Http.Error(StatusCodes.Status404NotFound, ErrorCodes.PackageNotFound,
        $"Every served version of '{id}' is a SemVer 2.0.0 version; they are in {urls.Registrations(semVer2: true)} (NuGet 4.3 and later read that hive).");

    /// <summary>A document with a strong ETag of its bytes, so a revalidation gets a 304; private (it needs a token) and revalidated before reuse.</summary>
    private static IResult Json(byte[] body) => Json(NugetRendered.Of(body));

    private static IResult Json(NugetRendered rendered) =>
        new PrivateResult(Results.Bytes(rendered.Body, NugetDocuments.ContentType, entityTag: rendered.ETag));

    private sealed class PrivateResult(IResult inner) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.CacheControl = "private, max-age=0, must-revalidate";
            return inner.ExecuteAsync(httpContext);
        }
    }
}
