using System.Security.Cryptography;
using System.Text;

namespace Cluster.Grains.Access;

/// <summary>How keys are stored and recognised: the hex SHA-256 of the secret.</summary>
public static class KeyHash
{
    public static string Of(string secret)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(secret), hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>The start of a secret, shown in listings so people can tell keys apart.</summary>
    public static string PrefixOf(string secret) => secret.Length <= 10 ? secret[..Math.Min(3, secret.Length)] + "…" : secret[..10] + "…";

    /// <summary>A stable id for a key that came from configuration, derived from its hash.</summary>
    public static string ConfiguredKeyId(string hash) => "key_" + hash[..16];
}
