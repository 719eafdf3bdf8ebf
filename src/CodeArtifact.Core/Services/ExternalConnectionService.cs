using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using PSCodeArtifact.Core.Formats;
using PSCodeArtifact.Core.Storage;

namespace PSCodeArtifact.Core.Services;

/// <summary>
/// External connections: remote registries of one format (npm, pypi, maven, nuget) that a repository proxies. Each repository
/// holds at most one; a connection can serve several repositories of its domain.
/// </summary>
public sealed partial class ExternalConnectionService
{
    /// <summary>The metadata TTL when none is given.</summary>
    public static readonly TimeSpan DefaultMetadataTtl = TimeSpan.FromMinutes(5);

    private static readonly string[] s_formats = ["npm", "pypi", "maven", "nuget"];
    private readonly CaStore _store;

    internal ExternalConnectionService(CaStore store)
    {
        _store = store;
    }

    /// <summary>The formats an external connection can proxy.</summary>
    public static IReadOnlyList<string> Formats => s_formats;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._:-]{1,99}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    /// <summary>
    /// Creates a connection (a remote registry of one format). The password, if any, is sealed with the domain key; a user
    /// name defaults to <c>aws</c> when only a password is given. npm, PyPI and Maven URLs get a trailing slash.
    /// </summary>
    public Outcome<ExternalConnectionInfo> New(string domain, string name, string format, Uri uri, string? userName = null, string? password = null,
        TimeSpan? metadataTtl = null)
    {
        if (!NamePattern().IsMatch(name ?? ""))
        {
            return Invalid($"'{name}' is not a valid external connection name: use 2 to 100 characters, letters, digits, '.', '_', ':' and '-', starting with a letter or digit (for example public:npmjs).", name);
        }
        var formatKey = format?.ToLowerInvariant();
        if (formatKey is null || !s_formats.Contains(formatKey))
        {
            return Invalid($"'{format}' cannot be proxied: an external connection is for one of {string.Join(", ", s_formats)}.", format);
        }
        if (uri is null || !uri.IsAbsoluteUri || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || !string.IsNullOrEmpty(uri.UserInfo)
            || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            var shown = Redacted(uri);
            return Invalid($"'{shown}' is not a usable registry URL: give an absolute http or https URL without user info, query or fragment (credentials go in -Credential).", shown);
        }
        // npm, PyPI and Maven URLs are roots that names are appended to; NuGet's is the service index document itself.
        if (formatKey != "nuget" && !uri.AbsolutePath.EndsWith('/')) uri = new Uri(uri.AbsoluteUri + "/");
        var ttl = metadataTtl ?? DefaultMetadataTtl;
        if (ttl < TimeSpan.Zero || ttl > TimeSpan.FromDays(7))
        {
            return Invalid($"A metadata TTL of {ttl} is out of range: use 0 seconds to 7 days.", ttl.ToString());
        }
        if (password is not null && string.IsNullOrEmpty(userName)) userName = "aws";
        var key = _store.Domains.GetKey(domain);
        if (key.Failure is { } noDomain) return noDomain;
        using var domainKey = key.Value!;
        using var connection = _store.Catalog.Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        if (DomainService.Id(connection, domain, transaction) is not { } domainId) return DomainService.NotFound(domain);
        if (Id(connection, transaction, domainId, name!) is not null)
        {
            return new Failure(ErrorCodes.ExternalConnectionAlreadyExists, FailureKind.AlreadyExists,
                $"The external connection '{name}' already exists in the domain '{domain}'.", name);
        }
        var sealedPassword = password is null ? null : Seal(domainKey, Key(name!), password);
        var id = Sql.Scalar<long>(connection, """
            INSERT INTO external_connections (domain_id, name, name_key, format, uri, user_name, sealed_password, metadata_ttl_seconds, created_time)
            VALUES ($d, $name, $key, $format, $uri, $user, $password, $ttl, $now) RETURNING id;
            """, transaction, ("$d", domainId), ("$name", name), ("$key", Key(name!)), ("$format", formatKey), ("$uri", uri.AbsoluteUri),
            ("$user", userName), ("$password", sealedPassword), ("$ttl", (long)ttl.TotalSeconds), ("$now", Sql.Now()));
        transaction.Commit();
        return Query(connection, null, domain, id).Single();
    }

    /// <summary>One connection of a domain, by name (without regard to case).</summary>
    public Outcome<ExternalConnectionInfo> Get(string domain, string name)
    {
        using var connection = _store.Catalog.Open();
        if (DomainService.Id(connection, domain) is not { } domainId) return DomainService.NotFound(domain);
        return Id(connection, null, domainId, name) is { } id ? Query(connection, null, domain, id).Single() : NotFound(domain, name);
    }

    /// <summary>The connections of a domain, ordered by name.</summary>
    public Outcome<IReadOnlyList<ExternalConnectionInfo>> List(string domain)
    {
        using var connection = _store.Catalog.Open();
        if (DomainService.Id(connection, domain) is not { } domainId) return DomainService.NotFound(domain);
        return Query(connection, null, domain, null, domainId);
    }

    /// <summary>Removes a connection no repository uses (disconnect it first); versions it brought in stay where they were retained.</summary>
    public Outcome<ExternalConnectionInfo> Remove(string domain, string name)
    {
        using var connection = _store.Catalog.Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        var check = CheckRemove(connection, transaction, domain, name);
        if (check.Failure is { } refused) return refused;
        var (info, id) = check.Value;
        Sql.Execute(connection, "DELETE FROM external_connections WHERE id = $id;", transaction, ("$id", id));
        transaction.Commit();
        return info;
    }

    /// <summary>Checks whether <see cref="Remove"/> would succeed, without changing anything (for -WhatIf and confirmation).</summary>
    public Outcome<ExternalConnectionInfo> CheckRemove(string domain, string name)
    {
        using var connection = _store.Catalog.Open();
        var check = CheckRemove(connection, null, domain, name);
        return check.Failure is { } refused ? refused : check.Value.Info;
    }

    private static Outcome<(ExternalConnectionInfo Info, long Id)> CheckRemove(SqliteConnection connection, SqliteTransaction? transaction, string domain,
        string name)
    {
        if (DomainService.Id(connection, domain, transaction) is not { } domainId) return DomainService.NotFound(domain);
        if (Id(connection, transaction, domainId, name) is not { } id) return NotFound(domain, name);
        var info = Query(connection, transaction, domain, id).Single();
        if (info.Repositories.Count > 0)
        {
            return new Failure(ErrorCodes.ExternalConnectionInUse, FailureKind.Conflict,
                $"The external connection '{info.Name}' is connected to {string.Join(", ", info.Repositories.Select(r => $"'{r}'"))}; disconnect it first (Disconnect-CaExternalConnection).",
                name);
        }
        return (info, id);
    }

    /// <summary>Attaches a connection to a repository (AssociateExternalConnection); a repository holds at most one.</summary>
    public Outcome<RepositoryInfo> Connect(string domain, string repository, string name)
    {
        using (var connection = _store.Catalog.Open())
        using (var transaction = connection.BeginTransaction(deferred: false))
        {
            if (DomainService.Id(connection, domain, transaction) is not { } domainId) return DomainService.NotFound(domain);
            if (RepositoryService.Id(connection, domainId, repository, transaction) is not { } repositoryId) return RepositoryService.NotFound(domain, repository);
            if (Id(connection, transaction, domainId, name) is not { } id) return NotFound(domain, name);
            var current = Sql.Scalar<long?>(connection, "SELECT connection_id FROM repository_external_connections WHERE repository_id = $r;", transaction,
                ("$r", repositoryId));
            if (current == id) return _store.Repositories.Get(domain, repository);
            if (current is { } other)
            {
                var otherName = Sql.Scalar<string>(connection, "SELECT name FROM external_connections WHERE id = $id;", transaction, ("$id", other));
                return new Failure(ErrorCodes.ExternalConnectionLimit, FailureKind.LimitExceeded,
                    $"The repository '{repository}' already has the external connection '{otherName}'; a repository holds at most one (disconnect it first).",
                    repository);
            }
            Sql.Execute(connection, "INSERT INTO repository_external_connections (repository_id, connection_id) VALUES ($r, $c);", transaction,
                ("$r", repositoryId), ("$c", id));
            transaction.Commit();
        }
        return _store.Repositories.Get(domain, repository);
    }

    /// <summary>Detaches a connection from a repository; versions already retained stay.</summary>
    public Outcome<RepositoryInfo> Disconnect(string domain, string repository, string name)
    {
        using (var connection = _store.Catalog.Open())
        using (var transaction = connection.BeginTransaction(deferred: false))
        {
            if (DomainService.Id(connection, domain, transaction) is not { } domainId) return DomainService.NotFound(domain);
            if (RepositoryService.Id(connection, domainId, repository, transaction) is not { } repositoryId) return RepositoryService.NotFound(domain, repository);
            if (Id(connection, transaction, domainId, name) is not { } id) return NotFound(domain, name);
            var removed = Sql.Execute(connection, "DELETE FROM repository_external_connections WHERE repository_id = $r AND connection_id = $c;", transaction,
                ("$r", repositoryId), ("$c", id));
            if (removed == 0)
            {
                return new Failure(ErrorCodes.ExternalConnectionNotConnected, FailureKind.NotFound,
                    $"The external connection '{name}' is not connected to the repository '{repository}'.", name);
            }
            transaction.Commit();
        }
        return _store.Repositories.Get(domain, repository);
    }

    /// <summary>The connection of each repository of a domain, by repository id (for repository descriptions and upstream chains).</summary>
    internal static Dictionary<long, ExternalSource> ByRepository(SqliteConnection connection, SqliteTransaction? transaction, string domain, long domainId)
    {
        using var command = Sql.Command(connection, """
            SELECT rc.repository_id, r.name, c.id, c.name, c.format, c.uri, c.user_name, c.sealed_password, c.metadata_ttl_seconds
            FROM repository_external_connections rc JOIN external_connections c ON c.id = rc.connection_id
            JOIN repositories r ON r.id = rc.repository_id WHERE c.domain_id = $d;
            """, transaction, ("$d", domainId));
        using var reader = command.ExecuteReader();
        var sources = new Dictionary<long, ExternalSource>();
        while (reader.Read())
        {
            sources[reader.GetInt64(0)] = new ExternalSource(domain, reader.GetInt64(2), reader.GetString(3), reader.GetString(4), new Uri(reader.GetString(5)),
                reader.IsDBNull(6) ? null : reader.GetString(6), reader.IsDBNull(7) ? null : (byte[])reader.GetValue(7),
                TimeSpan.FromSeconds(reader.GetInt64(8)), reader.GetInt64(0), reader.GetString(1));
        }
        return sources;
    }

    /// <summary>The password of a connection's credential, unsealed with the domain key.</summary>
    internal static string? Unseal(DomainKey key, ExternalSource source)
    {
        if (source.SealedPassword is not { Length: > 28 } sealedBytes) return null;
        var subkey = Subkey(key);
        using var aes = new AesGcm(subkey, 16);
        var plaintext = new byte[sealedBytes.Length - 28];
        aes.Decrypt(sealedBytes.AsSpan(0, 12), sealedBytes.AsSpan(28), sealedBytes.AsSpan(12, 16), plaintext, Encoding.UTF8.GetBytes(Key(source.Name)));
        CryptographicOperations.ZeroMemory(subkey);
        return Encoding.UTF8.GetString(plaintext);
    }

    private static byte[] Seal(DomainKey key, string nameKey, string password)
    {
        var subkey = Subkey(key);
        using var aes = new AesGcm(subkey, 16);
        var plaintext = Encoding.UTF8.GetBytes(password);
        var sealedBytes = new byte[28 + plaintext.Length];
        RandomNumberGenerator.Fill(sealedBytes.AsSpan(0, 12));
        aes.Encrypt(sealedBytes.AsSpan(0, 12), plaintext, sealedBytes.AsSpan(28), sealedBytes.AsSpan(12, 16), Encoding.UTF8.GetBytes(nameKey));
        CryptographicOperations.ZeroMemory(subkey);
        return sealedBytes;
    }

    private static byte[] Subkey(DomainKey key)
    {
        var subkey = new byte[32];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, key.Key, subkey, salt: default, info: "PSCodeArtifact external connection credential v1"u8);
        return subkey;
    }

    internal static string Key(string name) => name.ToLowerInvariant();

    // A refused URL is echoed without the user info or query it may carry: a password or token must not reach error messages and logs.
    private static string? Redacted(Uri? uri)
    {
        if (uri is not { IsAbsoluteUri: true }) return uri?.ToString();
        var redacted = new UriBuilder(uri);
        if (uri.UserInfo.Length > 0) (redacted.UserName, redacted.Password) = ("***", "");
        if (uri.Query.Length > 1) redacted.Query = "***";
        return redacted.Uri.ToString();
    }

    private static long? Id(SqliteConnection connection, SqliteTransaction? transaction, long domainId, string name) =>
        Sql.Scalar<long?>(connection, "SELECT id FROM external_connections WHERE domain_id = $d AND name_key = $key;", transaction,
            ("$d", domainId), ("$key", Key(name)));

    internal static Failure NotFound(string domain, string name) => NotFoundFailure(domain, name);

    /// <summary>The failure for a connection the domain does not have (for callers that filter a listing themselves).</summary>
    public static Failure NotFoundFailure(string domain, string name) =>
        new(ErrorCodes.ExternalConnectionNotFound, FailureKind.NotFound, $"The external connection '{name}' does not exist in the domain '{domain}'.", name);

    private static Failure Invalid(string message, string? target) => new(ErrorCodes.InvalidExternalConnection, FailureKind.Invalid, message, target);

    private static List<ExternalConnectionInfo> Query(SqliteConnection connection, SqliteTransaction? transaction, string domain, long? id, long? domainId = null)
    {
        var filter = id is not null ? "c.id = $id" : "c.domain_id = $d";
        using var command = Sql.Command(connection, $"""
            SELECT c.id, c.name, c.format, c.uri, c.user_name, c.sealed_password IS NOT NULL, c.metadata_ttl_seconds, c.created_time
            FROM external_connections c WHERE {filter} ORDER BY c.name_key;
            """, transaction, ("$id", id), ("$d", domainId));
        var rows = new List<(long Id, ExternalConnectionInfo Info)>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                rows.Add((reader.GetInt64(0), new ExternalConnectionInfo
                {
                    DomainName = domain,
                    Name = reader.GetString(1),
                    Format = reader.GetString(2),
                    Uri = new Uri(reader.GetString(3)),
                    UserName = reader.IsDBNull(4) ? null : reader.GetString(4),
                    HasCredential = reader.GetBoolean(5),
                    MetadataTtl = TimeSpan.FromSeconds(reader.GetInt64(6)),
                    Repositories = [],
                    CreatedTime = Sql.Time(reader.GetInt64(7)),
                }));
            }
        }
        return rows.Select(r =>
        {
            using var repos = Sql.Command(connection, """
                SELECT r.name FROM repository_external_connections rc JOIN repositories r ON r.id = rc.repository_id
                WHERE rc.connection_id = $c ORDER BY r.name_key;
                """, transaction, ("$c", r.Id));
            using var reader = repos.ExecuteReader();
            var names = new List<string>();
            while (reader.Read()) names.Add(reader.GetString(0));
            return new ExternalConnectionInfo
            {
                DomainName = r.Info.DomainName, Name = r.Info.Name, Format = r.Info.Format, Uri = r.Info.Uri, UserName = r.Info.UserName,
                HasCredential = r.Info.HasCredential, MetadataTtl = r.Info.MetadataTtl, Repositories = names, CreatedTime = r.Info.CreatedTime,
            };
        }).ToList();
    }
}

/// <summary>An external connection as an upstream chain uses it, with the repository that holds it.</summary>
internal sealed record ExternalSource(string Domain, long ConnectionId, string Name, string Format, Uri BaseUri, string? UserName, byte[]? SealedPassword,
    TimeSpan MetadataTtl, long HolderRepositoryId, string HolderRepository);
