namespace Cluster.Grains.Errors;

/// <summary>
/// The one exception that carries a failure across grain calls to the front-end, which turns
/// it into an OpenAI error body. Never holds a stack trace or secret meant for the caller.
/// </summary>
[GenerateSerializer, Alias("Cluster.GatewayException")]
public sealed class GatewayException : Exception
{
    public GatewayException(GatewayErrorCode code, string message, string? param = null)
        : base(message)
    {
        Code = code;
        Param = param;
        Detail = message;
    }

    [Id(0)] public GatewayErrorCode Code { get; init; }

    /// <summary>The request field at fault, for caller errors.</summary>
    [Id(1)] public string? Param { get; init; }

    /// <summary>For <see cref="GatewayErrorCode.UpstreamRejected"/>: the backend's status, passed through.</summary>
    [Id(2)] public int? UpstreamStatus { get; init; }

    /// <summary>For <see cref="GatewayErrorCode.UpstreamRejected"/>: the backend's body, passed through.</summary>
    [Id(3)] public byte[]? UpstreamBody { get; init; }

    /// <summary>When the caller may try again, for 429 and 503.</summary>
    [Id(4)] public TimeSpan? RetryAfter { get; init; }

    /// <summary>The message, kept in a field of our own so it survives serialization unchanged.</summary>
    [Id(5)] public string Detail { get; init; }

    /// <summary>An OpenAI error code to use instead of the default one for <see cref="Code"/>.</summary>
    [Id(6)] public string? OpenAICode { get; init; }

    /// <summary>The rate-limit figures to report with the error, when limits applied.</summary>
    [Id(7)] public Limits.RateLimitStatus? Limits { get; init; }

    public override string Message => Detail;

    public static GatewayException BadRequest(string message, string? param) =>
        new(GatewayErrorCode.InvalidRequest, message, param);
}
