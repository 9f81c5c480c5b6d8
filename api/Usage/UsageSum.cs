using Cluster.Grains.Usage;

namespace Cluster.Api.Usage;

/// <summary>A running sum of usage, added to in place (no allocation per bucket).</summary>
internal sealed class UsageSum
{
    private long _requests;
    private long _promptTokens;
    private long _completionTokens;
    private long _totalTokens;
    private decimal _costUsd;

    public void Add(UsageTotals totals)
    {
        _requests += totals.Requests;
        _promptTokens += totals.PromptTokens;
        _completionTokens += totals.CompletionTokens;
        _totalTokens += totals.TotalTokens;
        _costUsd += totals.CostUsd;
    }

    public UsageTotals ToTotals() => new(_requests, _promptTokens, _completionTokens, _totalTokens, _costUsd);
}
