using Microsoft.Data.Sqlite;

namespace GetApp.Agent.Core.Storage;

/// <summary>
/// A write that belongs with one move of a release (its deploy record's message, say), run in the transaction that
/// moves it, after the release row and the <see cref="IReleaseWriteListener"/>s: committed with the move or not at
/// all, so no reader sees the move without it.
/// </summary>
public delegate Task ReleaseWriteAlongside(SqliteConnection connection, SqliteTransaction transaction, CancellationToken cancellationToken);
