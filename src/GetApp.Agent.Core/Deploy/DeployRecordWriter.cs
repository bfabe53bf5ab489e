using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Storage;
using Microsoft.Data.Sqlite;

namespace GetApp.Agent.Core.Deploy;

/// <summary>
/// Keeps the lifecycle columns of <c>deployments</c> (status, requested status, progress, started/stopped/completed
/// times) in step with the release, inside the transaction that moves it: the deploy record can never disagree with
/// the release's state, even after a power cut.
/// </summary>
public sealed class DeployRecordWriter : IReleaseWriteListener
{
    public async Task OnReleaseWrittenAsync(SqliteConnection connection, SqliteTransaction transaction, ReleaseRecord before, ReleaseRecord after, CancellationToken cancellationToken)
    {
        if (after.State is not (ReleaseState.Deploy or ReleaseState.Installed or ReleaseState.Uninstalled) || after.Position.DeployStatus is not { } status)
        {
            return;
        }

        var moved = before.Position != after.Position;
        if (!moved && before.Progress == after.Progress && before.Eta == after.Eta)
        {
            return;
        }

        var isStart = moved && status == DeploymentStatus.Start;
        var now = DeployRecordStore.Format(after.UpdatedAt);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText =
            """
            INSERT INTO deployments (catalog_id, status, requested_status, progress, eta, started_at, stopped_at, completed_at, updated_at)
            VALUES ($id, $status, $requested, $progress, $eta, $now, $stopped, $completed, $now)
            ON CONFLICT (catalog_id) DO UPDATE SET
                status = excluded.status,
                progress = excluded.progress,
                eta = excluded.eta,
                updated_at = excluded.updated_at,
                requested_status = COALESCE(excluded.requested_status, requested_status),
                started_at = CASE WHEN $isStart THEN excluded.started_at ELSE COALESCE(started_at, excluded.started_at) END,
                stopped_at = CASE WHEN $isStart THEN NULL ELSE COALESCE(excluded.stopped_at, stopped_at) END,
                completed_at = CASE WHEN $isStart THEN NULL ELSE COALESCE(excluded.completed_at, completed_at) END,
                message_log = CASE WHEN $isStart THEN NULL ELSE message_log END,
                details_json = CASE WHEN $isStart THEN NULL ELSE details_json END;
            """;
        var p = command.Parameters;
        p.AddWithValue("$id", after.CatalogId);
        p.AddWithValue("$status", status.ToString());
        p.AddWithValue("$requested", isStart ? "Start" : moved && status == DeploymentStatus.Uninstall ? "Uninstall" : DBNull.Value);
        p.AddWithValue("$progress", after.Progress is { } progress ? (int)Math.Round(progress) : DBNull.Value);
        p.AddWithValue("$eta", (object?)after.Eta ?? DBNull.Value);
        p.AddWithValue("$now", now);
        p.AddWithValue("$stopped", moved && status is DeploymentStatus.Error or DeploymentStatus.Cancelled or DeploymentStatus.Pause or DeploymentStatus.Uninstall ? now : DBNull.Value);
        p.AddWithValue("$completed", moved && status == DeploymentStatus.Done ? now : DBNull.Value);
        p.AddWithValue("$isStart", isStart);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
