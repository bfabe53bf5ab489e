using GetApp.Agent.Core.Delivery;

namespace GetApp.Agent.Tests.Delivery;

public class DeliverySourcesTests
{
    [Theory]
    [InlineData("http://cdn.example/a.bin")]
    [InlineData("https://cdn.example/a.bin?sig=1")]
    [InlineData("file:///media/usb/files/a.bin")]
    public void Check_DownloadableScheme_Accepted(string url) => Assert.Null(DeliverySources.Check(new Uri(url)));

    [Theory]
    [InlineData("rpm://repo/pkg", "rpm")]
    [InlineData("deb://repo/pkg", "deb")]
    [InlineData("docker://registry/image:1", "docker")]
    public void Check_OtherScheme_UnsupportedArtifactType(string url, string scheme) =>
        Assert.Equal($"unsupported artifact type: {scheme}", DeliverySources.Check(new Uri(url)));
}
