using Microsoft.ML.Tokenizers;

namespace Cluster.Relay.Tokens;

/// <summary>
/// Counts tokens with real BPE tokenizers: o200k_base (GPT-4o family, the default for estimates)
/// and cl100k_base (what OpenAI clients use when they send embedding input as token ids).
/// Loaded once per process on first use.
/// </summary>
public sealed class TokenCounter
{
    private readonly Lazy<Tokenizer> _o200k = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"), LazyThreadSafetyMode.ExecutionAndPublication);
    private readonly Lazy<Tokenizer> _cl100k = new(() => TiktokenTokenizer.CreateForEncoding("cl100k_base"), LazyThreadSafetyMode.ExecutionAndPublication);

    public int Count(string text) => text.Length == 0 ? 0 : _o200k.Value.CountTokens(text);

    public int Count(ReadOnlySpan<char> text) => text.IsEmpty ? 0 : _o200k.Value.CountTokens(text);

    /// <summary>Text for token ids given as cl100k_base ids (embedding input sent as tokens).</summary>
    public string DecodeCl100k(IEnumerable<int> ids) => _cl100k.Value.Decode(ids) ?? "";

    /// <summary>Tokens of <paramref name="text"/> as o200k ids, for cutting text at a token limit.</summary>
    public IReadOnlyList<int> Encode(string text) => _o200k.Value.EncodeToIds(text);

    public string Decode(IEnumerable<int> ids) => _o200k.Value.Decode(ids) ?? "";
}
