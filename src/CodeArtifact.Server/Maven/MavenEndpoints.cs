using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Services;
using PSCodeArtifact.Server.Hosting;

namespace PSCodeArtifact.Server.Maven;

/// <summary>
/// A Maven repository (the standard layout) under <c>/{domain}/maven/{repository}/</c>, as mvn, Gradle and curl use it:
/// <list type="bullet">
/// <item><c>GET|HEAD {group path}/{artifactId}/{version}/{file}</c>: a file of a Published or Unlisted version (an old
/// SNAPSHOT build is found by its timestamped name), with <c>X-Checksum-*</c> headers; <c>{file}.md5|.sha1|.sha256|.sha512</c>
/// its digest, computed by the store (checksums are never stored). A file the repository lacks comes through its upstream
/// repositories and external connection (retained here, ingested from the remote), its checksums too.</item>
/// <item><c>GET|HEAD …/maven-metadata.xml</c> (artifact level, merged across upstreams and the remote; version level for
/// SNAPSHOTs): rendered per request, with checksums of the exact bytes served.</item>
/// <item><c>PUT {file}</c>: publish through the one core path into an Unfinished version; <c>PUT {file}.{checksum}</c>:
/// verified against the stored bytes (400 mismatch, 404 before the file); <c>PUT …/maven-metadata.xml</c>: publishes the
/// version (Unfinished → Published) and its checksums are accepted and ignored.</item>
/// </list>
/// </summary>
internal static class MavenEndpoints
{
    private const int MaxChecksumBody = 4 * 1024;
    private const int MaxReasonPhraseLength = 512;

    public static RouteGroupBuilder MapMaven(this RouteGroupBuilder maven)
    {
        maven.MapMethods("/{**path}", [HttpMethods.Get, HttpMethods.Head], Get);
        maven.MapPut("/{**path}", Put);
        // Every other method (MKCOL included: the layout needs no directories made): a JSON 405 after the token check.
        maven.Map("/{**path}", (HttpContext context) => NotAllowed(context)).WithOrder(1);
        return maven;
    }

    private static async Task<IResult> Get(HttpContext context, string domain, string repository, CancellationToken cancellationToken)
    {
        var path = MavenPath.Parse(context);
        return path.Kind switch
        {
            MavenPathKind.Invalid => Http.Error(StatusCodes.Status400BadRequest, ErrorCodes.InvalidAssetName, path.Problem!),
            MavenPathKind.File when path.Checksum is null => await DownloadAsync(context, domain, repository, path, cancellationToken),
            MavenPathKind.File => await FileChecksumAsync(context, domain, repository, path, cancellationToken),
            MavenPathKind.Metadata => await MetadataAsync(context, domain, repository, path, cancellationToken),
            _ => NotFound(path),
        };
    }

    private static async Task<IResult> Put(HttpContext context, string domain, string repository, CancellationToken cancellationToken)
    {
        var path = MavenPath.Parse(context);
        var packages = Http.Store(context).Packages;
        return path.Kind switch
        {
            MavenPathKind.Invalid => Refuse(context, StatusCodes.Status400BadRequest, ErrorCodes.InvalidAssetName, path.Problem!),
            MavenPathKind.File when path.Checksum is null => Created(context, await packages.PublishMavenFileAsync(domain, repository, path.GroupId,
                path.ArtifactId, path.Version, path.FileName, context.Request.Body, cancellationToken)),
            MavenPathKind.File => await PutChecksumAsync(context, domain, repository, path, cancellationToken),
            MavenPathKind.Metadata when path.Checksum is null =>
                Created(context, await packages.PutMavenMetadataAsync(domain, repository, path.Directory, context.Request.Body, cancellationToken)),
            MavenPathKind.Metadata => await PutMetadataChecksumAsync(context, path, cancellationToken),
            _ => Refuse(context, StatusCodes.Status400BadRequest, ErrorCodes.InvalidAssetName,
                $"'{path.Display}' is not a file of the Maven repository layout ({{group path}}/{{artifactId}}/{{version}}/{{file}} or …/maven-metadata.xml)."),
        };
    }

