using System.Security.Cryptography;

namespace PSCodeArtifact.Core.Crypto;

/// <summary>
/// Thrown when a stored blob fails authentication: its header, trailer, length or a segment was altered,
/// it belongs to another content address, or it was encrypted under a different key or context.
/// </summary>
public sealed class BlobIntegrityException : CryptographicException
{
    /// <summary>Creates the exception with a message describing what failed to verify.</summary>
    /// <param name="message">What failed to verify.</param>
    public BlobIntegrityException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the lower-level cryptographic failure.</summary>
    /// <param name="message">What failed to verify.</param>
    /// <param name="innerException">The failure reported by the underlying primitive.</param>
    public BlobIntegrityException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
