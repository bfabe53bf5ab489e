namespace GetApp.Agent.IntegrationTests.Infrastructure;

/// <summary>The per-type rules a scrape relies on: counters never negative, histograms cumulative and complete.</summary>
public static partial class PrometheusText
{
    private static void Check(MetricFamily family)
    {
        switch (family.Type)
        {
            case "counter":
                foreach (var sample in family.Samples)
                {
                    if (sample.Name != family.Name || double.IsNaN(sample.Value) || sample.Value < 0)
                    {
                        throw new FormatException($"counter {family.Name}: {sample.Name} = {sample.Value}");
                    }
                }

                break;
            case "gauge":
                if (family.Samples.Any(s => s.Name != family.Name))
                {
                    throw new FormatException($"gauge {family.Name} has a sample of another name");
                }

                break;
            case "histogram":
                CheckHistogram(family);
                break;
        }
    }

    private static void CheckHistogram(MetricFamily family)
    {
        static string KeyOf(MetricSample s) => string.Join(",", s.Labels.Where(l => l.Key != "le").OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));

        foreach (var group in family.Samples.GroupBy(KeyOf))
        {
            var buckets = group.Where(s => s.Name == family.Name + "_bucket").ToList();
            var count = group.SingleOrDefault(s => s.Name == family.Name + "_count") ?? throw new FormatException($"histogram {family.Name}{{{group.Key}}} has no _count");
            _ = group.SingleOrDefault(s => s.Name == family.Name + "_sum") ?? throw new FormatException($"histogram {family.Name}{{{group.Key}}} has no _sum");
            if (group.Any(s => s.Name != family.Name + "_bucket" && s.Name != family.Name + "_count" && s.Name != family.Name + "_sum"))
            {
                throw new FormatException($"histogram {family.Name} has a sample of another name");
            }

            var bound = double.NegativeInfinity;
            var cumulative = 0.0;
            foreach (var bucket in buckets)
            {
                if (!bucket.Labels.TryGetValue("le", out var le) || !TryParseValue(le, out var upper) || upper <= bound || bucket.Value < cumulative)
                {
                    throw new FormatException($"histogram {family.Name}{{{group.Key}}}: buckets must have increasing le and cumulative counts");
                }

                (bound, cumulative) = (upper, bucket.Value);
            }

            if (!double.IsPositiveInfinity(bound) || cumulative != count.Value)
            {
                throw new FormatException($"histogram {family.Name}{{{group.Key}}}: the +Inf bucket must be last and equal _count");
            }
        }
    }
}
