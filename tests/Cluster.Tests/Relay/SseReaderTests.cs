using System.Text;
using Cluster.Relay.Wire;
using Cluster.Relay.Completions;
using Cluster.Tests.Support;

namespace Cluster.Tests.Relay;

[Trait("Category", "Unit")]
public sealed class SseReaderTests
{
    private const string TwoEvents = "data: {\"a\":1}\n\ndata: {\"b\":\"x y\"}\n\ndata: [DONE]\n\n";
    private static readonly string[] TwoEventsData = ["{\"a\":1}", "{\"b\":\"x y\"}"];

    [Fact]
    public async Task ReadAsync_SplitIntoTwoReadsAtEveryByteBoundary_YieldsTheSameEvents()
    {
        var bytes = Encoding.UTF8.GetBytes(TwoEvents);
        for (var split = 1; split < bytes.Length; split++)
        {
            var events = await ReadAsync([bytes[..split], bytes[split..]]);

            Assert.True(TwoEventsData.SequenceEqual(events), $"Split at {split}: [{string.Join(" | ", events)}]");
        }
    }

    [Fact]
    public async Task ReadAsync_CrLfSplitIntoThreeReadsAtEveryPairOfBoundaries_YieldsTheSameEvents()
    {
        var bytes = Encoding.UTF8.GetBytes(TwoEvents.Replace("\n", "\r\n", StringComparison.Ordinal));
        for (var first = 1; first < bytes.Length - 1; first++)
        {
            for (var second = first + 1; second < bytes.Length; second++)
            {
                var events = await ReadAsync([bytes[..first], bytes[first..second], bytes[second..]]);

                Assert.True(TwoEventsData.SequenceEqual(events), $"Splits at {first}, {second}: [{string.Join(" | ", events)}]");
            }
        }
    }

    [Fact]
    public async Task ReadAsync_OneByteAtATime_YieldsTheSameEvents()
    {
        var bytes = Encoding.UTF8.GetBytes(TwoEvents);

        var events = await ReadAsync(bytes.Select(b => new[] { b }));

        Assert.Equal(TwoEventsData, events);
    }

    [Fact]
    public async Task ReadAsync_MultiLineData_JoinsLinesWithNewline()
    {
        var events = await ReadAsync("data: {\"a\":\ndata: 1}\n\ndata: [DONE]\n\n");

        Assert.Equal(["{\"a\":\n1}"], events);
    }

    [Fact]
    public async Task ReadAsync_Done_StopsReadingEvenIfMoreFollows()
    {
        var events = await ReadAsync("data: {\"a\":1}\n\ndata: [DONE]\n\ndata: {\"late\":true}\n\n");

        Assert.Equal(["{\"a\":1}"], events);
    }

    [Theory]
    [InlineData("data: {\"a\":1}\n\ndata: {\"b\":2}")]
    [InlineData("data: {\"a\":1}\n\ndata: {\"b\":2}\n")]
    [InlineData("data: {\"a\":1}\r\n\r\ndata: {\"b\":2}\r\n")]
    [InlineData("data: {\"a\":1}\n\ndata: {\"b\":2}\n\n")]
    public async Task ReadAsync_StreamEndsWithoutBlankLineOrDone_YieldsTheLastEventToo(string body)
    {
        var events = await ReadAsync(body);

        Assert.Equal(["{\"a\":1}", "{\"b\":2}"], events);
    }

    [Theory]
    [InlineData("data: {\"a\":1}\n\ndata: [DONE]")]
    [InlineData("data: {\"a\":1}\n\ndata: [DONE]\r\n")]
    public async Task ReadAsync_DoneWithoutBlankLine_IsNotAnEvent(string body)
    {
        var events = await ReadAsync(body);

        Assert.Equal(["{\"a\":1}"], events);
    }

    [Fact]
    public async Task ReadAsync_CommentsAndOtherFields_AreIgnored()
    {
        var events = await ReadAsync(": keep-alive\n\nevent: message\nid: 7\nretry: 100\ndata: {\"a\":1}\n\n: ping\n\ndata:{\"b\":2}\n\ndata: [DONE]\n\n");

        Assert.Equal(["{\"a\":1}", "{\"b\":2}"], events);
    }

    [Fact]
    public async Task ReadAsync_DataWithTwoLeadingSpaces_KeepsTheSecond()
    {
        var events = await ReadAsync("data:  {\"a\":1}\n\n");

        Assert.Equal([" {\"a\":1}"], events);
    }

    [Fact]
    public async Task ReadAsync_EventLargerThanTheReadBuffer_IsYieldedWhole()
    {
        var big = "{\"text\":\"" + new string('x', 100_000) + "\"}";
        var bytes = Encoding.UTF8.GetBytes("data: " + big + "\n\ndata: [DONE]\n\n");

        var events = await ReadAsync(bytes.Chunk(4096));

        Assert.Equal([big], events);
    }

    [Fact]
    public async Task ReadAsync_MultiByteCharacterSplitAcrossReads_IsKeptIntact()
    {
        var bytes = Encoding.UTF8.GetBytes("data: {\"t\":\"é模\"}\n\n");
        var inside = Array.IndexOf(bytes, (byte)0xE6) + 1;

        var events = await ReadAsync([bytes[..inside], bytes[inside..]]);

        Assert.Equal(["{\"t\":\"é模\"}"], events);
    }

    private static Task<List<string>> ReadAsync(string body) => ReadAsync([Encoding.UTF8.GetBytes(body)]);

    private static async Task<List<string>> ReadAsync(IEnumerable<byte[]> pieces)
    {
        var events = new List<string>();
        await foreach (var data in SseReader.ReadAsync(new ScriptedReadStream(pieces), CancellationToken.None))
        {
            events.Add(Encoding.UTF8.GetString(data));
        }

        return events;
    }
}
