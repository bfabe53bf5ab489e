using System.Reflection;
using GetApp.Agent.Core.Hosting;
using GetApp.Agent.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.IntegrationTests.Hosting;

/// <summary>Every <c>ILogger&lt;T&gt;</c> a constructor of the agent asks for is registered closed (no type built at run time in the AOT binary).</summary>
public sealed class ClosedLoggersTests
{
    [Fact]
    public void EveryLoggerAConstructorAsksFor_IsRegisteredClosed_AndMadeByTheLoggerFactory()
    {
        var app = AgentHost.Build(new AgentOptions { Urls = ["http://127.0.0.1:0"], DataDir = "unused" });
        var services = app.Services.GetRequiredService<IServiceProviderIsService>();
        var wanted = new[] { typeof(ClosedLoggers).Assembly, typeof(AgentHost).Assembly }
            .SelectMany(a => a.GetTypes())
            .SelectMany(t => t.GetConstructors(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance))
            .SelectMany(c => c.GetParameters())
            .Select(p => p.ParameterType)
            .Where(t => t.IsGenericType && t.GetGenericTypeDefinition() == typeof(ILogger<>))
            .Distinct()
            .ToList();
        Assert.NotEmpty(wanted);

        var registered = new ServiceCollection().AddClosedLoggers();
        AgentHost.AddClosedLoggers(registered);
        var closed = registered.Select(d => d.ServiceType).ToHashSet();
        Assert.Empty(wanted.Where(t => !closed.Contains(t)).Select(t => t.GenericTypeArguments[0].Name));

        // The host resolves them (closed registrations are what it finds first), and they log under the type's name.
        foreach (var type in wanted)
        {
            Assert.True(services.IsService(type));
            Assert.IsType(typeof(Logger<>).MakeGenericType(type.GenericTypeArguments[0]), app.Services.GetRequiredService(type));
        }
    }
}
