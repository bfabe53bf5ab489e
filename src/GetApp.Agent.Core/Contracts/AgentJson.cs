using System.Text.Encodings.Web;
using System.Text.Json;

namespace GetApp.Agent.Core.Contracts;

/// <summary>
/// The agent's JSON settings in use: <see cref="AgentJsonContext"/> with an encoder that leaves quotes and non-ASCII
/// text readable (<c>'</c> instead of <c>\u0027</c>). Safe here: these documents are never embedded in HTML.
/// </summary>
public static class AgentJson
{
    public static AgentJsonContext Context { get; } = new(new JsonSerializerOptions(AgentJsonContext.Default.Options)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = null,
    });
}
