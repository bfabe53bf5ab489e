using GetApp.Agent.Core.Deploy;

namespace GetApp.Agent.Tests.Deploy;

public class ArgumentTokenizerTests
{
    [Theory]
    [InlineData(null, new string[0])]
    [InlineData("", new string[0])]
    [InlineData("   ", new string[0])]
    [InlineData("--quiet", new[] { "--quiet" })]
    [InlineData("  -a   -b\t-c\n-d ", new[] { "-a", "-b", "-c", "-d" })]
    [InlineData("--mode \"full install\"", new[] { "--mode", "full install" })]
    [InlineData("'single $HOME `x`' \"double $HOME\"", new[] { "single $HOME `x`", "double $HOME" })]
    [InlineData("back\\ slash a\\\"b", new[] { "back slash", "a\"b" })]
    [InlineData("\"say \\\"hi\\\" \\\\ \\n\"", new[] { "say \"hi\" \\ \\n" })]
    [InlineData("pre'fix'\"ed\"", new[] { "prefixed" })]
    [InlineData("'' \"\"", new[] { "", "" })]
    [InlineData("; rm -rf / # $(touch /tmp/pwned)", new[] { ";", "rm", "-rf", "/", "#", "$(touch", "/tmp/pwned)" })]
    [InlineData("a|b&&c>d<e", new[] { "a|b&&c>d<e" })]
    [InlineData("line\\\ncontinued", new[] { "linecontinued" })]
    [InlineData("trailing\\", new[] { "trailing\\" })]
    public void Split_ShellLikeQuoting_WordsWithoutAnyExpansion(string? arguments, string[] expected) =>
        Assert.Equal(expected, ArgumentTokenizer.Split(arguments));

    [Theory]
    [InlineData("'open")]
    [InlineData("--mode \"full install")]
    public void Split_UnterminatedQuote_FormatExceptionSaysWhere(string arguments)
    {
        var error = Assert.Throws<FormatException>(() => ArgumentTokenizer.Split(arguments));
        Assert.Contains("unterminated", error.Message);
    }
}
