using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GetApp.Agent.Core.Contracts;

/// <summary>
/// The JSON the store keeps of the upstream's objects: what <see cref="JsonNode.ToJsonString"/> writes (compact, the
/// default encoder), as UTF-8. One format, so that an unchanged object always stores the same bytes.
/// </summary>
internal static class StoredJson
{
    public static byte[] Of(JsonNode node)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            node.WriteTo(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
