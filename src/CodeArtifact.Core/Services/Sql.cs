using Microsoft.Data.Sqlite;

namespace PSCodeArtifact.Core.Services;

/// <summary>Small helpers that keep the services' SQL readable.</summary>
internal static class Sql
{
    public static SqliteCommand Command(SqliteConnection connection, string text, SqliteTransaction? transaction = null, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = text;
        command.Transaction = transaction;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        return command;
    }

    public static int Execute(SqliteConnection connection, string text, SqliteTransaction? transaction = null, params (string, object?)[] parameters)
    {
        using var command = Command(connection, text, transaction, parameters);
        return command.ExecuteNonQuery();
    }

    public static T? Scalar<T>(SqliteConnection connection, string text, SqliteTransaction? transaction = null, params (string, object?)[] parameters)
    {
        using var command = Command(connection, text, transaction, parameters);
        var value = command.ExecuteScalar();
        if (value is null or DBNull) return default;
        var type = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        return (T)Convert.ChangeType(value, type, System.Globalization.CultureInfo.InvariantCulture);
    }

    public static DateTimeOffset Time(long unixMilliseconds) => DateTimeOffset.FromUnixTimeMilliseconds(unixMilliseconds);

    public static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    public static bool IsUniqueViolation(SqliteException exception) =>
        exception.SqliteErrorCode == 19 && exception.SqliteExtendedErrorCode is 2067 or 1555;

    public static Dictionary<string, string> Tags(SqliteConnection connection, string resourceType, long resourceId, SqliteTransaction? transaction = null)
    {
        using var command = Command(connection,
            "SELECT tag_key, tag_value FROM tags WHERE resource_type = $type AND resource_id = $id ORDER BY tag_key;",
            transaction, ("$type", resourceType), ("$id", resourceId));
        using var reader = command.ExecuteReader();
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read()) tags[reader.GetString(0)] = reader.GetString(1);
        return tags;
    }

    public static void SetTags(SqliteConnection connection, SqliteTransaction transaction, string resourceType, long resourceId, IReadOnlyDictionary<string, string>? tags)
    {
        if (tags is null) return;
        foreach (var (key, value) in tags)
        {
            Execute(connection, """
                INSERT INTO tags (resource_type, resource_id, tag_key, tag_value) VALUES ($type, $id, $key, $value)
                ON CONFLICT (resource_type, resource_id, tag_key) DO UPDATE SET tag_value = excluded.tag_value;
                """, transaction, ("$type", resourceType), ("$id", resourceId), ("$key", key), ("$value", value));
        }
    }

    public static void DeleteTags(SqliteConnection connection, SqliteTransaction transaction, string resourceType, long resourceId) =>
        Execute(connection, "DELETE FROM tags WHERE resource_type = $type AND resource_id = $id;", transaction, ("$type", resourceType), ("$id", resourceId));
}
