namespace Cluster.Relay.Completions;

/// <summary>What a <see cref="RelayEvent"/> says, in the order a response produces them.</summary>
public enum RelayEventKind
{
    /// <summary>A backend accepted the request: from here the response cannot move to another deployment.</summary>
    Started,

    /// <summary>Bytes for the client: one SSE event's data for a stream, the whole body otherwise.</summary>
    Chunk,

    /// <summary>The response is complete and its usage record durable: the client may see the end now.</summary>
    Finished,
}
