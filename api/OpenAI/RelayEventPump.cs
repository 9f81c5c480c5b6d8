using System.IO.Pipelines;
using Cluster.Relay.Completions;

namespace Cluster.Api.OpenAI;

/// <summary>
/// The streaming loop both SSE surfaces share (chat/completions and Responses): hands each chunk to
/// <paramref name="writeChunk"/>, flushes only when the next event is not already here (so a burst
/// leaves in one write), and returns the finishing event, whose usage record is durable by then.
/// </summary>
internal static class RelayEventPump
{
    public static async Task<RelayEvent> PumpAsync(IAsyncEnumerator<RelayEvent> events, PipeWriter writer, Action<RelayEvent> writeChunk, CancellationToken aborted)
    {
        while (true)
        {
            var next = events.MoveNextAsync();
            if (!next.IsCompleted)
            {
                await writer.FlushAsync(aborted);
            }

            if (!await next)
            {
                throw new InvalidOperationException("The relay ended without finishing the response.");
            }

            var current = events.Current;
            if (current.Kind != RelayEventKind.Chunk)
            {
                return current;
            }

            writeChunk(current);
        }
    }
}
