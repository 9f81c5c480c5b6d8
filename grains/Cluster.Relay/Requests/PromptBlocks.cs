using System.IO.Hashing;

namespace Cluster.Relay.Requests;

/// <summary>
/// A prompt cut into fixed-size blocks of its serialized bytes (the chat <c>messages</c> array or
/// the completion <c>prompt</c> as the client sent them), each block's hash chained to the hash of
/// the blocks before it: <see cref="Hashes"/>[i] names the whole prefix up to the end of block i,
/// so two prompts share block i's hash exactly when they share every byte up to there. Only full
/// blocks count: a backend's prefix cache holds whole blocks, and the tail changes every turn.
/// No tokenizer runs: hashing a 6,000-token prompt (about 24 KB) costs a few microseconds.
/// </summary>
public sealed class PromptBlocks
{
    /// <summary>Bytes per block: about 64 tokens of English text as JSON.</summary>
    public const int BlockBytes = 256;

    /// <summary>How many leading blocks name a prompt's "home" deployment when no cache is known.</summary>
    public const int AnchorBlocks = 4;

    /// <summary>A prompt with no full block (or an embeddings input): nothing to route by.</summary>
    public static readonly PromptBlocks None = new([], 0);

    private PromptBlocks(ulong[] hashes, int byteLength)
    {
        Hashes = hashes;
        ByteLength = byteLength;
    }

    /// <summary>The chained hash of each full block, in order.</summary>
    public ulong[] Hashes { get; }

    /// <summary>The length in bytes of what was hashed, the partial last block included.</summary>
    public int ByteLength { get; }

    public int Count => Hashes.Length;

    /// <summary>
    /// The hash that picks the prompt's home deployment when no deployment is known to hold it: the
    /// first <see cref="AnchorBlocks"/> blocks (fewer in a shorter prompt), so a tenant's long
    /// system prompt, shared by all its conversations, has one home on every front-end.
    /// </summary>
    public ulong Anchor => Hashes[Math.Min(Hashes.Length, AnchorBlocks) - 1];

    public static PromptBlocks Of(ReadOnlySpan<byte> prompt)
    {
        var count = prompt.Length / BlockBytes;
        if (count == 0)
        {
            return None;
        }

        var hashes = new ulong[count];
        var previous = 0UL;
        for (var i = 0; i < count; i++)
        {
            previous = XxHash3.HashToUInt64(prompt.Slice(i * BlockBytes, BlockBytes), unchecked((long)previous));
            hashes[i] = previous;
        }

        return new PromptBlocks(hashes, prompt.Length);
    }
}
