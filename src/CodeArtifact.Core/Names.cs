using System.Text.RegularExpressions;

namespace PSCodeArtifact.Core;

/// <summary>CodeArtifact's identifier rules (from the API model's patterns and limits).</summary>
public static partial class Names
{
    public const int MaxRepositoriesPerDomain = 1000;
    public const int MaxDirectUpstreams = 10;
    public const int MaxUpstreamsSearched = 25;
    public const int MaxDescriptionLength = 1000;
    public const int MaxTagKeyLength = 128;
    public const int MaxTagValueLength = 256;
    public const int MaxTags = 200;

    [GeneratedRegex("^[a-z][a-z0-9-]{0,48}[a-z0-9]$", RegexOptions.CultureInvariant)]
    private static partial Regex DomainPattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{1,99}$", RegexOptions.CultureInvariant)]
    private static partial Regex RepositoryPattern();

    public static Failure? CheckDomain(string? name) =>
        name is not null && DomainPattern().IsMatch(name)
            ? null
            : new Failure(ErrorCodes.InvalidDomainName, FailureKind.Invalid,
                $"'{name}' is not a valid domain name: use 2 to 50 characters, lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen.",
                name);

    public static Failure? CheckRepository(string? name) =>
        name is not null && RepositoryPattern().IsMatch(name)
            ? null
            : new Failure(ErrorCodes.InvalidRepositoryName, FailureKind.Invalid,
                $"'{name}' is not a valid repository name: use 2 to 100 characters, letters, digits, '.', '_' and '-', starting with a letter or digit.",
                name);

    public static Failure? CheckDescription(string? description)
    {
        if (description is null) return null;
        if (description.Length > MaxDescriptionLength)
        {
            return new Failure(ErrorCodes.InvalidDescription, FailureKind.Invalid,
                $"The description has {description.Length} characters; at most {MaxDescriptionLength} are allowed.");
        }
        return description.Any(char.IsControl)
            ? new Failure(ErrorCodes.InvalidDescription, FailureKind.Invalid, "The description must not contain control characters.")
            : null;
    }

    public static Failure? CheckTags(IReadOnlyDictionary<string, string>? tags)
    {
        if (tags is null) return null;
        if (tags.Count > MaxTags)
        {
            return new Failure(ErrorCodes.InvalidTag, FailureKind.Invalid, $"At most {MaxTags} tags are allowed; {tags.Count} were given.");
        }
        foreach (var (key, value) in tags)
        {
            if (string.IsNullOrEmpty(key) || key.Length > MaxTagKeyLength || key.StartsWith("aws:", StringComparison.OrdinalIgnoreCase))
            {
                return new Failure(ErrorCodes.InvalidTag, FailureKind.Invalid,
                    $"The tag key '{key}' is not valid: use 1 to {MaxTagKeyLength} characters, not starting with 'aws:'.", key);
            }
            if (value.Length > MaxTagValueLength)
            {
                return new Failure(ErrorCodes.InvalidTag, FailureKind.Invalid,
                    $"The value of tag '{key}' has {value.Length} characters; at most {MaxTagValueLength} are allowed.", key);
            }
        }
        return null;
    }
}
