using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Cluster.Grains.Errors;

namespace Cluster.Api.OpenAI;

/// <summary>
/// Refuses a body whose strings are not Unicode text: invalid UTF-8 bytes, or an escape of an
/// unpaired surrogate (<c>"\ud800"</c>). Backends would otherwise answer with U+FFFD or fail, and
/// the reader's own string reads would throw. The common case costs one vectorised pass over the
/// body; only a body that fails it (or holds a surrogate escape) is walked token by token, to name
/// the field at fault.
/// </summary>
internal static class JsonTextCheck
{
    public static void Ensure(ReadOnlySpan<byte> body)
    {
        if (Utf8.IsValid(body) && !MayHoldSurrogateEscape(body))
        {
            return;
        }

        FindBadString(body);
    }

    /// <summary>True when the body contains <c>\uD8</c>..<c>\uDF</c> (also inside a doubled backslash: the walk then decides).</summary>
    private static bool MayHoldSurrogateEscape(ReadOnlySpan<byte> body)
    {
        var rest = body;
        int at;
        while ((at = rest.IndexOf("\\u"u8)) >= 0)
        {
            rest = rest[(at + 2)..];
            if (rest.Length >= 2 && (rest[0] | 0x20) == 'd' && IsSurrogateSecondDigit(rest[1]))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsSurrogateSecondDigit(byte digit) => digit is (byte)'8' or (byte)'9' || (digit | 0x20) is >= (byte)'a' and <= (byte)'f';

    /// <summary>Walks the tokens and throws a 400 naming the first bad string; a body that is not JSON is left to the reader.</summary>
    private static void FindBadString(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body);
        var path = new JsonPath();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        var name = Text(ref reader, out var problem);
                        if (problem is not null)
                        {
                            path.SetProperty(null);
                            throw Bad(path.Describe(), $"a property name {problem}");
                        }

                        path.SetProperty(name!);
                        break;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        path.Push(reader.TokenType == JsonTokenType.StartArray);
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        path.Pop();
                        break;
                    case JsonTokenType.String:
                        path.NextElement();
                        Text(ref reader, out problem);
                        if (problem is not null)
                        {
                            throw Bad(path.Describe(), $"the string {problem}");
                        }

                        break;
                    default:
                        path.NextElement();
                        break;
                }
            }
        }
        catch (JsonException)
        {
            // Not well-formed JSON: the reader reports that, with its position.
        }
    }

    /// <summary>The token's text, or why it is not text.</summary>
    private static string? Text(ref Utf8JsonReader reader, out string? problem)
    {
        problem = null;
        if (!Utf8.IsValid(reader.ValueSpan))
        {
            problem = "is not valid UTF-8";
            return null;
        }

        if (!reader.ValueIsEscaped)
        {
            return reader.TokenType == JsonTokenType.PropertyName ? Encoding.UTF8.GetString(reader.ValueSpan) : null;
        }

        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException)
        {
            problem = "holds an unpaired surrogate escape (\\uD800-\\uDFFF)";
            return null;
        }
    }

    private static GatewayException Bad(string path, string problem) => path.Length == 0
        ? GatewayException.BadRequest($"The request body is not valid text: {problem}.", null)
        : GatewayException.BadRequest($"Invalid value for '{path}': {problem}.", path);

    /// <summary>Where the walk is, as <c>messages[0].content</c>.</summary>
    private sealed class JsonPath
    {
        private readonly List<Frame> _frames = [];

        public void Push(bool isArray)
        {
            NextElement();
            _frames.Add(new Frame(isArray));
        }

        public void Pop()
        {
            _frames.RemoveAt(_frames.Count - 1);
        }

        public void SetProperty(string? name) => _frames[^1].Property = name;

        /// <summary>A value starts: in an array it is the next element.</summary>
        public void NextElement()
        {
            if (_frames.Count > 0 && _frames[^1].IsArray)
            {
                _frames[^1].Index++;
            }
        }

        public string Describe()
        {
            var text = new StringBuilder();
            foreach (var frame in _frames)
            {
                if (frame.IsArray)
                {
                    text.Append('[').Append(frame.Index).Append(']');
                }
                else if (frame.Property is { } property)
                {
                    if (text.Length > 0)
                    {
                        text.Append('.');
                    }

                    text.Append(property.Length > 64 ? property[..64] + "…" : property);
                }
            }

            return text.ToString();
        }

        private sealed class Frame(bool isArray)
        {
            public bool IsArray { get; } = isArray;

            public int Index { get; set; } = -1;

            public string? Property { get; set; }
        }
    }
}
