using System.Collections.Concurrent;
using System.Net;
using Cluster.Grains.Errors;
using Microsoft.Extensions.Options;

namespace Cluster.Api.Auth;

/// <summary>
/// Slows and then refuses a client address that keeps presenting wrong keys (model API in
/// <c>Keys</c> mode, and the admin API): each failure is answered after a delay that grows with
/// the count, and after <see cref="AuthOptions.MaxFailedAttempts"/> failures within
/// <see cref="AuthOptions.LockoutSeconds"/> the address gets 429 for that long, whatever key it
/// sends. Per front-end, in memory, bounded in size.
/// </summary>
internal sealed class FailedAuthentications(IOptions<AuthOptions> options, TimeProvider time)
{
    private const int MaxTrackedAddresses = 100_000;
    private readonly ConcurrentDictionary<IPAddress, Record> _records = new();
    private readonly AuthOptions _options = options.Value;

    /// <summary>Throws 429 while <paramref name="context"/>'s address is locked out.</summary>
    public void ThrowIfLockedOut(HttpContext context)
    {
        if (_options.MaxFailedAttempts <= 0 || AddressOf(context) is not { } address || !_records.TryGetValue(address, out var record))
        {
            return;
        }

        var now = time.GetTimestamp();
        lock (record)
        {
            if (record.LockedUntil is { } until && time.GetElapsedTime(now, until) > TimeSpan.Zero)
            {
                throw LockedOut(time.GetElapsedTime(now, until));
            }
        }
    }

    /// <summary>Counts a wrong key; waits the growing delay; throws 429 when that failure locks the address out.</summary>
    public async Task RecordFailureAsync(HttpContext context)
    {
        if (_options.MaxFailedAttempts <= 0 || AddressOf(context) is not { } address)
        {
            return;
        }

        if (_records.Count >= MaxTrackedAddresses)
        {
            Prune();
        }

        var record = _records.GetOrAdd(address, _ => new Record());
        var now = time.GetTimestamp();
        var window = _options.Lockout;
        int count;
        lock (record)
        {
            if (time.GetElapsedTime(record.WindowStart, now) > window)
            {
                record.WindowStart = now;
                record.Count = 0;
            }

            count = ++record.Count;
            if (count >= _options.MaxFailedAttempts)
            {
                record.LockedUntil = now + (long)(window.TotalSeconds * time.TimestampFrequency);
                record.Count = 0;
                record.WindowStart = now;
            }
        }

        var delay = Math.Min(count, 10) * _options.FailureDelay;
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, time, context.RequestAborted);
        }

        if (count >= _options.MaxFailedAttempts)
        {
            throw LockedOut(window);
        }
    }

    private static IPAddress? AddressOf(HttpContext context)
    {
        var address = context.Connection.RemoteIpAddress;
        return address is { IsIPv4MappedToIPv6: true } ? address.MapToIPv4() : address;
    }

    private static GatewayException LockedOut(TimeSpan retryAfter) => new(
        GatewayErrorCode.TooManyFailedAuthentications,
        "Too many requests with an invalid API key from this address; try again later.")
    {
        RetryAfter = retryAfter,
    };

    private void Prune()
    {
        var now = time.GetTimestamp();
        var window = _options.Lockout;
        foreach (var (address, record) in _records)
        {
            lock (record)
            {
                var locked = record.LockedUntil is { } until && time.GetElapsedTime(now, until) > TimeSpan.Zero;
                if (!locked && time.GetElapsedTime(record.WindowStart, now) > window)
                {
                    _records.TryRemove(address, out _);
                }
            }
        }
    }

    private sealed class Record
    {
        public long WindowStart;
        public int Count;
        public long? LockedUntil;
    }
}
