using System.Buffers;
using System.IO.Pipelines;

namespace Cluster.Api.OpenAI;

/// <summary>Server-sent event framing, exactly as OpenAI sends it: <c>data: {json}\n\n</c> and a final <c>data: [DONE]\n\n</c>.</summary>
internal static class SseWriter
{
    public static void WriteEvent(PipeWriter writer, ReadOnlySpan<byte> data)
    {
        var span = writer.GetSpan(data.Length + 8);
        "data: "u8.CopyTo(span);
        data.CopyTo(span[6..]);
        "\n\n"u8.CopyTo(span[(6 + data.Length)..]);
        writer.Advance(data.Length + 8);
    }

    public static void WriteDone(PipeWriter writer) => writer.Write("data: [DONE]\n\n"u8);

    public static void StartStream(HttpResponse response)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
    }
}
