using System.Text;
using System.Text.RegularExpressions;

namespace PSCodeArtifact.Core.Formats;

/// <summary>
/// A PEP 440 version (the grammar, normal form and ordering of pypa/packaging's <c>Version</c>). Numbers stay digit
/// strings so that versions with absurdly long components neither overflow nor throw.
/// </summary>
internal sealed partial class Pep440Version
{
    /// <summary>CodeArtifact's package version limit.</summary>
    public const int MaxLength = 255;

    private Pep440Version(string epoch, string[] release, string? preLabel, string? preNumber, string? post, string? dev, string[]? local)
    {
        Epoch = epoch;
        Release = release;
        PreLabel = preLabel;
        PreNumber = preNumber;
        Post = post;
        Dev = dev;
        Local = local;
    }

    public string Epoch { get; }

    public string[] Release { get; }

    /// <summary><c>a</c>, <c>b</c> or <c>rc</c>; null for no pre-release.</summary>
    public string? PreLabel { get; }

    public string? PreNumber { get; }

    public string? Post { get; }

    public string? Dev { get; }

    /// <summary>Lower-case segments, numeric ones without leading zeros; null for a public version.</summary>
    public string[]? Local { get; }

    // The PEP 440 appendix's pattern, matched against lower-cased ASCII input: RegexOptions.IgnoreCase would let
    // the Kelvin sign (U+212A) pass for 'k'.
    [GeneratedRegex("""
        ^\s*v?
        (?:(?<epoch>[0-9]+)!)?
        (?<release>[0-9]+(?:\.[0-9]+)*)
        (?<pre>[-_.]?(?<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?<pre_n>[0-9]+)?)?
        (?<post>(?:-(?<post_n1>[0-9]+))|(?:[-_.]?(?<post_l>post|rev|r)[-_.]?(?<post_n2>[0-9]+)?))?
        (?<dev>[-_.]?(?<dev_l>dev)[-_.]?(?<dev_n>[0-9]+)?)?
        (?:\+(?<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?
        \s*\z
        """, RegexOptions.IgnorePatternWhitespace | RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex Pattern();

    public static bool TryParse(string? text, out Pep440Version version)
    {
        version = null!;
        if (string.IsNullOrEmpty(text) || text.Length > MaxLength || !Ascii.IsValid(text)) return false;
        var match = Pattern().Match(text.ToLowerInvariant());
        if (!match.Success) return false;

        var epoch = match.Groups["epoch"].Success ? Number(match.Groups["epoch"].Value) : "0";
        var release = match.Groups["release"].Value.Split('.').Select(Number).ToArray();

        string? preLabel = null, preNumber = null;
        if (match.Groups["pre"].Success)
        {
            preLabel = match.Groups["pre_l"].Value switch
            {
                "alpha" or "a" => "a",
                "beta" or "b" => "b",
                _ => "rc",
            };
            preNumber = match.Groups["pre_n"].Success ? Number(match.Groups["pre_n"].Value) : "0";
        }

        string? post = null;
        if (match.Groups["post_n1"].Success) post = Number(match.Groups["post_n1"].Value);
        else if (match.Groups["post_l"].Success) post = match.Groups["post_n2"].Success ? Number(match.Groups["post_n2"].Value) : "0";

        string? dev = null;
        if (match.Groups["dev"].Success) dev = match.Groups["dev_n"].Success ? Number(match.Groups["dev_n"].Value) : "0";

        string[]? local = null;
        if (match.Groups["local"].Success)
        {
            local = match.Groups["local"].Value.Split('.', '-', '_')
                .Select(segment => IsDigits(segment) ? Number(segment) : segment)
                .ToArray();
        }

        version = new Pep440Version(epoch, release, preLabel, preNumber, post, dev, local);
        return true;
    }

    /// <summary>The normal form: <c>[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]</c>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        if (Epoch != "0") text.Append(Epoch).Append('!');
        text.AppendJoin('.', Release);
        if (PreLabel is not null) text.Append(PreLabel).Append(PreNumber);
        if (Post is not null) text.Append(".post").Append(Post);
        if (Dev is not null) text.Append(".dev").Append(Dev);
        if (Local is not null) text.Append('+').AppendJoin('.', Local);
        return text.ToString();
    }

    /// <summary>PEP 440 ordering (pypa/packaging's <c>_cmpkey</c>).</summary>
    public static int Compare(Pep440Version left, Pep440Version right)
    {
        var result = CompareNumbers(left.Epoch, right.Epoch);
        if (result != 0) return result;

        result = CompareRelease(left.Release, right.Release);
        if (result != 0) return result;

        result = left.PreRank.CompareTo(right.PreRank);
        if (result != 0) return result;
        if (left.PreLabel is not null && right.PreLabel is not null)
        {
            // "a" < "b" < "rc" happens to be ordinal order.
            result = string.CompareOrdinal(left.PreLabel, right.PreLabel);
            if (result != 0) return result;
            result = CompareNumbers(left.PreNumber!, right.PreNumber!);
            if (result != 0) return result;
        }

        // No post-release sorts before any post-release.
        result = CompareOptional(left.Post, right.Post, missingFirst: true);
        if (result != 0) return result;

        // No dev-release sorts after any dev-release.
        result = CompareOptional(left.Dev, right.Dev, missingFirst: false);
        if (result != 0) return result;

        return CompareLocal(left.Local, right.Local);
    }

    /// <summary>
    /// -1 for a bare dev release (<c>1.0.dev0</c> sorts before <c>1.0a0</c>), 0 for a pre-release, 1 for none
    /// (a final or post release sorts after every pre-release).
    /// </summary>
    private int PreRank => PreLabel is not null ? 0 : Post is null && Dev is not null ? -1 : 1;

    private static int CompareRelease(string[] left, string[] right)
    {
        // Trailing zeros are insignificant: 1.0 == 1.0.0.
        var leftLength = SignificantLength(left);
        var rightLength = SignificantLength(right);
        for (var i = 0; i < Math.Min(leftLength, rightLength); i++)
        {
            var result = CompareNumbers(left[i], right[i]);
            if (result != 0) return result;
        }
        return leftLength.CompareTo(rightLength);
    }

    private static int SignificantLength(string[] release)
    {
        var length = release.Length;
        while (length > 0 && release[length - 1] == "0") length--;
        return length;
    }

    private static int CompareOptional(string? left, string? right, bool missingFirst)
    {
        if (left is null && right is null) return 0;
        if (left is null) return missingFirst ? -1 : 1;
        if (right is null) return missingFirst ? 1 : -1;
        return CompareNumbers(left, right);
    }

    private static int CompareLocal(string[]? left, string[]? right)
    {
        if (left is null && right is null) return 0;
        if (left is null) return -1;
        if (right is null) return 1;
        for (var i = 0; i < Math.Min(left.Length, right.Length); i++)
        {
            var leftNumeric = IsDigits(left[i]);
            var rightNumeric = IsDigits(right[i]);
            // A numeric segment sorts after an alphanumeric one.
            var result = leftNumeric && rightNumeric ? CompareNumbers(left[i], right[i])
                : leftNumeric ? 1
                : rightNumeric ? -1
                : string.CompareOrdinal(left[i], right[i]);
            if (result != 0) return Math.Sign(result);
        }
        return left.Length.CompareTo(right.Length);
    }

    /// <summary>Compares digit strings without leading zeros by value.</summary>
    private static int CompareNumbers(string left, string right)
    {
        if (left.Length != right.Length) return left.Length.CompareTo(right.Length);
        return Math.Sign(string.CompareOrdinal(left, right));
    }

    private static string Number(string digits)
    {
        var trimmed = digits.TrimStart('0');
        return trimmed.Length == 0 ? "0" : trimmed;
    }

    private static bool IsDigits(string text) => text.Length > 0 && text.All(char.IsAsciiDigit);
}
