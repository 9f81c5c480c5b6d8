using Cluster.Grains.Access;
using Cluster.Grains.Completions;
using Cluster.Grains.Errors;
using Cluster.Grains.Models;

namespace Cluster.Api.Auth;

/// <summary>Who sent a request, and the tenant's definition when there is one.</summary>
internal sealed record AuthenticatedCaller(CallerIdentity Identity, TenantDefinition? Tenant)
{
    public bool MayUse(ModelDefinition model) => Tenant is null || Tenant.MayUse(model);

    /// <summary>Throws 403 when the caller's tenant may not use <paramref name="model"/>.</summary>
    public void EnsureMayUse(ModelDefinition model, string requested)
    {
        if (!MayUse(model))
        {
            throw new GatewayException(GatewayErrorCode.ModelNotAllowed, $"Your API key is not allowed to use the model '{requested}'.", "model");
        }
    }
}
