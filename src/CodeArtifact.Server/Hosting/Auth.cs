using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using PSCodeArtifact.Core;

namespace PSCodeArtifact.Server.Hosting;

/// <summary>
/// Token checks for every repository route: a token of the route's domain as <c>Authorization: Bearer</c>, as the
/// password of Basic auth (any user name) or as <c>X-NuGet-ApiKey</c>. Without one: 401 with a Basic challenge (pip,
/// Maven and NuGet only send credentials after it); a bad or expired token: 401; a token of another domain: 403.
/// </summary>
public static class Auth
{
    public const string Realm = "PSCodeArtifact";

    public static async ValueTask<object?> RequireDomainToken(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        var domain = context.Request.RouteValues["domain"] as string ?? "";
        var token = TokenOf(context.Request);
        if (token is null) return Challenge(context, ErrorCodes.MissingToken, "An authorization token is required: get one with Get-CaAuthorizationToken.");
        var state = context.RequestServices.GetRequiredService<EndpointState>();
        if (state.Store.Tokens.Validate(token, domain) is { } failure) return Refuse(context, failure);
        return await next(invocation);
    }

    /// <summary>
    /// The answer to an unknown route: a challenge without a token or with one this store does not accept (as on every
    /// route), a 404 that names the request only for a valid token, so a client without one learns nothing about paths.
    /// </summary>
    public static IResult UnknownRoute(HttpContext context)
    {
        var token = TokenOf(context.Request);
        if (token is null) return Challenge(context, ErrorCodes.MissingToken, "An authorization token is required: get one with Get-CaAuthorizationToken.");
        // The route names no domain, so the token is checked for the domain it was issued for.
        if (Http.Store(context).Tokens.Validate(token) is { } failure) return Refuse(context, failure);
        return Http.Error(StatusCodes.Status404NotFound, ErrorCodes.RouteNotFound,
            $"The route {context.Request.Method} {context.Request.Path} does not exist on this endpoint.");
    }

    /// <summary>A token of another (or a removed) domain is a 403; a missing, bad or expired one a 401 challenge.</summary>
    private static IResult Refuse(HttpContext context, Failure failure) =>
        failure.Code == ErrorCodes.TokenDomainMismatch
            ? Http.Error(StatusCodes.Status403Forbidden, failure.Code, failure.Message)
            : Challenge(context, failure.Code, failure.Message);

    /// <summary>The token a request carries, from whichever place its client puts it.</summary>
    public static string? TokenOf(HttpRequest request)
    {
        if (request.Headers.TryGetValue("X-NuGet-ApiKey", out var apiKey) && !string.IsNullOrEmpty(apiKey)) return apiKey.ToString();
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return authorization[7..].Trim();
        if (authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(authorization[6..].Trim()));
                var colon = decoded.IndexOf(':', StringComparison.Ordinal);
                return colon < 0 ? null : decoded[(colon + 1)..];
            }
            catch (FormatException)
            {
                return null;
            }
        }
        return null;
    }

    public static IResult Challenge(HttpContext context, string code, string message)
    {
        context.Response.Headers.WWWAuthenticate = $"Basic realm=\"{Realm}\"";
        return Http.Error(StatusCodes.Status401Unauthorized, code, message);
    }
}
