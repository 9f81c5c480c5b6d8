namespace Cluster.Grains.Limits;

/// <summary>A limiter's crash-recovery window, carried along when it moves to another silo while the window is open.</summary>
[GenerateSerializer, Alias("Cluster.MigratedRecoveryWindow")]
public sealed record MigratedRecoveryWindow([property: Id(0)] DateTimeOffset? CountUnknownUntil, [property: Id(1)] string[] EndedSinceRecovery);
