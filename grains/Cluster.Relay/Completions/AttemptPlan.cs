namespace Cluster.Relay.Completions;

/// <summary>
/// The deployments a request will try, in order, and the session whose pin decided the first
/// (<see cref="Pinned"/> is null when the session grain did not answer in time).
/// </summary>
internal sealed record AttemptPlan(
    List<(ModelDefinition Model, DeploymentDefinition Deployment)> Attempts,
    ModelDefinition Primary,
    ISessionGrain? Session,
    string? Pinned)
{
    /// <summary>
    /// After success, when the pinned deployment did not serve the request: the one that did becomes
    /// the pin. When the pin could not be read, the session is asked again with the served deployment
    /// first, so a pin that survived is kept and a lost one is replaced. Not awaited: the pin only
    /// steers later requests, and the response must not wait on a grain that may be moving.
    /// </summary>
    public void Confirm(ModelDefinition servedModel, DeploymentDefinition served, Action<Exception> onFailure)
    {
        if (Session is null || servedModel != Primary || served.Id == Pinned)
        {
            return;
        }

        var update = Pinned is null
            ? Session.PinAsync(Primary.Name, [served.Id, .. Primary.Deployments.Select(d => d.Id).Where(id => id != served.Id)])
            : Session.RepinAsync(Primary.Name, served.Id);
        update.ContinueWith(
            static (task, state) => ((Action<Exception>)state!)(task.Exception!.GetBaseException()),
            onFailure,
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

}
