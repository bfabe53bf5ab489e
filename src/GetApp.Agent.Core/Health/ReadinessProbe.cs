using GetApp.Agent.Core.Hosting;
using GetApp.Agent.Core.Storage;

namespace GetApp.Agent.Core.Health;

/// <summary>One readiness check: whether it passed and what was found.</summary>
public sealed record HealthCheck(bool Ok, string Message);

/// <summary>
/// The answer of <c>GET /health/ready</c>. Not ready, it also carries the AppError fields (<c>message</c>, <c>name</c>,
/// <c>statusCode</c>), as every non-2xx answer of the agent does.
/// </summary>
public sealed record HealthReport(
    string Status,
    IReadOnlyDictionary<string, HealthCheck> Checks,
    UpstreamView Upstream,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Message = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Name = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] int? StatusCode = null)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public bool Ready => Status == "ready";
}

/// <summary>
/// Readiness: the database answers, the data dir can be written, and there is more free space than the delivery
/// buffer. The upstream's state is reported but never makes the agent unready: a device offline for weeks still serves
/// its API, its installers and its delivered releases.
/// </summary>
public sealed class ReadinessProbe(AgentDatabase database, DataDirectory dataDirectory, DiskSampler disk, AgentSummaryBuilder summary)
{
    public async Task<HealthReport> CheckAsync(CancellationToken cancellationToken)
    {
        var checks = new Dictionary<string, HealthCheck>(StringComparer.Ordinal)
        {
            ["database"] = await DatabaseAsync(cancellationToken).ConfigureAwait(false),
            ["dataDir"] = await DataDirAsync(cancellationToken).ConfigureAwait(false),
            ["diskSpace"] = DiskSpaceCheck(disk.Sample()),
        };
        var failed = checks.Where(c => !c.Value.Ok).Select(c => $"{c.Key}: {c.Value.Message}").ToList();
        return failed.Count == 0
            ? new HealthReport("ready", checks, summary.Upstream())
            : new HealthReport("not ready", checks, summary.Upstream(), $"The agent is not ready: {string.Join("; ", failed)}", "NotReady", 503);
    }

    private async Task<HealthCheck> DatabaseAsync(CancellationToken cancellationToken)
    {
        // A pooled connection keeps reading a file deleted or moved away under the agent (Linux keeps the inode), so the
        // path itself is looked at first: what the agent writes next would not be where it is looked for.
        if (!File.Exists(database.Path))
        {
            return new HealthCheck(false, $"{database.Path} cannot be read: no database file there");
        }

        try
        {
            await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT COUNT(*) FROM releases;";
            await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return new HealthCheck(true, $"{database.Path} is open");
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException or InvalidOperationException)
        {
            return new HealthCheck(false, $"{database.Path} cannot be read: {e.Message}");
        }
    }

    private async Task<HealthCheck> DataDirAsync(CancellationToken cancellationToken)
    {
        var probe = Path.Combine(dataDirectory.Root, $".ready-probe-{Guid.NewGuid():N}");
        try
        {
            await File.WriteAllTextAsync(probe, "ok", cancellationToken).ConfigureAwait(false);
            File.Delete(probe);
            return new HealthCheck(true, $"{dataDirectory.Root} is writable");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new HealthCheck(false, $"{dataDirectory.Root} cannot be written: {e.Message}");
        }
    }

    private static HealthCheck DiskSpaceCheck(DiskSample space) => space switch
    {
        { FreeBytes: null } => new HealthCheck(false, $"the free space of {space.Path} cannot be read"),
        { AboveBuffer: true } => new HealthCheck(true, $"{space.FreeBytes} bytes free, more than the delivery buffer ({space.BufferBytes} bytes, deliveryStorageBufferBytes)"),
        _ => new HealthCheck(false, $"{space.FreeBytes} bytes free, not more than the delivery buffer ({space.BufferBytes} bytes, deliveryStorageBufferBytes)"),
    };
}
