using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Tests.Fleet;

/// <summary>Keeps what is logged (event id, level, message), for tests that check a warning was written.</summary>
internal sealed class RecordingLogger<T> : ILogger<T>
{
    private readonly List<(int Id, LogLevel Level, string Message)> _entries = [];

    public IReadOnlyList<(int Id, LogLevel Level, string Message)> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_entries)
        {
            _entries.Add((eventId.Id, logLevel, formatter(state, exception)));
        }
    }
}
