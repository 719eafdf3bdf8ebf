namespace PSCodeArtifact.Core.Formats;

/// <summary>Builders for the failures format modules return, so every module words them alike.</summary>
public static class PackageErrors
{
    public static Failure InvalidFile(string fileName, string why) =>
        new(ErrorCodes.InvalidPackageFile, FailureKind.Invalid, $"'{fileName}' is not a valid package file: {why}", fileName);

    public static Failure InvalidName(string name, string why) =>
        new(ErrorCodes.InvalidPackageName, FailureKind.Invalid, $"'{name}' is not a valid package name: {why}", name);

    public static Failure InvalidVersion(string version, string why) =>
        new(ErrorCodes.InvalidPackageVersion, FailureKind.Invalid, $"'{version}' is not a valid package version: {why}", version);

    public static Failure Mismatch(string fileName, string why) =>
        new(ErrorCodes.PackageFileMismatch, FailureKind.Invalid, $"'{fileName}' does not match its manifest: {why}", fileName);
}
