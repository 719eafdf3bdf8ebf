namespace PSCodeArtifact.Core.Formats;

/// <summary>
/// npm package-name rules, after validate-npm-package-name: what npm refuses outright (errors) plus the "no longer
/// allowed" special characters and the 214-character cap. Capital letters stay allowed because legacy mixed-case
/// names exist and the npm CLI still publishes them (<c>allowLegacyCase</c>); core-module names such as <c>http</c>
/// stay allowed for the same reason.
/// </summary>
internal static class NpmName
{
    public const int MaxLength = 214;

    private static readonly string[] s_excluded = ["node_modules", "favicon.ico"];

    /// <summary>The name as npm writes it: <c>@scope/name</c> or <c>name</c>.</summary>
    public static string Full(string? scope, string name) => string.IsNullOrEmpty(scope) ? name : $"@{scope}/{name}";

    /// <summary>Splits <c>@scope/name</c>; a name without a leading '@' is unscoped. Returns false for a malformed scoped name.</summary>
    public static bool TrySplit(string fullName, out string? scope, out string name)
    {
        scope = null;
        name = fullName;
        if (!fullName.StartsWith('@')) return true;
        var slash = fullName.IndexOf('/', StringComparison.Ordinal);
        if (slash < 2) return false;
        scope = fullName[1..slash];
        name = fullName[(slash + 1)..];
        return true;
    }

    /// <summary>Why the name is invalid, or null when npm accepts it.</summary>
    public static string? Check(string? scope, string name)
    {
        var full = Full(scope, name);
        if (full.Length > MaxLength) return $"npm names are at most {MaxLength} characters including the scope.";
        if (!string.IsNullOrEmpty(scope))
        {
            // npm documents scopes as following the package-name rules: no leading '.' or '_'.
            if (CheckPart(scope, "scope", underscoreLeadAllowed: false) is { } badScope) return badScope;
        }
        else if (s_excluded.Any(excluded => string.Equals(excluded, name, StringComparison.OrdinalIgnoreCase)))
        {
            return $"'{name}' is reserved.";
        }
        // validate-npm-package-name tests the leading '_' on the whole name, so '@scope/_name' passes.
        return CheckPart(name, "name", underscoreLeadAllowed: !string.IsNullOrEmpty(scope));
    }

    private static string? CheckPart(string part, string what, bool underscoreLeadAllowed)
    {
        if (part.Length == 0) return $"the {what} is empty.";
        if (part[0] == '.') return $"the {what} cannot start with '.'.";
        if (part[0] == '_' && !underscoreLeadAllowed) return $"the {what} cannot start with '_'.";
        foreach (var c in part)
        {
            if (c is '~' or '\'' or '!' or '(' or ')' or '*') return $"the {what} cannot contain the special characters ~'!()*.";
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '.' or '_'))
            {
                var shown = char.IsWhiteSpace(c) ? "a space" : char.IsControl(c) ? $"U+{(int)c:X4}" : $"'{c}'";
                return $"the {what} contains {shown}; only URL-safe characters (letters, digits, '-', '.', '_') are allowed.";
            }
        }
        return null;
    }
}
