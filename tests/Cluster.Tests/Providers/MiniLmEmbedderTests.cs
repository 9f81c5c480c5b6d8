using Cluster.Relay.Providers.LocalEmbeddings;

namespace Cluster.Tests.Providers;

/// <summary>One embedder for the whole test class, so the model loads once.</summary>
public sealed class MiniLmEmbedderFixture : IDisposable
{
    internal MiniLmEmbedder Embedder { get; } = new();

    public void Dispose() => Embedder.Dispose();
}

[Trait("Category", "Unit")]
public sealed class MiniLmEmbedderTests(MiniLmEmbedderFixture fixture) : IClassFixture<MiniLmEmbedderFixture>
{
    private const double UnitTolerance = 1e-3;

    private readonly MiniLmEmbedder _embedder = fixture.Embedder;

    [Fact]
    public void Vectors_have_384_dimensions()
    {
        var vectors = _embedder.Embed(["The cat sits on the mat", "Quarterly revenue grew by 12 percent"]);

        Assert.Equal(2, vectors.Length);
        Assert.All(vectors, v => Assert.Equal(384, v.Length));
        Assert.Equal(384, MiniLmEmbedder.Dimensions);
    }

    [Fact]
    public void Vectors_are_unit_length_and_finite()
    {
        string[] texts =
        [
            "The cat sits on the mat",
            "A",
            "Quarterly revenue grew by 12 percent, driven by strong demand in Europe and Asia.",
            "日本語のテキスト",
            "   ",
        ];

        var vectors = _embedder.Embed(texts);

        Assert.All(vectors, v =>
        {
            Assert.All(v, x => Assert.True(float.IsFinite(x)));
            Assert.Equal(1.0, Norm(v), UnitTolerance);
        });
    }

    [Fact]
    public void The_same_text_gives_the_same_vector()
    {
        var first = _embedder.Embed(["Orleans grains are virtual actors."])[0];
        var second = _embedder.Embed(["Orleans grains are virtual actors."])[0];

        Assert.Equal(first, second);
    }

    [Fact]
    public void A_text_gets_nearly_the_same_vector_alone_and_in_a_batch()
    {
        const string text = "Orleans grains are virtual actors.";
        var alone = _embedder.Embed([text])[0];
        var inBatch = _embedder.Embed(
            ["A much longer text that comes first and pads the batch out to many more tokens than the other one.", text])[1];

        Assert.True(Cosine(alone, inBatch) > 0.9999, $"cosine {Cosine(alone, inBatch)}");
    }

    [Fact]
    public void Vectors_match_the_reference_values_of_the_model()
    {
        // Components of all-MiniLM-L6-v2's vectors as the package's own SentenceEncoder (a separate
        // implementation of tokenizer, pooling and normalisation) computes them for these texts.
        var vectors = _embedder.Embed(["The cat sits on the mat", "Quarterly revenue grew by 12 percent"]);

        int[] indexes = [0, 1, 2, 100, 383];
        float[][] expected =
        [
            [0.134891f, -0.032063f, -0.020335f, -0.023915f, 0.058633f],
            [0.079239f, 0.019736f, -0.040149f, 0.085985f, -0.008305f],
        ];
        for (var v = 0; v < expected.Length; v++)
        {
            for (var i = 0; i < indexes.Length; i++)
            {
                Assert.Equal(expected[v][i], vectors[v][indexes[i]], 1e-4f);
            }
        }
    }

    [Fact]
    public void Similar_sentences_are_closer_than_unrelated_ones()
    {
        var vectors = _embedder.Embed(
            ["The cat sits on the mat", "A cat is sitting on a rug", "Quarterly revenue grew by 12 percent"]);

        var similar = Cosine(vectors[0], vectors[1]);
        var unrelated = Cosine(vectors[0], vectors[2]);

        Assert.True(similar > unrelated, $"similar {similar}, unrelated {unrelated}");
        Assert.True(similar > 0.5, $"similar {similar}");
        Assert.True(unrelated < 0.3, $"unrelated {unrelated}");
    }

    [Fact]
    public void A_batch_of_100_texts_returns_100_vectors_in_input_order()
    {
        // Lengths vary so the embedder reorders them into several runs; each vector must come
        // back at its text's index.
        var texts = Enumerable.Range(0, 100)
            .Select(i => $"Document {i} is about " + string.Join(' ', Enumerable.Repeat($"topic{i % 7}", (i * 37) % 60)))
            .ToArray();

        var vectors = _embedder.Embed(texts);

        Assert.Equal(100, vectors.Length);
        Assert.All(vectors, v =>
        {
            Assert.Equal(MiniLmEmbedder.Dimensions, v.Length);
            Assert.Equal(1.0, Norm(v), UnitTolerance);
        });
        foreach (var i in new[] { 0, 1, 13, 50, 98, 99 })
        {
            var alone = _embedder.Embed([texts[i]])[0];
            Assert.True(Cosine(alone, vectors[i]) > 0.9999, $"text {i}: cosine {Cosine(alone, vectors[i])}");
        }
    }

