using Cluster.Hosting;
using Cluster.Hosting.Configuration;
using Microsoft.Extensions.Options;

// A silo of the completion cluster: hosts the model, registry, and limit grains.
try
{
    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
    builder.AddClusterConfiguration(args);
    builder.AddClusterMember(allowClient: false);
    using var host = builder.Build();
    await host.RunAsync();
    return 0;
}
catch (Exception ex) when (ex is ClusterConfigurationException or OptionsValidationException)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}
