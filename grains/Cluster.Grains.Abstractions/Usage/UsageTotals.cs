namespace Cluster.Grains.Usage;

/// <summary>Usage summed over some requests.</summary>
[GenerateSerializer, Immutable, Alias("Cluster.UsageTotals")]
public sealed record UsageTotals(
    [property: Id(0)] long Requests,
    [property: Id(1)] long PromptTokens,
    [property: Id(2)] long CompletionTokens,
    [property: Id(3)] long TotalTokens,
    [property: Id(4)] decimal CostUsd)
{
    public static readonly UsageTotals Zero = new(0, 0, 0, 0, 0);

    public UsageTotals Add(UsageTotals other) => new(
        Requests + other.Requests,
        PromptTokens + other.PromptTokens,
        CompletionTokens + other.CompletionTokens,
        TotalTokens + other.TotalTokens,
        CostUsd + other.CostUsd);

    public static UsageTotals Of(UsageRecord record) =>
        new(1, record.PromptTokens, record.CompletionTokens, record.TotalTokens, record.CostUsd);
}
