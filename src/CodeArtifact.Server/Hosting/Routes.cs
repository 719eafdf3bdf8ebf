using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using PSCodeArtifact.Core.Storage;
using PSCodeArtifact.Server.Npm;
using PSCodeArtifact.Server.Pypi;

namespace PSCodeArtifact.Server.Hosting;

/// <summary>Every route of the endpoint. All but <c>/health</c> need a token of the domain in the path.</summary>
public static class Routes
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapMethods("/health", [HttpMethods.Get, HttpMethods.Head], () =>
            Results.Json(new { status = "Healthy", schemaVersion = Catalog.SchemaVersion })).AllowAnonymous();

        var npm = app.MapGroup("/{domain}/npm/{repository}").AddEndpointFilter(Auth.RequireDomainToken);
        npm.MapNpm();
        var pypi = app.MapGroup("/{domain}/pypi/{repository}").AddEndpointFilter(Auth.RequireDomainToken);
        pypi.MapPypi();
        Maven.MavenEndpoints.MapMaven(app.MapGroup("/{domain}/maven/{repository}").AddEndpointFilter(Auth.RequireDomainToken));
        Nuget.NugetEndpoints.MapNuget(app.MapGroup("/{domain}/nuget/{repository}").AddEndpointFilter(Auth.RequireDomainToken));
        Generic.GenericEndpoints.MapGeneric(app.MapGroup("/{domain}/generic/{repository}").AddEndpointFilter(Auth.RequireDomainToken));

        // Anything else is a JSON 404 (never an HTML page), after the same token check as every repository route, so a
        // client without a valid token learns nothing about which paths exist.
        app.MapFallback("{**path}", Auth.UnknownRoute);
    }
}
