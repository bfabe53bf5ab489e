namespace GetApp.Agent.Dashboard;

/// <summary>The dashboard's log lines (event ids 5200–5399).</summary>
internal static partial class DashboardLog
{
    /// <summary>Once the agent listens: where a person opens the dashboard.</summary>
    [LoggerMessage(EventId = 5200, Level = LogLevel.Information, Message = "Dashboard: open {Url} in a browser")]
    public static partial void Where(ILogger logger, string url);
}
