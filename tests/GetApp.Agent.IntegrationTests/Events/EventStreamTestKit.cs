using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Events;
using GetApp.Agent.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace GetApp.Agent.IntegrationTests.Events;

/// <summary>Helpers shared by the event stream tests.</summary>
internal static class EventStreamTestKit
{
    /// <summary>Services giving the agent other event limits (the product's defaults are too slow to watch in a test).</summary>
    public static Action<IServiceCollection> With(EventsOptions options) => services => services.AddSingleton(options);

    /// <summary>The sequence number of an event id <c>&lt;boot&gt;-&lt;n&gt;</c>.</summary>
    public static long Sequence(string id) => long.Parse(id[(id.LastIndexOf('-') + 1)..], CultureInfo.InvariantCulture);

    public static string Boot(string id) => id[..id.LastIndexOf('-')];

    public static bool SameJson(string a, string b) => JsonNode.DeepEquals(JsonNode.Parse(a), JsonNode.Parse(b));

    public static async Task<string> GetTextAsync(TestAgent agent, string path)
    {
        using var response = await agent.Client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return text;
    }

    public static JsonElement Parse(string text) => JsonDocument.Parse(text).RootElement;
}
