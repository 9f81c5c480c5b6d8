using System.Diagnostics;
using Azure.Data.Tables;
using Cluster.Bench.Load;

namespace Cluster.Bench.Storage;

/// <summary>
/// One Azure Table write on its own: sequential upserts of an entity about the size of one usage
/// record, timed from the bench. The ledger's durable write can be no faster than this, so the
/// report prints it beside the cluster rows' added latency.
/// </summary>
internal static class StorageRoundTrip
{
    /// <summary>Azurite's well-known development account (public, not a secret), with the table endpoint on <paramref name="port"/>.</summary>
    public static string AzuriteConnectionString(int port) =>
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
        + "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
        + $"TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;";

    public static async Task<Percentiles> MeasureAsync(string connectionString, int writes, CancellationToken cancellationToken)
    {
        var table = new TableClient(connectionString, "benchprobe" + Guid.NewGuid().ToString("N")[..12]);
        await table.CreateIfNotExistsAsync(cancellationToken);
        try
        {
            var payload = new string('x', 300);
            var timings = new List<long>(writes);
            for (var i = -5; i < writes; i++)
            {
                var entity = new TableEntity("probe", "row" + (i & 7)) { ["Record"] = payload, ["N"] = i };
                var started = Stopwatch.GetTimestamp();
                await table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
                if (i >= 0)
                {
                    timings.Add(Stopwatch.GetTimestamp() - started);
                }
            }

            return Percentiles.FromTicks(timings)!;
        }
        finally
        {
            await table.DeleteAsync(CancellationToken.None);
        }
    }
}
