using System.Text.RegularExpressions;

namespace GetApp.Agent.IntegrationTests.Infrastructure;

public sealed record MetricSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public string Label(string name) => Labels.TryGetValue(name, out var value) ? value : "";
}

public sealed record MetricFamily(string Name, string Type, string? Help, IReadOnlyList<MetricSample> Samples);

/// <summary>
/// A strict parser of the Prometheus text exposition format 0.0.4, as Prometheus's own parser reads it, plus the rules a
/// scrape relies on: HELP and TYPE at most once per family and before its samples; a family's samples together; metric
/// and label names as the format defines them; label values escaped (<c>\\</c>, <c>\"</c>, <c>\n</c> only); no series
/// twice; counters never negative; histograms with increasing <c>le</c> bounds, cumulative counts, a <c>+Inf</c> bucket
/// equal to <c>_count</c>, and a <c>_sum</c>. Any violation throws <see cref="FormatException"/> naming the line.
/// </summary>
public static partial class PrometheusText
{
    private static readonly HashSet<string> Types = ["counter", "gauge", "histogram", "summary", "untyped"];

    public static IReadOnlyDictionary<string, MetricFamily> Parse(string text)
    {
        if (text.Length > 0 && !text.EndsWith('\n'))
        {
            throw new FormatException("the exposition must end with a line feed");
        }

        if (text.Contains('\r'))
        {
            throw new FormatException("lines end with \\n only");
        }

        var families = new Dictionary<string, (string? Type, string? Help, List<MetricSample> Samples)>(StringComparer.Ordinal);
        var finished = new HashSet<string>(StringComparer.Ordinal);
        var series = new HashSet<string>(StringComparer.Ordinal);
        string? current = null;
        var lines = text.Split('\n');
        for (var n = 0; n < lines.Length - 1; n++)
        {
            var line = lines[n];
            string Where() => $"line {n + 1}: {line}";
            if (line.Trim().Length == 0)
            {
                continue;
            }

            if (line.StartsWith('#'))
            {
                var parts = line.Split(' ', 4);
                if (parts.Length >= 3 && parts[0] == "#" && parts[1] is "HELP" or "TYPE")
                {
                    var name = parts[2];
                    if (!WholeMetricName().IsMatch(name))
                    {
                        throw new FormatException($"invalid metric name in {Where()}");
                    }

                    var family = families.TryGetValue(name, out var f) ? f : (null, null, []);
                    if (family.Samples.Count > 0 || finished.Contains(name))
                    {
                        throw new FormatException($"{parts[1]} after the samples of {name}, {Where()}");
                    }

                    if (parts[1] == "TYPE")
                    {
                        if (family.Type is not null || parts.Length != 4 || !Types.Contains(parts[3]))
                        {
                            throw new FormatException($"a second or invalid TYPE, {Where()}");
                        }

                        family.Type = parts[3];
                    }
                    else
                    {
                        if (family.Help is not null)
                        {
                            throw new FormatException($"a second HELP, {Where()}");
                        }

                        family.Help = parts.Length == 4 ? UnescapeHelp(parts[3], Where) : "";
                    }

                    families[name] = family;
                    SwitchTo(name);
                }

                continue;
            }

            var sample = ParseSample(line, Where);
            var familyName = FamilyOf(sample.Name, families);
            SwitchTo(familyName);
            var key = sample.Name + "{" + string.Join(",", sample.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")) + "}";
            if (!series.Add(key))
            {
                throw new FormatException($"the series {key} appears twice, {Where()}");
            }

            var entry = families.TryGetValue(familyName, out var existing) ? existing : (null, null, []);
            entry.Samples.Add(sample);
            families[familyName] = entry;
        }

        var result = families.ToDictionary(f => f.Key, f => new MetricFamily(f.Key, f.Value.Type ?? "untyped", f.Value.Help, f.Value.Samples), StringComparer.Ordinal);
        foreach (var family in result.Values)
        {
            Check(family);
        }

        return result;

        void SwitchTo(string name)
        {
            if (current == name)
            {
                return;
            }

            if (finished.Contains(name))
            {
                throw new FormatException($"the samples of {name} are not together");
            }

            if (current is not null)
            {
                finished.Add(current);
            }

            current = name;
        }
    }

    /// <summary>The value of the series with exactly these labels (ignoring none), or throws naming what was there.</summary>
    public static double Value(IReadOnlyDictionary<string, MetricFamily> families, string sampleName, params (string Name, string Value)[] labels)
    {
        foreach (var family in families.Values)
        {
            foreach (var sample in family.Samples)
            {
                if (sample.Name == sampleName && labels.All(l => sample.Label(l.Name) == l.Value) && sample.Labels.Count == labels.Length)
                {
                    return sample.Value;
                }
            }
        }

        throw new KeyNotFoundException($"no sample {sampleName}{{{string.Join(",", labels.Select(l => $"{l.Name}=\"{l.Value}\""))}}}; have: " +
            string.Join(" ", families.Values.SelectMany(f => f.Samples).Where(s => s.Name == sampleName).Select(s => "{" + string.Join(",", s.Labels.Select(l => $"{l.Key}={l.Value}")) + "}")));
    }

    private static string FamilyOf(string sampleName, Dictionary<string, (string? Type, string? Help, List<MetricSample> Samples)> families)
    {
        foreach (var suffix in (string[])["_bucket", "_sum", "_count"])
        {
            if (sampleName.EndsWith(suffix, StringComparison.Ordinal) && families.TryGetValue(sampleName[..^suffix.Length], out var f) && f.Type is "histogram" or "summary")
            {
                return sampleName[..^suffix.Length];
            }
        }

        return sampleName;
    }

    [GeneratedRegex("[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex MetricName();

    [GeneratedRegex("[a-zA-Z_][a-zA-Z0-9_]*")]
    private static partial Regex LabelName();

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex WholeMetricName();
}
