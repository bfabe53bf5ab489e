using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Device;
using GetApp.Agent.Core.Fleet;
using GetApp.Agent.Core.Parent;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace GetApp.Agent.Api;

/// <summary>
/// Fleet control, the children's side of the parent (docs/fleet.md): a child registers, keeps its command channel
/// (<c>GET /api/cdn/events/managed/{deviceId}</c>, GetApp's path) open, and reports what became of each command. Like
/// the other routes children call, they take a children secret. <c>GET /api/v2/agent/managed</c> is the child's own view
/// of its link to its parent.
/// </summary>
internal static partial class ManagedApi
{
    private const int MaxMessageLength = 4000;
    private const int MaxDeviceDataBytes = 64 * 1024;
    private static readonly string[] RegistrationFields = ["deviceId", "orchestrateMe", "reactiveMode", "deviceType", "platform", "platformId", "deviceData"];

    public static IEndpointRouteBuilder MapManagedApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/cdn/devices/register", RegisterAsync).WithMetadata(ParentRoute.ForChildren);
        app.MapGet("/api/cdn/events/managed/{deviceId}", ChannelAsync).WithMetadata(ParentRoute.ForChildren);
        app.MapPost("/api/cdn/devices/commands/result", ResultAsync).WithMetadata(ParentRoute.ForChildren);
        app.MapGet("/api/v2/agent/managed", async (ManagedClient client, CancellationToken ct) =>
            Results.Json(await client.SnapshotAsync(ct).ConfigureAwait(false), FleetJson.Context.ManagedStatusDto));
        return app;
    }

    internal static async Task<IResult> RegisterAsync(HttpContext context, FleetDispatcher dispatcher, DeviceService device, CancellationToken cancellationToken)
    {
        var (body, error) = await JsonBody.ReadObjectAsync(context.Request, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        if (ParseRegistration(body!, out var problem) is not { } registration)
        {
            return ApiResults.BadRequest($"invalid registration: {problem}");
        }

        if (registration.DeviceId == device.DeviceId)
        {
            return ApiResults.Conflict($"'{registration.DeviceId}' is this agent's own device id: a child must have an id of its own");
        }

        // A child leaving fleet control is always heard; one asking to join a parent that is itself orchestrated is refused.
        if ((registration.OrchestrateMe || registration.ReactiveMode) && await dispatcher.RefusalAsync(cancellationToken).ConfigureAwait(false) is { } refusal)
        {
            return ApiResults.Conflict(refusal);
        }

        var state = await dispatcher.RegisterAsync(registration, context.Connection.RemoteIpAddress?.ToString(), cancellationToken).ConfigureAwait(false);
        return Results.Json(state, FleetJson.Context.ManagedStateDto);
    }

    internal static ChildRegistration? ParseRegistration(JsonObject body, out string? problem)
    {
        problem = body.Select(p => p.Key).FirstOrDefault(k => !RegistrationFields.Contains(k)) is { } unknown
            ? $"'{unknown}' is not a field of a registration (known: {string.Join(", ", RegistrationFields)})"
            : body["deviceId"] is JsonValue v && v.TryGetValue<string>(out var id) ? DeviceIdentity.Check(id) : "deviceId must be a string";
        var flags = new bool[2];
        for (var i = 0; problem is null && i < 2; i++)
        {
            var name = i == 0 ? "orchestrateMe" : "reactiveMode";
            if (!(body[name] is JsonValue f && f.TryGetValue<bool>(out flags[i])))
            {
                problem = $"{name} must be true or false";
            }
        }

        var types = new List<string>();
        if (problem is null && body["deviceType"] is { } list)
        {
            if (list is not JsonArray array || array.Count > 64
                || array.Any(t => !(t is JsonValue tv && tv.TryGetValue<string>(out var token) && token.Length is > 0 and <= 200 && !token.Any(char.IsControl))))
            {
                problem = "deviceType must be an array of at most 64 device-type tokens (strings of 1 to 200 characters)";
            }
            else
            {
                types.AddRange(array.Select(t => t!.GetValue<string>()));
            }
        }

        string? platform = null;
        string? platformId = null;
        foreach (var name in (string[])["platform", "platformId"])
        {
            if (problem is null && body[name] is { } given)
            {
                if (!(given is JsonValue pv && pv.TryGetValue<string>(out var text) && text.Length <= 200 && !text.Any(char.IsControl)))
                {
                    problem = $"{name} must be a string of at most 200 characters";
                }
                else if (name == "platform")
                {
                    platform = text;
                }
                else
                {
                    platformId = text;
                }
            }
        }

        var data = body["deviceData"];
        if (problem is null && data is not null and not JsonObject)
        {
            problem = "deviceData must be an object";
        }
        else if (problem is null && data is JsonObject && System.Text.Encoding.UTF8.GetByteCount(data.ToJsonString()) > MaxDeviceDataBytes)
        {
            problem = $"deviceData is larger than {MaxDeviceDataBytes} bytes";
        }

        return problem is null
            ? new ChildRegistration(body["deviceId"]!.GetValue<string>(), flags[0], flags[1], types, platform, platformId, (JsonObject?)data?.DeepClone())
            : null;
    }

    internal static async Task<IResult> ResultAsync(HttpContext context, FleetDispatcher dispatcher, CancellationToken cancellationToken)
    {
        var (body, error) = await JsonBody.ReadObjectAsync(context.Request, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        var deviceId = body!["deviceId"] is JsonValue d && d.TryGetValue<string>(out var id) ? id : null;
        var commandId = body["commandId"] is JsonValue c && c.TryGetValue<string>(out var cid) ? cid : null;
        var status = body["status"] is JsonValue s && s.TryGetValue<string>(out var name) ? FleetActions.ParseStatus(name) : null;
        var message = body["message"] is JsonValue m && m.TryGetValue<string>(out var text) ? text : null;
        var problem = body.Select(p => p.Key).FirstOrDefault(k => k is not ("deviceId" or "commandId" or "status" or "message")) is { } unknown
            ? $"'{unknown}' is not a field (known: deviceId, commandId, status, message)"
            : DeviceIdentity.Check(deviceId) is { } bad ? bad
            : commandId is null || FleetApi.CheckCommandId(commandId) is not null ? "commandId must be a command id"
            : status is not { } st || !FleetActions.Reported.Contains(st) ? $"status must be one of {string.Join(", ", FleetActions.Reported.Select(FleetActions.NameOf))}"
            : body["message"] is { } given && (message is null || message.Length > MaxMessageLength) ? $"message must be a string of at most {MaxMessageLength} characters"
            : null;
        if (problem is not null)
        {
            return ApiResults.BadRequest($"invalid command result: {problem}");
        }

        var command = await dispatcher.ApplyResultAsync(deviceId!, commandId!, status!.Value, message, cancellationToken).ConfigureAwait(false);
        return command is null
            ? ApiResults.NotFound($"device '{deviceId}' has no command '{commandId}' on this parent")
            : Results.Json(FleetCommandDto.From(command), FleetJson.Context.FleetCommandDto);
    }

    /// <summary>
    /// The command channel: a <c>hello</c> frame (the child's standing), then its commands in order (those queued while it
    /// was away first), <c>orchestration</c> frames when the operator decides, and a <c>: ping</c> every second. Open =
    /// online; the parent notices a dropped channel within <see cref="FleetOptions.DeadAfter"/> (docs/fleet.md).
    /// </summary>
    internal static async Task<IResult> ChannelAsync(HttpContext context, string deviceId, FleetDispatcher dispatcher, ChildRegistry registry,
        ManagedChannels channels, FleetOptions options, ILoggerFactory loggers)
    {
        if (DeviceIdentity.Check(deviceId) is { } bad)
        {
            return ApiResults.BadRequest($"invalid device id: {bad}");
        }

        var aborted = context.RequestAborted;
        if (await dispatcher.RefusalAsync(aborted).ConfigureAwait(false) is { } refusal)
        {
            return ApiResults.Conflict(refusal);
        }

        if (await registry.OpenChannelAsync(deviceId, context.Connection.RemoteIpAddress?.ToString(), aborted).ConfigureAwait(false) is not { } child)
        {
            return ApiResults.NotFound($"device '{deviceId}' has not registered for fleet control: POST /api/cdn/devices/register first");
        }

        TuneSocket(context, options);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.StartAsync(aborted).ConfigureAwait(false);

        var channel = channels.Open(deviceId);
        var reason = "the device closed it";
        var logger = loggers.CreateLogger("GetApp.Agent.Fleet");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(aborted, channel.Closed);
        // One stall timer for the connection's life, armed around each flush (not a new one per ping).
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
        try
        {
            var writer = response.BodyWriter;
            writer.Write(await dispatcher.HelloFrameAsync(child, aborted).ConfigureAwait(false));
            await FlushAsync(writer, options, stall).ConfigureAwait(false);
            await dispatcher.DispatchAsync(deviceId, aborted, child).ConfigureAwait(false);
            while (await channel.Frames.WaitToReadAsync(stop.Token).ConfigureAwait(false))
            {
                while (channel.Frames.TryRead(out var frame))
                {
                    writer.Write(frame);
                }

                await FlushAsync(writer, options, stall).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            reason = channel.CloseReason ?? (aborted.IsCancellationRequested ? "the connection ended" : $"no write went out for {options.DeadAfter.TotalSeconds:0.#} s");
        }
        catch (Exception e) when (e is IOException or ConnectionAbortedException or ObjectDisposedException or InvalidOperationException)
        {
            reason = "the connection broke";
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            // The response has begun: no AppError can be sent any more; the child sees the channel drop and comes back.
            reason = $"the store failed: {e.Message}";
        }
        finally
        {
            var current = channels.Find(deviceId) == channel;
            channels.Remove(channel, reason);
            if (current)
            {
                try
                {
                    await registry.CloseChannelAsync(deviceId, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException)
                {
                    LogNotRecorded(logger, deviceId, e.Message);
                }
            }

            channel.Dispose();
        }

        if (!aborted.IsCancellationRequested)
        {
            context.Abort(); // closed by this side (replaced, stalled, forgotten): don't wait for its socket to drain
        }

        return Results.Empty;
    }

    /// <summary>A write that has not gone out within <see cref="FleetOptions.DeadAfter"/> means the child is gone.</summary>
    private static async Task FlushAsync(PipeWriter writer, FleetOptions options, CancellationTokenSource stall)
    {
        stall.CancelAfter(options.DeadAfter);
        var result = await writer.FlushAsync(stall.Token).ConfigureAwait(false);
        if (result.IsCanceled || result.IsCompleted)
        {
            throw new OperationCanceledException();
        }

        stall.CancelAfter(Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// Keepalive probes after 1 s of silence, 1 s apart, and <c>TCP_USER_TIMEOUT</c> = <see cref="FleetOptions.DeadAfter"/>:
    /// the kernel drops a connection whose peer vanished (power cut, cable) within it, even with pings unacknowledged.
    /// A small send buffer keeps 200 children's sockets from pinning kernel memory.
    /// </summary>
    private static void TuneSocket(HttpContext context, FleetOptions options)
    {
        if (context.Features.Get<IConnectionSocketFeature>()?.Socket is not { } socket)
        {
            return;
        }

        try
        {
            socket.SendBufferSize = 16 * 1024;
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 1);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 1);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 2);
            if (OperatingSystem.IsLinux())
            {
                // TCP_USER_TIMEOUT (18) at IPPROTO_TCP (6), in milliseconds.
                socket.SetRawSocketOption(6, 18, BitConverter.GetBytes((int)options.DeadAfter.TotalMilliseconds));
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or PlatformNotSupportedException)
        {
            // Not a socket that takes them: the write stall and the child's own silence limit still apply.
        }
    }

    [LoggerMessage(EventId = 7003, Level = LogLevel.Warning, Message = "The close of {DeviceId}'s command channel could not be recorded: {Reason}")]
    private static partial void LogNotRecorded(ILogger logger, string deviceId, string reason);
}
