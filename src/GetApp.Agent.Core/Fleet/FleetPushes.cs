using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Parent;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Storage;

namespace GetApp.Agent.Core.Fleet;

/// <summary>
/// Releases the operator pushed to children (table <c>fleet_pushes</c>). A push is part of the child's offering from
/// then on: every discovery answer this parent gives the child (relayed from its upstream, or its own) carries the
/// release as a push offer, with its dependencies as offers. So the child delivers it through its ordinary discovery and
/// delivery paths, and its next discovery does not drop it as "no longer offered".
/// </summary>
public sealed class FleetPushes(AgentDatabase database, ReleaseService releases, ChildRegistry registry, TimeProvider timeProvider)
{
    /// <summary>The most releases kept pushed to one device; beyond it the oldest push is dropped (delivered releases stay).</summary>
    public const int MaxPerDevice = 200;

    /// <summary>
    /// The discovery entries (<c>{release, isPush, hierarchyTrees, dependedOnBy}</c>) of <paramref name="catalogId"/> and
    /// its dependencies, from what this agent holds or was offered, else from what a child was offered; null when the
    /// release is unknown here.
    /// </summary>
    public async Task<JsonArray?> ResolveAsync(string catalogId, CancellationToken cancellationToken)
    {
        var pool = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var record in await releases.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            pool[record.CatalogId] = new JsonObject
            {
                ["release"] = record.Release.DeepClone(),
                ["isPush"] = false,
                ["hierarchyTrees"] = record.HierarchyTrees?.DeepClone() ?? new JsonArray(),
                ["dependencies"] = new JsonArray([.. record.Dependencies.Select(d => (JsonNode?)d)]),
            };
        }

        if (!pool.ContainsKey(catalogId))
        {
            foreach (var (id, entry) in await OfferedEntriesAsync(cancellationToken).ConfigureAwait(false))
            {
                pool.TryAdd(id, entry);
            }
        }

        if (!pool.ContainsKey(catalogId))
        {
            return null;
        }

        // The release and everything it needs; each dependency's dependedOnBy names those of the set that need it.
        var closure = new List<string>();
        var pending = new Stack<string>([catalogId]);
        while (pending.TryPop(out var id))
        {
            if (closure.Contains(id) || !pool.TryGetValue(id, out var entry))
            {
                continue;
            }

            closure.Add(id);
            foreach (var dependency in Dependencies(entry))
            {
                pending.Push(dependency);
            }
        }

        var entries = new JsonArray();
        foreach (var id in closure)
        {
            var entry = (JsonObject)pool[id].DeepClone();
            entry.Remove("dependencies");
            entry["isPush"] = id == catalogId;
            entry["dependedOnBy"] = new JsonArray([.. closure.Where(other => Dependencies(pool[other]).Contains(id)).Order(StringComparer.Ordinal).Select(o => (JsonNode?)o)]);
            entries.Add((JsonNode)entry);
        }

