using Microsoft.AspNetCore.Routing;

namespace PSCodeArtifact.Server.Npm;

/// <summary>The npm registry API under <c>/{domain}/npm/{repository}/</c>.</summary>
internal static class NpmEndpoints
{
    public static RouteGroupBuilder MapNpm(this RouteGroupBuilder npm) => npm;
}
