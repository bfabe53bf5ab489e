namespace GetApp.Agent.Core.Upstream;

/// <summary>The upstream could not be reached or answered something the agent cannot use; the message says which.</summary>
public class UpstreamException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>An offline catalog that is broken: the message names the file, the release and the problem.</summary>
public sealed class InvalidCatalogException(string message, Exception? inner = null) : UpstreamException(message, inner);
