using System.Text.Json;

namespace GetApp.Agent.Hosting;

/// <summary>
/// The <c>appsettings.json</c> files <c>run</c> reads (next to the binary, then in the working directory, which wins):
/// a file that is not valid JSON stops the start with its path and the line at fault; a key the agent does not read is
/// a warning naming the closest key it does read, since a misspelt key otherwise fails silently.
/// </summary>
internal static class AppSettingsFiles
{
    public const string FileName = "appsettings.json";

    /// <summary>The keys of the <c>Agent</c> section (<see cref="AgentOptionsResolver"/>).</summary>
    public static readonly string[] AgentKeys =
        ["Urls", "DataDir", "Catalog", "Upstream", "DeviceSecret", "CosignPublicKey", "HttpsCertificate", "HttpsKey", "LogLevel", "LogFormat",
         "ChildrenSecret", "OrchestrateMe", "ReactiveMode"];

    /// <summary>Top-level sections: ours, and the host's own <c>Logging</c> (<c>Logging:LogLevel:&lt;category&gt;</c>).</summary>
    public static readonly string[] Sections = ["Agent", "Logging"];

    public static IReadOnlyList<string> DefaultPaths =>
        [Path.Combine(AppContext.BaseDirectory, FileName), Path.Combine(Directory.GetCurrentDirectory(), FileName)];

    /// <summary>Loads the files that exist; throws <see cref="AgentConfigurationException"/> for a malformed one.</summary>
    public static (IConfiguration Configuration, IReadOnlyList<string> Warnings) Load(IEnumerable<string> paths)
    {
        var builder = new ConfigurationBuilder();
        var warnings = new List<string>();
        foreach (var path in paths.Select(Path.GetFullPath).Distinct(StringComparer.Ordinal))
        {
            if (!File.Exists(path))
            {
                continue;
            }

            warnings.AddRange(Check(path));
            builder.AddJsonFile(path, optional: true, reloadOnChange: false);
        }

        try
        {
            return (builder.Build(), warnings);
        }
        catch (InvalidDataException e)
        {
            // Check already parsed each file, so this is a shape the configuration reader refuses (e.g. a duplicate key).
            throw new AgentConfigurationException($"{FileName} cannot be read: {e.InnerException?.Message ?? e.Message}: fix it, or remove the file", e);
        }
    }

    /// <summary>Parses one file (throwing on bad JSON) and returns a warning per unknown key.</summary>
    private static IEnumerable<string> Check(string path)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" at line {line + 1}, position {e.BytePositionInLine + 1}" : "";
            throw new AgentConfigurationException($"{path} is not valid JSON{where}: fix it (or remove the file) and start again", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AgentConfigurationException($"{path} cannot be read ({e.Message}): fix its permissions, or remove it", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new AgentConfigurationException($"{path} must hold a JSON object, e.g. {{\"Agent\": {{\"DataDir\": \"/var/lib/getapp-agent\"}}}}: fix it, or remove the file");
            }

            var warnings = new List<string>();
            foreach (var section in document.RootElement.EnumerateObject())
            {
                if (!Sections.Contains(section.Name, StringComparer.OrdinalIgnoreCase))
                {
                    warnings.Add(Unknown(path, section.Name, Sections));
                }
                else if (section.Name.Equals("Agent", StringComparison.OrdinalIgnoreCase) && section.Value.ValueKind == JsonValueKind.Object)
                {
                    warnings.AddRange(section.Value.EnumerateObject()
                        .Where(key => !AgentKeys.Contains(key.Name, StringComparer.OrdinalIgnoreCase))
                        .Select(key => Unknown(path, $"{section.Name}:{key.Name}", AgentKeys, section.Name + ":")));
                }
            }

            return warnings;
        }
    }

    private static string Unknown(string path, string key, string[] known, string prefix = "")
    {
        var name = key[prefix.Length..];
        var closest = known.MinBy(k => Distance(k.ToLowerInvariant(), name.ToLowerInvariant()))!;
        var hint = Distance(closest.ToLowerInvariant(), name.ToLowerInvariant()) <= Math.Max(2, name.Length / 3)
            ? $"did you mean '{prefix}{closest}'?"
            : $"known keys: {string.Join(", ", known.Select(k => prefix + k))}";
        return $"{path}: the key '{key}' is not one the agent reads, so it is ignored; {hint}";
    }

    /// <summary>Levenshtein distance (keys are short).</summary>
    internal static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
