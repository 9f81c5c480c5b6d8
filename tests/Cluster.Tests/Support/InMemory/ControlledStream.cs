using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Cluster.Tests.Support.InMemory;

/// <summary>
/// A backend response the test drives chunk by chunk, so the relay's timeouts can be driven by a fake
/// clock: <see cref="Called"/> completes when the relay calls it, <see cref="Waiting"/> tells how many
/// reads are waiting for the next chunk.
/// </summary>
internal sealed class ControlledStream
{
    private readonly Channel<byte[]> _chunks = Channel.CreateUnbounded<byte[]>();
    private readonly TaskCompletionSource _called = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _cancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _reads;

    public Task Called => _called.Task;

    /// <summary>
    /// Completes when the relay abandoned the backend call before its end (a timeout, or the client
    /// went away): by cancelling its token, or by disposing the stream while it was still open.
    /// </summary>
    public Task Cancelled => _cancelled.Task;

    /// <summary>Reads started so far (the relay asks for chunk n+1 after it relayed chunk n).</summary>
    public int Reads => Volatile.Read(ref _reads);

    public void Send(string chunk) => _chunks.Writer.TryWrite(System.Text.Encoding.UTF8.GetBytes(chunk));

    public void End() => _chunks.Writer.TryComplete();

    public async IAsyncEnumerable<byte[]> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        _called.TrySetResult();
        using var registration = cancellationToken.Register(() => _cancelled.TrySetResult());
        var ended = false;
        try
        {
            while (true)
            {
                Interlocked.Increment(ref _reads);
                if (!await _chunks.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    ended = true;
                    yield break;
                }

                while (_chunks.Reader.TryRead(out var chunk))
                {
                    yield return chunk;
                }
            }
        }
        finally
        {
            if (!ended)
            {
                _cancelled.TrySetResult();
            }
        }
    }
}
