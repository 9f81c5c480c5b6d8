namespace Cluster.Bench.Runner;

/// <summary>RSS of one process sampled at fixed intervals under steady load.</summary>
internal sealed record MemoryTrace(string Process, List<(double Seconds, double RssMiB)> Samples)
{
    /// <summary>Least-squares slope over the samples after the first 20 s, in MiB per minute.</summary>
    public double? SlopeMiBPerMinute
    {
        get
        {
            var points = Samples.Where(s => s.Seconds >= 20).ToList();
            if (points.Count < 3)
            {
                return null;
            }

            var meanX = points.Average(p => p.Seconds);
            var meanY = points.Average(p => p.RssMiB);
            var covariance = points.Sum(p => (p.Seconds - meanX) * (p.RssMiB - meanY));
            var variance = points.Sum(p => (p.Seconds - meanX) * (p.Seconds - meanX));
            return variance == 0 ? null : covariance / variance * 60;
        }
    }
}
