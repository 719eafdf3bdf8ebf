namespace PSCodeArtifact.Core.Formats;

/// <summary>
/// A strict SemVer 2.0.0 version as npm keys it: build metadata is parsed but is not part of the identity, the way
/// node-semver's <c>clean</c> (which <c>npm publish</c> applies) drops it.
/// </summary>
internal sealed class NpmSemVer
{
    // CodeArtifact's limit for a version string; node-semver's own cap (256) is looser.
    private const int MaxLength = 255;

    // node-semver refuses numeric parts above JavaScript's MAX_SAFE_INTEGER, so npm could never publish them.
    private const long MaxSafeInteger = 9_007_199_254_740_991;

    private NpmSemVer(long major, long minor, long patch, string[] prerelease, string? build)
    {
        Major = major;
        Minor = minor;
        Patch = patch;
        Prerelease = prerelease;
        Build = build;
    }

    public long Major { get; }

    public long Minor { get; }

    public long Patch { get; }

    public string[] Prerelease { get; }

    public string? Build { get; }

    /// <summary>The identity form: <c>major.minor.patch[-prerelease]</c>, without build metadata.</summary>
    public string Normalized =>
        Prerelease.Length == 0 ? $"{Major}.{Minor}.{Patch}" : $"{Major}.{Minor}.{Patch}-{string.Join('.', Prerelease)}";

    /// <summary>Parses <paramref name="text"/>; on failure <paramref name="why"/> says what is wrong.</summary>
    public static NpmSemVer? TryParse(string text, out string why)
    {
        why = "";
        if (text.Length == 0)
        {
            why = "it is empty.";
            return null;
        }
        if (text.Length > MaxLength)
        {
            why = $"it is longer than {MaxLength} characters.";
            return null;
        }
        if (text[0] is 'v' or 'V' or '=')
        {
            why = $"a leading '{text[0]}' is not part of a SemVer 2.0 version (write '{text.TrimStart('v', 'V', '=')}').";
            return null;
        }

        string? build = null;
        var rest = text;
        var plus = rest.IndexOf('+', StringComparison.Ordinal);
        if (plus >= 0)
        {
            build = rest[(plus + 1)..];
            rest = rest[..plus];
            if (CheckIdentifiers(build, "build metadata", numericLeadingZerosAllowed: true) is { } badBuild)
            {
                why = badBuild;
                return null;
            }
        }

        string[] prerelease = [];
        var dash = rest.IndexOf('-', StringComparison.Ordinal);
        if (dash >= 0)
        {
            var pre = rest[(dash + 1)..];
            rest = rest[..dash];
            if (CheckIdentifiers(pre, "pre-release", numericLeadingZerosAllowed: false) is { } badPre)
            {
                why = badPre;
                return null;
            }
            prerelease = pre.Split('.');
        }

        var core = rest.Split('.');
        if (core.Length != 3)
        {
            why = "SemVer 2.0 needs exactly three numeric parts, major.minor.patch.";
            return null;
        }
        var numbers = new long[3];
        string[] partNames = ["major", "minor", "patch"];
        for (var i = 0; i < 3; i++)
        {
            var part = core[i];
            if (part.Length == 0 || !part.All(char.IsAsciiDigit))
            {
                why = $"the {partNames[i]} part '{part}' is not a number.";
                return null;
            }
            if (part.Length > 1 && part[0] == '0')
            {
                why = $"the {partNames[i]} part '{part}' has a leading zero.";
                return null;
            }
            if (part.Length > 16 || !long.TryParse(part, out numbers[i]) || numbers[i] > MaxSafeInteger)
            {
                why = $"the {partNames[i]} part '{part}' is larger than {MaxSafeInteger}.";
                return null;
            }
        }
        return new NpmSemVer(numbers[0], numbers[1], numbers[2], prerelease, build);
    }

    /// <summary>SemVer 2.0 precedence (§11): build metadata is ignored.</summary>
    public static int Compare(NpmSemVer left, NpmSemVer right)
    {
        var byCore = left.Major.CompareTo(right.Major);
        if (byCore == 0) byCore = left.Minor.CompareTo(right.Minor);
        if (byCore == 0) byCore = left.Patch.CompareTo(right.Patch);
        if (byCore != 0) return byCore;

        // A release outranks every pre-release of the same core version.
        if (left.Prerelease.Length == 0 && right.Prerelease.Length == 0) return 0;
        if (left.Prerelease.Length == 0) return 1;
        if (right.Prerelease.Length == 0) return -1;
        var shared = Math.Min(left.Prerelease.Length, right.Prerelease.Length);
        for (var i = 0; i < shared; i++)
        {
            var byIdentifier = CompareIdentifiers(left.Prerelease[i], right.Prerelease[i]);
            if (byIdentifier != 0) return byIdentifier;
        }
        return left.Prerelease.Length.CompareTo(right.Prerelease.Length);
    }

    private static int CompareIdentifiers(string left, string right)
    {
        var leftNumeric = left.All(char.IsAsciiDigit);
        var rightNumeric = right.All(char.IsAsciiDigit);
        if (leftNumeric && rightNumeric)
        {
            // No leading zeros, so the longer digit string is the larger number, whatever its size.
            var byLength = left.Length.CompareTo(right.Length);
            return byLength != 0 ? byLength : string.CompareOrdinal(left, right);
        }
        if (leftNumeric) return -1;
        if (rightNumeric) return 1;
        return Math.Sign(string.CompareOrdinal(left, right));
    }

    private static string? CheckIdentifiers(string dotted, string what, bool numericLeadingZerosAllowed)
    {
        foreach (var identifier in dotted.Split('.'))
        {
            if (identifier.Length == 0) return $"the {what} '{dotted}' has an empty identifier.";
            foreach (var c in identifier)
            {
                if (!char.IsAsciiLetterOrDigit(c) && c != '-')
                {
                    return $"the {what} '{dotted}' contains '{c}'; only ASCII letters, digits, '-' and '.' are allowed.";
                }
            }
            if (!numericLeadingZerosAllowed && identifier.Length > 1 && identifier[0] == '0' && identifier.All(char.IsAsciiDigit))
            {
                return $"the {what} identifier '{identifier}' is numeric with a leading zero.";
            }
        }
        return null;
    }
}
