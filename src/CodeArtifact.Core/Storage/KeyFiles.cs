using System.Security.Cryptography;

namespace PSCodeArtifact.Core.Storage;

/// <summary>Random 32-byte secrets in the key folder: created once (race-free across processes), readable by the owner only.</summary>
internal static class KeyFiles
{
    public static byte[] LoadOrCreate(string folder, string name)
    {
        if (!Directory.Exists(folder))
        {
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(folder);
            else Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var path = Path.Combine(folder, name);
        if (!File.Exists(path))
        {
            var staging = Path.Combine(folder, $".{name}.{Guid.NewGuid():N}.tmp");
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var stream = new FileStream(staging, options))
            {
                stream.Write(RandomNumberGenerator.GetBytes(32));
                stream.Flush(flushToDisk: true);
            }
            try
            {
                File.Move(staging, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                File.Delete(staging);
            }
        }
        var key = File.ReadAllBytes(path);
        return key.Length == 32 ? key : throw new CryptographicException($"The key file '{path}' is damaged.");
    }
}
