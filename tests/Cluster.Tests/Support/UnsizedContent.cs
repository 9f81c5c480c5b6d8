using System.Net;
using System.Text;

namespace Cluster.Tests.Support;

/// <summary>A request body sent without Content-Length (chunked), as streaming clients send them.</summary>
public sealed class UnsizedContent(string text) : HttpContent
{
    private readonly byte[] _bytes = Encoding.UTF8.GetBytes(text);

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(_bytes).AsTask();

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
