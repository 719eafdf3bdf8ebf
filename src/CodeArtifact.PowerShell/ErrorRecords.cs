using System.Management.Automation;
using PSCodeArtifact.Core;

namespace PSCodeArtifact.PowerShell;

/// <summary>The one place that turns core failures into ErrorRecords: the failure code is the error id.</summary>
internal static class ErrorRecords
{
    public static ErrorRecord From(Failure failure) =>
        new(new CodeArtifactException(failure), failure.Code, Category(failure.Kind), failure.Target)
        {
            ErrorDetails = new ErrorDetails(failure.Message),
        };

    /// <summary>A failed version of a batch call: the id names CodeArtifact's code in this module's PascalCase style.</summary>
    public static ErrorRecord From(PackageVersionResult result)
    {
        var (id, kind) = result.ErrorCode switch
        {
            "ALREADY_EXISTS" => ("PackageVersionAlreadyExists", FailureKind.AlreadyExists),
            "MISMATCHED_REVISION" => ("MismatchedRevision", FailureKind.Conflict),
            "MISMATCHED_STATUS" => ("MismatchedStatus", FailureKind.Conflict),
            "NOT_ALLOWED" => ("PackageVersionNotAllowed", FailureKind.Conflict),
            "NOT_FOUND" => ("PackageVersionNotFound", FailureKind.NotFound),
            "SKIPPED" => ("PackageVersionSkipped", FailureKind.Conflict),
            _ => ("PackageVersionFailed", FailureKind.Conflict),
        };
        var failure = new Failure(id, kind, $"{result.ErrorCode}: {result.ErrorMessage}", result.Version);
        return new ErrorRecord(new CodeArtifactException(failure), id, Category(kind), result)
        {
            ErrorDetails = new ErrorDetails(failure.Message),
        };
    }

    private static ErrorCategory Category(FailureKind kind) => kind switch
    {
        FailureKind.Invalid => ErrorCategory.InvalidArgument,
        FailureKind.NotFound => ErrorCategory.ObjectNotFound,
        FailureKind.AlreadyExists => ErrorCategory.ResourceExists,
        FailureKind.Conflict => ErrorCategory.ResourceUnavailable,
        FailureKind.LimitExceeded => ErrorCategory.LimitsExceeded,
        FailureKind.AccessDenied => ErrorCategory.PermissionDenied,
        FailureKind.Unavailable => ErrorCategory.ConnectionError,
        _ => ErrorCategory.NotSpecified,
    };
}
