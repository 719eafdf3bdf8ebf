using System.Management.Automation;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using RuntimeEnvironment = System.Runtime.InteropServices.RuntimeEnvironment;

namespace PSCodeArtifact.PowerShell;

/// <summary>
/// Runs when pwsh imports the module. pwsh does not probe <c>runtimes/&lt;rid&gt;/native/</c>, so native SQLite is resolved
/// here from the module folder for the platform pwsh runs on; and pwsh's runtimeconfig names only Microsoft.NETCore.App,
/// so the ASP.NET Core assemblies are loaded from the shared framework of the same version next to the running runtime.
/// Removing the module stops every endpoint it started.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private static readonly string s_moduleFolder = Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!;
    private static readonly Lazy<string?> s_aspNetFolder = new(FindAspNetFolder);

    public void OnImport()
    {
        AssemblyLoadContext.Default.ResolvingUnmanagedDll += ResolveNative;
        AssemblyLoadContext.Default.Resolving += ResolveAspNet;
    }

    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        EndpointRegistry.StopAll();
        AssemblyLoadContext.Default.ResolvingUnmanagedDll -= ResolveNative;
        AssemblyLoadContext.Default.Resolving -= ResolveAspNet;
    }

    private static Assembly? ResolveAspNet(AssemblyLoadContext context, AssemblyName name)
    {
        if (s_aspNetFolder.Value is not { } folder || name.Name is null) return null;
        var path = Path.Combine(folder, name.Name + ".dll");
        return File.Exists(path) ? context.LoadFromAssemblyPath(path) : null;
    }

    private static string? FindAspNetFolder()
    {
        // .../shared/Microsoft.NETCore.App/<version>/ has the ASP.NET Core framework of the same version as a sibling.
        var runtime = new DirectoryInfo(RuntimeEnvironment.GetRuntimeDirectory().TrimEnd(Path.DirectorySeparatorChar));
        var version = runtime.Name;
        var shared = runtime.Parent?.Parent;
        var exact = shared is null ? null : Path.Combine(shared.FullName, "Microsoft.AspNetCore.App", version);
        if (exact is not null && Directory.Exists(exact)) return exact;
        // Otherwise the highest version of the same major under the usual dotnet roots.
        var major = version.Split('.')[0] + ".";
        var roots = new[] { shared?.FullName, Environment.GetEnvironmentVariable("DOTNET_ROOT") is { } root ? Path.Combine(root, "shared") : null,
            "/usr/share/dotnet/shared", "/usr/lib/dotnet/shared", "/usr/local/share/dotnet/shared",
            Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ProgramFiles), "dotnet", "shared") };
        return roots.Where(r => r is not null).Select(r => Path.Combine(r!, "Microsoft.AspNetCore.App")).Where(Directory.Exists)
            .SelectMany(Directory.GetDirectories).Where(d => Path.GetFileName(d).StartsWith(major, StringComparison.Ordinal))
            .OrderByDescending(d => Version.TryParse(Path.GetFileName(d).Split('-')[0], out var v) ? v : new Version())
            .FirstOrDefault();
    }

    private static IntPtr ResolveNative(Assembly assembly, string name)
    {
        foreach (var rid in CandidateRids())
        {
            var folder = Path.Combine(s_moduleFolder, "runtimes", rid, "native");
            foreach (var file in FileNames(name))
            {
                var path = Path.Combine(folder, file);
                if (File.Exists(path) && NativeLibrary.TryLoad(path, out var handle)) return handle;
            }
        }
        return IntPtr.Zero;
    }

    private static IEnumerable<string> CandidateRids()
    {
        var arch = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        yield return RuntimeInformation.RuntimeIdentifier;
        if (OperatingSystem.IsWindows())
        {
            yield return $"win-{arch}";
        }
        else if (OperatingSystem.IsMacOS())
        {
            yield return $"osx-{arch}";
        }
        else
        {
            if (File.Exists("/etc/alpine-release")) yield return $"linux-musl-{arch}";
            yield return $"linux-{arch}";
        }
    }

    private static IEnumerable<string> FileNames(string name)
    {
        yield return name;
        if (OperatingSystem.IsWindows())
        {
            yield return name + ".dll";
        }
        else
        {
            var extension = OperatingSystem.IsMacOS() ? ".dylib" : ".so";
            yield return "lib" + name + extension;
            yield return name + extension;
        }
    }
}