    /// <summary>A checksum uploaded after its file: verified against the stored bytes, never stored.</summary>
    private static async Task<IResult> PutChecksumAsync(HttpContext context, string domain, string repository, MavenPath path, CancellationToken cancellationToken)
    {
        if (await ReadChecksumAsync(context, cancellationToken) is not { } value) return TooLarge(context);
        return Created(context, Http.Store(context).Packages.VerifyMavenChecksum(domain, repository, path.GroupId, path.ArtifactId, path.Version,
            path.FileName, path.Checksum!, value));
    }

    /// <summary>The client's checksum of its own maven-metadata.xml: the endpoint serves checksums of what it renders, so only its shape is checked.</summary>
    private static async Task<IResult> PutMetadataChecksumAsync(HttpContext context, MavenPath path, CancellationToken cancellationToken)
    {
        if (await ReadChecksumAsync(context, cancellationToken) is not { } value) return TooLarge(context);
        return PackageService.CheckMavenMetadataChecksum(path.Checksum!, value) is { } problem
            ? Refuse(context, problem)
            : Results.StatusCode(StatusCodes.Status201Created);
    }

    private static IResult Created<T>(HttpContext context, Outcome<T> outcome) =>
        outcome.Failure is { } failure ? Refuse(context, failure) : Results.StatusCode(StatusCodes.Status201Created);

    private static IResult TooLarge(HttpContext context) =>
        Refuse(context, StatusCodes.Status400BadRequest, ErrorCodes.DigestMismatch, $"A checksum file is at most {MaxChecksumBody} bytes.");

    private static async Task<IResult> DownloadAsync(HttpContext context, string domain, string repository, MavenPath path, CancellationToken cancellationToken)
    {
        var opened = await Http.Store(context).Packages.OpenMavenFileThroughUpstreamsAsync(domain, repository, path.GroupId, path.ArtifactId, path.Version,
            path.FileName, cancellationToken);
        if (opened.Failure is { } failure) return Missing(failure);
        var (asset, content) = opened.Value;
        // The resolver takes these in place of fetching the .sha1/.md5 (they must be right, so they come from the store).
        var headers = context.Response.Headers;
        headers["X-Checksum-SHA1"] = asset.Hashes["SHA-1"];
        headers["X-Checksum-MD5"] = asset.Hashes["MD5"];
        headers["X-Checksum-SHA256"] = asset.Hashes["SHA-256"];
        return AssetResults.Serve(asset, content, ContentTypeOf(path.FileName));
    }

    private static async Task<IResult> FileChecksumAsync(HttpContext context, string domain, string repository, MavenPath path, CancellationToken cancellationToken)
    {
        var found = await Http.Store(context).Packages.GetMavenFileThroughUpstreamsAsync(domain, repository, path.GroupId, path.ArtifactId, path.Version,
            path.FileName, cancellationToken);
        return found.Failure is { } failure ? Missing(failure) : ChecksumText(found.Value!.Hashes[PackageService.MavenChecksumHash(path.Checksum!)]);
    }

    private static async Task<IResult> MetadataAsync(HttpContext context, string domain, string repository, MavenPath path, CancellationToken cancellationToken)
    {
        var rendered = await RenderAsync(Http.Store(context).Packages, domain, repository, path.Directory, cancellationToken);
        if (rendered.Failure is { } failure) return Missing(failure);
        var (bytes, lastUpdated) = rendered.Value;
        if (path.Checksum is { } checksum) return ChecksumText(Digest(checksum, bytes));
        var etag = new EntityTagHeaderValue("\"" + Convert.ToHexStringLower(SHA256.HashData(bytes)[..16]) + "\"");
        context.Response.Headers.CacheControl = "private, max-age=0, must-revalidate";
        return Results.Bytes(bytes, MavenDocuments.ContentType, lastModified: lastUpdated, entityTag: etag);
    }

