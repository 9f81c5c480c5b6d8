using Cluster.Grains.Models;
using Cluster.Grains.Sessions;

namespace Cluster.Grains.Relay;

/// <summary>The deployments a request will try, in order, and the session whose pin decided the first.</summary>
internal sealed record AttemptPlan(
    List<(ModelDefinition Model, DeploymentDefinition Deployment)> Attempts,
    ModelDefinition Primary,
    ISessionGrain? Session,
    string? Pinned)
{
    /// <summary>After success: when the session's pinned deployment did not serve it, the one that did becomes the pin.</summary>
    public Task ConfirmAsync(ModelDefinition servedModel, DeploymentDefinition served) =>
        Session is not null && servedModel == Primary && served.Id != Pinned
            ? Session.RepinAsync(Primary.Name, served.Id)
            : Task.CompletedTask;
}
