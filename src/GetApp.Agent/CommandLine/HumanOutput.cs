using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GetApp.Agent.CommandLine;

/// <summary>How the client verbs print the API's answers for a person (<c>--json</c> prints them as they are).</summary>
internal static class HumanOutput
{
    private static readonly JsonSerializerOptions Pretty = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void PrintJson(JsonNode? json) => Console.WriteLine(json is null ? "" : json.ToJsonString(Pretty));

    /// <summary>The AppError body of a failed verb, so that with <c>--json</c> stdout is always one JSON document.</summary>
    public static void PrintJsonError(AgentClientException error) => PrintJson(new JsonObject
    {
        ["message"] = error.ApiMessage,
        ["name"] = error.Name,
        ["statusCode"] = error.StatusCode,
    });

    public static void PrintReleases(JsonNode? json)
    {
        var rows = Items(json).Select(r => new[]
        {
            Text(r?["release"]?["id"]), Text(r?["state"]), Text(r?["deliveryState"]), Text(r?["deviceReleaseStatus"]), Percent(r?["progress"]), OneLine(Text(r?["errMsg"])),
        }).ToList();
        PrintTable(["CATALOG ID", "STATE", "PHASE", "STATUS", "PROGRESS", "ERROR"], rows, "no release is delivered or installed yet (see `getapp-agent offering`)");
    }

    public static void PrintOffering(JsonNode? json)
    {
        var rows = Items(json).Select(r => new[]
        {
            Text(r?["release"]?["id"]), Text(r?["state"]), OneLine(Text(r?["release"]?["displayName"])), string.Join(", ", r?["dependencies"]?.AsArray().Select(Text) ?? []),
        }).ToList();
        PrintTable(["CATALOG ID", "OFFER", "NAME", "DEPENDS ON"], rows, "nothing is offered");
    }

    public static void PrintDiscovery(JsonNode? json)
    {
        var releases = json?["releases"]?.AsArray() ?? [];
        Console.WriteLine($"{releases.Count} release(s) offered:");
        foreach (var r in releases)
        {
            Console.WriteLine($"  {Text(r?["release"]?["id"])}{(r?["isPush"]?.GetValue<bool>() == true ? " (push)" : "")}");
        }
    }

    /// <summary>One release (<c>DeviceReleaseStatusDto</c>): its position and progress, then its error in full (every line).</summary>
    public static void PrintRelease(JsonNode? r)
    {
        Console.WriteLine($"{Text(r?["release"]?["id"])}: {ProgressLine(r)}");
        PrintBlock("error", r?["errMsg"]);
        if (r?["artsDirPath"] is { } arts)
        {
            Console.WriteLine($"  artifacts: {Text(arts)}");
        }
    }

    /// <summary>A deploy record (<c>DeployDto</c>): status and progress, the installer's log message, its log file.</summary>
    public static void PrintDeploy(JsonNode? d)
    {
        var progress = d?["progress"] is JsonValue p && p.TryGetValue<double>(out var value) ? $" {value.ToString("0.#", CultureInfo.InvariantCulture)}%" : "";
        var eta = d?["eta"] is JsonValue e && e.TryGetValue<long>(out var seconds) && Text(d?["status"]) == "Installing" ? $" eta {Eta(seconds)}" : "";
        Console.WriteLine($"{Text(d?["catalogId"])}: deploy {Text(d?["status"])}{progress}{eta}");
        PrintBlock("log", d?["messageLog"]);
        if (d?["logPath"] is { } path)
        {
            Console.WriteLine($"  log file: {Text(path)}");
        }
    }

    /// <summary>The live settings as a two-column table.</summary>
    public static void PrintSettings(JsonNode? json)
    {
        var rows = (json as JsonObject ?? []).Select(p => new[] { p.Key, Text(p.Value) }).ToList();
        PrintTable(["SETTING", "VALUE"], rows, "no settings");
    }

    /// <summary>Only the settings named in <paramref name="names"/> (what a set or a reset changed), as <c>name = value</c>.</summary>
    public static void PrintChangedSettings(JsonNode? json, IEnumerable<string> names, string suffix = "")
    {
        foreach (var name in names)
        {
            Console.WriteLine($"{name} = {Text(json?[name])}{suffix}");
        }
    }

