using System.Security.Cryptography;
using System.Text;
using PSCodeArtifact.Core.Storage;

namespace CodeArtifact.Core.Tests;

public sealed class EncryptedSpoolTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "psca-spool-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(200_000)]
    public async Task WrittenBytes_ReadBackSeekably_AndNeverLieOnDiskInPlaintext(int length)
    {
        var marker = Encoding.UTF8.GetBytes("SPOOL-MARKER-" + Guid.NewGuid().ToString("N"));
        var data = length == 0 ? [] : Enumerable.Range(0, length / marker.Length + 1).SelectMany(_ => marker).Take(length).ToArray();
        using var spool = new EncryptedSpool(_folder);
        await spool.Writer.WriteAsync(data);

        var file = Directory.GetFiles(_folder).Single();
        if (length >= marker.Length) Assert.True(File.ReadAllBytes(file).AsSpan().IndexOf(marker) < 0);

        var read = spool.Complete();
        Assert.Equal(length, read.Length);
        using var copy = new MemoryStream();
        await read.CopyToAsync(copy);
        Assert.Equal(data, copy.ToArray());
        if (length > 100)
        {
            read.Position = length - 50;
            var tail = new byte[50];
            read.ReadExactly(tail);
            Assert.Equal(data[^50..], tail);
        }
        Assert.Same(read, spool.Complete());
    }

    [Fact]
    public void Dispose_DeletesTheFile()
    {
        var spool = new EncryptedSpool(_folder);
        spool.Writer.Write(RandomNumberGenerator.GetBytes(1000));
        spool.Complete();
        spool.Dispose();

        Assert.Empty(Directory.GetFiles(_folder));
    }
}
