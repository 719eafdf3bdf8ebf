namespace PSCodeArtifact.Core;

/// <summary>How an expected failure is classified; the cmdlets and the endpoint each map it to their own terms.</summary>
public enum FailureKind
{
    Invalid,
    NotFound,
    AlreadyExists,
    Conflict,
    LimitExceeded,
    AccessDenied,

    /// <summary>A remote registry behind an external connection could not answer (down, timed out, or answered garbage).</summary>
    Unavailable,
}

/// <summary>An expected failure: a stable PascalCase code, its kind, a message for people and the offending target.</summary>
public sealed record Failure(string Code, FailureKind Kind, string Message, string? Target = null);

/// <summary>The result of a core operation: a value, or an expected failure. Exceptions are for the unexpected.</summary>
public readonly struct Outcome<T>
{
    private Outcome(T? value, Failure? failure)
    {
        Value = value;
        Failure = failure;
    }

    public T? Value { get; }

    public Failure? Failure { get; }

    public bool Succeeded => Failure is null;

    public static implicit operator Outcome<T>(T value) => new(value, null);

    /// <summary>A success with <paramref name="value"/>, where an implicit conversion cannot apply (interfaces).</summary>
    public static Outcome<T> From(T value) => new(value, null);

    public static implicit operator Outcome<T>(Failure failure) => new(default, failure);
}

/// <summary>The stable failure codes. They become ErrorRecord ids and HTTP error bodies, so never rename one.</summary>
public static class ErrorCodes
{
    public const string InvalidDomainName = nameof(InvalidDomainName);
    public const string DomainNotFound = nameof(DomainNotFound);
    public const string DomainAlreadyExists = nameof(DomainAlreadyExists);
    public const string DomainNotEmpty = nameof(DomainNotEmpty);
    public const string InvalidRepositoryName = nameof(InvalidRepositoryName);
    public const string RepositoryNotFound = nameof(RepositoryNotFound);
    public const string RepositoryAlreadyExists = nameof(RepositoryAlreadyExists);
    public const string RepositoryIsUpstream = nameof(RepositoryIsUpstream);
    public const string TooManyRepositories = nameof(TooManyRepositories);
    public const string InvalidDescription = nameof(InvalidDescription);
    public const string InvalidTag = nameof(InvalidTag);
    public const string UpstreamNotFound = nameof(UpstreamNotFound);
    public const string TooManyUpstreams = nameof(TooManyUpstreams);
    public const string DuplicateUpstream = nameof(DuplicateUpstream);
    public const string UpstreamCycle = nameof(UpstreamCycle);
    public const string DigestMismatch = nameof(DigestMismatch);
    public const string StoreUnavailable = nameof(StoreUnavailable);
    public const string InvalidPackageFile = nameof(InvalidPackageFile);
    public const string InvalidPackageName = nameof(InvalidPackageName);
    public const string InvalidPackageVersion = nameof(InvalidPackageVersion);
    public const string PackageFileMismatch = nameof(PackageFileMismatch);
    public const string InvalidAssetName = nameof(InvalidAssetName);
    public const string InvalidFormat = nameof(InvalidFormat);
    public const string UnknownFormat = nameof(UnknownFormat);
    public const string PackageNotFound = nameof(PackageNotFound);
    public const string PackageVersionNotFound = nameof(PackageVersionNotFound);
    public const string AssetNotFound = nameof(AssetNotFound);
    public const string AssetNotAvailable = nameof(AssetNotAvailable);
    public const string AssetConflict = nameof(AssetConflict);
    public const string VersionAlreadyExists = nameof(VersionAlreadyExists);
    public const string VersionNotPublishable = nameof(VersionNotPublishable);
    public const string PublishBlocked = nameof(PublishBlocked);
    public const string InvalidStatus = nameof(InvalidStatus);
    public const string MismatchedRevision = nameof(MismatchedRevision);
    public const string InvalidOriginConfiguration = nameof(InvalidOriginConfiguration);
    public const string NoVersionsGiven = nameof(NoVersionsGiven);
    public const string TooManyVersions = nameof(TooManyVersions);
    public const string SameRepository = nameof(SameRepository);
    public const string InvalidExternalConnection = nameof(InvalidExternalConnection);
    public const string ExternalConnectionNotFound = nameof(ExternalConnectionNotFound);
    public const string ExternalConnectionAlreadyExists = nameof(ExternalConnectionAlreadyExists);
    public const string ExternalConnectionInUse = nameof(ExternalConnectionInUse);
    public const string ExternalConnectionLimit = nameof(ExternalConnectionLimit);
    public const string ExternalConnectionNotConnected = nameof(ExternalConnectionNotConnected);
    public const string UpstreamUnavailable = nameof(UpstreamUnavailable);
    public const string UpstreamInvalid = nameof(UpstreamInvalid);
    public const string PackageReachableUpstream = nameof(PackageReachableUpstream);
    public const string InvalidDuration = nameof(InvalidDuration);
    public const string InvalidToken = nameof(InvalidToken);
    public const string TokenExpired = nameof(TokenExpired);
    public const string TokenDomainMismatch = nameof(TokenDomainMismatch);
    public const string MissingToken = nameof(MissingToken);
    public const string RouteNotFound = nameof(RouteNotFound);
    public const string DistTagNotFound = nameof(DistTagNotFound);
    public const string InvalidDistTag = nameof(InvalidDistTag);
    public const string InvalidDeprecation = nameof(InvalidDeprecation);
    public const string InvalidPublishDocument = nameof(InvalidPublishDocument);
    public const string RevisionRequired = nameof(RevisionRequired);
    public const string MethodNotAllowed = nameof(MethodNotAllowed);
    public const string InvalidPath = nameof(InvalidPath);
    public const string ChecksumRequired = nameof(ChecksumRequired);
    public const string InvalidChecksum = nameof(InvalidChecksum);
    public const string InvalidQuery = nameof(InvalidQuery);
    public const string UnsupportedContentEncoding = nameof(UnsupportedContentEncoding);
    public const string InvalidUpload = nameof(InvalidUpload);
}
