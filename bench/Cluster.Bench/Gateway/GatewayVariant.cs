namespace Cluster.Bench.Gateway;

/// <summary>Which features of the gateway a run switches on, and how far the limits go.</summary>
internal sealed record GatewayVariant(string Name, bool LimitsAndLedger, long Rpm, long Tpm, int MaxConcurrency)
{
    /// <summary>Whether the durable usage ledger is on (it is with limits, and alone in the ledger variant).</summary>
    public bool Ledger { get; init; } = LimitsAndLedger;

    public const string TenantKey = "sk-bench-1";

    /// <summary>No auth, no limits, no ledger: the routing and relaying cost alone.</summary>
    public static GatewayVariant Off { get; } = new("off", false, 0, 0, 0);

    /// <summary>The usage ledger alone, no auth and no limits: what durable accounting costs by itself.</summary>
    public static GatewayVariant LedgerOnly { get; } = new("ledger", false, 0, 0, 0) { Ledger = true };

    /// <summary>Keys, limits and ledger on, limits so high that nothing is refused: the cost of exact admission.</summary>
    public static GatewayVariant On { get; } = new("limits", true, 100_000_000, 100_000_000_000, 100_000);

    /// <summary>100 requests a minute, to check that admission is exact under a burst.</summary>
    public static GatewayVariant Accuracy { get; } = new("accuracy", true, 100, 100_000_000_000, 100_000);

    public string? BearerToken => LimitsAndLedger ? TenantKey : null;
}
