namespace GetApp.Agent.Tests.Releases;
public class Smoke { [Fact] public void Runs() => Assert.True(true); }
