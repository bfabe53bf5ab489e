using System.Security.Cryptography;
using System.Text.Json.Nodes;
using GetApp.Agent.Chaos.Harness;
using GetApp.Agent.IntegrationTests.Infrastructure;

namespace GetApp.Agent.Chaos.Scenarios;

/// <summary>
/// A hostile catalog on a stick: links to / and to folders outside, <c>..</c> plain and encoded, absolute paths and
/// <c>file://</c> URLs, catalog.json itself a link, a size probe, and a link swapped in after the catalog was checked
/// (raced many times). Every artifact declares the exact size and hash of a file outside the catalog, so only the path
/// can stop it: a delivery that succeeds read outside. Hostile names from an origin must land inside the data dir.
/// Nothing outside the catalog and the data dir may be read, described or written.
/// </summary>
public sealed class TraversalScenario : IScenario
{
    private static readonly Func<int, string, bool> InvalidCatalog = ChaosContext.Documented(502, "InvalidCatalog");

    public string Name => "traversal";

    public async Task RunAsync(ChaosContext ctx)
    {
        var outside = Directory.CreateDirectory(ctx.PathOf("outside")).FullName;
        var secret = new byte[7777];
        new Random(ctx.Options.Seed).NextBytes(secret);
        var secretPath = Path.Combine(outside, "secret.bin");
        await File.WriteAllBytesAsync(secretPath, secret);
        var secretHash = Convert.ToHexStringLower(SHA256.HashData(secret));
        var catalogDir = Directory.CreateDirectory(ctx.PathOf("catalog")).FullName;
        var files = Directory.CreateDirectory(Path.Combine(catalogDir, "files")).FullName;
        Directory.CreateSymbolicLink(Path.Combine(files, "rootlink"), "/");
        Directory.CreateSymbolicLink(Path.Combine(files, "outlink"), outside);
        File.CreateSymbolicLink(Path.Combine(files, "secret-link.bin"), secretPath);
        Directory.CreateSymbolicLink(Path.Combine(files, "uplink"), "../..");
        var relativeToWork = Path.GetRelativePath(ctx.WorkDir, secretPath);
        var outsideCatalog = Path.Combine(outside, "catalog.json");
        await File.WriteAllTextAsync(outsideCatalog, new JsonObject { ["releases"] = new JsonArray(Entry("449.outside@1.0.0", "secret.bin", secret.Length, secretHash)) }.ToJsonString());
        var before = Snapshot(ctx.WorkDir, catalogDir);

        var cases = new (string Name, string Url, long Size)[]
        {
            ("link to / in the middle of the path", "files/rootlink" + secretPath, secret.Length),
            ("link to a folder outside", "files/outlink/secret.bin", secret.Length),
            ("file link to a file outside", "files/secret-link.bin", secret.Length),
            ("relative link up out of the catalog", $"files/uplink/{relativeToWork}", secret.Length),
            ("..", $"../{relativeToWork}", secret.Length),
            ("encoded ..", $"files/..%2F..%2F{Uri.EscapeDataString(relativeToWork)}", secret.Length),
            ("encoded dots", $"files/%2e%2e/%2e%2e/{relativeToWork}", secret.Length),
            ("absolute path", secretPath, secret.Length),
            ("file:// URL", new Uri(secretPath).AbsoluteUri, secret.Length),
            ("size probe through a link", "files/outlink/secret.bin", 1000),
        };

        await File.WriteAllTextAsync(Path.Combine(catalogDir, "catalog.json"), """{"releases":[]}""");
        await using var agent = await AgentUnderTest.StartAsync(ctx.Launch("agent", ["--catalog", catalogDir]));
        var outcomes = new List<string>();
        var n = 0;
        foreach (var (name, url, size) in cases)
        {
            var id = $"{450 + n++}.trap@1.0.0";
            WriteCatalog(catalogDir, Entry(id, url, size, secretHash));
            var outcome = await TryDeliverAsync(ctx, agent, id, name, secret);
            if (outcome.Contains("7777", StringComparison.Ordinal) && size != secret.Length)
            {
                ctx.Figures.Violation(Name, $"{name}: the answer tells the size of the file outside the catalog: {outcome}");
            }

            outcomes.Add($"{name}: {outcome}");
        }

        // catalog.json itself a link to a catalog outside.
        File.Delete(Path.Combine(catalogDir, "catalog.json"));
        File.CreateSymbolicLink(Path.Combine(catalogDir, "catalog.json"), outsideCatalog);
        outcomes.Add($"catalog.json links outside: {await TryDeliverAsync(ctx, agent, "449.outside@1.0.0", "catalog.json links outside", secret)}");
        File.Delete(Path.Combine(catalogDir, "catalog.json"));

        outcomes.Add($"link swapped after the check: {await SwapRaceAsync(ctx, agent, catalogDir, secret, secretPath, secretHash)}");
        var delivered = new Dictionary<string, ChaosRelease>(StringComparer.Ordinal);
        outcomes.Add($"hostile names from an origin: {await HostileNamesAsync(ctx, agent, catalogDir, delivered)}");
        foreach (var line in outcomes)
        {
            Console.WriteLine($"  traversal: {line}");
        }

        // Nothing written outside the catalog and the data dir; the file outside unchanged.
        var after = Snapshot(ctx.WorkDir, catalogDir);
        foreach (var added in after.Keys.Except(before.Keys))
        {
            ctx.Figures.Violation(Name, $"a file appeared outside the catalog and the data dir: {added}");
        }

        foreach (var (path, hash) in before.Where(b => after.TryGetValue(b.Key, out var now) && now != b.Value))
        {
            ctx.Figures.Violation(Name, $"a file outside the catalog and the data dir changed: {path} (was {hash[..12]}…)");
        }

        foreach (var probe in new[] { "/escape-chaos", "/tmp/escape-chaos", Path.Combine(ctx.Options.WorkRoot, "escape-chaos") })
        {
            if (File.Exists(probe) || Directory.Exists(probe))
            {
                ctx.Figures.Violation(Name, $"{probe} was written");
                File.Delete(probe);
            }
        }

        await new Invariants(Name, ctx.Figures, delivered).CheckAsync(agent, "after the traversal tricks");
    }

