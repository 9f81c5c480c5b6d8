using System.Net.Http.Json;

namespace Cluster.Bench.Upstream;

/// <summary>The bench's view of the fake upstream's counters.</summary>
internal sealed class FakeUpstreamClient(HttpClient client, Uri root)
{
    public Uri Root => root;

    public async Task<UpstreamStatsSnapshot> GetStatsAsync(CancellationToken cancellationToken) =>
        await client.GetFromJsonAsync(new Uri(root, "_stats"), UpstreamJsonContext.Default.UpstreamStatsSnapshot, cancellationToken)
        ?? throw new InvalidOperationException("fake upstream returned no stats");

    public async Task ResetAsync(CancellationToken cancellationToken)
    {
        using var response = await client.PostAsync(new Uri(root, "_stats/reset"), content: null, cancellationToken);
        response.EnsureSuccessStatusCode();
    }
}
