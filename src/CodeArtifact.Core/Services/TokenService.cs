using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PSCodeArtifact.Core.Storage;

namespace PSCodeArtifact.Core.Services;

/// <summary>An authorization token for a domain, as CodeArtifact's GetAuthorizationToken returns it.</summary>
public sealed class DomainToken
{
    public required string Domain { get; init; }

    /// <summary>The secret to give a package manager (as a Bearer token, a Basic password or an X-NuGet-ApiKey).</summary>
    public required string AuthorizationToken { get; init; }

    public required DateTimeOffset Expiration { get; init; }

    public override string ToString() => AuthorizationToken;
}

/// <summary>
/// Signed, expiring, domain-bound tokens. A token is <c>pca1.&lt;payload&gt;.&lt;HMAC-SHA256&gt;</c> (base64url) under a
/// signing key kept in the store's key folder (owner-only), so every endpoint and prompt on the store accepts it.
/// The payload carries the domain and its creation time: a domain removed and created again does not accept old tokens.
/// </summary>
public sealed class TokenService
{
    public const int DefaultDurationSeconds = 43200;
    public const int MinDurationSeconds = 900;
    public const int MaxDurationSeconds = 43200;
    private const string Prefix = "pca1.";
    private readonly CaStore _store;
    private readonly Lazy<byte[]> _key;

    internal TokenService(CaStore store)
    {
        _store = store;
        _key = new Lazy<byte[]>(() => KeyFiles.LoadOrCreate(Path.Combine(store.Path, "keys"), "token-signing.key"));
    }

    /// <summary>Issues a token for a domain; <paramref name="durationSeconds"/> is 0 (the default of 12 hours) or 900 to 43200.</summary>
    public Outcome<DomainToken> Issue(string domain, int durationSeconds = 0)
    {
        if (durationSeconds != 0 && durationSeconds is < MinDurationSeconds or > MaxDurationSeconds)
        {
            return new Failure(ErrorCodes.InvalidDuration, FailureKind.Invalid,
                $"A token lasts 0 (the default, {DefaultDurationSeconds} seconds) or {MinDurationSeconds} to {MaxDurationSeconds} seconds; {durationSeconds} was given.",
                durationSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        var found = _store.Domains.Get(domain);
        if (found.Failure is { } missing) return missing;
        var expires = DateTimeOffset.UtcNow.AddSeconds(durationSeconds == 0 ? DefaultDurationSeconds : durationSeconds);
        var payload = JsonSerializer.SerializeToUtf8Bytes(new Payload(domain, found.Value!.CreatedTime.ToUnixTimeMilliseconds(),
            expires.ToUnixTimeSeconds(), Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))));
        var body = Prefix + Base64Url(payload);
        return new DomainToken
        {
            Domain = domain,
            AuthorizationToken = body + "." + Base64Url(HMACSHA256.HashData(_key.Value, Encoding.ASCII.GetBytes(body))),
            Expiration = DateTimeOffset.FromUnixTimeSeconds(expires.ToUnixTimeSeconds()),
        };
    }

    /// <summary>
    /// Checks a token for <paramref name="domain"/>: <c>InvalidToken</c> for one that is malformed or forged,
    /// <c>TokenExpired</c>, and <c>TokenDomainMismatch</c> for a token of another domain (or of a removed one).
    /// </summary>
    public Failure? Validate(string token, string domain)
    {
        if (Read(token, out var payload) is { } failure) return failure;
        if (!string.Equals(payload!.Domain, domain, StringComparison.Ordinal))
        {
            return new Failure(ErrorCodes.TokenDomainMismatch, FailureKind.AccessDenied,
                $"The token is for the domain '{payload.Domain}', not '{domain}'.");
        }
        return CheckDomainAlive(payload);
    }

    /// <summary>
    /// Checks a token for whichever domain it was issued for, where a request names no domain (an unknown route):
    /// <c>InvalidToken</c>, <c>TokenExpired</c>, or <c>TokenDomainMismatch</c> when that domain has been removed.
    /// </summary>
    public Failure? Validate(string token) => Read(token, out var payload) ?? CheckDomainAlive(payload!);

    /// <summary>Reads a token signed by this store that has not expired; any other token is a failure.</summary>
    private Failure? Read(string token, out Payload? payload)
    {
        payload = null;
        var parts = token.Split('.');
        if (parts.Length != 3 || parts[0] + "." != Prefix) return Invalid("The token is not a PSCodeArtifact authorization token.");
        var body = parts[0] + "." + parts[1];
        byte[] signature, payloadBytes;
        try
        {
            signature = FromBase64Url(parts[2]);
            payloadBytes = FromBase64Url(parts[1]);
        }
        catch (FormatException)
        {
            return Invalid("The token is malformed.");
        }
        if (!CryptographicOperations.FixedTimeEquals(signature, HMACSHA256.HashData(_key.Value, Encoding.ASCII.GetBytes(body))))
        {
            return Invalid("The token's signature is not valid for this store.");
        }
        try
        {
            payload = JsonSerializer.Deserialize<Payload>(payloadBytes);
        }
        catch (JsonException)
        {
            return Invalid("The token is malformed.");
        }
        if (payload is null) return Invalid("The token is malformed.");
        if (DateTimeOffset.UtcNow.ToUnixTimeSeconds() >= payload.Exp)
        {
            return new Failure(ErrorCodes.TokenExpired, FailureKind.AccessDenied,
                $"The token expired at {DateTimeOffset.FromUnixTimeSeconds(payload.Exp):u}; get a new one with Get-CaAuthorizationToken.");
        }
        return null;
    }

    private Failure? CheckDomainAlive(Payload payload)
    {
        // One indexed read: this runs on every request, so it must not grow with the domain.
        if (_store.Domains.CreatedTime(payload.Domain) != payload.Created)
        {
            return new Failure(ErrorCodes.TokenDomainMismatch, FailureKind.AccessDenied,
                $"The token was issued for an earlier domain named '{payload.Domain}' that has been removed.");
        }
        return null;
    }

    private static Failure Invalid(string message) => new(ErrorCodes.InvalidToken, FailureKind.AccessDenied, message);

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='));
    }

    private sealed record Payload(string Domain, long Created, long Exp, string Id);
}