    /// <summary>Discovery, then a start: refused (502 InvalidCatalog, not offered, or Error) is right; delivered means it read outside.</summary>
    private async Task<string> TryDeliverAsync(ChaosContext ctx, AgentUnderTest agent, string id, string name, byte[] secret)
    {
        var (discovered, body) = await ctx.CallAsync(agent, HttpMethod.Post, "api/v2/triggers/discover-component", documented: InvalidCatalog);
        if (discovered == 502)
        {
            return $"refused at discovery: {Message(body)}";
        }

        var (started, startBody) = await ctx.CallAsync(agent, HttpMethod.Post, $"api/v2/delivery/start/{Uri.EscapeDataString(id)}");
        if (started != 200)
        {
            return $"start answered {started}: {Message(startBody)}";
        }

        var state = await ReleaseStates.WaitForAsync(agent, id, s => s.IsDelivered || s.Status is "Error", TimeSpan.FromSeconds(60));
        if (state is null)
        {
            ctx.Figures.Violation(Name, $"{name}: {id} did not settle within 60 s: {await ReleaseStates.GetAsync(agent, id)}");
            return "unsettled";
        }

        if (state.IsDelivered)
        {
            var delivered = state.ArtsDirPath is { } dir && Directory.Exists(dir) ? Directory.GetFiles(dir) : [];
            var leaked = delivered.Any(f => File.ReadAllBytes(f).AsSpan().SequenceEqual(secret));
            ctx.Figures.Violation(Name, $"{name}: {id} was delivered{(leaked ? " with the bytes of the file outside the catalog" : "")}: {state}");
            if (leaked)
            {
                ctx.Figures.CorruptOne(Name, $"{name}: a file outside the catalog was read and delivered");
            }

            return "DELIVERED";
        }

        await ctx.CallAsync(agent, HttpMethod.Post, $"api/v2/delivery/cancel/{Uri.EscapeDataString(id)}");
        return $"Error: {state.ErrMsg}";
    }

