using System.Security.Cryptography;
using GetApp.Agent.Core.Releases;

namespace GetApp.Agent.Core.Events;

/// <summary>What the dispatcher publishes later than the change: coalesced progress, deploy records, the offering, the summary.</summary>
public sealed partial class EventDispatcher
{
    /// <summary>Publishes what was deferred; returns how long until something deferred is due (null: nothing).</summary>
    private async Task<TimeSpan?> FlushAsync(CancellationToken cancellationToken)
    {
        TimeSpan? next = null;
        foreach (var id in _progressDirty.Keys)
        {
            if (await PublishProgressAsync(id, cancellationToken).ConfigureAwait(false) is { } due)
            {
                next = next is null || due < next ? due : next;
            }
        }

        foreach (var id in _deployDirty.Keys)
        {
            _deployDirty.TryRemove(id, out _);
            if (await _releases.FindAsync(id, cancellationToken).ConfigureAwait(false) is { } release && EventPayloads.IsInDeploy(release))
            {
                _hub.Publish(EventStreams.Deploy, await _payloads.DeployAsync(release, cancellationToken).ConfigureAwait(false), id);
            }
        }

        if (Interlocked.Exchange(ref _offeringDirty, 0) == 1)
        {
            await PublishOfferingAsync(cancellationToken).ConfigureAwait(false);
        }

        if (Volatile.Read(ref _summaryDirty) == 1)
        {
            var since = _time.GetElapsedTime(_lastSummaryAt);
            if (_lastSummary is not null && since < _options.SummaryInterval)
            {
                var due = _options.SummaryInterval - since;
                next = next is null || due < next ? due : next;
            }
            else
            {
                Volatile.Write(ref _summaryDirty, 0);
                _lastSummaryAt = _time.GetTimestamp();
                var summary = await _payloads.SummaryAsync(cancellationToken).ConfigureAwait(false);
                if (_lastSummary is null || !summary.AsSpan().SequenceEqual(_lastSummary))
                {
                    _lastSummary = summary;
                    _hub.Publish(EventStreams.Agent, summary, "");
                }
            }
        }

        return next;
    }

    /// <summary>
    /// Publishes the offering after a change, unless nobody follows its stream: the offering of a large catalog is MiBs,
    /// built for nobody after every discovery that changed it. Then it is only owed (<see cref="_offeringOwed"/>): a
    /// new client's snapshot renders the offering as it is then (the hub's state of the stream is primed with how to),
    /// and the event follows as soon as a client comes, for one that resumes with <c>Last-Event-ID</c> (a client that
    /// got the snapshot gets the same offering once more, as after any primed state).
    /// </summary>
    private async Task PublishOfferingAsync(CancellationToken cancellationToken)
    {
        // Owed first: a client that subscribes from here on finds it so, and flags the offering again.
        Volatile.Write(ref _offeringOwed, 1);
        if (!_hub.HasClients(EventStreams.Offering))
        {
            // What the hub holds of the stream is then the offering as a snapshot finds it, not the last one published.
            _hub.Prime(EventStreams.Offering, "", _ => ValueTask.FromResult<ReadOnlyMemory<byte>>(EventPayloads.OfferingOf(_releases.LastKnown)));
            return;
        }

        Volatile.Write(ref _offeringOwed, 0);
        var offering = await _payloads.OfferingAsync(cancellationToken).ConfigureAwait(false);

        // A change that left the offering as it was (a periodic discovery that changed nothing offered) publishes
        // nothing. Its digest is enough to tell, where keeping the last one published would hold MiBs more.
        var digest = SHA256.HashData(offering);
        if (_lastOfferingHash is null || !digest.AsSpan().SequenceEqual(_lastOfferingHash))
        {
            _lastOfferingHash = digest;
            _hub.Publish(EventStreams.Offering, offering, "");
        }
    }

    /// <summary>Publishes the live progress of a running release unless it was published less than an interval ago (then: when it is due).</summary>
    private async Task<TimeSpan?> PublishProgressAsync(string id, CancellationToken cancellationToken)
    {
        var last = _lastProgress.GetValueOrDefault(id);
        var since = _time.GetElapsedTime(last.At);
        if (last.At != 0 && since < _options.ProgressInterval)
        {
            return _options.ProgressInterval - since;
        }

        _progressDirty.TryRemove(id, out _);
        if (!_running.TryGetValue(id, out var release))
        {
            release = await _releases.FindAsync(id, cancellationToken).ConfigureAwait(false);
            if (release is null || !IsRunning(release))
            {
                return null; // it stopped meanwhile: its move was (or will be) published with the final numbers
            }

            _running[id] = release;
        }

        if (_releases.Progress.Get(id) is not { } live)
        {
            return null;
        }

        var status = EventPayloads.StatusOf(release, live);
        if (status.Progress == last.Progress && status.Eta == last.Eta)
        {
            return null;
        }

        _lastProgress[id] = (status.Progress, status.Eta, _time.GetTimestamp());
        _hub.Publish(EventStreams.Delivery, EventPayloads.Delivery(status), id);
        if (release.Position is { State: ReleaseState.Deploy })
        {
            _hub.Publish(EventStreams.Deploy, await _payloads.DeployAsync(release, cancellationToken).ConfigureAwait(false), id);
        }

        return null;
    }
}
