using Cluster.Grains.Errors;
using Cluster.Relay.Providers;

namespace Cluster.Tests.Support.InMemory;

/// <summary>
/// A model provider for unit tests of the relay: the n-th backend call (whatever its deployment) plays
/// the n-th script queued; a call with no script left answers with <see cref="Reply"/>. Every call is
/// recorded with its deployment. A non-streamed call returns the first element of its script.
/// </summary>
internal sealed class ScriptedProvider : IModelProvider
{
    public const string Name = "scripted";

    private readonly Queue<Func<CancellationToken, IAsyncEnumerable<byte[]>>> _scripts = new();
    private readonly Lock _gate = new();

    /// <summary>The deployment of every backend call, in call order.</summary>
    public LockedCollection<string> Calls { get; } = new();

    public ScriptedProvider Then(Func<CancellationToken, IAsyncEnumerable<byte[]>> script)
    {
        lock (_gate)
        {
            _scripts.Enqueue(script);
        }

        return this;
    }

    public ScriptedProvider Then(ControlledStream stream) => Then(stream.ReadAsync);

    public async Task<byte[]> CompleteAsync(UpstreamCall call, CancellationToken cancellationToken)
    {
        await foreach (var body in Next(call)(cancellationToken).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            return body;
        }

        throw new InvalidOperationException("A unary script must produce a body.");
    }

    public IAsyncEnumerable<byte[]> StreamAsync(UpstreamCall call, CancellationToken cancellationToken) => Next(call)(cancellationToken);

    private Func<CancellationToken, IAsyncEnumerable<byte[]>> Next(UpstreamCall call)
    {
        Calls.Add(call.Deployment.Id);
        lock (_gate)
        {
            return _scripts.TryDequeue(out var script) ? script : Reply(WireChunks.Content("Hello"), WireChunks.Usage(5, 1));
        }
    }

    /// <summary>A backend that sends these chunks and ends.</summary>
    public static Func<CancellationToken, IAsyncEnumerable<byte[]>> Reply(params string[] chunks) => _ => Chunks(chunks, failure: null);

    /// <summary>A backend that fails before sending anything.</summary>
    public static Func<CancellationToken, IAsyncEnumerable<byte[]>> Fail(GatewayException failure) => _ => Chunks([], failure);

    /// <summary>A backend that sends these chunks, then fails.</summary>
    public static Func<CancellationToken, IAsyncEnumerable<byte[]>> ReplyThenFail(GatewayException failure, params string[] chunks) => _ => Chunks(chunks, failure);

    private static async IAsyncEnumerable<byte[]> Chunks(string[] chunks, GatewayException? failure)
    {
        await Task.Yield();
        foreach (var chunk in chunks)
        {
            yield return System.Text.Encoding.UTF8.GetBytes(chunk);
        }

        if (failure is not null)
        {
            throw failure;
        }
    }
}