    /// <summary>
    /// A file that is inside the catalog when it is checked, and a link to the file outside a moment later, flipped
    /// back and forth while the agent delivers it again and again. The declared hash is the outside file's: only the
    /// check of what was really opened can stop it.
    /// </summary>
    private async Task<string> SwapRaceAsync(ChaosContext ctx, AgentUnderTest agent, string catalogDir, byte[] secret, string secretPath, string secretHash)
    {
        const string Id = "448.swap@1.0.0";
        var swap = Path.Combine(catalogDir, "files", "swap.bin");
        var inside = new byte[secret.Length];
        inside.AsSpan().Fill((byte)'i');
        var regular = swap + ".regular";
        var link = swap + ".link";
        await File.WriteAllBytesAsync(swap, inside);
        WriteCatalog(catalogDir, Entry(Id, "files/swap.bin", secret.Length, secretHash));
        using var stop = new CancellationTokenSource();
        var flips = 0L;
        var flipRandom = new Random(ctx.Random.Next());
        var flipper = new Thread(() =>
        {
            // rename(2) replaces swap.bin atomically, with a regular file or with a link, over and over; the file stays
            // longer than the link, so the catalog check mostly passes and the open that follows meets either.
            while (!stop.IsCancellationRequested)
            {
                File.WriteAllBytes(regular, inside);
                File.Move(regular, swap, overwrite: true);
                Thread.SpinWait(flipRandom.Next(0, 80_000));
                File.CreateSymbolicLink(link, secretPath);
                File.Move(link, swap, overwrite: true);
                Thread.SpinWait(flipRandom.Next(0, 10_000));
                flips++;
            }
        }) { IsBackground = true, Name = "link flipper" };
        flipper.Start();
        var attempts = ctx.Options.IsLong ? 400 : 40;
        var tally = new Dictionary<string, int>(StringComparer.Ordinal);
        var examples = new Dictionary<string, string>(StringComparer.Ordinal);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            for (var i = 0; i < attempts; i++)
            {
                var outcome = await TryDeliverAsync(ctx, agent, Id, "link swapped after the check", secret);
                var kind = outcome.Contains("now leads somewhere else", StringComparison.Ordinal) ? "refused: the opened file is not the checked one"
                    : outcome.Contains("mismatch", StringComparison.Ordinal) ? "Error: hash mismatch (read the file inside)"
                    : outcome.StartsWith("refused at discovery", StringComparison.Ordinal) ? "refused at discovery (the link was there)"
                    : outcome.StartsWith("Error", StringComparison.Ordinal) && outcome.Contains("outside", StringComparison.Ordinal) ? "Error: leads outside (the link was there at prepare)"
                    : outcome;
                tally[kind] = tally.GetValueOrDefault(kind) + 1;
                examples.TryAdd(kind, outcome);
            }
        }
        finally
        {
            await stop.CancelAsync();
            flipper.Join();
            File.Delete(swap);
            File.Delete(regular);
            File.Delete(link);
        }

        ctx.Figures.Fault(attempts);
        foreach (var (kind, example) in examples)
        {
            Console.WriteLine($"  traversal: swap race, e.g. {kind}: {example}");
        }

