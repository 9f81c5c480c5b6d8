using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Cluster.Bench.Upstream;

/// <summary>
/// Response bodies built once at start-up as UTF-8 byte runs around the model name, so a
/// response costs a few buffer copies and no serialisation.
/// </summary>
internal sealed class UpstreamPayloads
{
    private const string Id = "chatcmpl-bench00000000000000000000000000";
    private const string Created = "1700000000";
    private const int PromptTokens = 12;

    private readonly byte[] _chatPrefix;
    private readonly byte[] _chatSuffix;
    private readonly byte[] _completionPrefix;
    private readonly byte[] _completionSuffix;
    private readonly byte[] _chatChunkPrefix;
    private readonly byte[] _completionChunkPrefix;
    private readonly byte[][] _chatChunkSuffixes;
    private readonly byte[][] _chatChunkSuffixesWithUsage;
    private readonly byte[][] _completionChunkSuffixes;
    private readonly byte[][] _completionChunkSuffixesWithUsage;
    private readonly byte[] _chatUsageChunkSuffix;
    private readonly byte[] _completionUsageChunkSuffix;
    private readonly string _embeddingFloats;
    private readonly string _embeddingBase64;

    public UpstreamPayloads(int streamChunks)
    {
        var content = BuildContent();
        var completionTokens = content.Split(' ').Length;
        var usage = Usage(completionTokens);

        // JSON is written with single quotes for readability and turned into double quotes once.
        _chatPrefix = Utf8(Q($"{{'id':'{Id}','object':'chat.completion','created':{Created},'model':'"));
        _chatSuffix = Utf8(Q($"','system_fingerprint':'fp_bench','choices':[{{'index':0,'message':{{'role':'assistant','content':'{content}','refusal':null}},'logprobs':null,'finish_reason':'stop'}}],'usage':{usage}}}"));
        _completionPrefix = Utf8(Q($"{{'id':'cmpl-bench','object':'text_completion','created':{Created},'model':'"));
        _completionSuffix = Utf8(Q($"','system_fingerprint':'fp_bench','choices':[{{'text':'{content}','index':0,'logprobs':null,'finish_reason':'stop'}}],'usage':{usage}}}"));

        _chatChunkPrefix = Utf8(Q($"data: {{'id':'{Id}','object':'chat.completion.chunk','created':{Created},'model':'"));
        _completionChunkPrefix = Utf8(Q($"data: {{'id':'cmpl-bench','object':'text_completion','created':{Created},'model':'"));
        _chatChunkSuffixes = new byte[streamChunks][];
        _chatChunkSuffixesWithUsage = new byte[streamChunks][];
        _completionChunkSuffixes = new byte[streamChunks][];
        _completionChunkSuffixesWithUsage = new byte[streamChunks][];
        for (var i = 0; i < streamChunks; i++)
        {
            var first = i == 0;
            var last = i == streamChunks - 1;
            var token = string.Create(CultureInfo.InvariantCulture, $"tok{i} ");
            var delta = first ? $"{{'role':'assistant','content':'{token}'}}" : $"{{'content':'{token}'}}";
            var finish = last ? "'stop'" : "null";
            var chat = $"','system_fingerprint':'fp_bench','choices':[{{'index':0,'delta':{delta},'logprobs':null,'finish_reason':{finish}}}]";
            var text = $"','system_fingerprint':'fp_bench','choices':[{{'text':'{token}','index':0,'logprobs':null,'finish_reason':{finish}}}]";
            _chatChunkSuffixes[i] = Utf8(Q(chat + "}\n\n"));
            _chatChunkSuffixesWithUsage[i] = Utf8(Q(chat + ",'usage':null}\n\n"));
            _completionChunkSuffixes[i] = Utf8(Q(text + "}\n\n"));
            _completionChunkSuffixesWithUsage[i] = Utf8(Q(text + ",'usage':null}\n\n"));
        }

        var streamUsage = Usage(streamChunks);
        _chatUsageChunkSuffix = Utf8(Q($"','system_fingerprint':'fp_bench','choices':[],'usage':{streamUsage}}}\n\n"));
        _completionUsageChunkSuffix = _chatUsageChunkSuffix;

        var vector = Enumerable.Range(0, 8).Select(i => (float)Math.Round(Math.Sin(i + 1) / 3, 6)).ToArray();
        _embeddingFloats = "[" + string.Join(',', vector.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]";
        var bytes = new byte[vector.Length * sizeof(float)];
        Buffer.BlockCopy(vector, 0, bytes, 0, bytes.Length);
        _embeddingBase64 = "\"" + Convert.ToBase64String(bytes) + "\"";
    }

