using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cluster.Relay.Accounting;

/// <summary>
/// A front-end's local, durable fallback for usage records the ledger could not store in time: one
/// append-only file of JSON lines per process, each record flushed to disk before the response that
/// produced it ends. <see cref="ReplayAsync"/> hands every spooled record back to the ledger
/// (idempotent by request id) and deletes a file once all of it is stored. A file another live
/// process holds open is left to that process; files of a process that died are replayed by
/// whichever front-end finds them first.
/// </summary>
internal sealed partial class LedgerSpool : IDisposable
{
    private const string Extension = ".jsonl";
    private readonly Lock _gate = new();
    private readonly ILogger<LedgerSpool> _logger;
    private FileStream? _open;
    private int _appended;

    public LedgerSpool(IOptions<UsageOptions> options, IConfiguration configuration, ILogger<LedgerSpool> logger)
    {
        _logger = logger;

        // By default one folder per service, so a host never replays another cluster's records.
        var service = configuration["Cluster:ServiceId"] is { Length: > 0 } id ? id : "completion-cluster";
        Directory = options.Value.SpoolDirectory is { Length: > 0 } configured
            ? Path.GetFullPath(configured)
            : Path.Combine(Path.GetTempPath(), "completion-cluster", "ledger-spool", string.Concat(service.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_')));
    }

    public string Directory { get; }

    /// <summary>Records spooled by this process since it started.</summary>
    public int Appended => Volatile.Read(ref _appended);

    /// <summary>Whether any spool file waits to be replayed (cheap: one directory listing).</summary>
    public bool HasWork => System.IO.Directory.Exists(Directory) && System.IO.Directory.EnumerateFiles(Directory, "*" + Extension).Any();

    /// <summary>Appends a record and flushes it to disk; returns once it is durable.</summary>
    public void Append(UsageRecord record)
    {
        var line = JsonSerializer.SerializeToUtf8Bytes(record, SpoolJson.Default.UsageRecord);
        lock (_gate)
        {
            _open ??= OpenNew();
            _open.Write(line);
            _open.WriteByte((byte)'\n');
            _open.Flush(flushToDisk: true);
        }

        Interlocked.Increment(ref _appended);
    }

    /// <summary>
    /// Sends every spooled record to <paramref name="store"/>; a file is deleted once all its records
    /// are stored. Stops at the first record that cannot be stored (the ledger is still away).
    /// </summary>
    public async Task<int> ReplayAsync(Func<UsageRecord, Task> store, CancellationToken cancellationToken)
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return 0;
        }

        lock (_gate)
        {
            // Close this process's file so it can be replayed; new records start a new one.
            _open?.Dispose();
            _open = null;
        }

        var replayed = 0;
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, "*" + Extension).Order(StringComparer.Ordinal).ToArray())
        {
            FileStream file;
            try
            {
                // Exclusive: fails while the process that writes the file still has it open.
                file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None);
            }
            catch (IOException)
            {
                continue;
            }

            using (file)
            {
                using var reader = new StreamReader(file);
                while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
                {
                    if (line.Length == 0)
                    {
                        continue;
                    }

                    UsageRecord? record;
                    try
                    {
                        record = JsonSerializer.Deserialize(line, SpoolJson.Default.UsageRecord);
                    }
                    catch (JsonException ex)
                    {
                        // A line cut short by a crash in the middle of a write: its response never ended.
                        LogUnreadableLine(_logger, ex, path);
                        continue;
                    }

                    if (record is not null)
                    {
                        await store(record).ConfigureAwait(false);
                        replayed++;
                    }
                }
            }

            File.Delete(path);
        }

        return replayed;
    }

    private FileStream OpenNew()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var name = $"spool-{DateTime.UtcNow:yyyyMMddHHmmssfff}-{Environment.ProcessId}-{Guid.NewGuid():N}{Extension}";

        // Shared for reading only: other processes' exclusive opens fail while this one lives.
        return new FileStream(Path.Combine(Directory, name), FileMode.CreateNew, FileAccess.Write, FileShare.Read);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _open?.Dispose();
            _open = null;
        }
    }

    [LoggerMessage(32, LogLevel.Error, "A spooled usage line in {Path} could not be read; skipped")]
    private static partial void LogUnreadableLine(ILogger logger, Exception exception, string path);
}
