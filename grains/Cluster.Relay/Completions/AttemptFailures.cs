using Cluster.Grains.Errors;

namespace Cluster.Relay.Completions;

/// <summary>What went wrong across the attempts of one request, turned into the one error the caller gets.</summary>
internal sealed class AttemptFailures
{
    private readonly List<GatewayException> _failures = [];

    /// <summary>Attempts started (sent, or about to be sent, to a backend).</summary>
    public int Attempts { get; set; }

    public void Add(GatewayException failure) => _failures.Add(failure);

    public GatewayException Final(string model)
    {
        if (_failures.Count == 0)
        {
            return new GatewayException(GatewayErrorCode.NoHealthyDeployment, $"The model '{model}' has no deployment that can take the request.")
            {
                RetryAfter = TimeSpan.FromSeconds(1),
            };
        }

        // Every backend said "too many requests": the caller should slow down, as the backends said.
        if (_failures.TrueForAll(f => f.Code == GatewayErrorCode.RateLimited))
        {
            var wait = _failures.Select(f => f.RetryAfter ?? TimeSpan.FromSeconds(1)).Min();
            return new GatewayException(GatewayErrorCode.RateLimited, $"Every deployment of '{model}' is at its capacity or rate limited by its backend.")
            {
                RetryAfter = wait,
            };
        }

        var last = _failures[^1];
        return _failures.Count == 1 ? last : new GatewayException(last.Code, $"{_failures.Count} attempts failed; the last: {last.Message}")
        {
            RetryAfter = last.RetryAfter,
        };
    }
}
