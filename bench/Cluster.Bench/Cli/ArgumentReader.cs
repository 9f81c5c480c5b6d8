using System.Globalization;

namespace Cluster.Bench.Cli;

/// <summary>Reads <c>--name value</c>, <c>--name=value</c> and bare <c>--flag</c> arguments.</summary>
internal sealed class ArgumentReader
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.OrdinalIgnoreCase);

    public ArgumentReader(IEnumerable<string> args)
    {
        var list = args.ToList();
        for (var i = 0; i < list.Count; i++)
        {
            var arg = list[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"unexpected argument '{arg}'");
            }

            var name = arg[2..];
            var equals = name.IndexOf('=', StringComparison.Ordinal);
            if (equals >= 0)
            {
                _values[name[..equals]] = name[(equals + 1)..];
            }
            else if (i + 1 < list.Count && !list[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                _values[name] = list[++i];
            }
            else
            {
                _values[name] = null;
            }
        }
    }

    public IReadOnlyCollection<string> Names => _values.Keys;

    public bool Flag(string name) => _values.ContainsKey(name);

    public string? String(string name) => _values.TryGetValue(name, out var value) ? value : null;

    public int Int(string name, int fallback) => Parse(name, fallback, static s => int.Parse(s, CultureInfo.InvariantCulture));

    public double Double(string name, double fallback) => Parse(name, fallback, static s => double.Parse(s, CultureInfo.InvariantCulture));

    public int[] IntList(string name, int[] fallback) => Parse(
        name,
        fallback,
        static s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(part => int.Parse(part, CultureInfo.InvariantCulture))
            .ToArray());

    private T Parse<T>(string name, T fallback, Func<string, T> parse)
    {
        if (!_values.TryGetValue(name, out var value))
        {
            return fallback;
        }

        if (value is null)
        {
            throw new ArgumentException($"--{name} needs a value");
        }

        try
        {
            return parse(value);
        }
        catch (FormatException)
        {
            throw new ArgumentException($"--{name}: '{value}' is not a valid value");
        }
    }
}
