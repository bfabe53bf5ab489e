using System.Globalization;
using System.Text;

namespace GetApp.Agent.Core.Metrics;

/// <summary>
/// Writes the Prometheus text exposition format (version 0.0.4): per family one <c># HELP</c> and one <c># TYPE</c>
/// line, then its samples; histograms as cumulative <c>_bucket</c> series ending with <c>le="+Inf"</c>, then
/// <c>_sum</c> and <c>_count</c>. Label values and help texts are escaped as the format requires.
/// </summary>
public sealed class PrometheusTextWriter
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly StringBuilder _text = new();

    public void Family(string name, string type, string? help)
    {
        _text.Append("# HELP ").Append(name).Append(' ').Append(EscapeHelp(help ?? name)).Append('\n');
        _text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
    }

    /// <param name="labels">Rendered label pairs without braces (<c>a="b",c="d"</c>), or empty.</param>
    public void Sample(string name, string labels, double value)
    {
        _text.Append(name);
        if (labels.Length > 0)
        {
            _text.Append('{').Append(labels).Append('}');
        }

        _text.Append(' ').Append(Number(value)).Append('\n');
    }

    public void Histogram(string name, string labels, IReadOnlyList<double> bounds, IReadOnlyList<long> counts, double sum, long count)
    {
        var cumulative = 0L;
        for (var i = 0; i < bounds.Count; i++)
        {
            cumulative += counts[i];
            Sample(name + "_bucket", Join(labels, "le=\"" + Number(bounds[i]) + "\""), cumulative);
        }

        Sample(name + "_bucket", Join(labels, "le=\"+Inf\""), count);
        Sample(name + "_sum", labels, sum);
        Sample(name + "_count", labels, count);
    }

    public override string ToString() => _text.ToString();

    /// <summary>A metric or label name made of <c>[a-zA-Z0-9_:]</c> only (dots and dashes become underscores).</summary>
    public static string Name(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or ':' ? c : '_');
        }

        if (builder.Length == 0 || char.IsAsciiDigit(builder[0]))
        {
            builder.Insert(0, '_');
        }

        return builder.ToString();
    }

    public static string Label(string name, string value) => Name(name) + "=\"" + EscapeLabel(value) + "\"";

    public static string EscapeLabel(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    public static string Number(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    private static string EscapeHelp(string help) =>
        help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string Join(string labels, string more) => labels.Length == 0 ? more : labels + "," + more;
}
