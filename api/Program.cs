using Cluster.Api;
using Cluster.Hosting.Configuration;
using Microsoft.Extensions.Options;

try
{
    var app = GatewayApp.Build(args);
    await app.RunAsync();
    return 0;
}
catch (Exception ex) when (ex is ClusterConfigurationException or OptionsValidationException)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}
