using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using PSCodeArtifact.Core.Storage;

namespace PSCodeArtifact.Server;

/// <summary>The one anonymous route: whether the endpoint is up and which catalog schema it speaks.</summary>
public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/health", [HttpMethods.Get, HttpMethods.Head], () =>
            Results.Json(new { status = "Healthy", schemaVersion = Catalog.SchemaVersion }));
        return app;
    }
}
