using System.Text;
using Cluster.Relay.Requests;

namespace Cluster.Tests.Routing.Prefix;

/// <summary>The prompt hasher: fixed-size blocks of the serialized prompt, each hash chained to the ones before.</summary>
public sealed class PromptBlocksTests
{
    [Fact]
    public void Of_SharedLeadingBytes_SameHashesUpToTheFirstDifferingBlock()
    {
        var shared = new string('s', 1000);
        var a = PromptBlocks.Of(Encoding.UTF8.GetBytes(shared + new string('a', 600)));
        var b = PromptBlocks.Of(Encoding.UTF8.GetBytes(shared + new string('b', 600)));

        Assert.Equal(6, a.Count);
        Assert.Equal(6, b.Count);

        // Blocks 0-2 (bytes 0-767) are shared; block 3 (768-1023) holds the first difference.
        Assert.Equal(a.Hashes[..3], b.Hashes[..3]);
        Assert.All(Enumerable.Range(3, 3), i => Assert.NotEqual(a.Hashes[i], b.Hashes[i]));
        Assert.Equal(a.Hashes[2], b.Hashes[2]);
        Assert.NotEqual(a.Anchor, b.Anchor);
    }

    [Fact]
    public void Of_SameBlockAfterDifferentPrefixes_DifferentHashes()
    {
        var tail = new string('t', 256);
        var a = PromptBlocks.Of(Encoding.UTF8.GetBytes(new string('x', 256) + tail));
        var b = PromptBlocks.Of(Encoding.UTF8.GetBytes(new string('y', 256) + tail));

        // Chaining: the second block names the whole prefix, not only its own bytes.
        Assert.NotEqual(a.Hashes[1], b.Hashes[1]);
    }

    [Fact]
    public void Of_ShorterThanOneBlock_None()
    {
        var blocks = PromptBlocks.Of(Encoding.UTF8.GetBytes("""[{"role":"user","content":"hello"}]"""));

        Assert.Equal(0, blocks.Count);
        Assert.Same(PromptBlocks.None, blocks);
    }

    [Fact]
    public void Of_SameBytesTwice_SameHashes()
    {
        var text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 200).Select(i => $"word{i} ")));

        Assert.Equal(PromptBlocks.Of(text).Hashes, PromptBlocks.Of(text).Hashes);
        Assert.Equal(text.Length, PromptBlocks.Of(text).ByteLength);
    }
}
