using Cluster.Grains.Completions;
using Cluster.Grains.Errors;

namespace Cluster.Api.Auth;

/// <summary>
/// Decides who a request comes from. In <c>Open</c> mode (the default with no tenants) every
/// request, with any key or none, is tenant <c>default</c>, as LiteLLM's custom-server setup
/// expects.
/// </summary>
internal sealed class CallerAuthenticator
{
    public ValueTask<CallerIdentity> AuthenticateAsync(HttpContext context) => ValueTask.FromResult(CallerIdentity.Default);

    public static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return header[7..].Trim();
        }

        var apiKey = request.Headers["api-key"].ToString();
        return apiKey.Length > 0 ? apiKey : null;
    }

    public static GatewayException InvalidKey(bool missing) => new(GatewayErrorCode.InvalidApiKey, missing
        ? "You didn't provide an API key. Send it in the Authorization header as 'Bearer YOUR_KEY'."
        : "Incorrect API key provided.");
}
