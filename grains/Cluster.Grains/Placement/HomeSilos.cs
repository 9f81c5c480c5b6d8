namespace Cluster.Grains.Placement;

/// <summary>
/// Rendezvous hashing of grains over silos: a grain's home is the silo whose score for the grain is
/// highest. A silo is identified by its endpoint, not its generation, so a silo restarted on the same
/// address is home to the same grains as before. Removing a silo moves only its own grains, spread
/// over every survivor; adding one takes about 1/n of the grains from each of the others.
/// </summary>
internal static class HomeSilos
{
    public static SiloAddress Choose(GrainId grain, IReadOnlyList<SiloAddress> silos)
    {
        if (silos.Count == 0)
        {
            throw new OrleansException($"No silo can host {grain}.");
        }

        var grainHash = grain.GetUniformHashCode();
        var best = silos[0];
        var bestScore = Score(grainHash, best);
        for (var i = 1; i < silos.Count; i++)
        {
            var score = Score(grainHash, silos[i]);
            if (score > bestScore)
            {
                (best, bestScore) = (silos[i], score);
            }
        }

        return best;
    }

    private static ulong Score(uint grainHash, SiloAddress silo) => Mix(((ulong)grainHash << 32) ^ EndpointHash(silo));

    /// <summary>The silo's endpoint (address and port), hashed the same way in every process.</summary>
    private static ulong EndpointHash(SiloAddress silo)
    {
        Span<byte> bytes = stackalloc byte[18];
        silo.Endpoint.Address.TryWriteBytes(bytes, out var written);
        BitConverter.TryWriteBytes(bytes[written..], (ushort)silo.Endpoint.Port);
        return System.IO.Hashing.XxHash64.HashToUInt64(bytes[..(written + 2)]);
    }

    /// <summary>A 64-bit finaliser (splitmix64): every input bit moves every output bit.</summary>
    private static ulong Mix(ulong value)
    {
        value ^= value >> 30;
        value *= 0xbf58476d1ce4e5b9UL;
        value ^= value >> 27;
        value *= 0x94d049bb133111ebUL;
        return value ^ (value >> 31);
    }
}