    /// <summary>
    /// The metadata of a directory: version level when it is a SNAPSHOT version of an artifact that exists (the newest build a
    /// repository of the chain holds), else artifact level, merged across the chain and the external connection. Both are
    /// rendered per request, and their checksums are computed over the bytes rendered. Group-level (plugin prefix) metadata is
    /// not kept, so it is not found, which Maven accepts.
    /// </summary>
    private static async Task<Outcome<(byte[] Bytes, DateTimeOffset LastUpdated)>> RenderAsync(PackageService packages, string domain, string repository,
        IReadOnlyList<string> directory, CancellationToken cancellationToken)
    {
        if (directory.Count >= 3 && PackageService.IsMavenSnapshot(directory[^1]))
        {
            var snapshot = packages.GetMavenSnapshotThroughUpstreams(domain, repository, string.Join('.', directory.Take(directory.Count - 2)), directory[^2],
                directory[^1]);
            if (snapshot.Value is { } found) return (MavenDocuments.Snapshot(found), found.LastUpdated);
            if (snapshot.Failure!.Code != ErrorCodes.PackageNotFound) return snapshot.Failure;
        }
        var versions = await packages.GetMavenArtifactVersionsThroughUpstreamsAsync(domain, repository, string.Join('.', directory.Take(directory.Count - 1)),
            directory[^1], cancellationToken);
        return versions.Failure is { } failure ? failure : (MavenDocuments.Artifact(versions.Value!), versions.Value!.LastUpdated);
    }

    private static string Digest(string checksum, byte[] bytes) => Convert.ToHexStringLower(checksum switch
    {
        "md5" => MD5.HashData(bytes),
        "sha1" => SHA1.HashData(bytes),
        "sha256" => SHA256.HashData(bytes),
        _ => SHA512.HashData(bytes),
    });

    private static IResult ChecksumText(string hex) => Results.Text(hex, "text/plain", Encoding.ASCII);

    private static async Task<string?> ReadChecksumAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxChecksumBody + 1];
        var total = 0;
        int read;
        while (total < buffer.Length && (read = await context.Request.Body.ReadAsync(buffer.AsMemory(total), cancellationToken)) > 0) total += read;
        return total > MaxChecksumBody ? null : Encoding.UTF8.GetString(buffer, 0, total);
    }

    private static string ContentTypeOf(string fileName) => Path.GetExtension(fileName).ToLowerInvariant() switch
    {
        ".pom" or ".xml" => "application/xml",
        ".jar" or ".war" or ".ear" or ".aar" => "application/java-archive",
        ".module" or ".json" => "application/json",
        ".asc" => "text/plain",
        _ => "application/octet-stream",
    };

    /// <summary>Anything a download cannot serve is absent for Maven: a 404 is what makes it look elsewhere or deploy.</summary>
    private static IResult Missing(Failure failure) =>
        failure.Kind == FailureKind.NotFound || failure.Code == ErrorCodes.AssetNotAvailable
            ? Http.Error(StatusCodes.Status404NotFound, failure.Code, failure.Message)
            : Http.FromFailure(failure);

    private static IResult NotFound(MavenPath path) => Http.Error(StatusCodes.Status404NotFound, ErrorCodes.AssetNotFound,
        $"'{path.Display}' is not a file of this repository; the layout has files at {{group path}}/{{artifactId}}/{{version}}/{{file}} and no directory listings.");

    private static IResult Refuse(HttpContext context, Failure failure)
    {
        var status = failure.Code switch
        {
            ErrorCodes.AssetNotAvailable => StatusCodes.Status404NotFound,
            _ => Http.StatusOf(failure),
        };
        return Refuse(context, status, failure.Code, failure.Message);
    }

    /// <summary>An error body that says why, with the message also as the reason phrase: Maven prints it when a deploy fails.</summary>
    private static IResult Refuse(HttpContext context, int status, string code, string message)
    {
        if (context.Features.Get<IHttpResponseFeature>() is { } response)
        {
            response.ReasonPhrase = new string(message.Select(c => c is >= ' ' and <= '~' ? c : '?').Take(MaxReasonPhraseLength).ToArray());
        }
        return Http.Error(status, code, message);
    }

    private static IResult NotAllowed(HttpContext context)
    {
        context.Response.Headers.Allow = "GET, HEAD, PUT";
        return Http.Error(StatusCodes.Status405MethodNotAllowed, ErrorCodes.MethodNotAllowed,
            $"{context.Request.Method} is not supported on {context.Request.Path}; a Maven repository answers GET, HEAD and PUT.");
    }
}
