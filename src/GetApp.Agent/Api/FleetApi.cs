using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Events;
using GetApp.Agent.Core.Fleet;
using GetApp.Agent.Core.Releases;

namespace GetApp.Agent.Api;

/// <summary>
/// Fleet control, the operator's side (docs/fleet.md): actions on children (<c>POST /api/cdn/devices/action</c>, queued
/// for those offline), decisions on their orchestration, the commands and their outcomes, forgetting a child, and the
/// fleet view as JSON (<c>GET /api/cdn/fleet</c>) and as an event stream (<c>GET /api/cdn/events/fleet</c>). These routes
/// ask for the device secret like the rest of the local API, never for a children secret.
/// </summary>
internal static class FleetApi
{
    private static readonly string[] ActionFields = ["action", "catalogId", "deviceIds", "expiresInSeconds"];

    public static IEndpointRouteBuilder MapFleetApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/cdn/devices/action", ActionAsync);
        app.MapPost("/api/cdn/devices/orchestration", OrchestrationAsync);
        app.MapGet("/api/cdn/devices/commands", CommandsAsync);
        app.MapGet("/api/cdn/devices/commands/{commandId}", CommandAsync);
        app.MapDelete("/api/cdn/devices/commands/{commandId}", CancelAsync);
        app.MapDelete("/api/cdn/devices/{deviceId}", ForgetAsync);
        app.MapGet("/api/cdn/fleet", async (FleetView view, CancellationToken ct) =>
            Results.Json(await view.FleetAsync(ct).ConfigureAwait(false), FleetJson.Context.IReadOnlyListFleetDeviceDto));
        app.MapGet("/api/cdn/events/fleet", async (HttpContext context, EventHub hub, EventsOptions options, ILoggerFactory loggers) =>
        {
            await new ServerSentEventStream(context, hub, options, loggers.CreateLogger("GetApp.Agent.Events")).RunAsync(EventStreams.Fleet, named: false).ConfigureAwait(false);
            return Results.Empty;
        });
        return app;
    }

    internal static async Task<IResult> ActionAsync(HttpContext context, FleetDispatcher dispatcher, FleetOptions options, CancellationToken cancellationToken)
    {
        var (body, error) = await JsonBody.ReadObjectAsync(context.Request, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        if (ParseAction(body!, options, out var problem) is not { } request)
        {
            return ApiResults.BadRequest($"invalid action: {problem}");
        }

        var outcome = await dispatcher.SubmitAsync(request, cancellationToken).ConfigureAwait(false);
        return outcome.Answer is { } answer
            ? Results.Json(answer, FleetJson.Context.FleetActionAnswerDto, statusCode: StatusCodes.Status202Accepted)
            : outcome.StatusCode == StatusCodes.Status404NotFound ? ApiResults.NotFound(outcome.Problem!) : ApiResults.Conflict(outcome.Problem!);
    }

    /// <summary>The body of an action, checked field by field; null and the first problem when it is not valid.</summary>
    internal static FleetActionRequest? ParseAction(JsonObject body, FleetOptions options, out string? problem)
    {
        problem = body.Select(p => p.Key).FirstOrDefault(k => !ActionFields.Contains(k)) is { } unknown
            ? $"'{unknown}' is not a field of an action (known: {string.Join(", ", ActionFields)})"
            : null;
        var action = body["action"] is JsonValue a && a.TryGetValue<string>(out var name) ? FleetActions.Parse(name) : null;
        if (problem is null && action is null)
        {
            problem = $"action must be one of {string.Join(", ", FleetActions.All.Select(FleetActions.NameOf))}";
        }

        string? catalogId = null;
        if (problem is null && action is { } act)
        {
            var given = body["catalogId"];
            if (FleetActions.NeedsRelease(act))
            {
                if (!(given is JsonValue c && c.TryGetValue<string>(out catalogId)))
                {
                    problem = $"catalogId (a string) is required by {FleetActions.NameOf(act)}";
                }
                else if (!CatalogIdRules.IsWellFormed(catalogId, out var bad))
                {
                    problem = $"catalogId is not valid: {bad}";
                }
            }
            else if (given is not null)
            {
                problem = $"{FleetActions.NameOf(act)} is about the device: give no catalogId";
            }
        }

        var deviceIds = new List<string>();
        if (problem is null && body["deviceIds"] is { } ids)
        {
            problem = ReadDeviceIds(ids, options.MaxDevicesPerAction, deviceIds, allowEmpty: true);
        }

        TimeSpan? expiresIn = null;
        if (problem is null && body["expiresInSeconds"] is { } expiry)
        {
            var max = (long)options.MaxExpiry.TotalSeconds;
            if (expiry is JsonValue e && e.GetValueKind() == JsonValueKind.Number && e.TryGetValue<long>(out var seconds) && seconds is >= 1 && seconds <= max)
            {
                expiresIn = TimeSpan.FromSeconds(seconds);
            }
            else
            {
                problem = $"expiresInSeconds must be a whole number between 1 and {max}";
            }
        }

        return problem is null ? new FleetActionRequest(action!.Value, catalogId, deviceIds, expiresIn) : null;
    }

    internal static async Task<IResult> OrchestrationAsync(HttpContext context, FleetDispatcher dispatcher, FleetOptions options, CancellationToken cancellationToken)
    {
        var (body, error) = await JsonBody.ReadObjectAsync(context.Request, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        var deviceIds = new List<string>();
        var problem = body!.Select(p => p.Key).FirstOrDefault(k => k is not ("deviceIds" or "decision")) is { } unknown
            ? $"'{unknown}' is not a field (known: deviceIds, decision)"
            : body!["deviceIds"] is { } ids ? ReadDeviceIds(ids, options.MaxDevicesPerAction, deviceIds, allowEmpty: false) : "deviceIds (an array of device ids) is required";
        var decision = body!["decision"] is JsonValue d && d.TryGetValue<string>(out var text) ? text : null;
        if (problem is null && decision is not ("accept" or "refuse"))
        {
            problem = "decision must be 'accept' or 'refuse'";
        }

        if (problem is not null)
        {
            return ApiResults.BadRequest($"invalid orchestration decision: {problem}");
        }

        if (await dispatcher.RefusalAsync(cancellationToken).ConfigureAwait(false) is { } refusal)
        {
            return ApiResults.Conflict(refusal);
        }

        var (children, refused, notFound) = await dispatcher.DecideAsync(deviceIds, decision == "accept", cancellationToken).ConfigureAwait(false);
        if (children is null)
        {
            return notFound ? ApiResults.NotFound(refused!) : ApiResults.Conflict(refused!);
        }

        var answer = new List<Core.Contracts.CdnDeviceDto>();
        var view = context.RequestServices.GetRequiredService<FleetView>();
        foreach (var entry in await view.DevicesAsync(deviceIds, new FleetFilter(Core.Parent.ChildFilter.All), cancellationToken).ConfigureAwait(false))
        {
            answer.Add(entry);
        }

        return Results.Json<IReadOnlyList<Core.Contracts.CdnDeviceDto>>(answer, FleetJson.Context.IReadOnlyListCdnDeviceDto);
    }

    internal static async Task<IResult> CommandsAsync(HttpContext context, FleetCommandStore store, CancellationToken cancellationToken)
    {
        var query = context.Request.Query;
        var statuses = new List<FleetCommandStatus>();
        foreach (var value in query["status"].OfType<string>().SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (FleetActions.ParseStatus(value) is not { } status)
            {
                return ApiResults.BadRequest($"status must be among {string.Join(", ", FleetActions.Statuses.Select(FleetActions.NameOf))}");
            }

            statuses.Add(status);
        }

        var limit = 100;
        if (query["limit"].ToString() is { Length: > 0 } text && !(int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out limit) && limit is >= 1 and <= 1000))
        {
            return ApiResults.BadRequest("limit must be a whole number between 1 and 1000");
        }

        var list = await store.ListAsync(CdnApi.DeviceIds(context), statuses, limit, cancellationToken).ConfigureAwait(false);
        return Results.Json<IReadOnlyList<FleetCommandDto>>([.. list.Select(FleetCommandDto.From)], FleetJson.Context.IReadOnlyListFleetCommandDto);
    }

    internal static async Task<IResult> CommandAsync(string commandId, FleetCommandStore store, CancellationToken cancellationToken) =>
        CheckCommandId(commandId) ?? (await store.FindAsync(commandId, cancellationToken).ConfigureAwait(false) is { } command
            ? Results.Json(FleetCommandDto.From(command), FleetJson.Context.FleetCommandDto)
            : ApiResults.NotFound($"command '{commandId}' is not known to this agent"));

    internal static async Task<IResult> CancelAsync(string commandId, FleetDispatcher dispatcher, CancellationToken cancellationToken)
    {
        if (CheckCommandId(commandId) is { } invalid)
        {
            return invalid;
        }

        var (command, cancelled) = await dispatcher.CancelAsync(commandId, cancellationToken).ConfigureAwait(false);
        return command is null ? ApiResults.NotFound($"command '{commandId}' is not known to this agent")
            : cancelled ? Results.Json(FleetCommandDto.From(command), FleetJson.Context.FleetCommandDto)
            : ApiResults.Conflict($"command '{commandId}' is {FleetActions.NameOf(command.Status)}: only a command not sent yet (pending) can be cancelled");
    }

    internal static async Task<IResult> ForgetAsync(string deviceId, FleetDispatcher dispatcher, CancellationToken cancellationToken)
    {
        if (Core.Device.DeviceIdentity.Check(deviceId) is { } bad)
        {
            return ApiResults.BadRequest($"invalid device id: {bad}");
        }

        return await dispatcher.ForgetAsync(deviceId, "forgotten by the operator", cancellationToken).ConfigureAwait(false)
            ? Results.NoContent()
            : ApiResults.NotFound($"device '{deviceId}' is not a child of this agent");
    }

    /// <summary>Reads an array of device ids into <paramref name="into"/> (distinct, in order); the problem, or null.</summary>
    internal static string? ReadDeviceIds(JsonNode ids, int max, List<string> into, bool allowEmpty)
    {
        if (ids is not JsonArray array)
        {
            return "deviceIds must be an array of device ids";
        }

        if (array.Count > max)
        {
            return $"deviceIds names {array.Count} devices; at most {max} per request";
        }

        if (array.Count == 0 && !allowEmpty)
        {
            return "deviceIds must name at least one device";
        }

        foreach (var id in array)
        {
            if (!(id is JsonValue v && v.TryGetValue<string>(out var text)) || Core.Device.DeviceIdentity.Check(text) is not null)
            {
                return $"deviceIds must hold device ids (non-empty strings of at most {Core.Device.DeviceIdentity.MaxLength} printable characters)";
            }

            if (!into.Contains(text))
            {
                into.Add(text);
            }
        }

        return null;
    }

    internal static IResult? CheckCommandId(string commandId) =>
        commandId.Length is > 0 and <= 100 && commandId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            ? null
            : ApiResults.BadRequest("invalid command id: letters, digits, '-' and '_', at most 100");
}
