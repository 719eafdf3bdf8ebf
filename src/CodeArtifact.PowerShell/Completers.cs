using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using PSCodeArtifact.Core;

namespace PSCodeArtifact.PowerShell;

/// <summary>Completes domain names from the current store.</summary>
public sealed class DomainNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Completion.Safe(() => Completion.OpenStore().Domains.List().Select(d => d.Name), wordToComplete);
}

/// <summary>Completes repository names of the domain given by <c>-Domain</c> (or of every domain).</summary>
public sealed class RepositoryNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var domain = fakeBoundParameters.Contains("Domain") ? fakeBoundParameters["Domain"]?.ToString() : null;
        return Completion.Safe(() =>
        {
            var repositories = Completion.OpenStore().Repositories.List(string.IsNullOrEmpty(domain) ? null : domain);
            return repositories.Succeeded ? repositories.Value!.Select(r => r.Name).Distinct(StringComparer.OrdinalIgnoreCase) : [];
        }, wordToComplete);
    }
}

internal static class Completion
{
    /// <summary>The store the cmdlets of this session would use (a relative store path follows the PowerShell location).</summary>
    public static CaStore OpenStore() => CaStore.Open(CaCmdlet.ResolveStorePath(CurrentLocation));

    // A completer runs inside the prompt's pipeline, where the runspace's proxy is busy; a script block runs in place.
    private static string? CurrentLocation() =>
        ScriptBlock.Create("$ExecutionContext.SessionState.Path.CurrentFileSystemLocation.ProviderPath").Invoke().FirstOrDefault()?.BaseObject as string;

    public static IEnumerable<CompletionResult> Safe(Func<IEnumerable<string>> names, string wordToComplete)
    {
        var prefix = (wordToComplete ?? "").Trim('\'', '"');
        List<string> matches;
        try
        {
            matches = names().Where(n => n.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal).ToList();
        }
        catch (Exception)
        {
            // Completion must never throw at the prompt; an unreadable store simply completes nothing.
            return [];
        }
        return matches.Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, n));
    }
}

/// <summary>Completes external connection names of the domain given by <c>-Domain</c>.</summary>
public sealed class ExternalConnectionNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var domain = fakeBoundParameters.Contains("Domain") ? fakeBoundParameters["Domain"]?.ToString() : null;
        return Completion.Safe(() =>
        {
            if (string.IsNullOrEmpty(domain)) return [];
            var connections = Completion.OpenStore().ExternalConnections.List(domain);
            return connections.Succeeded ? connections.Value!.Select(c => c.Name) : [];
        }, wordToComplete);
    }
}
