namespace GetApp.Agent.Core.OfflineMedia;

/// <summary>An offline-media tool refused or could not finish; the message is one line naming the problem and the fix.</summary>
public sealed class OfflineMediaException(string message, Exception? inner = null) : Exception(message, inner);
