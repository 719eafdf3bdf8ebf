using System.Security.Cryptography;
using PSCodeArtifact.Core.Storage;

namespace CodeArtifact.Core.Tests;

public sealed class KeyProviderTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "psca-keys-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public void WrapThenUnwrap_ReturnsTheDataKey()
    {
        var provider = new LocalKeyProvider(_folder);
        var dataKey = RandomNumberGenerator.GetBytes(32);
        var wrapped = provider.Wrap(dataKey, "ctx"u8);

        Assert.Equal(dataKey, provider.Unwrap(provider.CurrentKeyId, wrapped, "ctx"u8));
        Assert.True(wrapped.AsSpan().IndexOf(dataKey) < 0);
        Assert.StartsWith("kek-1-", provider.CurrentKeyId);
    }

    [Fact]
    public void Unwrap_WithAnotherContext_Fails()
    {
        var provider = new LocalKeyProvider(_folder);
        var wrapped = provider.Wrap(RandomNumberGenerator.GetBytes(32), "domain-a"u8);

        Assert.ThrowsAny<CryptographicException>(() => provider.Unwrap(provider.CurrentKeyId, wrapped, "domain-b"u8));
    }

    [Fact]
    public void Unwrap_WithAnUnknownKeyId_Fails()
    {
        var provider = new LocalKeyProvider(_folder);
        var wrapped = provider.Wrap(RandomNumberGenerator.GetBytes(32), "c"u8);

        Assert.ThrowsAny<CryptographicException>(() => provider.Unwrap("kek-9-0000000000000000", wrapped, "c"u8));
    }

    [Fact]
    public void ASecondProviderOnTheSameFolder_UsesTheSameKey()
    {
        var first = new LocalKeyProvider(_folder);
        var wrapped = first.Wrap(RandomNumberGenerator.GetBytes(32), "c"u8);
        var second = new LocalKeyProvider(_folder);

        Assert.Equal(first.CurrentKeyId, second.CurrentKeyId);
        Assert.Equal(32, second.Unwrap(first.CurrentKeyId, wrapped, "c"u8).Length);
    }

    [Fact]
    public async Task ProvidersRacingToCreateTheFirstKey_AgreeOnOne()
    {
        var ids = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => new LocalKeyProvider(_folder).CurrentKeyId)));

        Assert.Single(ids.Distinct());
        Assert.Single(Directory.GetFiles(_folder, "kek-*.key"));
        Assert.Empty(Directory.GetFiles(_folder, "*.tmp"));
    }

    [Fact]
    public void KeyFileAndFolder_AreReadableByTheOwnerOnly()
    {
        if (OperatingSystem.IsWindows()) return;
        _ = new LocalKeyProvider(_folder).CurrentKeyId;

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_folder));
        var file = Directory.GetFiles(_folder, "kek-*.key").Single();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
    }

    [Fact]
    public void ADamagedKeyFile_IsReportedClearly()
    {
        Directory.CreateDirectory(_folder);
        File.WriteAllBytes(Path.Combine(_folder, "kek-1.key"), [1, 2, 3]);

        var error = Assert.ThrowsAny<CryptographicException>(() => new LocalKeyProvider(_folder).CurrentKeyId);
        Assert.Contains("damaged", error.Message);
    }
}
