using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Cluster.Tests.Contract;
using Cluster.Tests.Support;
using OpenAI.Embeddings;

namespace Cluster.Tests.EndToEnd;

[Collection(GatewayFixture.Name)]
public sealed class EmbeddingsTests(GatewayFixture gateway)
{
    private const int EchoDimensions = 16;

    [Fact]
    public async Task GenerateEmbedding_SdkOnFakeModel_ReturnsUpstreamVector()
    {
        var marker = GatewayFixture.NewMarker();

        OpenAIEmbedding embedding = await gateway.Embeddings(GatewayFixture.FakeAlias).GenerateEmbeddingAsync(marker);

        Assert.Equal([0.6f, 0.8f, 0f], embedding.ToFloats().ToArray());
        var received = gateway.UpstreamRequestWith(marker);
        Assert.Equal(GatewayFixture.UpstreamModel, received["model"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task GenerateEmbeddings_SdkOnEchoModel_ReturnsOneVectorPerInputInOrder(bool v1)
    {
        OpenAIEmbeddingCollection embeddings = await gateway.Embeddings(GatewayFixture.EchoModel, v1).GenerateEmbeddingsAsync(["first", "second", "first"]);

        Assert.Equal(GatewayFixture.EchoModel, embeddings.Model);
        Assert.Equal(3, embeddings.Count);
        Assert.Equal([0, 1, 2], embeddings.Select(e => e.Index));
        Assert.All(embeddings, e => Assert.Equal(EchoDimensions, e.ToFloats().Length));
        Assert.Equal(embeddings[0].ToFloats().ToArray(), embeddings[2].ToFloats().ToArray());
        Assert.NotEqual(embeddings[0].ToFloats().ToArray(), embeddings[1].ToFloats().ToArray());
        Assert.True(embeddings.Usage.InputTokenCount > 0);
    }

    [Fact]
    public async Task GenerateEmbeddings_SdkTokenInput_EqualsEmbeddingOfSameText()
    {
        var client = gateway.Embeddings(GatewayFixture.EchoModel);

        // "Hello world" in cl100k_base, the encoding OpenAI clients use for token input.
        OpenAIEmbeddingCollection fromTokens = await client.GenerateEmbeddingsAsync([new ReadOnlyMemory<int>([9906, 1917])]);
        OpenAIEmbedding fromText = await client.GenerateEmbeddingAsync("Hello world");

        Assert.Equal(fromText.ToFloats().ToArray(), Assert.Single(fromTokens).ToFloats().ToArray());
    }

    [Theory]
    [InlineData("/v1/embeddings", "\"one text\"", 1)]
    [InlineData("/v1/embeddings", "[\"one\",\"two\",\"three\"]", 3)]
    [InlineData("/embeddings", "[9906,1917]", 1)]
    [InlineData("/embeddings", "[[9906,1917],[9906]]", 2)]
    public async Task PostEmbeddings_EchoModelWithEachInputShape_ReturnsContractBody(string path, string input, int count)
    {
        var response = await gateway.PostAsync(path, $$"""{"model":"echo","input":{{input}},"encoding_format":"float"}""");

        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal("application/json", response.ContentType);
        OpenApiContract.AssertValid("CreateEmbeddingResponse", response.Body);
        var body = response.Json;
        Assert.Equal(GatewayFixture.EchoModel, body["model"]!.GetValue<string>());
        var data = body["data"]!.AsArray();
        Assert.Equal(count, data.Count);
        Assert.All(data, d => Assert.Equal(EchoDimensions, d!["embedding"]!.AsArray().Count));
        Assert.True(body["usage"]!["prompt_tokens"]!.GetValue<int>() > 0);
        Assert.StartsWith("req_", response.Header("x-request-id"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostEmbeddings_FakeModelWithTokenArrays_ForwardsInputUnchanged()
    {
        var marker = GatewayFixture.NewMarker();

        var response = await gateway.PostAsync("/v1/embeddings", $$"""{"model":"fake","input":[[1,2,3],[4]],"user":"{{marker}}"}""");

        Assert.Equal(HttpStatusCode.OK, response.Status);
        OpenApiContract.AssertValid("CreateEmbeddingResponse", response.Body);
        Assert.Equal(GatewayFixture.FakeModel, response.Json["model"]!.GetValue<string>());
        var received = gateway.UpstreamRequestWith(marker);
        Assert.Equal("[[1,2,3],[4]]", received["input"]!.ToJsonString());
        Assert.Equal(GatewayFixture.UpstreamModel, received["model"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(GatewayFixture.EchoModel)]
    [InlineData(GatewayFixture.FakeModel)]
    [InlineData(GatewayFixture.MiniLmModel)]
    public async Task PostEmbeddings_Base64_DecodesToTheFloatResult(string model)
    {
        const string Input = """["the cat sat on the mat","a second sentence"]""";

        var floats = await gateway.PostAsync("/v1/embeddings", $$"""{"model":"{{model}}","input":{{Input}},"encoding_format":"float"}""");
        var base64 = await gateway.PostAsync("/v1/embeddings", $$"""{"model":"{{model}}","input":{{Input}},"encoding_format":"base64"}""");

        Assert.Equal(HttpStatusCode.OK, floats.Status);
        Assert.Equal(HttpStatusCode.OK, base64.Status);
        OpenApiContract.AssertValid("CreateEmbeddingResponse", floats.Body);
        var expected = floats.Json["data"]!.AsArray().Select(d => d!["embedding"]!.AsArray().Select(v => v!.GetValue<float>()).ToArray()).ToArray();
        var encoded = base64.Json;
        var actual = encoded["data"]!.AsArray().Select(d => Decode(d!["embedding"]!.GetValue<string>())).ToArray();
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Length, actual[i].Length);
            for (var j = 0; j < expected[i].Length; j++)
            {
                Assert.Equal(expected[i][j], actual[i][j], 1e-6f);
            }
        }

        // Apart from the encoding, the base64 answer is the same contract body.
        foreach (var item in encoded["data"]!.AsArray())
        {
            item!["embedding"] = new JsonArray([.. Decode(item["embedding"]!.GetValue<string>()).Select(v => (JsonNode)v)]);
        }

        OpenApiContract.AssertValid("CreateEmbeddingResponse", encoded.ToJsonString());
    }

    [Fact]
    public async Task PostEmbeddings_EchoModelWithDimensions_ReturnsShortenedUnitVectors()
    {
        var response = await gateway.PostAsync("/v1/embeddings", """{"model":"echo","input":"shorter","dimensions":8}""");

        Assert.Equal(HttpStatusCode.OK, response.Status);
        var vector = response.Json["data"]![0]!["embedding"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        Assert.Equal(8, vector.Length);
        Assert.Equal(1.0, Math.Sqrt(vector.Sum(v => v * v)), 4);
    }

    [Fact]
    public async Task GenerateEmbeddings_SdkOnMiniLm_ReturnsUnitVectorsThatRankMeaning()
    {
        OpenAIEmbeddingCollection embeddings = await gateway.Embeddings(GatewayFixture.MiniLmModel).GenerateEmbeddingsAsync(
            ["A cat is sleeping on the sofa.", "A kitten naps on the couch.", "The stock market fell sharply today."]);

        Assert.Equal(GatewayFixture.MiniLmModel, embeddings.Model);
        var vectors = embeddings.Select(e => e.ToFloats().ToArray()).ToArray();
        Assert.All(vectors, v => Assert.Equal(GatewayFixture.MiniLmDimensions, v.Length));
        Assert.All(vectors, v => Assert.Equal(1.0, Math.Sqrt(v.Sum(x => (double)x * x)), 3));
        Assert.True(Cosine(vectors[0], vectors[1]) > Cosine(vectors[0], vectors[2]) + 0.2);
        Assert.True(embeddings.Usage.InputTokenCount > 0);
    }

    [Fact]
    public async Task PostEmbeddings_MiniLmWithTextsAndTokens_ReturnsContractBody()
    {
        var response = await gateway.PostAsync("/embeddings", """{"model":"minilm","input":["one","two"]}""");
        var tokens = await gateway.PostAsync("/embeddings", """{"model":"minilm","input":[[9906,1917]]}""");

        Assert.Equal(HttpStatusCode.OK, response.Status);
        OpenApiContract.AssertValid("CreateEmbeddingResponse", response.Body);
        Assert.Equal(2, response.Json["data"]!.AsArray().Count);
        Assert.Equal(GatewayFixture.MiniLmDimensions, response.Json["data"]![0]!["embedding"]!.AsArray().Count);
        Assert.Equal(HttpStatusCode.OK, tokens.Status);
        OpenApiContract.AssertValid("CreateEmbeddingResponse", tokens.Body);
    }

    private static float[] Decode(string base64) => MemoryMarshal.Cast<byte, float>(Convert.FromBase64String(base64)).ToArray();

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }

        return dot / Math.Sqrt(na * nb);
    }
}
