namespace PSCodeArtifact.Core.Services;

// Nuget: the remote side of external connections (listing a remote package's versions and locating its files).
public sealed partial class PackageService
{
    private Task<Outcome<IReadOnlyList<string>?>> NugetRemoteVersionsAsync(UpstreamChain chain, ExternalSource source, CancellationToken cancellationToken) =>
        Task.FromResult<Outcome<IReadOnlyList<string>?>>(RemoteRegistry.Invalid(source, "this format is not proxied yet"));

    private Task<Outcome<RemoteAsset?>> NugetLocateRemoteAssetAsync(UpstreamChain chain, ExternalSource source, string version, string asset,
        CancellationToken cancellationToken) =>
        Task.FromResult<Outcome<RemoteAsset?>>(RemoteRegistry.Invalid(source, "this format is not proxied yet"));
}
