namespace Cluster.Grains.Errors;

/// <summary>
/// The closed vocabulary of failures, grouped by who is at fault. The HTTP status, OpenAI
/// error type and code for each live in one table in the api (<c>OpenAIErrors</c>).
/// </summary>
public enum GatewayErrorCode
{
    // The caller sent something we cannot serve.
    InvalidRequest = 100,
    InvalidApiKey = 101,
    ModelNotAllowed = 102,
    ModelNotFound = 103,
    RequestTooLarge = 104,
    UnsupportedByModel = 105,
    NotFound = 106,
    AdminKeyRequired = 107,

    // Policy: the request is valid but a limit or quota stops it.
    RateLimited = 200,
    InsufficientQuota = 201,

    // The backend failed or refused.
    UpstreamFailed = 300,
    UpstreamTimeout = 301,
    UpstreamRejected = 302,

    // The gateway or the cluster cannot serve right now.
    NoHealthyDeployment = 400,
    ClusterUnavailable = 401,
    Internal = 402,
}
