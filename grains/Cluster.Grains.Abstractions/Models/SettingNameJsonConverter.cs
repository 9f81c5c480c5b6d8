using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cluster.Grains.Models;

/// <summary>Reads and writes a settings enum as its <see cref="SettingNames{TEnum}"/> name (in any case on reading; numbers are refused).</summary>
public sealed class SettingNameJsonConverter<TEnum> : JsonConverter<TEnum>
    where TEnum : struct, Enum
{
    public override TEnum Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var name = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        return SettingNames<TEnum>.TryParse(name, out var value)
            ? value
            : throw new JsonException($"'{name}' is not one of {SettingNames<TEnum>.Listed}.");
    }

    public override void Write(Utf8JsonWriter writer, TEnum value, JsonSerializerOptions options) => writer.WriteStringValue(SettingNames<TEnum>.Name(value));
}
