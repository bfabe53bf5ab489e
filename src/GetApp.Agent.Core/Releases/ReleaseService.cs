using GetApp.Agent.Core.Storage;

namespace GetApp.Agent.Core.Releases;

/// <summary>
/// The domain entry point for reading releases and moving them through the lifecycle. The API, the engines and the
/// tests all go through here, so every move is checked against <see cref="ReleaseLifecycle"/> and stored before anyone
/// can see it.
/// </summary>
public sealed class ReleaseService(ReleaseStore store, ReleaseProgressBoard progress, TimeProvider timeProvider)
{
    public ReleaseProgressBoard Progress => progress;

    /// <summary>
    /// Raised after a move is committed (never for a refused one), with the release before and after. Engines react here
    /// (a push offer to deliver, a finished delivery to deploy); handlers must be quick and must not throw.
    /// </summary>
    public event Action<ReleaseMoved>? Moved;

    /// <summary>
    /// Every release as of the last commit, in catalog id order, with the read API's JSON of each: memory only, no
    /// database and no JSON parse. Prefer it to <see cref="ListAsync"/> for looking at positions.
    /// </summary>
    public ValueTask<ReleaseSnapshot> SnapshotAsync(CancellationToken cancellationToken) => store.SnapshotAsync(cancellationToken);

    /// <inheritdoc cref="ReleaseStore.LastKnown"/>
    public ReleaseSnapshot LastKnown => store.LastKnown;

    /// <inheritdoc cref="ReleaseStore.FindStoredAsync"/>
    public Task<ReleaseRow?> FindStoredAsync(string catalogId, CancellationToken cancellationToken) =>
        store.FindStoredAsync(catalogId, cancellationToken);

    /// <summary>The release as last committed (from memory; its JSON is parsed only if read).</summary>
    public Task<ReleaseRecord?> FindAsync(string catalogId, CancellationToken cancellationToken) =>
        store.FindAsync(catalogId, cancellationToken);

    /// <summary>Every release as last committed, in catalog id order (from memory; JSON parsed only if read).</summary>
    public Task<IReadOnlyList<ReleaseRecord>> ListAsync(CancellationToken cancellationToken) =>
        store.ListAsync(cancellationToken);

    /// <summary>
    /// Applies <paramref name="action"/> if the lifecycle allows it from where the release is now; <paramref name="alongside"/>
    /// (when given) is written in the same transaction as the move, and only if it moves.
    /// </summary>
    public async Task<MoveResult> MoveAsync(string catalogId, ReleaseAction action, ReleaseChange? change, CancellationToken cancellationToken,
        ReleaseWriteAlongside? alongside = null)
    {
        ReleaseRecord? before = null;
        var result = await store.UpdateAsync(catalogId, current =>
        {
            if (current is null)
            {
                return (null, MoveResult.NotFound(catalogId));
            }

            if (!ReleaseLifecycle.TryMove(current.Position, action, out var next, out var refusal))
            {
                return (null, MoveResult.NotAllowed(current, $"release '{catalogId}': {refusal}"));
            }

            before = current;
            var moved = Apply(current, action, next, change ?? new ReleaseChange());
            return (moved, MoveResult.Moved(moved));
        }, cancellationToken, alongside).ConfigureAwait(false);

        if (result.Succeeded)
        {
            Moved?.Invoke(new ReleaseMoved(before!, result.Release!, action));
        }

        return result;
    }

    /// <summary>Persists progress of a release that stays where it is (no transition), e.g. a delivery's bytes so far.</summary>
    public Task<bool> SaveProgressAsync(string catalogId, ReleaseState expectedState, double? value, long? eta, CancellationToken cancellationToken) =>
        store.UpdateAsync(catalogId, current =>
        {
            if (current is null || current.State != expectedState)
            {
                return (null, false);
            }

            return (current with { Progress = value, Eta = eta, UpdatedAt = timeProvider.GetUtcNow() }, true);
        }, cancellationToken);

    private ReleaseRecord Apply(ReleaseRecord current, ReleaseAction action, ReleasePosition next, ReleaseChange change)
    {
        var moved = current with { Position = next, UpdatedAt = timeProvider.GetUtcNow() };
        moved = action switch
        {
            ReleaseAction.StartDelivery => moved with { Progress = 0, Eta = null, ErrMsg = null, DownloadDuration = null },
            ReleaseAction.ResumeDelivery or ReleaseAction.BeginDownload or ReleaseAction.BeginValidation => moved with { ErrMsg = null },
            ReleaseAction.CompleteDelivery => moved with { Progress = 100, Eta = null, ErrMsg = null },
            ReleaseAction.CancelDelivery => moved with { Eta = null },
            // Committed before the run lets go and stores its bytes: take the progress it shows now, not the one it
            // stored up to two seconds ago, so the paused status (and its event) never shows the bar going back.
            ReleaseAction.PauseDelivery => moved with { Progress = Math.Max(current.Progress ?? 0, progress.Get(current.CatalogId)?.Progress ?? 0) },
            ReleaseAction.FailDelivery or ReleaseAction.FailDeploy or ReleaseAction.FailAsDependency or ReleaseAction.CancelDeploy
                => moved with { Eta = null, ErrMsg = change.ErrMsg ?? current.ErrMsg },
            ReleaseAction.DeleteDelivery => moved with { Progress = null, Eta = null, ErrMsg = null, DownloadDuration = null, ArtsDirPath = null },
            ReleaseAction.StartDeploy => moved with { Progress = 0, Eta = null, ErrMsg = null },
            ReleaseAction.CompleteDeploy or ReleaseAction.InstallAsDependency => moved with { Progress = 100, Eta = null, ErrMsg = null },
            ReleaseAction.Uninstall => moved with { Progress = null, Eta = null, ErrMsg = null },
            _ => moved,
        };

        if (action is not ReleaseAction.DeleteDelivery)
        {
            moved = moved with
            {
                Progress = change.Progress ?? moved.Progress,
                Eta = change.Eta ?? moved.Eta,
                ErrMsg = change.ErrMsg ?? moved.ErrMsg,
                DownloadDuration = change.DownloadDuration ?? moved.DownloadDuration,
                ArtsDirPath = change.ArtsDirPath ?? moved.ArtsDirPath,
                Artifacts = change.Artifacts ?? moved.Artifacts,
            };
        }

        return moved;
    }
}
