using System.Net.Http.Headers;
using System.Text;

namespace GetApp.Agent.Chaos.Harness;

/// <summary>What every scenario gets: the options, the figures, its own seeded random source and work folder.</summary>
public sealed class ChaosContext(ChaosOptions options, Figures figures, string scenario)
{
    public ChaosOptions Options { get; } = options;
    public Figures Figures { get; } = figures;
    public string Scenario { get; } = scenario;

    /// <summary>Seeded by the run's seed and the scenario's name: a scenario's choices do not depend on which others ran.</summary>
    public Random Random { get; } = new(options.Seed ^ StableHash(scenario));

    public string WorkDir { get; } = Directory.CreateDirectory(Path.Combine(options.WorkRoot, scenario)).FullName;

    public string PathOf(params string[] parts) => Path.Combine([WorkDir, .. parts]);

    /// <summary>A launch of the published agent on a data dir of this scenario, with its output in <c>logs/</c>.</summary>
    public AgentLaunch Launch(string name, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? dataDir = null) =>
        new(Options.Binary, dataDir ?? PathOf(name, "data"), arguments, PathOf("logs", $"{name}.log"))
        {
            Environment = environment ?? new Dictionary<string, string>(),
        };

    /// <summary>
    /// One API call of the harness; a 5xx is counted (and is a violation) wherever it happens, unless it is one the API
    /// documents and <paramref name="documented"/> accepts (502 InvalidCatalog for a hostile catalog, 507 on a full disk).
    /// </summary>
    public async Task<(int Status, string Body)> CallAsync(AgentUnderTest agent, HttpMethod method, string path, string? json = null, TimeSpan? timeout = null,
        Func<int, string, bool>? documented = null)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        Figures.Request();
        using var response = await agent.Client.SendAsync(request, cts.Token);
        var body = await response.Content.ReadAsStringAsync(cts.Token);
        var status = (int)response.StatusCode;
        if (status >= 500 && documented?.Invoke(status, body) != true)
        {
            Figures.ServerError(Scenario, $"{method} {path} → {status} {ReleaseStatus.Shorten(body)}");
        }

        return (status, body);
    }

    public static int StableHash(string text)
    {
        var hash = 17;
        foreach (var c in text)
        {
            hash = unchecked((hash * 31) + c);
        }

        return hash;
    }

    /// <summary>Accepts the AppError named <paramref name="name"/> with <paramref name="status"/>.</summary>
    public static Func<int, string, bool> Documented(int status, string name) =>
        (code, body) => code == status && body.Contains($"\"name\":\"{name}\"", StringComparison.Ordinal);
}
