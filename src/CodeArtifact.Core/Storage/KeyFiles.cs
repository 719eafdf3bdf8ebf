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
            PublishOnce(staging, path);
        }
        var key = File.ReadAllBytes(path);
        return key.Length == 32 ? key : throw new CryptographicException($"The key file '{path}' is damaged.");
    }

    /// <summary>
    /// Moves a staged key file to <paramref name="final"/> unless a key is already there (then the staged one is deleted),
    /// under an exclusive lock on the key folder: a no-overwrite move alone checks and renames in two steps, so two
    /// processes creating the first key at once could both "win" and use different keys.
    /// </summary>
    public static void PublishOnce(string staging, string final)
    {
        var lockPath = Path.Combine(Path.GetDirectoryName(final)!, ".create.lock");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            FileStream? held = null;
            try
            {
                held = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(5);
                continue;
            }
            using (held)
            {
                if (File.Exists(final)) File.Delete(staging);
                else File.Move(staging, final, overwrite: false);
                return;
            }
        }
    }
}
