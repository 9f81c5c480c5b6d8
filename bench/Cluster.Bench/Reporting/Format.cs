using System.Globalization;

namespace Cluster.Bench.Reporting;

/// <summary>How numbers appear in the report; "–" where there is no figure.</summary>
internal static class Format
{
    public const string None = "–";

    public static string Ms(double? value) => value is { } v ? v.ToString(v >= 100 ? "0" : "0.00", CultureInfo.InvariantCulture) : None;

    public static string Added(double? value) => value is { } v ? (v >= 0 ? "+" : "−") + Math.Abs(v).ToString("0.00", CultureInfo.InvariantCulture) : None;

    public static string Rate(double? value) => value is { } v ? v.ToString("#,0", CultureInfo.InvariantCulture) : None;

    public static string Ratio(double? value) => value is { } v ? v.ToString("0.00", CultureInfo.InvariantCulture) + "×" : None;

    public static string Bytes(double? value) => value switch
    {
        null => "n/a",
        >= 10 * 1024 => (value.Value / 1024).ToString("0", CultureInfo.InvariantCulture) + " KiB",
        _ => value.Value.ToString("0", CultureInfo.InvariantCulture) + " B",
    };

    public static string Count(double? value) => value is { } v ? v.ToString("0.00", CultureInfo.InvariantCulture) : "n/a";

    public static string MiB(double? bytes) => bytes is { } b ? (b / 1024 / 1024).ToString("0", CultureInfo.InvariantCulture) : None;

    public static string Cell(string? text) => string.IsNullOrEmpty(text) ? None : text.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ");

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
