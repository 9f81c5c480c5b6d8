using System.Text;

namespace Cluster.Bench.PrefixCache;

/// <summary>
/// The multi-tenant, multi-turn workload: <see cref="Tenants"/> tenants, each with its own long system
/// prompt; every conversation belongs to a tenant and runs <see cref="Turns"/> turns, each turn the
/// whole history plus a new user message. Deterministic: every placement gets the same conversations
/// in the same order per worker.
/// </summary>
internal sealed class PrefixWorkload(int tenants, int systemTokens, int userTokens, int turns)
{
    private static readonly string[] Words = ["policy", "account", "invoice", "shipping", "refund", "customer", "product", "service",
        "warranty", "contract", "region", "language", "answer", "tone", "format", "escalate", "priority", "ticket", "order", "billing"];

    private readonly string[] _systems = [.. Enumerable.Range(0, tenants).Select(t => Text(new Random(1_000 + t), $"You are the assistant of tenant {t}. ", systemTokens))];

    public int Tenants => tenants;

    public int Turns => turns;

    public int SystemTokens => systemTokens;

    public string System(int tenant) => _systems[tenant];

    public static string UserMessage(Random random, int tokens) => Text(random, "", tokens);

    /// <summary>Words until about <paramref name="tokens"/> simulated tokens (4 bytes each).</summary>
    private static string Text(Random random, string start, int tokens)
    {
        var text = new StringBuilder(start, tokens * 4 + 16);
        while (text.Length < tokens * 4)
        {
            text.Append(Words[random.Next(Words.Length)]).Append(' ');
        }

        return text.ToString(0, tokens * 4);
    }

    public string User(Random random) => UserMessage(random, userTokens);
}
