using System.Collections;
using System.Management.Automation;
using PSCodeArtifact.Core;

namespace PSCodeArtifact.PowerShell;

/// <summary>The base of every PSCodeArtifact cmdlet: opens the store and turns core outcomes into output or ErrorRecords.</summary>
public abstract class CaCmdlet : PSCmdlet
{
    private CaStore? _store;

    /// <summary>The store named by <c>$env:PSCODEARTIFACT_STORE</c> (read when the command starts), else the per-user one.</summary>
    protected CaStore Store => _store ??= OpenStore();

    /// <summary>
    /// The folder of the store this command uses, without opening it. A relative <c>$env:PSCODEARTIFACT_STORE</c>
    /// is taken relative to the current PowerShell location, as every path a user types is.
    /// </summary>
    protected string StorePath => ResolveStorePath(() => SessionState.Path.CurrentFileSystemLocation.ProviderPath);

    /// <summary>The store folder; <paramref name="location"/> gives the current file-system location, asked only for a relative setting.</summary>
    internal static string ResolveStorePath(Func<string?> location)
    {
        var configured = Environment.GetEnvironmentVariable(CaStore.StoreVariable);
        return string.IsNullOrWhiteSpace(configured) || Path.IsPathRooted(configured) || location() is not { } current
            ? CaStore.ResolvePath()
            : Path.GetFullPath(configured, current);
    }

    /// <summary>Writes the value, or a non-terminating error for an expected failure. Returns whether it succeeded.</summary>
    protected bool WriteOutcome<T>(Outcome<T> outcome, bool writeValue = true)
    {
        if (outcome.Failure is { } failure)
        {
            WriteError(ErrorRecords.From(failure));
            return false;
        }
        if (writeValue) WriteObject(outcome.Value);
        return true;
    }

    /// <summary>Returns the value, or stops the command with the failure as a terminating error.</summary>
    protected T Require<T>(Outcome<T> outcome)
    {
        if (outcome.Failure is { } failure) ThrowTerminatingError(ErrorRecords.From(failure));
        return outcome.Value!;
    }

    protected static Dictionary<string, string>? ToTags(Hashtable? table)
    {
        if (table is null) return null;
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in table)
        {
            tags[Convert.ToString(entry.Key, System.Globalization.CultureInfo.InvariantCulture) ?? ""] =
                Convert.ToString(entry.Value, System.Globalization.CultureInfo.InvariantCulture) ?? "";
        }
        return tags;
    }

    private CaStore OpenStore()
    {
        try
        {
            return CaStore.Open(StorePath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException or InvalidOperationException
                                     or System.Security.Cryptography.CryptographicException)
        {
            ThrowTerminatingError(new ErrorRecord(e, ErrorCodes.StoreUnavailable, ErrorCategory.OpenError, StorePath)
            {
                ErrorDetails = new ErrorDetails($"The store at '{StorePath}' cannot be opened: {e.Message}"),
            });
            throw;
        }
    }
}