        return entries;
    }

    /// <summary>Pushes the resolved entries to each device (a push made again replaces the earlier one).</summary>
    public Task AddAsync(IReadOnlyList<string> deviceIds, string catalogId, JsonArray entries, CancellationToken cancellationToken) =>
        database.WriteAsync(async (connection, transaction, ct) =>
        {
            var now = FleetCommandStore.Text(timeProvider.GetUtcNow());
            foreach (var deviceId in deviceIds)
            {
                await using var insert = connection.CreateCommand();
                insert.Transaction = transaction;
                insert.CommandText =
                    "INSERT OR REPLACE INTO fleet_pushes (device_id, catalog_id, entries_json, pushed_at) VALUES ($id, $catalog, $entries, $now);" +
                    "DELETE FROM fleet_pushes WHERE device_id = $id AND catalog_id IN " +
                    "(SELECT catalog_id FROM fleet_pushes WHERE device_id = $id ORDER BY pushed_at DESC, catalog_id LIMIT -1 OFFSET $max);";
                insert.Parameters.AddWithValue("$id", deviceId);
                insert.Parameters.AddWithValue("$catalog", catalogId);
                insert.Parameters.AddWithValue("$entries", entries.ToJsonString());
                insert.Parameters.AddWithValue("$now", now);
                insert.Parameters.AddWithValue("$max", MaxPerDevice);
                await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            return true;
        }, cancellationToken);

    /// <summary>The entries pushed to <paramref name="deviceId"/>, oldest push first.</summary>
    public async Task<IReadOnlyList<JsonObject>> EntriesForAsync(string deviceId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT entries_json FROM fleet_pushes WHERE device_id = $id ORDER BY pushed_at, catalog_id;";
        command.Parameters.AddWithValue("$id", deviceId);
        var list = new List<JsonObject>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            foreach (var entry in ParseArray(reader.GetString(0)))
            {
                if (entry is JsonObject e)
                {
                    list.Add(e);
                }
            }
        }

        return list;
    }

    /// <summary>
    /// Adds what was pushed to <paramref name="deviceId"/> to a discovery answer (a <c>DeviceComponentsOfferingDto</c>):
    /// a pushed release becomes a push offer (an offer of it already there is flipped to push), a dependency not offered
    /// is added as an offer. Returns the answer.
    /// </summary>
    public async Task<JsonObject> MergeAsync(string deviceId, JsonObject answer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(answer);
        var pushed = await EntriesForAsync(deviceId, cancellationToken).ConfigureAwait(false);
        return pushed.Count == 0 ? answer : Merge(answer, pushed);
    }

    internal static JsonObject Merge(JsonObject answer, IReadOnlyList<JsonObject> pushed)
    {
        if (answer["releases"] is not JsonArray list)
        {
            answer["releases"] = list = [];
        }

        var byId = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var entry in list)
        {
            if (entry is JsonObject e && IdOf(e) is { } id)
            {
                byId.TryAdd(id, e);
            }
        }

        foreach (var entry in pushed)
        {
            if (IdOf(entry) is not { } id)
            {
                continue;
            }

            var isPush = entry["isPush"] is JsonValue p && p.TryGetValue<bool>(out var b) && b;
            if (byId.TryGetValue(id, out var existing))
            {
                if (isPush)
                {
                    existing["isPush"] = true;
                }
            }
            else
            {
                var added = (JsonObject)entry.DeepClone();
                list.Add((JsonNode)added);
                byId[id] = added;
            }
        }

        return answer;
    }

    private async Task<IReadOnlyList<(string Id, JsonObject Entry)>> OfferedEntriesAsync(CancellationToken cancellationToken)
    {
        // Children's offerings give edges only as dependedOnBy: turn them into each release's dependencies.
        var entries = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        var dependencies = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var release in (await registry.OfferedEntriesAsync(cancellationToken).ConfigureAwait(false)))
        {
            if (IdOf(release) is not { } id || entries.ContainsKey(id))
            {
                continue;
            }

            entries[id] = new JsonObject
            {
                ["release"] = release["release"]!.DeepClone(),
                ["isPush"] = false,
                ["hierarchyTrees"] = release["hierarchyTrees"]?.DeepClone() ?? new JsonArray(),
            };
            foreach (var dependent in release["dependedOnBy"] as JsonArray ?? [])
            {
                if (dependent is JsonValue v && v.TryGetValue<string>(out var name))
                {
                    (dependencies.TryGetValue(name, out var deps) ? deps : dependencies[name] = []).Add(id);
                }
            }
        }

        foreach (var (id, entry) in entries)
        {
            entry["dependencies"] = new JsonArray([.. (dependencies.GetValueOrDefault(id) ?? []).Select(d => (JsonNode?)d)]);
        }

        return [.. entries.Select(e => (e.Key, e.Value))];
    }

    private static IEnumerable<string> Dependencies(JsonObject entry) =>
        (entry["dependencies"] as JsonArray ?? []).Select(d => d is JsonValue v && v.TryGetValue<string>(out var s) ? s : null).OfType<string>();

    private static string? IdOf(JsonObject entry) =>
        entry["release"] is JsonObject r && r["id"] is JsonValue v && v.TryGetValue<string>(out var id) ? id : null;

    private static JsonArray ParseArray(string json)
    {
        try
        {
            return JsonNode.Parse(json) as JsonArray ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }
}
