using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Extensions.Logging;

namespace Cluster.Grains.Placement;

/// <summary>
/// Moves a <see cref="HomeSiloPlacement"/> grain to its home silo when the membership changes: on
/// the first call an activation receives after a change, it compares its silo with the home the
/// active members give it, and if they differ asks to migrate once idle (state travels with it,
/// see the grains' <c>IGrainMigrationParticipant</c>). So a silo that joins, or returns after a
/// crash, gets its share of the grains within moments of taking traffic, without a coordinator.
/// The home is computed from the active members, while placement uses the silos that have announced
/// the grain type; until the two agree (a second or two after a join) a move may land elsewhere, so
/// an activation away from home checks again every <see cref="RecheckPeriod"/>.
/// </summary>
internal sealed partial class HomeSiloRebalancer(IClusterMembershipService membership, ILocalSiloDetails local, TimeProvider time, ILogger<HomeSiloRebalancer> logger)
    : IIncomingGrainCallFilter
{
    public static readonly TimeSpan RecheckPeriod = TimeSpan.FromSeconds(2);

    private static readonly ConcurrentDictionary<Type, bool> PlacedAtHome = new();
    private ActiveSilos _silos = new(default, []);

    public Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.TargetContext is { } target && target.GrainInstance is { } grain && IsPlacedAtHome(grain.GetType()))
        {
            Check(target);
        }

        return context.Invoke();
    }

    private void Check(IGrainContext target)
    {
        var silos = Current();
        var check = target.GetComponent<HomeCheck>();
        if (check is null)
        {
            check = new HomeCheck();
            target.SetComponent(check);
        }

        var now = time.GetTimestamp();
        if (check.Version == silos.Version && (check.AtHome || now < check.NextCheck))
        {
            return;
        }

        check.Version = silos.Version;
        if (silos.Members.Length == 0)
        {
            return;
        }

        var home = HomeSilos.Choose(target.GrainId, silos.Members);
        check.AtHome = home.Equals(local.SiloAddress);
        if (!check.AtHome)
        {
            check.NextCheck = now + (long)(RecheckPeriod.TotalSeconds * time.TimestampFrequency);
            LogMoving(logger, target.GrainId, home);
            target.Migrate(null);
        }
    }

    /// <summary>The active members, rebuilt only when the membership version moves.</summary>
    private ActiveSilos Current()
    {
        var snapshot = membership.CurrentSnapshot;
        var silos = _silos;
        if (snapshot.Version == silos.Version)
        {
            return silos;
        }

        var members = snapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress).ToArray();
        silos = new ActiveSilos(snapshot.Version, members);
        _silos = silos;
        return silos;
    }

    private static bool IsPlacedAtHome(Type type) =>
        PlacedAtHome.GetOrAdd(type, static t => t.GetCustomAttribute<HomeSiloPlacementAttribute>() is not null);

    private sealed record ActiveSilos(MembershipVersion Version, SiloAddress[] Members);

    /// <summary>What one activation last found: against which membership, and whether it is home.</summary>
    private sealed class HomeCheck
    {
        public MembershipVersion Version { get; set; }

        public bool AtHome { get; set; }

        public long NextCheck { get; set; }
    }

    [LoggerMessage(40, LogLevel.Information, "{Grain} moves to its home silo {Home}")]
    private static partial void LogMoving(ILogger logger, GrainId grain, SiloAddress home);
}
