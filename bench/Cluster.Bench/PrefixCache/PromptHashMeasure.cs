using System.Diagnostics;
using System.Text;
using Cluster.Relay.Requests;

namespace Cluster.Bench.PrefixCache;

/// <summary>
/// What prefix-aware routing adds to a request on the front-end: hashing the prompt into chained
/// blocks (<see cref="PromptBlocks.Of"/>, the gateway's own code), for a chat prompt of about
/// 6,000 tokens. The median of batches, in microseconds per prompt.
/// </summary>
internal static class PromptHashMeasure
{
    public static (int Bytes, double MedianMicroseconds) Run(int tokens)
    {
        var messages = new StringBuilder("[{\"role\":\"system\",\"content\":\"");
        var random = new Random(5);
        while (messages.Length < tokens * 4)
        {
            messages.Append("word").Append(random.Next(1000)).Append(' ');
        }

        var prompt = Encoding.UTF8.GetBytes(messages.Append("\"}]").ToString());
        const int PerBatch = 2_000;
        var sink = 0UL;
        for (var i = 0; i < PerBatch; i++)
        {
            sink ^= PromptBlocks.Of(prompt).Anchor;
        }

        var batches = new double[15];
        for (var b = 0; b < batches.Length; b++)
        {
            var started = Stopwatch.GetTimestamp();
            for (var i = 0; i < PerBatch; i++)
            {
                sink ^= PromptBlocks.Of(prompt).Anchor;
            }

            batches[b] = Stopwatch.GetElapsedTime(started).TotalMicroseconds / PerBatch;
        }

        GC.KeepAlive(sink);
        Array.Sort(batches);
        return (prompt.Length, batches[batches.Length / 2]);
    }
}
