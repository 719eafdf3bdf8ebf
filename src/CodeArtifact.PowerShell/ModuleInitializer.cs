using System.Management.Automation;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace PSCodeArtifact.PowerShell;

/// <summary>
/// Runs when pwsh imports the module: pwsh does not probe <c>runtimes/&lt;rid&gt;/native/</c>, so native SQLite is
/// resolved here from the module folder for the platform pwsh runs on.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private static readonly string s_moduleFolder = Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!;

    public void OnImport() => AssemblyLoadContext.Default.ResolvingUnmanagedDll += ResolveNative;

    public void OnRemove(PSModuleInfo psModuleInfo) => AssemblyLoadContext.Default.ResolvingUnmanagedDll -= ResolveNative;

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