    [Fact]
    public void Concurrent_calls_give_the_same_vectors_as_sequential_ones()
    {
        var inputs = Enumerable.Range(0, 8)
            .Select(t => Enumerable.Range(0, 5).Select(i => $"Thread {t} sentence {i}: the weather is {(i % 2 == 0 ? "sunny" : "rainy")} today.").ToArray())
            .ToArray();
        var sequential = inputs.Select(batch => _embedder.Embed(batch)).ToArray();

        var concurrent = new float[inputs.Length][][];
        using var start = new Barrier(inputs.Length);
        var threads = Enumerable.Range(0, inputs.Length)
            .Select(t => new Thread(() =>
            {
                start.SignalAndWait();
                for (var round = 0; round < 3; round++)
                {
                    concurrent[t] = _embedder.Embed(inputs[t]);
                }
            }))
            .ToArray();
        foreach (var thread in threads)
        {
            thread.Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        for (var t = 0; t < inputs.Length; t++)
        {
            Assert.Equal(sequential[t].Length, concurrent[t].Length);
            for (var i = 0; i < sequential[t].Length; i++)
            {
                for (var d = 0; d < MiniLmEmbedder.Dimensions; d++)
                {
                    Assert.Equal(sequential[t][i][d], concurrent[t][i][d], 1e-5f);
                }
            }
        }
    }

    [Fact]
    public void A_10000_word_text_is_truncated_not_rejected()
    {
        var words = string.Join(' ', Enumerable.Range(0, 10_000).Select(i => $"word{i % 100}"));

        var vector = _embedder.Embed([words])[0];

        Assert.Equal(MiniLmEmbedder.Dimensions, vector.Length);
        Assert.Equal(1.0, Norm(vector), UnitTolerance);

        // Only the first MaxSequenceLength tokens count: what follows them changes nothing.
        var changedTail = _embedder.Embed([words + " completely different ending about quantum physics"])[0];
        Assert.Equal(vector, changedTail);
        Assert.True(_embedder.CountTokens(words) > MiniLmEmbedder.MaxSequenceLength);
    }

    [Fact]
    public void An_empty_text_gets_a_valid_vector()
    {
        var vectors = _embedder.Embed(["", "something"]);

        Assert.Equal(MiniLmEmbedder.Dimensions, vectors[0].Length);
        Assert.Equal(1.0, Norm(vectors[0]), UnitTolerance);
        Assert.True(Cosine(vectors[0], vectors[1]) < 0.99);
    }

    [Fact]
    public void An_empty_list_gives_no_vectors()
    {
        Assert.Empty(_embedder.Embed([]));
    }

    [Fact]
    public void A_null_text_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => _embedder.Embed(["fine", null!]));
    }

    [Fact]
    public void Line_breaks_and_tabs_separate_words_like_spaces()
    {
        var vectors = _embedder.Embed(["hello world\tand goodbye", "hello\nworld\r\nand\tgoodbye"]);

        Assert.True(Cosine(vectors[0], vectors[1]) > 0.9999, $"cosine {Cosine(vectors[0], vectors[1])}");
    }

    [Fact]
    public void Accents_are_stripped_as_the_uncased_model_expects()
    {
        var vectors = _embedder.Embed(["Café in Zürich, naïve résumé", "Cafe in Zurich, naive resume"]);

        Assert.True(Cosine(vectors[0], vectors[1]) > 0.9999, $"cosine {Cosine(vectors[0], vectors[1])}");
        Assert.Equal(_embedder.CountTokens("Cafe in Zurich"), _embedder.CountTokens("Café in Zürich"));
    }

    [Fact]
    public void CountTokens_counts_wordpiece_tokens()
    {
        Assert.InRange(_embedder.CountTokens("hello world"), 1, 4);
        Assert.Equal(0, _embedder.CountTokens(""));
        Assert.True(
            _embedder.CountTokens("The quick brown fox jumps over the lazy dog") >= 9,
            "one token per word at least");
    }

    [Fact]
    public void Constructing_and_counting_tokens_do_not_load_the_model()
    {
        using var embedder = new MiniLmEmbedder();

        Assert.False(embedder.IsModelLoaded);
        Assert.True(embedder.CountTokens("hello world") > 0);
        Assert.False(embedder.IsModelLoaded);
    }

    [Fact]
    public void A_disposed_embedder_refuses_calls()
    {
        var embedder = new MiniLmEmbedder();
        embedder.Dispose();
        embedder.Dispose();

        Assert.Throws<ObjectDisposedException>(() => embedder.Embed(["text"]));
        Assert.Throws<ObjectDisposedException>(() => embedder.CountTokens("text"));
    }

    private static double Norm(float[] vector) => Math.Sqrt(vector.Sum(x => (double)x * x));

    private static double Cosine(float[] a, float[] b)
    {
        var dot = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
        }

        return dot / (Norm(a) * Norm(b));
    }
}
