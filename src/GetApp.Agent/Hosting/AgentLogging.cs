using GetApp.Agent.Core.Hosting;
using Microsoft.Extensions.Logging.Console;

namespace GetApp.Agent.Hosting;

/// <summary>
/// Where and how the agent logs: every line goes to stdout (under systemd, to the journal), one line per event, as
/// <c>text</c> (default), <c>json</c> (one object per line) or <c>systemd</c> (journald priority prefixes, no
/// timestamps). Levels: <c>--log-level</c> takes a level and/or <c>component=level</c> pairs, e.g.
/// <c>warning,delivery=debug</c>; a component is a folder of the agent (<see cref="Components"/>) or any logger category prefix.
/// </summary>
internal static class AgentLogging
{
    public const string DefaultFormat = "text";

    /// <summary>Short names for the agent's areas: <c>delivery=debug</c> means every logger under that namespace.</summary>
    public static readonly IReadOnlyDictionary<string, string> Components = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["api"] = "GetApp.Agent.Api",
        ["hosting"] = "GetApp.Agent.Hosting",
        ["delivery"] = "GetApp.Agent.Core.Delivery",
        ["deploy"] = "GetApp.Agent.Core.Deploy",
        ["device"] = "GetApp.Agent.Core.Device",
        ["discovery"] = "GetApp.Agent.Core.Discovery",
        ["releases"] = "GetApp.Agent.Core.Releases",
        ["reporting"] = "GetApp.Agent.Core.Reporting",
        ["settings"] = "GetApp.Agent.Core.Settings",
        ["storage"] = "GetApp.Agent.Core.Storage",
        ["upstream"] = "GetApp.Agent.Core.Upstream",
        ["agent"] = "GetApp.Agent",
        ["aspnetcore"] = "Microsoft.AspNetCore",
        ["kestrel"] = "Microsoft.AspNetCore.Server.Kestrel",
        ["http"] = "System.Net.Http",
    };

    private static readonly string[] Formats = ["text", "json", "systemd"];

    private static readonly Dictionary<string, LogLevel> Levels = new(StringComparer.OrdinalIgnoreCase)
    {
        ["trace"] = LogLevel.Trace,
        ["debug"] = LogLevel.Debug,
        ["information"] = LogLevel.Information,
        ["info"] = LogLevel.Information,
        ["warning"] = LogLevel.Warning,
        ["warn"] = LogLevel.Warning,
        ["error"] = LogLevel.Error,
        ["critical"] = LogLevel.Critical,
        ["none"] = LogLevel.None,
    };

    /// <summary>The minimum level (null = default) and the per-category levels; throws <see cref="AgentConfigurationException"/> on a mistake.</summary>
    public static (LogLevel? Minimum, IReadOnlyList<(string Category, LogLevel Level)> Categories, string Format) Parse(AgentOptions options)
    {
        LogLevel? minimum = null;
        var categories = new List<(string, LogLevel)>();
        foreach (var part in (options.LogLevel ?? "").Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var at = part.IndexOf('=', StringComparison.Ordinal);
            if (at < 0)
            {
                minimum = ParseLevel(part, part);
                continue;
            }

            var component = part[..at].Trim();
            var category = Components.TryGetValue(component, out var known) ? known
                : component.Contains('.', StringComparison.Ordinal) ? component
                : throw new AgentConfigurationException(
                    $"--log-level '{part}' names the unknown component '{component}': use one of {string.Join(", ", Components.Keys)}, or a logger category such as GetApp.Agent.Core.Delivery");
            categories.Add((category, ParseLevel(part[(at + 1)..].Trim(), part)));
        }

        var format = (options.LogFormat ?? DefaultFormat).Trim().ToLowerInvariant();
        if (!Formats.Contains(format))
        {
            throw new AgentConfigurationException($"--log-format '{options.LogFormat}' is not a log format: use text, json or systemd");
        }

        return (minimum, categories, format);
    }

    /// <summary>Sets the console logger up as <paramref name="options"/> say (already checked by <see cref="Parse"/>).</summary>
    public static void Configure(ILoggingBuilder logging, AgentOptions options)
    {
        var (minimum, categories, format) = Parse(options);
        logging.ClearProviders();
        switch (format)
        {
            case "json":
                logging.AddJsonConsole(o =>
                {
                    o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                    o.UseUtcTimestamp = true;
                });
                break;
            case "systemd":
                // journald adds its own timestamps and reads the <N> priority prefix (journalctl -p warning works).
                logging.AddSystemdConsole();
                break;
            default:
                logging.AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                    o.UseUtcTimestamp = true;
                });
                break;
        }

        // Everything on stdout, errors included: one stream, in order (systemd sends both to the journal anyway).
        logging.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.None);
        logging.SetMinimumLevel(minimum ?? LogLevel.Information);
        // Request-by-request framework chatter drowns the agent's own story; keep warnings and up unless asked by name.
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        // A start that fails is reported by `run` in one line; the host's own report of it is a stack trace. Its
        // Critical event (a background service stopped the host) still shows.
        logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        foreach (var (category, level) in categories)
        {
            logging.AddFilter(category, level);
        }
    }

    private static LogLevel ParseLevel(string text, string part) =>
        Levels.TryGetValue(text, out var level) ? level
            : throw new AgentConfigurationException(
                $"--log-level '{part}' is not a log level: use trace, debug, information, warning, error, critical or none, optionally per component (e.g. warning,delivery=debug)");
}