    /// <summary><c>GET /api/v2/device</c>: identity, system, upstream link and last discovery, one fact a line.</summary>
    public static void PrintDevice(JsonNode? d)
    {
        var metadata = d?["metadata"];
        var upstream = d?["upstream"];
        var lastError = upstream?["lastError"];
        var discovery = d?["lastDiscovery"];
        var rows = new List<string[]>
        {
            new[] { "device id", Text(d?["deviceId"]) },
            new[] { "device type", string.Join(", ", d?["deviceType"]?.AsArray().Select(Text) ?? []) },
            new[] { "platform", Join(Text(d?["platform"]), Text(d?["platformId"])) },
            new[] { "name", Text(metadata?["name"]) },
            new[] { "system", Join(Text(metadata?["os"]), Text(metadata?["osRelease"])) },
            new[] { "address", Join(Text(metadata?["ipAddress"]), Text(metadata?["macAddress"])) },
            new[] { "storage free", metadata?["storageAvailable"] is JsonValue s && s.TryGetValue<long>(out var free) ? Bytes(free) : "" },
            new[] { "upstream", Join(Text(upstream?["description"]), Text(upstream?["urlGetAppServerActive"])) },
            new[] { "last error", lastError is null ? "" : OneLine($"{Text(lastError["at"])} {Text(lastError["message"])}") },
            new[] { "reports waiting", Text(upstream?["outbox"]?["pending"]) },
            new[] { "last discovery", discovery is null ? "never" : Join(Text(discovery["at"]), discovery["error"] is { } error ? "failed: " + OneLine(Text(error)) : $"{Text(discovery["offered"])} release(s) offered") },
        };
        var width = rows.Max(r => r[0].Length);
        foreach (var row in rows.Where(r => r[1].Length > 0))
        {
            Console.WriteLine($"{row[0].PadRight(width)}  {row[1]}");
        }
    }

    /// <summary>A release's position, progress bar and (only while it moves) ETA, on one line.</summary>
    public static string ProgressLine(JsonNode? r)
    {
        var progress = r?["progress"] is JsonValue p && p.TryGetValue<double>(out var v) ? v : (double?)null;
        var bar = progress is { } value ? $" [{new string('#', (int)(Math.Clamp(value, 0, 100) / 5)),-20}] {value.ToString("0.0", CultureInfo.InvariantCulture),5}%" : "";
        return $"{PositionText(r)}{bar}{EtaText(r)}";
    }

    /// <summary>State (with the delivery phase while in delivery) and status: <c>delivery/download InProgress</c>.</summary>
    public static string PositionText(JsonNode? r)
    {
        var phase = r?["deliveryState"] is { } d && Text(r["state"]) == "delivery" ? $"/{Text(d)}" : "";
        return $"{Text(r?["state"])}{phase} {Text(r?["deviceReleaseStatus"])}";
    }

    /// <summary><c> eta m:ss</c> while the release moves and the agent knows one; nothing for a paused, cancelled or finished one.</summary>
    public static string EtaText(JsonNode? r) =>
        IsMoving(r) && r?["eta"] is JsonValue e && e.TryGetValue<long>(out var seconds) ? $" eta {Eta(seconds)}" : "";

    /// <summary>True while the release is being delivered or installed (queued, running, or waiting for an installer).</summary>
    public static bool IsMoving(JsonNode? r) =>
        (Text(r?["state"]), Text(r?["deviceReleaseStatus"])) is ("delivery", "Start" or "InProgress") or ("deploy", "Start" or "Installing" or "Continue");

    public static void PrintTable(string[] headers, List<string[]> rows, string empty)
    {
        if (rows.Count == 0)
        {
            Console.WriteLine(empty);
            return;
        }

        var widths = headers.Select((h, i) => Math.Max(h.Length, rows.Max(r => r[i].Length))).ToArray();
        Console.WriteLine(string.Join("  ", headers.Select((h, i) => h.PadRight(widths[i]))).TrimEnd());
        foreach (var row in rows)
        {
            Console.WriteLine(string.Join("  ", row.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
        }
    }

    /// <summary>The first line of a text, marked when more follows: a table row stays one row (the full text: <c>status</c>).</summary>
    public static string OneLine(string text)
    {
        var lines = text.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length switch
        {
            0 => "",
            1 => lines[0],
            _ => lines[0] + " …",
        };
    }

    public static string Text(JsonNode? node) => node switch
    {
        null => "",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => node.ToJsonString(),
    };

    public static string Eta(long seconds) => TimeSpan.FromSeconds(seconds).ToString(seconds >= 3600 ? @"h\:mm\:ss" : @"m\:ss", CultureInfo.InvariantCulture);

    public static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.0", CultureInfo.InvariantCulture) + " GiB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        >= 1L << 10 => (bytes / (double)(1L << 10)).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " B",
    };

    private static string Percent(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<double>(out var d) ? d.ToString("0.#", CultureInfo.InvariantCulture) + "%" : "";

    /// <summary>A labelled text of any number of lines: the first after the label, the others indented under it.</summary>
    private static void PrintBlock(string label, JsonNode? value)
    {
        if (value is null || Text(value) is not { Length: > 0 } text)
        {
            return;
        }

        var indent = new string(' ', label.Length + 4);
        var lines = text.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
        Console.WriteLine($"  {label}: {lines[0]}");
        foreach (var line in lines.Skip(1))
        {
            Console.WriteLine(indent + line);
        }
    }

    private static string Join(string a, string b) => (a.Length, b.Length) switch
    {
        (0, _) => b,
        (_, 0) => a,
        _ => $"{a} ({b})",
    };

    private static IEnumerable<JsonNode?> Items(JsonNode? json) => json as JsonArray ?? [];
}
