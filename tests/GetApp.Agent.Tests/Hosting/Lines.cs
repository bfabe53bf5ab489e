using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Tests.Hosting;

/// <summary>A logger that keeps every line with its event id.</summary>
internal sealed class Lines : ILogger
{
    public System.Collections.Concurrent.ConcurrentQueue<(EventId Id, string Message)> Logged { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Logged.Enqueue((eventId, formatter(state, exception)));
}
