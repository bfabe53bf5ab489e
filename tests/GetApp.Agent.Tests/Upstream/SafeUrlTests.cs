using GetApp.Agent.Core.Upstream;

namespace GetApp.Agent.Tests.Upstream;

public class SafeUrlTests
{
    [Theory]
    [InlineData("https://s3.example/b/k.bin?X-Amz-Signature=abc&X-Amz-Expires=600", "https://s3.example/b/k.bin?***")]
    [InlineData("https://user:pw@host:8443/a/b.tar", "https://***@host:8443/a/b.tar")]
    [InlineData("http://u:p@ss@host/a?x=1#frag", "http://***@host/a?***")]
    [InlineData("https://host/a#token=secret", "https://host/a")]
    [InlineData("https://host/a?", "https://host/a")]
    [InlineData("/files/a?sig=1", "/files/a?***")]
    [InlineData("files/a", "files/a")]
    [InlineData("ftp://user:secret@files.example/app.bin?X=1", "ftp://***@files.example/app.bin?***")]
    [InlineData("https://host/path@odd/x?y", "https://host/path@odd/x?***")]
    [InlineData("not a url ? secret", "not a url ?***")]
    [InlineData("", "")]
    public void Masked_HidesUserInfoAndQuery_KeepsWhereItGoes(string url, string expected) =>
        Assert.Equal(expected, SafeUrl.Masked(url));

    [Fact]
    public void Masked_Uri_UsesItsAbsoluteForm()
    {
        Assert.Equal("http://***@h/a%20b?***", SafeUrl.Masked(new Uri("http://u:p@h/a b?s=1")));
        Assert.Equal("", SafeUrl.Masked((Uri?)null));
    }
}
