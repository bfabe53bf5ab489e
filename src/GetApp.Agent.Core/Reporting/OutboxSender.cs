using GetApp.Agent.Core.Device;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Upstream;
using GetApp.Agent.Core.Upstream.GetAppServer;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Reporting;

/// <summary>
/// Sends the outbox to the GetApp server in order, oldest first, one at a time. On a network error, a timeout, a 5xx,
/// a redirect, 401/403 (secret or access not accepted yet), 408 or 429 the report stays and is retried with exponential backoff:
/// nothing is dropped while the server is away or refusing the device. Any other 4xx is an answer the server would give
/// every time (a malformed report), so that one report is logged with the server's reason, kept as the last rejected
/// report in the device view, and skipped, rather than blocking every later report forever.
/// </summary>
public sealed partial class OutboxSender : BackgroundService
{
    private const string DeliveryPath = "/api/v2/delivery/updateDownloadStatus";
    private const string DeployPath = "/api/v2/deploy/updateDeployStatus";

    private readonly ReportOutbox _outbox;
    private readonly GetAppServerClient _client;
    private readonly DeviceService _device;
    private readonly GetAppServerOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<OutboxSender> _logger;
    private readonly SemaphoreSlim _wake = new(0, 1);

    public OutboxSender(ReportOutbox outbox, GetAppServerClient client, DeviceService device, ReleaseService releases,
        GetAppServerOptions options, TimeProvider timeProvider, ILogger<OutboxSender> logger)
    {
        _outbox = outbox;
        _client = client;
        _device = device;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
        releases.Moved += _ => Wake();
        outbox.Changed += Wake;
    }

    /// <summary>The last report the server rejected for good (skipped), for the device view.</summary>
    public RejectedReport? LastRejected { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                wait = await SendNextAsync(stoppingToken).ConfigureAwait(false) switch
                {
                    SendOutcome.Sent => TimeSpan.Zero,
                    SendOutcome.Empty => _options.OutboxIdlePoll,
                    _ => Backoff(++failures),
                };
                if (wait == TimeSpan.Zero)
                {
                    failures = 0;
                    continue;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException)
            {
                LogStoreError(e.Message);
                wait = Backoff(++failures);
            }

            using var timer = new CancellationTokenSource(wait, _timeProvider);
            using var waitOrStop = CancellationTokenSource.CreateLinkedTokenSource(timer.Token, stoppingToken);
            try
            {
                await _wake.WaitAsync(waitOrStop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // The wait is over: look at the outbox again.
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<SendOutcome> SendNextAsync(CancellationToken cancellationToken)
    {
        var entry = await _outbox.PeekAsync(cancellationToken).ConfigureAwait(false);
        if (entry is null)
        {
            return SendOutcome.Empty;
        }

        await _device.GetEnrollmentAsync(cancellationToken).ConfigureAwait(false); // keeps the server URL list current
        var path = entry.Kind == ReportKind.Deploy ? DeployPath : DeliveryPath;
        ServerAnswer answer;
        try
        {
            answer = await _client.SendAsync(entry.Kind == ReportKind.Deploy ? "updateDeployStatus" : "updateDownloadStatus",
                HttpMethod.Post, path, System.Text.Encoding.UTF8.GetBytes(entry.Payload), cancellationToken).ConfigureAwait(false);
        }
        catch (UpstreamException e)
        {
            await _outbox.RecordFailureAsync(entry.Id, e.Message, cancellationToken).ConfigureAwait(false);
            return SendOutcome.RetryLater;
        }

        if (answer.IsSuccess)
        {
            await _outbox.RemoveAsync(entry.Id, cancellationToken).ConfigureAwait(false);
            return SendOutcome.Sent;
        }

        // A redirect is not an answer (the client follows the ones it may, and fails over on the others): never dropped.
        if (answer.StatusCode is 401 or 403 or 408 or 429 or (>= 300 and < 400))
        {
            await _outbox.RecordFailureAsync(entry.Id, $"{answer.StatusCode}: {answer.Body}", cancellationToken).ConfigureAwait(false);
            return SendOutcome.RetryLater;
        }

        LastRejected = new RejectedReport(_timeProvider.GetUtcNow(), path, answer.StatusCode, answer.Body, entry.Payload);
        LogRejected(path, answer.StatusCode, answer.Body, entry.Payload);
        await _outbox.RemoveAsync(entry.Id, cancellationToken).ConfigureAwait(false);
        return SendOutcome.Sent;
    }

    private TimeSpan Backoff(int failures) =>
        TimeSpan.FromMilliseconds(Math.Min(_options.OutboxRetryMax.TotalMilliseconds, _options.OutboxRetryMin.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 20))));

    private void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already awake.
            }
        }
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    private enum SendOutcome
    {
        Sent,
        Empty,
        RetryLater,
    }

    [LoggerMessage(EventId = 4200, Level = LogLevel.Warning, Message = "The GetApp server rejected a report to {Path} with {Status} ({Reason}); it is skipped: {Payload}")]
    private partial void LogRejected(string path, int status, string reason, string payload);

    [LoggerMessage(EventId = 4201, Level = LogLevel.Warning, Message = "The report outbox could not be read or updated: {Reason}")]
    private partial void LogStoreError(string reason);
}

/// <summary>A report the server refused for good, with its answer, kept for the device view.</summary>
public sealed record RejectedReport(DateTimeOffset At, string Path, int StatusCode, string Answer, string Payload);
