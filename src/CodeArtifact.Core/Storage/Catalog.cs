using Microsoft.Data.Sqlite;

namespace PSCodeArtifact.Core.Storage;

/// <summary>
/// The SQLite catalog: every piece of metadata the store indexes. WAL mode so an endpoint and an admin prompt
/// (separate processes) read and write one store at once; write transactions are IMMEDIATE so writers queue
/// on the busy timeout instead of failing on a lock upgrade.
/// </summary>
public sealed class Catalog
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SQLitePCL.sqlite3, object> s_configured = new();
    private static readonly object s_marker = new();
    private const int MaxIdleReaders = 16;
    private static readonly TimeSpan s_readerIdleTime = TimeSpan.FromSeconds(10);
    private readonly string _connectionString;
    private readonly System.Collections.Concurrent.ConcurrentStack<CatalogReader> _readers = new();
    private readonly Lock _sweepLock = new();
    private Timer? _sweep;

    public Catalog(string databasePath)
    {
        DatabasePath = databasePath;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
            ForeignKeys = true,
        }.ToString();
    }

    public string DatabasePath { get; }

    /// <summary>The schema version this build writes; <see cref="Migrate"/> brings older catalogs up to it.</summary>
    public static int SchemaVersion => Migrations.Length;

    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        // Settings stay with a pooled native connection, so they are made once per connection, not on every Open.
        if (!s_configured.TryGetValue(connection.Handle!, out _))
        {
            // secure_delete zeroes freed pages, so a removed domain's wrapped data key does not linger in the file.
            Execute(connection, "PRAGMA busy_timeout = 30000; PRAGMA synchronous = FULL; PRAGMA secure_delete = ON;");
            s_configured.AddOrUpdate(connection.Handle!, s_marker);
        }
        return connection;
    }

    /// <summary>
    /// Lends out a pooled connection whose statements stay prepared (<see cref="CatalogReader"/>); dispose it to hand it back.
    /// Readers that sit idle are closed after a few seconds, so a store that is no longer used holds no connection.
    /// </summary>
    internal CatalogReader RentReader() => (_readers.TryPop(out var reader) ? reader : new CatalogReader(this, Open())).Lend();

    internal void Return(CatalogReader reader)
    {
        if (_readers.Count >= MaxIdleReaders)
        {
            reader.Close();
            return;
        }
        reader.ReturnedAt = Environment.TickCount64;
        _readers.Push(reader);
        lock (_sweepLock)
        {
            _sweep ??= new Timer(_ => SweepReaders(), null, s_readerIdleTime, s_readerIdleTime);
        }
    }

    /// <summary>Closes every idle reader (a store whose folder went away must not keep its catalog open).</summary>
    internal void CloseReaders() => SweepReaders(TimeSpan.Zero);

    private void SweepReaders() => SweepReaders(s_readerIdleTime);

    private void SweepReaders(TimeSpan idle)
    {
        var now = Environment.TickCount64;
        var kept = new List<CatalogReader>();
        while (_readers.TryPop(out var reader))
        {
            if (now - reader.ReturnedAt >= idle.TotalMilliseconds) reader.Close();
            else kept.Add(reader);
        }
        for (var i = kept.Count - 1; i >= 0; i--) _readers.Push(kept[i]);
        lock (_sweepLock)
        {
            // A reader handed back after the check above finds no timer and starts one.
            if (_readers.IsEmpty && _sweep is not null)
            {
                _sweep.Dispose();
                _sweep = null;
            }
        }
    }

    /// <summary>Creates the catalog or applies the forward migrations it lacks. Safe to run from several processes at once.</summary>
    public void Migrate()
    {
        using var connection = Open();
        Execute(connection, "PRAGMA journal_mode = WAL;");
        if (CheckVersion(connection) == SchemaVersion) return;
        using var transaction = connection.BeginTransaction(deferred: false);
        var version = CheckVersion(connection);
        for (var i = version; i < SchemaVersion; i++)
        {
            Execute(connection, Migrations[i], transaction);
        }
        Execute(connection, $"PRAGMA user_version = {SchemaVersion};", transaction);
        transaction.Commit();
    }

    private int CheckVersion(SqliteConnection connection)
    {
        var version = UserVersion(connection);
        return version <= SchemaVersion
            ? version
            : throw new InvalidOperationException(
                $"The catalog '{DatabasePath}' has schema version {version}, newer than this module's {SchemaVersion}. Update the module.");
    }

    /// <summary>
    /// Moves committed pages from the WAL into the database and truncates the WAL (after destroying a key), retrying
    /// while readers in other processes hold old pages. Returns false when it could not complete in time.
    /// </summary>
    public bool Checkpoint(TimeSpan? patience = null)
    {
        var deadline = DateTime.UtcNow + (patience ?? TimeSpan.FromSeconds(5));
        using var connection = Open();
        while (true)
        {
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            using (var reader = command.ExecuteReader())
            {
                // The first column is 1 when the checkpoint could not finish because of a reader or writer.
                if (reader.Read() && reader.GetInt32(0) == 0) return true;
            }
            if (DateTime.UtcNow > deadline) return false;
            Thread.Sleep(50);
        }
    }

    internal static int UserVersion(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA user_version;";
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    internal static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    // Forward-only; never edit a shipped entry, append a new one. Keep the SQL portable (PostgreSQL later).
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE domains (
            id            INTEGER PRIMARY KEY,
            name          TEXT    NOT NULL UNIQUE,
            status        TEXT    NOT NULL,
            created_time  INTEGER NOT NULL,
            key_provider  TEXT    NOT NULL,
            key_id        TEXT    NOT NULL,
            wrapped_key   BLOB    NOT NULL
        );
        CREATE TABLE repositories (
            id            INTEGER PRIMARY KEY,
            domain_id     INTEGER NOT NULL REFERENCES domains(id),
            name          TEXT    NOT NULL,
            name_key      TEXT    NOT NULL,
            description   TEXT    NOT NULL DEFAULT '',
            created_time  INTEGER NOT NULL,
            UNIQUE (domain_id, name_key)
        );
        CREATE TABLE repository_upstreams (
            repository_id INTEGER NOT NULL REFERENCES repositories(id),
            position      INTEGER NOT NULL,
            upstream_id   INTEGER NOT NULL REFERENCES repositories(id),
            PRIMARY KEY (repository_id, position),
            UNIQUE (repository_id, upstream_id)
        );
        CREATE INDEX ix_repository_upstreams_upstream ON repository_upstreams (upstream_id);
        CREATE TABLE tags (
            resource_type TEXT    NOT NULL,
            resource_id   INTEGER NOT NULL,
            tag_key       TEXT    NOT NULL,
            tag_value     TEXT    NOT NULL,
            PRIMARY KEY (resource_type, resource_id, tag_key)
        );
        CREATE TABLE blobs (
            domain_id     INTEGER NOT NULL REFERENCES domains(id),
            sha256        TEXT    NOT NULL,
            sha1          TEXT    NOT NULL,
            md5           TEXT    NOT NULL,
            sha512        TEXT    NOT NULL,
            size          INTEGER NOT NULL,
            ref_count     INTEGER NOT NULL,
            created_time  INTEGER NOT NULL,
            PRIMARY KEY (domain_id, sha256)
        );
        """,
        """
        CREATE TABLE packages (
            id              INTEGER PRIMARY KEY,
            repository_id   INTEGER NOT NULL REFERENCES repositories(id),
            format          TEXT    NOT NULL,
            namespace       TEXT    NOT NULL,
            namespace_key   TEXT    NOT NULL,
            name            TEXT    NOT NULL,
            name_key        TEXT    NOT NULL,
            origin_publish  TEXT    NOT NULL,
            origin_upstream TEXT    NOT NULL,
            created_time    INTEGER NOT NULL,
            UNIQUE (repository_id, format, namespace_key, name_key)
        );
        CREATE TABLE package_versions (
            id               INTEGER PRIMARY KEY,
            package_id       INTEGER NOT NULL REFERENCES packages(id),
            version          TEXT    NOT NULL,
            version_key      TEXT    NOT NULL,
            status           TEXT    NOT NULL,
            revision         TEXT    NOT NULL,
            origin_type      TEXT    NOT NULL,
            entry_repository TEXT,
            entry_external   TEXT,
            metadata_sha256  TEXT,
            metadata_source  TEXT,
            published_time   INTEGER NOT NULL,
            updated_time     INTEGER NOT NULL,
            UNIQUE (package_id, version_key)
        );
        CREATE TABLE assets (
            id              INTEGER PRIMARY KEY,
            version_id      INTEGER NOT NULL REFERENCES package_versions(id),
            name            TEXT    NOT NULL,
            sha256          TEXT    NOT NULL,
            manifest_sha256 TEXT,
            created_time    INTEGER NOT NULL,
            UNIQUE (version_id, name)
        );
        CREATE INDEX ix_assets_sha256 ON assets (sha256);
        CREATE TABLE dist_tags (
            package_id  INTEGER NOT NULL REFERENCES packages(id),
            tag         TEXT    NOT NULL,
            version_key TEXT    NOT NULL,
            PRIMARY KEY (package_id, tag)
        );
        """,
        """
        CREATE TABLE external_connections (
            id                   INTEGER PRIMARY KEY AUTOINCREMENT,
            domain_id            INTEGER NOT NULL REFERENCES domains(id),
            name                 TEXT    NOT NULL,
            name_key             TEXT    NOT NULL,
            format               TEXT    NOT NULL,
            uri                  TEXT    NOT NULL,
            user_name            TEXT,
            sealed_password      BLOB,
            metadata_ttl_seconds INTEGER NOT NULL,
            created_time         INTEGER NOT NULL,
            UNIQUE (domain_id, name_key)
        );
        CREATE TABLE repository_external_connections (
            repository_id INTEGER PRIMARY KEY REFERENCES repositories(id),
            connection_id INTEGER NOT NULL REFERENCES external_connections(id)
        );
        CREATE INDEX ix_repository_external_connections_connection ON repository_external_connections (connection_id);
        """,
        // Counters that triggers bump on every change of what they watch, so a process can keep derived data in memory and
        // notice with one indexed read that another process (a cmdlet) changed it. 'upstreams': the domains, repositories,
        // upstream links and external connections an upstream chain is computed from. 'packages': a sequence each change of a
        // package (created, origin configuration) or of its versions, assets or dist-tags draws from, recorded in
        // packages.change_seq. Both only grow, so a stamp built from them never comes back (row ids can).
        // 'catalog': a random identity, so stamps built from these counters never match those of another catalog.
        """
        CREATE TABLE catalog_counters (
            name  TEXT    NOT NULL PRIMARY KEY,
            value INTEGER NOT NULL
        );
        INSERT INTO catalog_counters (name, value) VALUES ('upstreams', 0);
        INSERT INTO catalog_counters (name, value) VALUES ('packages', 0);
        INSERT INTO catalog_counters (name, value) VALUES ('catalog', abs(random()));
        ALTER TABLE packages ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
        CREATE TRIGGER tr_packages_insert_changes AFTER INSERT ON packages BEGIN
            UPDATE catalog_counters SET value = value + 1 WHERE name = 'packages';
            UPDATE packages SET change_seq = (SELECT value FROM catalog_counters WHERE name = 'packages') WHERE id = NEW.id;
        END;
        CREATE TRIGGER tr_packages_origin_changes AFTER UPDATE OF origin_publish, origin_upstream ON packages BEGIN
            UPDATE catalog_counters SET value = value + 1 WHERE name = 'packages';
            UPDATE packages SET change_seq = (SELECT value FROM catalog_counters WHERE name = 'packages') WHERE id = NEW.id;
        END;
        CREATE TRIGGER tr_package_versions_insert_changes AFTER INSERT ON package_versions BEGIN
            UPDATE catalog_counters SET value = value + 1 WHERE name = 'packages';
            UPDATE packages SET change_seq = (SELECT value FROM catalog_counters WHERE name = 'packages') WHERE id = NEW.package_id;
        END;
        CREATE TRIGGER tr_package_versions_update_changes AFTER UPDATE ON package_versions BEGIN
            UPDATE catalog_counters SET value = value + 1 WHERE name = 'packages';
            UPDATE packages SET change_seq = (SELECT value FROM catalog_counters WHERE name = 'packages') WHERE id IN (OLD.package_id, NEW.package_id);
        END;
        CREATE TRIGGER tr_package_versions_delete_changes AFTER DELETE ON package_versions BEGIN
            UPDATE catalog_counters SET value = value + 1 WHERE name = 'packages';
            UPDATE packages SET change_seq = (SELECT value FROM catalog_counters WHERE name = 'packages') WHERE id = OLD.package_id;
        END;
        CREATE TRIGGER tr_assets_insert_changes AFTER INSERT ON assets BEGIN
            UPDATE catalog_counters SET value = value + 1 WHERE name = 'packages';
            UPDATE packages SET change_seq = (SELECT value FROM catalog_counters WHERE name = 'packages')
            WHERE id = (SELECT package_id FROM package_versions WHERE id = NEW.version_id);
        END;
        CREATE TRIGGER tr_assets_update_changes AFTER UPDATE ON assets BEGIN
            UPDATE catalog_counters SET value = value + 1 WHERE name = 'packages';
            UPDATE packages SET change_seq = (SELECT value FROM catalog_counters WHERE name = 'packages')
            WHERE id IN (SELECT package_id FROM package_versions WHERE id IN (OLD.version_id, NEW.version_id));
        END;
        CREATE TRIGGER tr_assets_delete_changes AFTER DELETE ON assets BEGIN
            UPDATE catalog_counters SET value = value + 1 WHERE name = 'packages';
            UPDATE packages SET change_seq = (SELECT value FROM catalog_counters WHERE name = 'packages')
            WHERE id = (SELECT package_id FROM package_versions WHERE id = OLD.version_id);
        END;
        CREATE TRIGGER tr_dist_tags_insert_changes AFTER INSERT ON dist_tags BEGIN
            UPDATE catalog_counters SET value = value + 1 WHERE name = 'packages';
            UPDATE packages SET change_seq = (SELECT value FROM catalog_counters WHERE name = 'packages') WHERE id = NEW.package_id;
        END;
        CREATE TRIGGER tr_dist_tags_update_changes AFTER UPDATE ON dist_tags BEGIN
            UPDATE catalog_counters SET value = value + 1 WHERE name = 'packages';
            UPDATE packages SET change_seq = (SELECT value FROM catalog_counters WHERE name = 'packages') WHERE id IN (OLD.package_id, NEW.package_id);
        END;
        CREATE TRIGGER tr_dist_tags_delete_changes AFTER DELETE ON dist_tags BEGIN
            UPDATE catalog_counters SET value = value + 1 WHERE name = 'packages';
            UPDATE packages SET change_seq = (SELECT value FROM catalog_counters WHERE name = 'packages') WHERE id = OLD.package_id;
        END;
        CREATE TRIGGER tr_domains_insert_upstreams AFTER INSERT ON domains
            BEGIN UPDATE catalog_counters SET value = value + 1 WHERE name = 'upstreams'; END;
        CREATE TRIGGER tr_domains_delete_upstreams AFTER DELETE ON domains
            BEGIN UPDATE catalog_counters SET value = value + 1 WHERE name = 'upstreams'; END;
        CREATE TRIGGER tr_repositories_insert_upstreams AFTER INSERT ON repositories
            BEGIN UPDATE catalog_counters SET value = value + 1 WHERE name = 'upstreams'; END;
        CREATE TRIGGER tr_repositories_update_upstreams AFTER UPDATE ON repositories
            BEGIN UPDATE catalog_counters SET value = value + 1 WHERE name = 'upstreams'; END;
        CREATE TRIGGER tr_repositories_delete_upstreams AFTER DELETE ON repositories
            BEGIN UPDATE catalog_counters SET value = value + 1 WHERE name = 'upstreams'; END;
        CREATE TRIGGER tr_repository_upstreams_insert_upstreams AFTER INSERT ON repository_upstreams
            BEGIN UPDATE catalog_counters SET value = value + 1 WHERE name = 'upstreams'; END;
        CREATE TRIGGER tr_repository_upstreams_update_upstreams AFTER UPDATE ON repository_upstreams
            BEGIN UPDATE catalog_counters SET value = value + 1 WHERE name = 'upstreams'; END;
        CREATE TRIGGER tr_repository_upstreams_delete_upstreams AFTER DELETE ON repository_upstreams
            BEGIN UPDATE catalog_counters SET value = value + 1 WHERE name = 'upstreams'; END;
        CREATE TRIGGER tr_repository_external_connections_insert_upstreams AFTER INSERT ON repository_external_connections
            BEGIN UPDATE catalog_counters SET value = value + 1 WHERE name = 'upstreams'; END;
        CREATE TRIGGER tr_repository_external_connections_update_upstreams AFTER UPDATE ON repository_external_connections
            BEGIN UPDATE catalog_counters SET value = value + 1 WHERE name = 'upstreams'; END;
        CREATE TRIGGER tr_repository_external_connections_delete_upstreams AFTER DELETE ON repository_external_connections
            BEGIN UPDATE catalog_counters SET value = value + 1 WHERE name = 'upstreams'; END;
        CREATE TRIGGER tr_external_connections_insert_upstreams AFTER INSERT ON external_connections
            BEGIN UPDATE catalog_counters SET value = value + 1 WHERE name = 'upstreams'; END;
        CREATE TRIGGER tr_external_connections_update_upstreams AFTER UPDATE ON external_connections
            BEGIN UPDATE catalog_counters SET value = value + 1 WHERE name = 'upstreams'; END;
        CREATE TRIGGER tr_external_connections_delete_upstreams AFTER DELETE ON external_connections
            BEGIN UPDATE catalog_counters SET value = value + 1 WHERE name = 'upstreams'; END;
        """,
    ];
}
