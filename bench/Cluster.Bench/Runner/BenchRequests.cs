using System.Text;
using Cluster.Bench.Gateway;

namespace Cluster.Bench.Runner;

/// <summary>The request bodies the load generator sends (a short chat, as a chat client would).</summary>
internal static class BenchRequests
{
    private const string Messages =
        """[{"role":"system","content":"You are a benchmark."},{"role":"user","content":"Say hello in one short sentence."}]""";

    public static byte[] Chat { get; } = Encoding.UTF8.GetBytes(
        "{\"model\":\"" + GatewayConfigFile.PublicModel + "\",\"messages\":" + Messages + ",\"max_tokens\":64,\"temperature\":0}");

    public static byte[] StreamedChat { get; } = Encoding.UTF8.GetBytes(
        "{\"model\":\"" + GatewayConfigFile.PublicModel + "\",\"messages\":" + Messages
        + ",\"max_tokens\":64,\"temperature\":0,\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
}
