namespace GetApp.Agent.Api;

/// <summary>
/// Endpoint metadata marking a route of the parent face (docs/parent.md), which child agents call: the device-auth check
/// lets children's secrets through to these routes only, and the artifact route proves itself by its signed URL.
/// </summary>
internal sealed class ParentRoute
{
    public static readonly ParentRoute ForChildren = new();
    public static readonly ParentRoute SignedUrl = new();

    private ParentRoute()
    {
    }
}
