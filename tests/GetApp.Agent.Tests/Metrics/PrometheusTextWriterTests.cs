using GetApp.Agent.Core.Metrics;

namespace GetApp.Agent.Tests.Metrics;

public class PrometheusTextWriterTests
{
    [Fact]
    public void Writer_EscapesLabelValuesAndHelp_AndWritesCumulativeHistograms()
    {
        var writer = new PrometheusTextWriter();
        writer.Family("a_total", "counter", "Back\\slash and\nnewline");
        writer.Sample("a_total", PrometheusTextWriter.Label("http.route", "/x/\"{id}\"\\\n"), 3);
        writer.Family("h", "histogram", "h");
        writer.Histogram("h", "", [0.1, 1], [2, 1], 0.9, 4);

        Assert.Equal(
            "# HELP a_total Back\\\\slash and\\nnewline\n# TYPE a_total counter\n" +
            "a_total{http_route=\"/x/\\\"{id}\\\"\\\\\\n\"} 3\n" +
            "# HELP h h\n# TYPE h histogram\nh_bucket{le=\"0.1\"} 2\nh_bucket{le=\"1\"} 3\nh_bucket{le=\"+Inf\"} 4\nh_sum 0.9\nh_count 4\n",
            writer.ToString());
    }

    [Theory]
    [InlineData("getapp.download.retries", "getapp_download_retries")]
    [InlineData("http-server:x", "http_server:x")]
    [InlineData("9lives", "_9lives")]
    public void Name_OnlyTheCharactersTheFormatAllows(string name, string expected) =>
        Assert.Equal(expected, PrometheusTextWriter.Name(name));

    [Fact]
    public void Number_SpecialValuesAsPrometheusSpellsThem()
    {
        Assert.Equal("+Inf", PrometheusTextWriter.Number(double.PositiveInfinity));
        Assert.Equal("-Inf", PrometheusTextWriter.Number(double.NegativeInfinity));
        Assert.Equal("NaN", PrometheusTextWriter.Number(double.NaN));
        Assert.Equal("0.25", PrometheusTextWriter.Number(0.25));
        Assert.Equal("104857600", PrometheusTextWriter.Number(104857600));
    }
}
