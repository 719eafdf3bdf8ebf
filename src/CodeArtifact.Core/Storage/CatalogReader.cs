using Microsoft.Data.Sqlite;

namespace PSCodeArtifact.Core.Storage;

/// <summary>
/// A catalog connection for the read paths every request takes, lent out by <see cref="Catalog.RentReader"/>: it keeps its
/// statements prepared across requests, because preparing a statement (parsing and planning) costs SQLite far more than
/// running it. Dispose the lease to hand it back. Use it from one flow at a time, outside transactions, with constant SQL.
/// </summary>
internal sealed class CatalogReader : IDisposable
{
    private readonly Catalog _catalog;
    private readonly Dictionary<string, SqliteCommand> _statements = new(StringComparer.Ordinal);
    private int _lent;

    internal CatalogReader(Catalog catalog, SqliteConnection connection)
    {
        _catalog = catalog;
        Connection = connection;
    }

    /// <summary>The connection, for statements that are not worth keeping prepared.</summary>
    public SqliteConnection Connection { get; }

    /// <summary>When the lease was last handed back (for closing readers that sit idle).</summary>
    internal long ReturnedAt { get; set; }

    /// <summary>
    /// The prepared statement for <paramref name="sql"/> with these parameter values. It belongs to the reader: run it and
    /// dispose the data reader it gives (which resets it), never the command. The same SQL must always come with the same names.
    /// </summary>
    public SqliteCommand Statement(string sql, params (string Name, object? Value)[] parameters)
    {
        if (!_statements.TryGetValue(sql, out var command))
        {
            command = Connection.CreateCommand();
            command.CommandText = sql;
            foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
            command.Prepare();
            _statements[sql] = command;
            return command;
        }
        foreach (var (name, value) in parameters) command.Parameters[name].Value = value ?? DBNull.Value;
        return command;
    }

    /// <summary>Hands the reader back to its catalog (once: a second Dispose must not give it to two borrowers).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _lent, 0) == 1) _catalog.Return(this);
    }

    /// <summary>Marks the reader as lent out (by <see cref="Catalog.RentReader"/>).</summary>
    internal CatalogReader Lend()
    {
        Volatile.Write(ref _lent, 1);
        return this;
    }

    /// <summary>Closes the connection and drops its statements (the reader is not lent out again).</summary>
    internal void Close()
    {
        foreach (var command in _statements.Values) command.Dispose();
        _statements.Clear();
        Connection.Dispose();
    }
}
