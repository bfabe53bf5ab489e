using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.IntegrationTests.Infrastructure;

/// <summary>An in-process agent's log lines (event id, level, message), for tests that check what the agent tells its operator.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<LogLine> _lines = new();

    public IReadOnlyList<LogLine> Lines => [.. _lines];

    /// <summary>Adds this provider to an agent's services.</summary>
    public void AddTo(IServiceCollection services) => services.AddSingleton<ILoggerProvider>(this);

    public IReadOnlyList<LogLine> WithEventId(int id) => Lines.Where(l => l.EventId == id).ToList();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                owner._lines.Enqueue(new LogLine(category, logLevel, eventId.Id, formatter(state, exception)));
            }
        }
    }
}

/// <summary>One log line.</summary>
public sealed record LogLine(string Category, LogLevel Level, int EventId, string Message);
