namespace Cluster.Hosting;

/// <summary>
/// Lets a client-mode front-end start while its silos are still starting: connection attempts are
/// retried for a bounded time, then the host fails with the cluster's error.
/// </summary>
internal sealed class StartupConnectionRetry(TimeSpan patience)
{
    private readonly DateTime _giveUpAt = DateTime.UtcNow + patience;

    public async Task<bool> ShouldRetryAsync(Exception exception, CancellationToken cancellationToken)
    {
        if (DateTime.UtcNow >= _giveUpAt)
        {
            return false;
        }

        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        return true;
    }
}
