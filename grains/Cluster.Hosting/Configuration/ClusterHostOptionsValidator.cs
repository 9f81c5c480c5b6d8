using System.Net;
using Cluster.Relay.Configuration;
using Microsoft.Extensions.Options;

namespace Cluster.Hosting.Configuration;

/// <summary>Names every bad key of <see cref="ClusterHostOptions"/>.</summary>
public sealed class ClusterHostOptionsValidator : IValidateOptions<ClusterHostOptions>
{
    public ValidateOptionsResult Validate(string? name, ClusterHostOptions options)
    {
        var errors = new List<string>();
        SettingRules.IsOneOf(errors, "Cluster:Mode", options.Mode);
        CheckPort(options.SiloPort, "Cluster:SiloPort", errors);
        CheckPort(options.GatewayPort, "Cluster:GatewayPort", errors);
        CheckPort(options.PrimarySiloPort, "Cluster:PrimarySiloPort", errors);
        for (var i = 0; i < options.Gateways.Count; i++)
        {
            CheckPort(options.Gateways[i], $"Cluster:Gateways:{i}", errors);
        }

        SettingRules.InRange(errors, "Cluster:DrainTimeoutSeconds", options.DrainTimeoutSeconds, 1, 3600);
        if (!IPAddress.TryParse(options.AdvertisedAddress, out _))
        {
            errors.Add($"Cluster:AdvertisedAddress: '{options.AdvertisedAddress}' is not an IP address.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void CheckPort(int port, string key, List<string> errors)
    {
        if (port is < 1 or > 65535)
        {
            errors.Add($"{key}: {port} is not a port number.");
        }
    }
}
