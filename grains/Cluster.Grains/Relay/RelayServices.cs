using Cluster.Grains.Access;
using Cluster.Grains.Limits;
using Cluster.Grains.Tokens;
using Cluster.Grains.Usage;
using Microsoft.Extensions.Options;

namespace Cluster.Grains.Relay;

/// <summary>What a <see cref="RequestAccount"/> needs from the silo, gathered once.</summary>
internal sealed class RelayServices(
    IGrainFactory grains,
    AccessView access,
    UsageRecorder usage,
    LeaseKeeper leases,
    TokenCounter tokens,
    TimeProvider time,
    IOptions<LimitOptions> limits)
{
    public IGrainFactory Grains => grains;

    public AccessView Access => access;

    public UsageRecorder Usage => usage;

    public LeaseKeeper Leases => leases;

    public TokenCounter Tokens => tokens;

    public TimeProvider Time => time;

    public int DefaultCompletionTokens { get; } = limits.Value.DefaultCompletionTokens;
}