        return $"{attempts} deliveries in {clock.Elapsed.TotalSeconds:0.0} s while the file flipped {flips:N0} times: " + string.Join("; ", tally.Select(t => $"{t.Key} ×{t.Value}"));
    }

    /// <summary>
    /// Artifact names an origin chooses (encoded <c>..</c>, slashes, absolute paths), one release each: whatever is
    /// delivered must land inside comps/, and nothing may be written anywhere else.
    /// </summary>
    private async Task<string> HostileNamesAsync(ChaosContext ctx, AgentUnderTest agent, string catalogDir, Dictionary<string, ChaosRelease> models)
    {
        await using var liar = new LyingOrigin();
        await using var origin = await TestOrigin.StartAsync();
        var names = new[] { "../../../../escape-chaos", "/tmp/escape-chaos", "a/../../escape-chaos", "%2e%2e%2fescape-chaos", "..", "escape-chaos\\..\\..", ".escape-chaos" };
        var comps = Path.GetFullPath(Path.Combine(agent.DataDir, "comps")) + "/";
        var outcomes = new List<string>();
        for (var i = 0; i < names.Length; i++)
        {
            var id = $"{440 + i}.names@1.0.0";
            var file = origin.AddFile($"name-{i}", 1000 + i, seed: 440 + i);
            // The lying origin serves it under the hostile name (the last segment of the path, unescaped).
            var url = liar.Add(file, LyingFault.None, servedAs: names[i]).Url.AbsoluteUri;
            var model = new ChaosRelease(id);
            model.Artifacts.Add(ChaosCatalog.Http(file, url));
            models[id] = model;
            WriteCatalog(catalogDir, new JsonObject
            {
                ["release"] = TestCatalog.Release(id),
                ["isPush"] = false,
                ["dependedOnBy"] = new JsonArray(),
                ["artifacts"] = new JsonArray(new JsonObject
                {
                    ["itemKey"] = $"{id}@file",
                    ["artifactType"] = "software",
                    ["url"] = url,
                    ["size"] = file.Size,
                    ["hash"] = new JsonObject { ["algorithm"] = "SHA256Hex", ["hash"] = file.Sha256Hex },
                }),
            });
            var (discovered, body) = await ctx.CallAsync(agent, HttpMethod.Post, "api/v2/triggers/discover-component", documented: InvalidCatalog);
            if (discovered == 502)
            {
                outcomes.Add($"'{names[i]}' refused at discovery ({Message(body)})");
                continue;
            }

            await ctx.CallAsync(agent, HttpMethod.Post, $"api/v2/delivery/start/{Uri.EscapeDataString(id)}");
            var state = await ReleaseStates.WaitForAsync(agent, id, s => s.IsDelivered || s.Status is "Error", TimeSpan.FromSeconds(60));
            if (state?.IsDelivered != true)
            {
                outcomes.Add($"'{names[i]}' {(state is null ? "unsettled" : "Error: " + state.ErrMsg)}");
                continue;
            }

            var dir = state.ArtsDirPath is { } d ? Path.GetFullPath(d) + "/" : "";
            var delivered = dir.Length > 0 && Directory.Exists(dir) ? Directory.GetFiles(dir).Select(Path.GetFileName).ToArray() : [];
            if (!dir.StartsWith(comps, StringComparison.Ordinal) || delivered.Length != 1)
            {
                ctx.Figures.Violation(Name, $"hostile name '{names[i]}': delivered into {state.ArtsDirPath} ({string.Join(", ", delivered)}), not one file inside {comps}");
            }

            outcomes.Add($"'{names[i]}' delivered as '{string.Join(", ", delivered)}'");
        }

        return string.Join("; ", outcomes);
    }

    private static JsonObject Entry(string id, string url, long size, string sha256Hex) => new()
    {
        ["release"] = TestCatalog.Release(id),
        ["isPush"] = false,
        ["dependedOnBy"] = new JsonArray(),
        ["artifacts"] = new JsonArray(new JsonObject
        {
            ["itemKey"] = $"{id}@{Path.GetFileName(url)}",
            ["artifactType"] = "software",
            ["url"] = url,
            ["size"] = size,
            ["hash"] = new JsonObject { ["algorithm"] = "SHA256Hex", ["hash"] = sha256Hex },
        }),
    };

    private static void WriteCatalog(string catalogDir, JsonObject entry)
    {
        var path = Path.Combine(catalogDir, "catalog.json");
        var temp = path + ".tmp";
        File.WriteAllText(temp, new JsonObject { ["releases"] = new JsonArray(entry) }.ToJsonString());
        File.Move(temp, path, overwrite: true);
    }

    private static string Message(string body)
    {
        try
        {
            return JsonNode.Parse(body)?["message"]?.GetValue<string>() ?? body;
        }
        catch (System.Text.Json.JsonException)
        {
            return body;
        }
    }

    /// <summary>
    /// Every file under the scenario's folder except the catalog, the agent's data dir and the logs, with its hash. Links
    /// are recorded with their target, never followed (the catalog holds a link to /).
    /// </summary>
    private static Dictionary<string, string> Snapshot(string workDir, string catalogDir)
    {
        var skip = new HashSet<string>([catalogDir, Path.Combine(workDir, "agent"), Path.Combine(workDir, "logs")], StringComparer.Ordinal);
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        var pending = new Stack<string>([workDir]);
        while (pending.TryPop(out var dir))
        {
            foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos())
            {
                if (skip.Contains(entry.FullName))
                {
                    continue;
                }

                if (entry.LinkTarget is { } target)
                {
                    files[entry.FullName] = "link:" + target;
                }
                else if (entry is DirectoryInfo)
                {
                    pending.Push(entry.FullName);
                }
                else
                {
                    files[entry.FullName] = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(entry.FullName)));
                }
            }
        }

        return files;
    }
}
