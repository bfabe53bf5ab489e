using System.Buffers.Text;
using System.Globalization;
using System.Text;
using GetApp.Agent.Core.Releases;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace GetApp.Agent.Core.Storage;

/// <summary>
/// Reads <c>releases</c> rows with SQLite's column accessors (spans over SQLite's own buffers): no reader object per
/// value, no string for a state that is one of a few words, no intermediate record. Column order is
/// <c>ReleaseRows.Columns</c>.
/// </summary>
internal static class RowReader
{
    private static readonly (byte[] Name, ReleaseState Value)[] States = Words(Enum.GetValues<ReleaseState>(), s => Wire.Of(s));
    private static readonly (byte[] Name, DeliveryState Value)[] DeliveryStates = Words(Enum.GetValues<DeliveryState>(), s => Wire.Of(s));
    private static readonly (byte[] Name, DeliveryStatus Value)[] DeliveryStatuses = Words(Enum.GetValues<DeliveryStatus>(), s => s.ToString());
    private static readonly (byte[] Name, DeploymentStatus Value)[] DeployStatuses = Words(Enum.GetValues<DeploymentStatus>(), s => s.ToString());

    /// <param name="catalogId">Bound to <c>?1</c> when the SQL has it (one row).</param>
    public static List<ReleaseRow> ReadAll(SqliteConnection connection, string sql, Dictionary<string, List<string>> dependencies, CancellationToken cancellationToken,
        string? catalogId = null)
    {
        var db = connection.Handle ?? throw new InvalidOperationException("the connection is not open");
        var rc = raw.sqlite3_prepare_v2(db, sql, out var statement);
        SqliteException.ThrowExceptionForRC(rc, db);
        if (catalogId is not null && (rc = raw.sqlite3_bind_text(statement, 1, catalogId)) != raw.SQLITE_OK)
        {
            statement.Dispose();
            SqliteException.ThrowExceptionForRC(rc, db);
        }
        var rows = new List<ReleaseRow>();
        using (statement)
        {
            while ((rc = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
            {
                if ((rows.Count & 1023) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                var id = Text(statement, 0)!;
                rows.Add(new ReleaseRow(
                    id,
                    Blob(statement, 1) ?? "{}"u8.ToArray(),
                    Blob(statement, 2) ?? "[]"u8.ToArray(),
                    Blob(statement, 3),
                    new ReleasePosition(
                        Word(statement, 6, States) ?? throw Corrupt(id, "state"),
                        Word(statement, 7, DeliveryStates),
                        Word(statement, 8, DeliveryStatuses),
                        Word(statement, 9, DeployStatuses)),
                    isPush: raw.sqlite3_column_int64(statement, 4) != 0,
                    offered: raw.sqlite3_column_int64(statement, 5) != 0,
                    dependencies: dependencies.TryGetValue(id, out var deps) ? deps : [],
                    progress: IsNull(statement, 10) ? null : raw.sqlite3_column_double(statement, 10),
                    eta: IsNull(statement, 11) ? null : raw.sqlite3_column_int64(statement, 11),
                    errMsg: Text(statement, 12),
                    downloadDuration: IsNull(statement, 13) ? null : raw.sqlite3_column_int(statement, 13),
                    artsDirPath: IsNull(statement, 14) ? default : ArtsFolder.Of(raw.sqlite3_column_blob(statement, 14), id),
                    discoveredAt: Date(statement, 15, id),
                    updatedAt: Date(statement, 16, id)));
            }
        }

        if (rc != raw.SQLITE_DONE)
        {
            SqliteException.ThrowExceptionForRC(rc, db);
        }

        return rows;
    }

    private static bool IsNull(sqlite3_stmt statement, int column) => raw.sqlite3_column_type(statement, column) == raw.SQLITE_NULL;

    private static byte[]? Blob(sqlite3_stmt statement, int column) =>
        IsNull(statement, column) ? null : raw.sqlite3_column_blob(statement, column).ToArray();

    private static string? Text(sqlite3_stmt statement, int column) =>
        IsNull(statement, column) ? null : Encoding.UTF8.GetString(raw.sqlite3_column_blob(statement, column));

    private static T? Word<T>(sqlite3_stmt statement, int column, (byte[] Name, T Value)[] words)
        where T : struct
    {
        if (IsNull(statement, column))
        {
            return null;
        }

        var text = raw.sqlite3_column_blob(statement, column);
        foreach (var (name, value) in words)
        {
            if (text.SequenceEqual(name))
            {
                return value;
            }
        }

        throw new InvalidDataException($"the releases table holds the unknown value '{Encoding.UTF8.GetString(text)}' for a {typeof(T).Name}");
    }

    // Stored with "O"; anything else an older agent may have written is parsed the slow way.
    private static DateTimeOffset Date(sqlite3_stmt statement, int column, string id)
    {
        var text = IsNull(statement, column) ? throw Corrupt(id, "a date") : raw.sqlite3_column_blob(statement, column);
        return Utf8Parser.TryParse(text, out DateTimeOffset date, out var consumed, 'O') && consumed == text.Length
            ? date
            : DateTimeOffset.Parse(Encoding.UTF8.GetString(text), CultureInfo.InvariantCulture);
    }

    private static InvalidDataException Corrupt(string id, string what) => new($"release '{id}' has no {what} in the releases table");

    private static (byte[] Name, T Value)[] Words<T>(T[] values, Func<T, string> name) =>
        [.. values.Select(v => (Encoding.UTF8.GetBytes(name(v)), v))];
}
