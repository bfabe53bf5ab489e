using GetApp.Agent.Core.Events;

namespace GetApp.Agent.Api;

/// <summary>
/// The event streams (docs/events.md): GetApp's <c>/api/v2/events/{offering,delivery,deploy,notifications,getconfig}</c>,
/// this agent's <c>/api/v2/events/agent</c> (the device summary), and <c>/api/v2/events?streams=...</c>, several streams
/// on one connection with named events (a browser allows only six connections per host).
/// </summary>
internal static class EventsApi
{
    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v2/events", (HttpContext context, string? streams, EventHub hub, EventsOptions options, ILoggerFactory loggers) =>
        {
            var selected = EventStreamNames.ParseList(streams, out var problem);
            return problem is not null
                ? Task.FromResult(ApiResults.BadRequest(problem))
                : StreamAsync(context, selected, named: true, hub, options, loggers);
        });

        foreach (var stream in EventStreamNames.Each)
        {
            app.MapGet($"/api/v2/events/{EventStreamNames.PathOf(stream)}", (HttpContext context, EventHub hub, EventsOptions options, ILoggerFactory loggers) =>
                StreamAsync(context, stream, named: false, hub, options, loggers));
        }

        return app;
    }

    private static async Task<IResult> StreamAsync(HttpContext context, EventStreams streams, bool named, EventHub hub, EventsOptions options, ILoggerFactory loggers)
    {
        var stream = new ServerSentEventStream(context, hub, options, loggers.CreateLogger("GetApp.Agent.Events"));
        await stream.RunAsync(streams, named).ConfigureAwait(false);
        return Results.Empty;
    }
}
