using Microsoft.Extensions.Options;

namespace Cluster.Api.Responses;

internal static class ResponsesServiceCollectionExtensions
{
    /// <summary>The Responses and Conversations APIs' services and settings (<c>Responses:*</c>).</summary>
    public static IServiceCollection AddResponses(this IServiceCollection services)
    {
        services.AddOptions<ResponsesOptions>().BindConfiguration(ResponsesOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ResponsesOptions>, ResponsesOptionsValidator>();
        services.AddSingleton<ChainContextCache>();
        services.AddSingleton<ResponseStore>();
        services.AddSingleton<ResponseHandler>();
        services.AddSingleton<StateCalls>();
        services.AddHostedService<ResponseRetentionSweeper>();
        return services;
    }
}
