using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace Cluster.Relay.Wire;

/// <summary>
/// Reads server-sent events from a backend and yields each event's data (the JSON after
/// <c>data:</c>), stopping at <c>[DONE]</c>. Events are yielded as soon as their blank line
/// arrives, so nothing is held back.
/// </summary>
internal static class SseReader
{
    private static readonly byte[] Done = "[DONE]"u8.ToArray();

    public static async IAsyncEnumerable<byte[]> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024));
        var pending = new ArrayBufferWriter<byte>();
        var ready = new List<byte[]>();
        var done = false;
        try
        {
            while (!done)
            {
                var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = result.Buffer;
                done = Parse(ref buffer, pending, ready);
                reader.AdvanceTo(buffer.Start, buffer.End);

                if (result.IsCompleted && !done)
                {
                    // A final event without its blank line.
                    if (buffer.Length > 0)
                    {
                        var tail = buffer.ToArray();
                        if (tail.AsSpan().StartsWith("data:"u8))
                        {
                            AppendData(pending, Trim(tail.AsSpan(5)));
                        }
                    }

                    done = true;
                    if (pending.WrittenCount > 0 && !pending.WrittenSpan.SequenceEqual(Done))
                    {
                        ready.Add(pending.WrittenSpan.ToArray());
                    }
                }

                foreach (var data in ready)
                {
                    yield return data;
                }

                ready.Clear();
            }
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Consumes whole lines from <paramref name="buffer"/>; true once <c>[DONE]</c> was seen.</summary>
    private static bool Parse(ref ReadOnlySequence<byte> buffer, ArrayBufferWriter<byte> pending, List<byte[]> ready)
    {
        while (true)
        {
            var newline = buffer.PositionOf((byte)'\n');
            if (newline is null)
            {
                return false;
            }

            var lineSequence = buffer.Slice(0, newline.Value);
            buffer = buffer.Slice(buffer.GetPosition(1, newline.Value));
            var line = lineSequence.IsSingleSegment ? lineSequence.FirstSpan : lineSequence.ToArray();
            if (line.Length > 0 && line[^1] == (byte)'\r')
            {
                line = line[..^1];
            }

            if (line.IsEmpty)
            {
                if (pending.WrittenCount > 0)
                {
                    if (pending.WrittenSpan.SequenceEqual(Done))
                    {
                        pending.Clear();
                        return true;
                    }

                    ready.Add(pending.WrittenSpan.ToArray());
                    pending.Clear();
                }
            }
            else if (line.StartsWith("data:"u8))
            {
                AppendData(pending, Trim(line[5..]));
            }

            // Other fields (event:, id:, retry:) and comments (":") carry nothing we relay.
        }
    }

    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> value) =>
        value.Length > 0 && value[0] == (byte)' ' ? value[1..] : value;

    private static void AppendData(ArrayBufferWriter<byte> pending, ReadOnlySpan<byte> data)
    {
        if (pending.WrittenCount > 0)
        {
            pending.Write("\n"u8);
        }

        pending.Write(data);
    }
}
