using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Storage;

namespace GetApp.Agent.Core.Settings;

/// <summary>
/// The current live settings: defaults overlaid with what was set through the API, stored in the <c>settings</c>
/// table. Readers take <see cref="Current"/> (an immutable snapshot); a change is all-or-nothing.
/// </summary>
public sealed class LiveSettings(AgentDatabase database, Hosting.AgentOptions? options = null)
{
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private volatile AgentSettings _current = new();

    public AgentSettings Current => _current;

    /// <summary>Raised after a change is stored, with the new snapshot.</summary>
    public event Action<AgentSettings>? Changed;

    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        var overrides = await ReadOverridesAsync(cancellationToken).ConfigureAwait(false);
        _current = Materialize(overrides);
    }

    /// <summary>Applies a partial update. Returns null on success, or the problem with the first invalid field (nothing is changed then).</summary>
    public async Task<string?> UpdateAsync(JsonObject changes, CancellationToken cancellationToken)
    {
        foreach (var (name, value) in changes)
        {
            if (SettingRules.Check(name, value) is { } problem)
            {
                return problem;
            }
        }

        await WriteAsync(async (connection, transaction, ct) =>
        {
            foreach (var (name, value) in changes)
            {
                await using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = "INSERT OR REPLACE INTO settings (key, value) VALUES ($key, $value);";
                command.Parameters.AddWithValue("$key", name);
                command.Parameters.AddWithValue("$value", value!.ToJsonString());
                await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
        }, cancellationToken).ConfigureAwait(false);
        return null;
    }

    /// <summary>Puts one setting back to its default. Returns false for a name that is not a setting.</summary>
    public async Task<bool> ResetAsync(string name, CancellationToken cancellationToken)
    {
        if (!SettingRules.IsKnown(name))
        {
            return false;
        }

        await WriteAsync(async (connection, transaction, ct) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "DELETE FROM settings WHERE key = $key;";
            command.Parameters.AddWithValue("$key", name);
            await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return true;
    }

    public static IEnumerable<string> Names => SettingRules.Names;

    private async Task WriteAsync(Func<Microsoft.Data.Sqlite.SqliteConnection, Microsoft.Data.Sqlite.SqliteTransaction, CancellationToken, Task> work, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using (var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false))
            await using (var transaction = (Microsoft.Data.Sqlite.SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
            {
                await work(connection, transaction, cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            _current = Materialize(await ReadOverridesAsync(cancellationToken).ConfigureAwait(false));
        }
        finally
        {
            _writeLock.Release();
        }

        Changed?.Invoke(_current);
    }

    private async Task<JsonObject> ReadOverridesAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT key, value FROM settings;";
        var overrides = new JsonObject();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var name = reader.GetString(0);
            var value = JsonNode.Parse(reader.GetString(1));
            // A value stored by another version that this one would refuse is ignored rather than trusted.
            if (SettingRules.Check(name, value) is null)
            {
                overrides[name] = value;
            }
        }

        return overrides;
    }

    private AgentSettings Materialize(JsonObject overrides)
    {
        var merged = JsonSerializer.SerializeToNode(new AgentSettings(), AgentJson.Context.AgentSettings)!.AsObject();
        // Defaults from the environment (ORCHESTRATE_ME...) first, then what was set through the API.
        foreach (var (name, value) in options?.SettingDefaults ?? new Dictionary<string, bool>())
        {
            if (SettingRules.Check(name, JsonValue.Create(value)) is null)
            {
                merged[name] = value;
            }
        }

        foreach (var (name, value) in overrides)
        {
            merged[name] = value?.DeepClone();
        }

        return merged.Deserialize(AgentJson.Context.AgentSettings)!;
    }
}
