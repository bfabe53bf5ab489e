using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using GetApp.Agent.Core.Events;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace GetApp.Agent.Api;

/// <summary>
/// Serves one client of the event streams (<c>text/event-stream</c>): what it missed since its <c>Last-Event-ID</c>, or
/// a snapshot of the current state; then the events of its queue as the hub publishes them, <c>: ping</c> comments in
/// between. A client that stops reading is dropped: by the hub when its queue is full, here when a write has not gone
/// out for <see cref="EventsOptions.WriteStallTimeout"/>. Its connection is then closed, so it costs nothing more.
/// </summary>
internal sealed partial class ServerSentEventStream(HttpContext context, EventHub hub, EventsOptions options, ILogger logger)
{
    private static readonly byte[] PingFrame = ": ping\n\n"u8.ToArray();
    private static readonly byte[] RetryFrame = "retry: 3000\n\n"u8.ToArray();
    private const int FlushBytes = 64 * 1024;

    /// <param name="named">True on the combined endpoint: data events carry their stream's name (<c>event: delivery</c>).
    /// A single stream's data events are unnamed (<c>message</c>), so an <c>EventSource.onmessage</c> client receives them.</param>
    public async Task RunAsync(EventStreams streams, bool named)
    {
        var aborted = context.RequestAborted;
        var lastEventId = context.Request.Headers["Last-Event-ID"].ToString() is { Length: > 0 } header ? header : context.Request.Query["lastEventId"].ToString();
        using var client = hub.Subscribe(streams, lastEventId.Length > 0 ? lastEventId : null);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(aborted, client.Dropped);
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
        try
        {
            var response = context.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "text/event-stream";
            response.Headers.CacheControl = "no-cache";
            response.Headers["X-Accel-Buffering"] = "no";
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            LimitSendBuffer();
            await response.StartAsync(stop.Token).ConfigureAwait(false);

            var writer = response.BodyWriter;
            writer.Write(RetryFrame);
            // In its own method, so that nothing of the backlog stays referenced by this one, which lasts as long as the client.
            await WriteBacklogAsync(writer, client, named, stall, stop.Token).ConfigureAwait(false);
            client.BacklogSent();
            await FlushAsync(writer, stall, client).ConfigureAwait(false);
            while (await client.WaitToReadAsync(stop.Token).ConfigureAwait(false))
            {
                while (client.TryRead(out var e))
                {
                    Write(writer, e, named, e.IsPing ? null : hub.IdOf(e.Sequence));
                }

                await FlushAsync(writer, stall, client).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested || stall.IsCancellationRequested)
        {
            // The client went away, or was dropped (below).
        }
        catch (Exception e) when (e is IOException or ConnectionAbortedException or ObjectDisposedException or InvalidOperationException)
        {
            // The connection broke (or was aborted) while writing: nothing more can be sent on it.
        }
        finally
        {
            hub.Unsubscribe(client);
        }

        if (client.DropReason is { } reason && !aborted.IsCancellationRequested)
        {
            LogClosing(logger, context.Connection.RemoteIpAddress?.ToString() ?? "?", reason);
            context.Abort(); // its socket may be full: don't wait for it to drain
        }
    }

    /// <summary>What the client missed since its <c>Last-Event-ID</c>, or the snapshot of the current state.</summary>
    private async Task WriteBacklogAsync(PipeWriter writer, EventSubscription client, bool named, CancellationTokenSource stall, CancellationToken cancellationToken)
    {
        if (client.Replay is { } replay)
        {
            var unflushed = 0;
            foreach (var e in replay)
            {
                Write(writer, e, named, hub.IdOf(e.Sequence));
                unflushed = await FlushIfFullAsync(writer, unflushed + e.Data.Length, stall, client).ConfigureAwait(false);
            }
        }
        else if (client.Snapshot is { } snapshot)
        {
            var unflushed = 0;
            for (var i = 0; i < snapshot.Count; i++)
            {
                // Only the last entry carries an id: a client cut off in the middle of a snapshot gets a whole one again.
                var data = await snapshot[i].ReadDataAsync(cancellationToken).ConfigureAwait(false);
                Write(writer, snapshot[i], data.Span, named, i == snapshot.Count - 1 ? hub.IdOf(client.Position) : null);
                unflushed = await FlushIfFullAsync(writer, unflushed + data.Length, stall, client).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// A snapshot of thousands of releases goes out in pieces of about <see cref="FlushBytes"/> (payload bytes counted):
    /// what a client is sent is never held whole. Returns the bytes still unflushed.
    /// </summary>
    private async ValueTask<int> FlushIfFullAsync(PipeWriter writer, int unflushed, CancellationTokenSource stall, EventSubscription client)
    {
        if (unflushed < FlushBytes)
        {
            return unflushed;
        }

        await FlushAsync(writer, stall, client).ConfigureAwait(false);
        return 0;
    }

    private async Task FlushAsync(PipeWriter writer, CancellationTokenSource stall, EventSubscription client)
    {
        stall.CancelAfter(options.WriteStallTimeout);
        FlushResult result;
        try
        {
            result = await writer.FlushAsync(stall.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            DropIfStalled();
            throw;
        }

        if (result.IsCanceled || result.IsCompleted)
        {
            DropIfStalled();
            throw new OperationCanceledException();
        }

        stall.CancelAfter(Timeout.InfiniteTimeSpan);

        void DropIfStalled()
        {
            if (stall.IsCancellationRequested && !client.Dropped.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested)
            {
                hub.Drop(client, $"it took no data for {options.WriteStallTimeout.TotalSeconds:0} s");
            }
        }
    }

    private void LimitSendBuffer()
    {
        if (context.Features.Get<IConnectionSocketFeature>()?.Socket is not { } socket)
        {
            return;
        }

        try
        {
            socket.SendBufferSize = options.SocketSendBufferBytes;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Not a socket that takes it: the stall timeout still applies.
        }
    }

    internal static void Write(PipeWriter writer, AgentEvent e, bool named, string? id) => Write(writer, e, e.Data, named, id);

    private static void Write(PipeWriter writer, AgentEvent e, ReadOnlySpan<byte> data, bool named, string? id)
    {
        if (e.IsPing)
        {
            writer.Write(PingFrame);
            return;
        }

        if (id is not null)
        {
            WriteAscii(writer, "id: ");
            WriteAscii(writer, id);
            writer.Write("\n"u8);
        }

        if (e.Kind == AgentEventKind.Reset)
        {
            writer.Write("event: reset\n"u8);
        }
        else if (named)
        {
            WriteAscii(writer, "event: ");
            WriteAscii(writer, EventStreamNames.EventNameOf(e.Stream));
            writer.Write("\n"u8);
        }

        writer.Write("data: "u8);
        writer.Write(data);
        writer.Write("\n\n"u8);
    }

    private static void WriteAscii(PipeWriter writer, string text)
    {
        var span = writer.GetSpan(text.Length);
        var written = Encoding.ASCII.GetBytes(text, span);
        writer.Advance(written);
    }

    [LoggerMessage(EventId = 5010, Level = LogLevel.Information, Message = "Closing the event stream of {Client}: {Reason}")]
    private static partial void LogClosing(ILogger logger, string client, string reason);
}
