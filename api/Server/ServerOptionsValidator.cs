using Microsoft.Extensions.Options;

namespace Cluster.Api.Server;

/// <summary>Names every bad key of <see cref="ServerOptions"/>.</summary>
internal sealed class ServerOptionsValidator : IValidateOptions<ServerOptions>
{
    public ValidateOptionsResult Validate(string? name, ServerOptions options)
    {
        var errors = new List<string>();
        if (options.MaxRequestBodyBytes < 1)
        {
            errors.Add("Server:MaxRequestBodyBytes must be positive.");
        }

        if (options.MaxRequestHeadersBytes is < 1024 or > 16 * 1024 * 1024 / ServerOptions.KestrelHeadersFactor)
        {
            errors.Add("Server:MaxRequestHeadersBytes must be from 1024 to 2 MiB.");
        }

        if (options.MaxRequestHeaderCount is < 10 or > 10_000)
        {
            errors.Add("Server:MaxRequestHeaderCount must be from 10 to 10000.");
        }

        if (options.MaxRequestLineBytes is < 1024 or > 1024 * 1024)
        {
            errors.Add("Server:MaxRequestLineBytes must be from 1024 to 1 MiB.");
        }

        if (options.RequestHeadersTimeout <= TimeSpan.Zero)
        {
            errors.Add("Server:RequestHeadersTimeout must be positive.");
        }

        if (options.MinRequestBodyBytesPerSecond < 0 || options.MinRequestBodyGrace <= TimeSpan.Zero)
        {
            errors.Add("Server:MinRequestBodyBytesPerSecond must not be negative and Server:MinRequestBodyGrace must be positive.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
