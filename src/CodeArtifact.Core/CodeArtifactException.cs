namespace PSCodeArtifact.Core;

/// <summary>Carries an expected <see cref="Core.Failure"/> where an exception is needed (an ErrorRecord, a host boundary).</summary>
public sealed class CodeArtifactException : Exception
{
    public CodeArtifactException(Failure failure)
        : base(failure.Message)
    {
        Failure = failure;
    }

    public Failure Failure { get; }
}
