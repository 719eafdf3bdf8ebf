using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Services;
using PSCodeArtifact.Server.Hosting;

namespace PSCodeArtifact.Server.Nuget;

/// <summary>
/// <c>PUT api/v2/package</c>: the push of <c>dotnet nuget push</c>, NuGet.exe and PSResourceGet. The nupkg is the first part
/// of a multipart/form-data body (later parts are ignored, as the protocol says) or, from simpler clients, the raw body. It
/// streams straight into the one publish path, which stages it encrypted while hashing; nothing is buffered here.
/// </summary>
internal static class NugetPush
{
    private const string DefaultFileName = "package.nupkg";
    private const int MaxReasonPhraseLength = 300;

    public static async Task<IResult> PushAsync(HttpContext context, string domain, string repository, CancellationToken cancellationToken)
    {
        try
        {
            if (MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var type)
                && type.MediaType.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase))
            {
                var boundary = HeaderUtilities.RemoveQuotes(type.Boundary).Value;
                if (string.IsNullOrEmpty(boundary) || boundary.Length > 200)
                {
                    return Refuse(context, StatusCodes.Status400BadRequest, ErrorCodes.InvalidUpload, "The multipart body has no usable boundary.");
                }
                var section = await new MultipartReader(boundary, context.Request.Body).ReadNextSectionAsync(cancellationToken);
                if (section is null) return Refuse(context, StatusCodes.Status400BadRequest, ErrorCodes.InvalidUpload, "The multipart body has no part; send the nupkg as its first part.");
                return await PublishAsync(context, domain, repository, FileName(section), section.Body, cancellationToken);
            }
            if (context.Request.ContentLength == 0)
            {
                return Refuse(context, StatusCodes.Status400BadRequest, ErrorCodes.InvalidUpload, "The push has no body; send the nupkg (as dotnet nuget push does).");
            }
            return await PublishAsync(context, domain, repository, DefaultFileName, context.Request.Body, cancellationToken);
        }
        catch (InvalidDataException malformed)
        {
            return Refuse(context, StatusCodes.Status400BadRequest, ErrorCodes.InvalidUpload, $"The multipart body is malformed: {malformed.Message}");
        }
        catch (BadHttpRequestException bad)
        {
            return Refuse(context, bad.StatusCode, ErrorCodes.InvalidUpload, bad.Message);
        }
    }

    /// <summary>An error body that says why, with the message also as the reason phrase: the NuGet client prints the reason of a failed push.</summary>
    public static IResult Refuse(HttpContext context, int status, string code, string message)
    {
        if (context.Features.Get<IHttpResponseFeature>() is { } response)
        {
            response.ReasonPhrase = new string(message.Select(c => c is >= ' ' and <= '~' ? c : '?').Take(MaxReasonPhraseLength).ToArray());
        }
        return Http.Error(status, code, message);
    }

    private static async Task<IResult> PublishAsync(HttpContext context, string domain, string repository, string fileName, Stream content,
        CancellationToken cancellationToken)
    {
        var pushed = await Http.Store(context).Packages.PushNugetAsync(domain, repository, fileName, content, cancellationToken);
        if (pushed.Failure is { } failure) return Refuse(context, Http.StatusOf(failure), failure.Code, failure.Message);
        var version = pushed.Value!;
        return Results.Json(new { id = version.Package, version = version.Version, status = version.Status }, statusCode: StatusCodes.Status201Created);
    }

    private static string FileName(MultipartSection section) =>
        ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
        && (disposition.FileNameStar.HasValue ? disposition.FileNameStar : HeaderUtilities.RemoveQuotes(disposition.FileName)).Value is { Length: > 0 } name
            ? Path.GetFileName(name)
            : DefaultFileName;
}
