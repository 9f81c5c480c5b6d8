namespace Cluster.Tests.Support;

/// <summary>
/// Waits for a condition by polling it until a deadline; fails naming what was awaited. The one way
/// tests wait for something that happens asynchronously (never a fixed sleep before an assertion).
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(50);

    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan timeout, Func<string>? context = null, TimeSpan? interval = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow >= deadline)
            {
                Assert.Fail($"Timed out after {timeout} waiting for {what}.{(context is null ? "" : Environment.NewLine + context())}");
            }

            await Task.Delay(interval ?? DefaultInterval);
        }
    }

    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan timeout, Func<string>? context = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, timeout, context);

    /// <summary>Reads a value until it satisfies <paramref name="done"/> and returns it; fails with the last value read at the deadline.</summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what, TimeSpan timeout, TimeSpan? interval = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow >= deadline)
            {
                Assert.Fail($"Timed out after {timeout} waiting for {what}; the last value read: {value}");
            }

            await Task.Delay(interval ?? DefaultInterval);
        }
    }
}
