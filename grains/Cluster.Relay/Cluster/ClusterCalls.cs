using Orleans.Runtime;

namespace Cluster.Relay.Cluster;

/// <summary>
/// Grain calls on the request path that must survive a silo dying, draining or joining. Until the
/// cluster has declared a dead silo dead, calls to grains it held are rejected, time out or find no
/// silo; they are sent again, with backoff, for up to <see cref="RelayClusterOptions.RetryWindow"/>,
/// after which the grain has re-activated on a survivor. Every method retried here is idempotent by
/// request id (admission, settlement, ledger record) or harmless to repeat (a session pin).
/// </summary>
internal static class ClusterCalls
{
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan LongestPause = TimeSpan.FromSeconds(1);

    /// <summary>A failure of the cluster's plumbing, not of the call's own logic: worth sending again.</summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        OrleansMessageRejectionException or SiloUnavailableException or TimeoutException
            or Orleans.Runtime.Messaging.ConnectionFailedException or ClientNotAvailableException => true,

        // "No gateways available" / "No active nodes": the client sees no silo for the moment.
        OrleansException { InnerException: null } orleans => orleans.Message.Contains("gateway", StringComparison.OrdinalIgnoreCase)
            || orleans.Message.Contains("No active nodes", StringComparison.Ordinal),
        _ => false,
    };

    public static Task<T> RetryAsync<T>(Func<Task<T>> call, TimeSpan window, TimeProvider time, CancellationToken cancellationToken = default) =>
        RetryAsync(call, window, time, IsTransient, cancellationToken);

    public static async Task<T> RetryAsync<T>(Func<Task<T>> call, TimeSpan window, TimeProvider time, Func<Exception, bool> retryable, CancellationToken cancellationToken = default)
    {
        var started = time.GetTimestamp();
        var pause = FirstPause;
        while (true)
        {
            try
            {
                return await call().ConfigureAwait(false);
            }
            catch (Exception ex) when (retryable(ex) && time.GetElapsedTime(started) + pause < window && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(pause, time, cancellationToken).ConfigureAwait(false);
                pause = pause * 2 < LongestPause ? pause * 2 : LongestPause;
            }
        }
    }

    public static Task RetryAsync(Func<Task> call, TimeSpan window, TimeProvider time, CancellationToken cancellationToken = default) =>
        RetryAsync(call, window, time, IsTransient, cancellationToken);

    public static Task RetryAsync(Func<Task> call, TimeSpan window, TimeProvider time, Func<Exception, bool> retryable, CancellationToken cancellationToken = default) =>
        RetryAsync(
            async () =>
            {
                await call().ConfigureAwait(false);
                return true;
            },
            window,
            time,
            retryable,
            cancellationToken);
}
