using System.ComponentModel;
using System.Globalization;

namespace Cluster.Grains.Models;

/// <summary>Binds a settings enum from configuration by its <see cref="SettingNames{TEnum}"/> (the options binder reads only member names otherwise).</summary>
public sealed class SettingNameConverter<TEnum> : TypeConverter
    where TEnum : struct, Enum
{
    public override bool CanConvertFrom(ITypeDescriptorContext? context, Type sourceType) => sourceType == typeof(string);

    public override bool CanConvertTo(ITypeDescriptorContext? context, Type? destinationType) => destinationType == typeof(string);

    public override object ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) =>
        value is string name && SettingNames<TEnum>.TryParse(name, out var parsed)
            ? parsed
            : throw new FormatException($"'{value}' is not one of {SettingNames<TEnum>.Listed}.");

    public override object? ConvertTo(ITypeDescriptorContext? context, CultureInfo? culture, object? value, Type destinationType) =>
        value is TEnum known && destinationType == typeof(string) ? SettingNames<TEnum>.Name(known) : base.ConvertTo(context, culture, value, destinationType);
}
