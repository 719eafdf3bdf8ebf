namespace PSCodeArtifact.Core.Services;

/// <summary>ARNs in CodeArtifact's shape, with the fixed region <c>local</c> and account <c>000000000000</c> of a self-hosted store.</summary>
internal static class Arns
{
    private const string Prefix = "arn:aws:codeartifact:local:000000000000:";

    public static string Domain(string domain) => $"{Prefix}domain/{domain}";

    public static string Repository(string domain, string repository) => $"{Prefix}repository/{domain}/{repository}";
}
