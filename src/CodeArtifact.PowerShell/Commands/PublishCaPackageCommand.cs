using System.Collections.ObjectModel;
using System.Management.Automation;
using PSCodeArtifact.Core;
using PSCodeArtifact.Core.Formats;
using PSCodeArtifact.Core.Services;

namespace PSCodeArtifact.PowerShell.Commands;

/// <summary>
/// Publishes package files to a repository through the same core path as the HTTP endpoints: the format is detected from
/// each file (or given), the file is validated, stored encrypted and deduplicated, and the version appears in one step.
/// </summary>
[Cmdlet(VerbsData.Publish, "CaPackage", SupportsShouldProcess = true, DefaultParameterSetName = PathSet)]
[OutputType(typeof(PackageVersionInfo))]
public sealed class PublishCaPackageCommand : CaCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";
    private readonly List<string> _files = [];

    [Parameter(Mandatory = true, Position = 0)]
    [ArgumentCompleter(typeof(DomainNameCompleter))]
    [Alias("DomainName")]
    public string Domain { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1)]
    [ArgumentCompleter(typeof(RepositoryNameCompleter))]
    public string Repository { get; set; } = "";

    /// <summary>Files to publish; wildcards are expanded.</summary>
    [Parameter(Mandatory = true, Position = 2, ParameterSetName = PathSet, ValueFromPipeline = true)]
    [SupportsWildcards]
    public string[] Path { get; set; } = [];

    /// <summary>Files to publish, taken literally (binds FileInfo objects from Get-ChildItem).</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName")]
    public string[] LiteralPath { get; set; } = [];

    /// <summary>The format; detected from each file name when omitted. Generic files need it.</summary>
    [Parameter]
    [ValidateSet("npm", "pypi", "maven", "nuget", "generic")]
    public string? Format { get; set; }

    /// <summary>The namespace of generic packages (or coordinates to check a file against).</summary>
    [Parameter]
    public string? Namespace { get; set; }

    /// <summary>The package name of generic packages (or coordinates to check a file against).</summary>
    [Parameter]
    public string? Package { get; set; }

    /// <summary>The version of generic packages (or coordinates to check a file against).</summary>
    [Parameter]
    [Alias("PackageVersion")]
    public string? Version { get; set; }

    /// <summary>Generic only: keep the version Unfinished so more assets can be added; publish the last one without it.</summary>
    [Parameter]
    public SwitchParameter Unfinished { get; set; }

    /// <summary>The SHA-256 the file must have (as CodeArtifact's assetSHA256); verified while it streams, nothing is kept on a mismatch.</summary>
    [Parameter]
    [Alias("AssetSHA256")]
    [ValidatePattern("^[0-9A-Fa-f]{64}$")]
    public string? Sha256 { get; set; }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == LiteralPathSet)
        {
            foreach (var path in LiteralPath) AddFile(SessionState.Path.GetUnresolvedProviderPathFromPSPath(path), path);
            return;
        }
        foreach (var path in Path)
        {
            Collection<string> resolved;
            try
            {
                resolved = GetResolvedProviderPathFromPSPath(path, out var provider);
                if (provider.Name != "FileSystem") throw new ItemNotFoundException($"'{path}' is not a file-system path.");
            }
            catch (Exception e) when (e is ItemNotFoundException or System.Management.Automation.DriveNotFoundException or ProviderNotFoundException)
            {
                WriteError(new ErrorRecord(e, "PathNotFound", ErrorCategory.ObjectNotFound, path));
                continue;
            }
            foreach (var file in resolved) AddFile(file, path);
        }
    }

    private void AddFile(string file, string given)
    {
        if (!File.Exists(file))
        {
            WriteError(new ErrorRecord(new FileNotFoundException($"'{given}' is not a file.", file), "PathNotFound", ErrorCategory.ObjectNotFound, given));
            return;
        }
        if (!_files.Contains(file)) _files.Add(file);
    }

    protected override void EndProcessing()
    {
        if (_files.Count == 0) return;
        if (Sha256 is not null && _files.Count > 1)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("-Sha256 names the digest of one file, but several files were given."),
                "Sha256NeedsOneFile", ErrorCategory.InvalidArgument, Sha256));
        }
        var generic = string.Equals(Format, "generic", StringComparison.OrdinalIgnoreCase);
        if (Unfinished && !generic) WriteWarning("-Unfinished applies to generic packages only; the files are published as usual.");
        if (!WriteOutcome(Store.Repositories.Get(Domain, Repository), writeValue: false)) return;

        // POMs go first so the jars and other files of the same Maven version find their coordinates.
        var ordered = _files.OrderBy(f => f.EndsWith(".pom", StringComparison.OrdinalIgnoreCase) ? 0 : 1).ToList();
        var poms = new List<(string Prefix, PackageVersionInfo Version)>();
        var total = ordered.Sum(f => new FileInfo(f).Length);
        long done = 0;
        var progress = new ProgressRecord(1, "Publish-CaPackage", $"Publishing to {Domain}/{Repository}");
        var showProgress = ordered.Count > 1 || total > 16 * 1024 * 1024;
        var genericFailed = false;
        try
        {
            for (var i = 0; i < ordered.Count; i++)
            {
                var file = ordered[i];
                var name = System.IO.Path.GetFileName(file);
                if (!ShouldProcess($"'{name}' to repository '{Repository}' in domain '{Domain}'", "Publish package file")) continue;
                var request = BuildRequest(file, name, poms);
                // Several generic files make one version: it stays open until the last one arrives, and stays open for good
                // when one of them failed, so the missing file can still be added.
                if (generic && (i < ordered.Count - 1 || genericFailed)) request = request with { Unfinished = true };
                var published = Publish(request, file, progress, showProgress, done, total, i, ordered.Count);
                done += new FileInfo(file).Length;
                if (!WriteOutcome(published))
                {
                    if (generic && !genericFailed && ordered.Count > 1)
                    {
                        genericFailed = true;
                        WriteWarning("A file of the generic version failed; the version stays Unfinished. Publish the missing file without -Unfinished to finish it.");
                    }
                    continue;
                }
                if (published.Value!.Format == "maven" && name.EndsWith(".pom", StringComparison.OrdinalIgnoreCase))
                {
                    poms.Add(($"{published.Value.Package}-{published.Value.Version}", published.Value));
                }
            }
        }
        finally
        {
            if (showProgress)
            {
                progress.RecordType = ProgressRecordType.Completed;
                WriteProgress(progress);
            }
        }
    }

    private PublishRequest BuildRequest(string file, string name, List<(string Prefix, PackageVersionInfo Version)> poms)
    {
        var request = new PublishRequest(Domain, Repository, name)
        {
            Format = Format?.ToLowerInvariant(),
            Namespace = Namespace,
            Package = Package,
            Version = Version,
            // A Maven version published from files is complete; only the endpoint keeps one Unfinished until its metadata.
            Unfinished = Unfinished && string.Equals(Format, "generic", StringComparison.OrdinalIgnoreCase),
            ExpectedSha256 = Sha256,
        };
        var isMaven = string.Equals(Format, "maven", StringComparison.OrdinalIgnoreCase) || (Format is null && PackageFormats.Maven.Recognizes(name));
        if (isMaven && !name.EndsWith(".pom", StringComparison.OrdinalIgnoreCase) && Package is null)
        {
            var pom = poms.Where(p => name.StartsWith(p.Prefix, StringComparison.Ordinal)).OrderByDescending(p => p.Prefix.Length).FirstOrDefault();
            if (pom.Version is not null)
            {
                request = request with { Format = "maven", Namespace = pom.Version.Namespace, Package = pom.Version.Package, Version = pom.Version.Version };
            }
        }
        return request;
    }

    private Outcome<PackageVersionInfo> Publish(PublishRequest request, string file, ProgressRecord progress, bool showProgress,
        long done, long total, int index, int count)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        var task = Store.Packages.PublishAsync(request, stream, PipelineStopToken);
        // Progress is written from the pipeline thread while the upload streams on the thread pool.
        while (!((IAsyncResult)task).AsyncWaitHandle.WaitOne(TimeSpan.FromMilliseconds(250)))
        {
            if (!showProgress) continue;
            long position;
            try
            {
                position = stream.Position;
            }
            catch (ObjectDisposedException)
            {
                position = 0;
            }
            progress.StatusDescription = $"{request.FileName} ({index + 1} of {count})";
            progress.PercentComplete = total == 0 ? 0 : (int)Math.Min(100, (done + position) * 100 / total);
            WriteProgress(progress);
        }
        return task.GetAwaiter().GetResult();
    }
}
