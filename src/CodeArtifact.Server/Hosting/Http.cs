using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using PSCodeArtifact.Core;

namespace PSCodeArtifact.Server.Hosting;

/// <summary>Shared helpers of the format handlers: error bodies, outcome mapping, URLs and the store.</summary>
public static class Http
{
    /// <summary>A JSON error body that says why: <c>{"error": message, "code": code}</c> (npm prints <c>error</c>).</summary>
    public static IResult Error(int status, string code, string message) =>
        Results.Json(new { error = message, code }, statusCode: status);

    /// <summary>
    /// The status each client expects for a core failure. A publish blocked by origin controls is a 403 (a policy), never a
    /// 409, which twine's --skip-existing and dotnet's --skip-duplicate would read as "already there".
    /// </summary>
    public static int StatusOf(Failure failure) => failure.Code == ErrorCodes.PublishBlocked ? StatusCodes.Status403Forbidden : failure.Kind switch
    {
        FailureKind.NotFound => StatusCodes.Status404NotFound,
        FailureKind.AlreadyExists or FailureKind.Conflict => StatusCodes.Status409Conflict,
        FailureKind.AccessDenied => StatusCodes.Status403Forbidden,
        FailureKind.LimitExceeded => StatusCodes.Status400BadRequest,
        // The remote behind an external connection failed: a gateway error with the reason, never a 404.
        FailureKind.Unavailable => StatusCodes.Status502BadGateway,
        _ => StatusCodes.Status400BadRequest,
    };

    public static IResult FromFailure(Failure failure) => Error(StatusOf(failure), failure.Code, failure.Message);

    public static EndpointState State(HttpContext context) => context.RequestServices.GetRequiredService<EndpointState>();

    public static CaStore Store(HttpContext context) => State(context).Store;

    /// <summary>The base URL the client used (scheme, host, port, path base), without a trailing slash.</summary>
    public static string BaseUrl(HttpContext context) =>
        $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}".TrimEnd('/');

    /// <summary>The URL of a repository's format endpoint as <c>Get-CaRepositoryEndpoint</c> returns it (with a trailing slash).</summary>
    public static string RepositoryUrl(HttpContext context, string format) =>
        $"{BaseUrl(context)}/{context.Request.RouteValues["domain"]}/{format}/{context.Request.RouteValues["repository"]}/";
}
