using System.Diagnostics.Tracing;
using System.Text.RegularExpressions;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Hosting;

/// <summary>
/// Nothing the container makes from an open options or logger registration while the agent starts could have been
/// registered closed (ClosedOptions, ClosedLoggers): in the Native AOT binary each such type is built at run time.
/// </summary>
public sealed partial class ClosedOptionsTests
{
    [Fact]
    public async Task AgentStartAndFirstAnswer_BuildsNoOpenGenericOptionsOrLoggerOfAPublicType()
    {
        using var listener = new CallSiteListener();
        using var catalog = new TestCatalog().Write();
        await using var agent = await TestAgent.StartAsync(catalog.Path);
        await agent.Client.GetAsync("/api/v2/device/releases");

        var built = listener.For(agent.Services.GetHashCode())
            .SelectMany(site => OpenGenericMade().Matches(site).Select(m => (Made: m.Groups["made"].Value, Argument: m.Groups["argument"].Value)))
            .Distinct()
            .ToList();
        // The container does make some (of the framework's internal types), so the listener is known to see them.
        Assert.Contains(built, b => b.Made.StartsWith("Microsoft.Extensions.Logging.Logger", StringComparison.Ordinal));
        var nameable = built.Where(b => FindType(b.Argument) is { IsVisible: true }).Select(b => $"{b.Made}[{b.Argument}]").ToList();
        Assert.Empty(nameable);
    }

    private static Type? FindType(string name) =>
        AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(name, throwOnError: false)).FirstOrDefault(t => t is not null);

    [GeneratedRegex("""
        "implementationType":\s*"(?<made>Microsoft\.Extensions\.(?:Options\.(?:OptionsFactory|OptionsMonitor|OptionsCache|UnnamedOptionsManager|OptionsManager)|Logging\.Logger)`1)\[(?<argument>[^\]\[,]+)\]"
        """, RegexOptions.IgnorePatternWhitespace)]
    private static partial Regex OpenGenericMade();

    /// <summary>The container's own event source: each call site it builds, with the provider that built it.</summary>
    private sealed class CallSiteListener : EventListener
    {
        private readonly List<(int Provider, string Site)> _sites = [];

        public IReadOnlyList<string> For(int provider)
        {
            lock (_sites)
            {
                return [.. _sites.Where(s => s.Provider == provider).Select(s => s.Site)];
            }
        }

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "Microsoft-Extensions-DependencyInjection")
            {
                EnableEvents(eventSource, EventLevel.Verbose, EventKeywords.All);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.EventName != "CallSiteBuilt" || eventData.PayloadNames is not { } names || eventData.Payload is not { } payload)
            {
                return;
            }

            var provider = names.IndexOf("serviceProviderHashCode") is var p and >= 0 ? Convert.ToInt32(payload[p], System.Globalization.CultureInfo.InvariantCulture) : 0;
            var site = names.IndexOf("callSite") is var c and >= 0 ? payload[c]?.ToString() ?? "" : "";
            lock (_sites)
            {
                _sites.Add((provider, site));
            }
        }
    }
}
