using System.Text.Json;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.IntegrationTests.Dashboard;

/// <summary>
/// The page's own text/event-stream parser (<c>www/sse.js</c>: it reads the streams with fetch() to send Device-Auth,
/// so it cannot lean on EventSource), run in the browser on the agent's wire format and the spec's corner cases, with
/// the input cut at every possible place, as the network may cut it.
/// </summary>
[Collection(DashboardBrowserCollection.Name)]
public sealed class SseParserTests(DashboardBrowser browser)
{
    private const string Parse = """
        async ([text, cuts]) => {
          const { SseParser } = await import('./dashboard/sse.js');
          const events = [];
          let retry = null;
          const parser = new SseParser((e) => events.push(e), (ms) => { retry = ms; });
          let at = 0;
          for (const cut of [...cuts, text.length]) { parser.feed(text.slice(at, cut)); at = cut; }
          return JSON.stringify({ events, retry });
        }
        """;

    [BrowserFact]
    public async Task AgentWireFormatAndSpecCornerCases_ParseTheSame_HoweverTheTextIsCut()
    {
        await using var agent = await TestAgent.StartAsync();
        await using var page = await browser.OpenAsync(agent.BaseAddress);
        await page.GotoAsync();
        const string Text = "retry: 3000\r\n\r\n"
            + "event: reset\ndata: {\"stream\":\"delivery\"}\n\n"
            + ": ping\n\n"
            + "id: 18c-57\r\nevent: delivery\r\ndata: {\"a\":1}\r\n\r\n"
            + "data: first\rdata:second\r\r"       // CR line ends; no space after the colon
            + "id\ndata\n\n"                         // a field with no value: the id is reset, the data is one empty line
            + "event: ignored\n\n"                   // no data: nothing is dispatched
            + "id: bad\0id\ndata: x\n\n";            // an id with NUL is ignored: the last one stays

        var whole = await ParseAsync(page, Text, []);
        var events = whole.GetProperty("events").EnumerateArray()
            .Select(e => (Type: e.GetProperty("type").GetString(), Data: e.GetProperty("data").GetString(), Id: e.GetProperty("id").GetString())).ToList();

        Assert.Equal(3000, whole.GetProperty("retry").GetInt32());
        Assert.Equal(
        [
            ("reset", "{\"stream\":\"delivery\"}", ""),
            ("delivery", "{\"a\":1}", "18c-57"),
            ("message", "first\nsecond", "18c-57"),
            ("message", "", ""),
            ("message", "x", ""),
        ], events);

        // Cut everywhere (a CRLF split between two reads must still be one line end).
        for (var cut = 1; cut < Text.Length; cut++)
        {
            var split = await ParseAsync(page, Text, [cut]);
            Assert.Equal(whole.GetRawText(), split.GetRawText());
        }

        var byChar = await ParseAsync(page, Text, [.. Enumerable.Range(1, Text.Length - 1)]);
        Assert.Equal(whole.GetRawText(), byChar.GetRawText());
        page.AssertNoScriptErrors();
    }

    private static async Task<JsonElement> ParseAsync(DashboardPage page, string text, int[] cuts) =>
        JsonDocument.Parse(await page.Page.EvaluateAsync<string>(Parse, new object[] { text, cuts })).RootElement;
}