    public static ReadOnlySpan<byte> Done => "data: [DONE]\n\n"u8;

    public static ReadOnlySpan<byte> Models =>
        """{"object":"list","data":[{"id":"fake-upstream-model","object":"model","created":1700000000,"owned_by":"bench"}]}"""u8;

    public int StreamChunks => _chatChunkSuffixes.Length;

    public void WriteCompletion(IBufferWriter<byte> writer, bool chat, string model)
    {
        WriteAround(writer, chat ? _chatPrefix : _completionPrefix, model, chat ? _chatSuffix : _completionSuffix);
    }

    public int CompletionLength(bool chat, string model) =>
        (chat ? _chatPrefix.Length + _chatSuffix.Length : _completionPrefix.Length + _completionSuffix.Length)
        + JsonEncodedText.Encode(model).EncodedUtf8Bytes.Length;

    public void WriteChunk(IBufferWriter<byte> writer, bool chat, string model, int index, bool includeUsage)
    {
        var suffixes = (chat, includeUsage) switch
        {
            (true, false) => _chatChunkSuffixes,
            (true, true) => _chatChunkSuffixesWithUsage,
            (false, false) => _completionChunkSuffixes,
            (false, true) => _completionChunkSuffixesWithUsage,
        };
        WriteAround(writer, chat ? _chatChunkPrefix : _completionChunkPrefix, model, suffixes[index]);
    }

    public void WriteUsageChunk(IBufferWriter<byte> writer, bool chat, string model) =>
        WriteAround(writer, chat ? _chatChunkPrefix : _completionChunkPrefix, model, chat ? _chatUsageChunkSuffix : _completionUsageChunkSuffix);

    public byte[] Embeddings(string model, int inputs, bool base64)
    {
        var vector = base64 ? _embeddingBase64 : _embeddingFloats;
        var data = string.Join(',', Enumerable.Range(0, inputs).Select(i =>
            string.Create(CultureInfo.InvariantCulture, $"{{\"object\":\"embedding\",\"index\":{i},\"embedding\":{vector}}}")));
        var encodedModel = JsonEncodedText.Encode(model).ToString();
        var tokens = 4 * inputs;
        return Utf8(Q(string.Create(CultureInfo.InvariantCulture, $"{{'object':'list','data':[{data}],'model':'{encodedModel}','usage':{{'prompt_tokens':{tokens},'total_tokens':{tokens}}}}}")));
    }

    private static void WriteAround(IBufferWriter<byte> writer, byte[] prefix, string model, byte[] suffix)
    {
        writer.Write(prefix);
        writer.Write(JsonEncodedText.Encode(model).EncodedUtf8Bytes);
        writer.Write(suffix);
    }

    private static string Usage(int completionTokens) => string.Create(
        CultureInfo.InvariantCulture,
        $"{{\"prompt_tokens\":{PromptTokens},\"completion_tokens\":{completionTokens},\"total_tokens\":{PromptTokens + completionTokens}}}");

    private static string Q(string json) => json.Replace('\'', '"');

    /// <summary>About 1.1 KB of plain text, so the whole chat.completion body is about 1.4 KB.</summary>
    private static string BuildContent()
    {
        var words = new[] { "the", "cluster", "answers", "every", "request", "with", "a", "fixed", "reply", "so", "only", "overhead", "is", "measured" };
        var builder = new StringBuilder();
        var i = 0;
        while (builder.Length < 1100)
        {
            builder.Append(words[i % words.Length]).Append(' ');
            i++;
        }

        return builder.ToString().TrimEnd();
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
