using PSCodeArtifact.Core;

namespace CodeArtifact.Core.Tests;

/// <summary>A store in a fresh temporary folder, deleted when the test ends.</summary>
public sealed class TempStore : IDisposable
{
    public TempStore()
    {
        Folder = Path.Combine(Path.GetTempPath(), "psca-test-" + Guid.NewGuid().ToString("N"));
        Store = CaStore.Open(Folder);
    }

    public string Folder { get; }

    public CaStore Store { get; }

    /// <summary>Every byte of every file under the store folder, per file.</summary>
    public IEnumerable<(string Path, byte[] Bytes)> AllFiles() =>
        Directory.EnumerateFiles(Folder, "*", SearchOption.AllDirectories).Select(f => (f, File.ReadAllBytes(f)));

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
