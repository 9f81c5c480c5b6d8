using System.Security.Cryptography;

namespace Cluster.Api.Responses;

/// <summary>
/// Ids of responses, conversations and items: a type prefix and 192 random bits from the system's
/// cryptographic generator, so an id cannot be guessed from another (they are the only key to a
/// stored response; the tenant check comes on top).
/// </summary>
internal static class ResponseIds
{
    public const string Response = "resp_";
    public const string Conversation = "conv_";
    public const string Message = "msg_";
    public const string FunctionCall = "fc_";
    public const string FunctionCallOutput = "fco_";
    public const string Reasoning = "rs_";

    public static string New(string prefix) => prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    /// <summary>Whether <paramref name="id"/> could be one of ours: the prefix and 48 lowercase hex digits.</summary>
    public static bool IsWellFormed(string id, string prefix)
    {
        if (!id.StartsWith(prefix, StringComparison.Ordinal) || id.Length != prefix.Length + 48)
        {
            return false;
        }

        foreach (var c in id.AsSpan(prefix.Length))
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
