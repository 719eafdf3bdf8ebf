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

    private static ErrorCategory Category(FailureKind kind) => kind switch
    {
        FailureKind.Invalid => ErrorCategory.InvalidArgument,
        FailureKind.NotFound => ErrorCategory.ObjectNotFound,
        FailureKind.AlreadyExists => ErrorCategory.ResourceExists,
        FailureKind.Conflict => ErrorCategory.ResourceUnavailable,
        FailureKind.LimitExceeded => ErrorCategory.LimitsExceeded,
        FailureKind.AccessDenied => ErrorCategory.PermissionDenied,
        _ => ErrorCategory.NotSpecified,
    };
}
