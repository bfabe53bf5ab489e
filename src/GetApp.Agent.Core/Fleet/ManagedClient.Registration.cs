using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Device;
using GetApp.Agent.Core.Upstream;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Fleet;

/// <summary>Registering with the parent, and adopting what it decided about orchestration.</summary>
public sealed partial class ManagedClient
{
    /// <summary>Registers with the parent; returns its answer, or null when it refused (the reason is the status's error).</summary>
    private async Task<ManagedStateDto?> RegisterAsync(CancellationToken cancellationToken)
    {
        var answer = await _client!.SendAsync("fleet registration", HttpMethod.Post, RegisterPath,
            Encoding.UTF8.GetBytes((await RegistrationAsync(_flags.OrchestrateMe, _flags.ReactiveMode, cancellationToken).ConfigureAwait(false)).ToJsonString()),
            cancellationToken).ConfigureAwait(false);
        if (!answer.IsSuccess)
        {
            _status = _status with { State = "refused", LastError = $"the parent refused the registration ({answer.StatusCode}): {Message(answer.Body)}" };
            Refused(answer.StatusCode, Message(answer.Body));
            return null;
        }

        var state = JsonSerializer.Deserialize(answer.Body, FleetJson.Context.ManagedStateDto)
            ?? throw new JsonException("the parent's registration answer is empty");
        _status = _status with { ParentId = state.ParentId, ParentUrl = SafeUrl.Masked(answer.BaseUrl), Mode = state.Mode, Orchestration = state.Orchestration };
        await ApplyOrchestrationAsync(state.Orchestration, cancellationToken).ConfigureAwait(false);
        return state;
    }

    /// <summary>Adopts what the parent decided: accepted → orchestrated by it, on its platform; otherwise not orchestrated.</summary>
    private async Task ApplyOrchestrationAsync(OrchestrationDto orchestration, CancellationToken cancellationToken)
    {
        var enrollment = await _device.GetEnrollmentAsync(cancellationToken).ConfigureAwait(false);
        if (orchestration.Status == "accepted" && _flags.OrchestrateMe)
        {
            var platform = string.IsNullOrEmpty(orchestration.Platform) ? null : orchestration.Platform;
            var platformId = string.IsNullOrEmpty(orchestration.PlatformId) ? null : orchestration.PlatformId;
            if (enrollment.OrchestratedBy == orchestration.OrchestratedBy && enrollment.OrchestratorId == orchestration.OrchestratorId
                && (platform is null || platform == enrollment.Platform) && (platformId is null || platformId == enrollment.PlatformId))
            {
                return;
            }

            await _device.SetOrchestrationAsync(orchestration.OrchestratedBy, orchestration.OrchestratorId, platform, platformId, cancellationToken).ConfigureAwait(false);
            LogOrchestrated(orchestration.OrchestratedBy ?? "?", platform ?? enrollment.Platform);
            if (platform is not null && platform != enrollment.Platform)
            {
                // The platform decides what the server offers: ask again as a member of the parent's.
                _ = DiscoverQuietlyAsync(cancellationToken);
            }
        }
        else
        {
            await ClearOrchestrationAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task ClearOrchestrationAsync(CancellationToken cancellationToken)
    {
        if ((await _device.GetEnrollmentAsync(cancellationToken).ConfigureAwait(false)).OrchestratedBy is { } parent)
        {
            // The platform adopted stays (as GetApp keeps it); it is the operator's to change.
            await _device.SetOrchestrationAsync(null, null, null, null, cancellationToken).ConfigureAwait(false);
            LogNoLongerOrchestrated(parent);
        }
    }

    private async Task<bool> UnregisterAsync(CancellationToken cancellationToken)
    {
        try
        {
            var answer = await _client!.SendAsync("fleet registration", HttpMethod.Post, RegisterPath,
                Encoding.UTF8.GetBytes((await RegistrationAsync(false, false, cancellationToken).ConfigureAwait(false)).ToJsonString()), cancellationToken).ConfigureAwait(false);
            return answer.IsSuccess || answer.StatusCode is >= 400 and < 500;
        }
        catch (UpstreamException e)
        {
            Fail(e.Message);
            return false;
        }
    }

    private async Task<JsonObject> RegistrationAsync(bool orchestrateMe, bool reactiveMode, CancellationToken cancellationToken)
    {
        var enrollment = await _device.GetEnrollmentAsync(cancellationToken).ConfigureAwait(false);
        var data = JsonSerializer.SerializeToNode(enrollment, AgentJson.Context.DeviceEnrollment)!.AsObject();
        data["metadata"] = await _device.GetMetadataAsync(cancellationToken).ConfigureAwait(false);
        return new JsonObject
        {
            ["deviceId"] = enrollment.DeviceId,
            ["orchestrateMe"] = orchestrateMe,
            ["reactiveMode"] = reactiveMode,
            ["deviceType"] = new JsonArray([.. enrollment.DeviceType.Select(t => (JsonNode?)t)]),
            ["platform"] = enrollment.Platform,
            ["platformId"] = enrollment.PlatformId,
            ["deviceData"] = data,
        };
    }

    /// <summary><c>MetadataRequest</c>: registering again carries this agent's fresh device data.</summary>
    private async Task<string?> SendMetadataAsync(CancellationToken cancellationToken)
    {
        if (_client is null)
        {
            return "this agent has no parent to send it to";
        }

        try
        {
            var answer = await _client.SendAsync("fleet registration", HttpMethod.Post, RegisterPath,
                Encoding.UTF8.GetBytes((await RegistrationAsync(_flags.OrchestrateMe, _flags.ReactiveMode, cancellationToken).ConfigureAwait(false)).ToJsonString()),
                cancellationToken).ConfigureAwait(false);
            return answer.IsSuccess ? null : $"the parent answered {answer.StatusCode}: {Message(answer.Body)}";
        }
        catch (UpstreamException e)
        {
            return e.Message;
        }
    }
}
