namespace GetApp.Agent.Core.Storage;

/// <summary>The store cannot be used as it is (wrong schema version, unwritable data dir...).</summary>
public sealed class StoreException(string message, Exception? inner = null) : Exception(message, inner);
