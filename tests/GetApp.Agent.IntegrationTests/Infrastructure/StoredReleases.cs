using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Storage;
using Microsoft.Data.Sqlite;

namespace GetApp.Agent.IntegrationTests.Infrastructure;

/// <summary>
/// What the database holds, read with SQL of its own (not through the agent's store or its read model), and the bytes
/// the read API must answer for it: the contract's serializer applied to the stored rows, as the agent answered before
/// it had a read model.
/// </summary>
public sealed class StoredReleases
{
    private StoredReleases(IReadOnlyList<ReleaseRecord> all) => All = all;

    /// <summary>Every release row, in <c>ORDER BY catalog_id</c> order.</summary>
    public IReadOnlyList<ReleaseRecord> All { get; }

    public ReleaseRecord? Find(string catalogId) => All.FirstOrDefault(r => r.CatalogId == catalogId);

    public static async Task<StoredReleases> ReadAsync(string dataDir)
    {
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(dataDir, AgentDatabase.FileName),
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString();
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        // One read transaction, so the rows and the edges are of the same commit while an agent writes.
        await using var transaction = connection.BeginTransaction(deferred: true);

        var edges = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        await using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = "SELECT catalog_id, depends_on FROM release_dependencies ORDER BY catalog_id, depends_on;";
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var id = reader.GetString(0);
                if (!edges.TryGetValue(id, out var list))
                {
                    edges[id] = list = [];
                }

                list.Add(reader.GetString(1));
            }
        }

        var all = new List<ReleaseRecord>();
        await using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText =
                "SELECT catalog_id, release_json, artifacts_json, hierarchy_json, is_push, offered, state, delivery_state, delivery_status, " +
                "deploy_status, progress, eta, err_msg, download_duration, arts_dir_path, discovered_at, updated_at FROM releases ORDER BY catalog_id;";
            await using var r = await command.ExecuteReaderAsync();
            while (await r.ReadAsync())
            {
                var id = r.GetString(0);
                all.Add(new ReleaseRecord
                {
                    CatalogId = id,
                    Release = (JsonObject)JsonNode.Parse(r.GetString(1))!,
                    Artifacts = JsonSerializer.Deserialize(r.GetString(2), AgentJson.Context.IReadOnlyListArtifactSpec)!,
                    HierarchyTrees = r.IsDBNull(3) ? null : (JsonArray)JsonNode.Parse(r.GetString(3))!,
                    IsPush = r.GetBoolean(4),
                    Offered = r.GetBoolean(5),
                    Position = new ReleasePosition(
                        Wire.ParseState(r.GetString(6)),
                        r.IsDBNull(7) ? null : Wire.ParseDeliveryState(r.GetString(7)),
                        r.IsDBNull(8) ? null : Enum.Parse<DeliveryStatus>(r.GetString(8)),
                        r.IsDBNull(9) ? null : Enum.Parse<DeploymentStatus>(r.GetString(9))),
                    Progress = r.IsDBNull(10) ? null : r.GetDouble(10),
                    Eta = r.IsDBNull(11) ? null : r.GetInt64(11),
                    ErrMsg = r.IsDBNull(12) ? null : r.GetString(12),
                    DownloadDuration = r.IsDBNull(13) ? null : r.GetInt32(13),
                    ArtsDirPath = r.IsDBNull(14) ? null : r.GetString(14),
                    DiscoveredAt = DateTimeOffset.Parse(r.GetString(15), CultureInfo.InvariantCulture),
                    UpdatedAt = DateTimeOffset.Parse(r.GetString(16), CultureInfo.InvariantCulture),
                    Dependencies = edges.TryGetValue(id, out var deps) ? deps : [],
                });
            }
        }

        return new StoredReleases(all);
    }

    public static bool IsOnDevice(ReleaseRecord release) => release.State is not (ReleaseState.Offering or ReleaseState.Push);

    /// <summary>The body of <c>GET /api/v2/device/releases/{id}</c> for a stored release on the device.</summary>
    public static byte[] StatusJson(ReleaseRecord release, LiveProgress? live) =>
        JsonSerializer.SerializeToUtf8Bytes(ReleaseStatusMapper.ToStatusDto(release, live), AgentJson.Context.DeviceReleaseStatusDto);

    /// <summary>The body of <c>GET /api/v2/device/releases</c>.</summary>
    public byte[] ListJson(ReleaseProgressBoard live)
    {
        IReadOnlyList<DeviceReleaseStatusDto> list = [.. All.Where(IsOnDevice).Select(r => ReleaseStatusMapper.ToStatusDto(r, live.Get(r.CatalogId)))];
        return JsonSerializer.SerializeToUtf8Bytes(list, AgentJson.Context.IReadOnlyListDeviceReleaseStatusDto);
    }

    /// <summary>The body of <c>GET /api/v2/device/offering</c>.</summary>
    public byte[] OfferingJson()
    {
        IReadOnlyList<OfferingItemDto> offers = [.. All.Where(r => !IsOnDevice(r)).Select(ReleaseStatusMapper.ToOfferingDto)];
        return JsonSerializer.SerializeToUtf8Bytes(offers, AgentJson.Context.IReadOnlyListOfferingItemDto);
    }
}
