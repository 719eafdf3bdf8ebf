using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using PSCodeArtifact.Core;

namespace PSCodeArtifact.Server.Hosting;

/// <summary>Serving an asset: streamed through decryption, never re-compressed, with Range, ETag and Last-Modified.</summary>
public static class AssetResults
{
    /// <summary>
    /// The asset's bytes with its SHA-256 as a strong ETag. The content stream is seekable, so Range requests are answered
    /// with 206 and only the segments they touch are decrypted. HEAD gets the same headers and no body.
    /// </summary>
    public static IResult Serve(AssetInfo asset, Stream content, string contentType = "application/octet-stream", DateTimeOffset? lastModified = null) =>
        Results.Stream(content, contentType, fileDownloadName: null, lastModified: lastModified,
            entityTag: new EntityTagHeaderValue("\"" + asset.Hashes["SHA-256"] + "\""), enableRangeProcessing: true);
}
