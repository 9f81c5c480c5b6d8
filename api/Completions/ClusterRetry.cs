using Orleans.Runtime;

namespace Cluster.Api.Completions;

/// <summary>
/// Retries a grain call the cluster rejected without running it (its silo had just died or was
/// shutting down), or that could not be sent because the connection to its gateway failed: nothing
/// reached a backend, so it is safe to send again, now to a survivor.
/// A call that timed out or whose silo died is retried too when <paramref name="undispatched"/>
/// says the backend was never called (the grain had not sent its dispatch marker). Any other
/// failure is not retried here, since the backend may have seen the request.
/// </summary>
/// <remarks>A timeout means the silo stopped answering: a live one long-polls with heartbeats well inside the response timeout.</remarks>
internal static class ClusterRetry
{
    private const int Attempts = 3;
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(200);

    public static async Task<T> RunAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken, Func<bool>? undispatched = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Exception ex) when ((ex is OrleansMessageRejectionException or Orleans.Runtime.Messaging.ConnectionFailedException
                    || (ex is TimeoutException or SiloUnavailableException && undispatched?.Invoke() == true))
                && attempt < Attempts && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(Pause * attempt, cancellationToken);
            }
        }
    }
}
