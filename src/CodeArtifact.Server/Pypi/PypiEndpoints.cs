using Microsoft.AspNetCore.Routing;

namespace PSCodeArtifact.Server.Pypi;

/// <summary>The PyPI simple and upload APIs under <c>/{domain}/pypi/{repository}/</c>.</summary>
internal static class PypiEndpoints
{
    public static RouteGroupBuilder MapPypi(this RouteGroupBuilder pypi) => pypi;
}
