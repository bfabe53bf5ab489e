using GetApp.Agent.Core.Storage;

namespace GetApp.Agent.ErrorHandling;

/// <summary>
/// While the data dir's disk is full, changes are refused with a 507 AppError that says so, rather than half-run and
/// failed with a 500. Reads still answer, and so do the two changes that give space back: cancelling a delivery (its
/// partial bytes are deleted) and deleting a delivered release (its artifacts are). The agent leaves this state by
/// itself once space is freed (<see cref="DiskSpaceMonitor"/>).
/// </summary>
internal sealed class DiskFullGate(RequestDelegate next, DiskSpace space)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (!space.IsFull || HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method) || FreesSpace(context.Request))
        {
            return next(context);
        }

        return AppErrorMiddleware.WriteDiskFullAsync(context, space);
    }

    private static bool FreesSpace(HttpRequest request) =>
        (HttpMethods.IsPost(request.Method) && request.Path.StartsWithSegments("/api/v2/delivery/cancel", StringComparison.Ordinal))
        || (HttpMethods.IsDelete(request.Method) && request.Path.StartsWithSegments("/api/v2/delivery", StringComparison.Ordinal));
}
