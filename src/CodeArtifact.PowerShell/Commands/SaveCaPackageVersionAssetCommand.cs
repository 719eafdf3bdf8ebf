using System.Management.Automation;
using System.Security.Cryptography;
using PSCodeArtifact.Core;

namespace PSCodeArtifact.PowerShell.Commands;

/// <summary>
/// Writes an asset of a package version to a file (GetPackageVersionAsset), verifying its SHA-256 while it streams;
/// the file appears only when the whole asset arrived intact.
/// </summary>
[Cmdlet(VerbsData.Save, "CaPackageVersionAsset", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class SaveCaPackageVersionAssetCommand : CaPackageCmdlet
{
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PackageVersion")]
    public string Version { get; set; } = "";

    /// <summary>The asset name (binds the Name of assets piped from Get-CaPackageVersionAsset).</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Name", "AssetName")]
    public string Asset { get; set; } = "";

    /// <summary>A folder (the asset keeps its name) or a file path; default: the current location.</summary>
    [Parameter(Position = 0)]
    public string? Path { get; set; }

    /// <summary>Fail with MismatchedRevision unless the version is at this revision (bound from piped asset objects).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Revision { get; set; }

    /// <summary>Overwrite an existing file.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var location = SessionState.Path.CurrentFileSystemLocation.ProviderPath;
        var target = Path is null ? location : SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
        if (Directory.Exists(target)) target = System.IO.Path.Combine(target, Asset);
        if (System.IO.Path.GetDirectoryName(target) is { } folder && !Directory.Exists(folder))
        {
            WriteError(new ErrorRecord(new DirectoryNotFoundException($"The folder '{folder}' does not exist."),
                "PathNotFound", ErrorCategory.ObjectNotFound, Path));
            return;
        }
        if (File.Exists(target) && !Force)
        {
            WriteError(new ErrorRecord(new IOException($"The file '{target}' already exists; use -Force to overwrite it."),
                "FileExists", ErrorCategory.ResourceExists, target));
            return;
        }
        var opened = Store.Packages.OpenAssetAsync(Domain, Repository, Format, Namespace, Package, Version, Asset, Revision, PipelineStopToken)
            .GetAwaiter().GetResult();
        if (!WriteOutcome(opened, writeValue: false)) return;
        var (asset, content) = opened.Value;
        using (content)
        {
            if (!ShouldProcess(target, $"Save asset '{asset.Name}' ({asset.Size} bytes) of {PackageDisplay} {asset.Version}")) return;
            var staging = target + $".{Guid.NewGuid():N}.partial";
            try
            {
                using (var file = new FileStream(staging, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                using (var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
                {
                    var buffer = new byte[1 << 16];
                    int read;
                    while ((read = content.Read(buffer)) > 0)
                    {
                        PipelineStopToken.ThrowIfCancellationRequested();
                        sha256.AppendData(buffer, 0, read);
                        file.Write(buffer, 0, read);
                    }
                    var actual = Convert.ToHexStringLower(sha256.GetHashAndReset());
                    if (actual != asset.Hashes["SHA-256"])
                    {
                        WriteError(new ErrorRecord(new InvalidDataException($"The asset's content has SHA-256 {actual}, not {asset.Hashes["SHA-256"]}; nothing was saved."),
                            "AssetIntegrity", ErrorCategory.InvalidResult, asset));
                        return;
                    }
                    file.Flush(flushToDisk: true);
                }
                File.Move(staging, target, overwrite: Force);
            }
            finally
            {
                if (File.Exists(staging)) File.Delete(staging);
            }
            // Through the provider, so the file shows like Get-Item's (mode, size, PSPath).
            WriteObject(InvokeProvider.Item.Get(WildcardPattern.Escape(target)), enumerateCollection: true);
        }
    }
}
