using GetApp.Agent.Core.Releases;
using Microsoft.Data.Sqlite;

namespace GetApp.Agent.Core.Storage;

/// <summary>
/// Called inside the transaction that changes a release, so that what depends on the change (an upstream report in
/// the outbox, say) is committed together with it or not at all.
/// </summary>
public interface IReleaseWriteListener
{
    Task OnReleaseWrittenAsync(SqliteConnection connection, SqliteTransaction transaction, ReleaseRecord before, ReleaseRecord after, CancellationToken cancellationToken);
}
