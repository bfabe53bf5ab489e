using System.Globalization;

namespace GetApp.Agent.Hosting;

/// <summary>
/// Every answer's <c>Date</c> is the agent's time when it is sent. Kestrel's own is refreshed once a second (its
/// heartbeat), so it can name the second before the current one; a child agent bounds this agent's clock by it (its
/// <c>ServerClock</c>: the time was in <c>[Date, Date + 1 s)</c> during the request), and a lagging <c>Date</c> makes that
/// bound wrong by up to a second: the child's <c>snapshotDate</c>, relayed upstream, could then be earlier than the
/// server's time of its previous discovery, and its components would be ignored.
/// </summary>
internal sealed class ExactDateHeader
{
    private readonly RequestDelegate _next;
    private readonly TimeProvider _timeProvider;
    private readonly Func<object, Task> _stamp;

    public ExactDateHeader(RequestDelegate next, TimeProvider timeProvider)
    {
        _next = next;
        _timeProvider = timeProvider;
        _stamp = Stamp;
    }

    public Task InvokeAsync(HttpContext context)
    {
        context.Response.OnStarting(_stamp, context);
        return _next(context);
    }

    private Task Stamp(object state)
    {
        ((HttpContext)state).Response.Headers.Date = _timeProvider.GetUtcNow().ToString("r", CultureInfo.InvariantCulture);
        return Task.CompletedTask;
    }
}
