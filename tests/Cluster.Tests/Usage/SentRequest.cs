namespace Cluster.Tests.Usage;

/// <summary>
/// One request of a ledger test as the client saw it: its id (<c>x-request-id</c>), what it was,
/// whether it completed, and for a stream the text the client received before it hung up.
/// </summary>
public sealed record SentRequest(string RequestId, string Endpoint, bool Streamed, bool Cancelled, string ReceivedText);
