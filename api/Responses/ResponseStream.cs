using System.Text.Json.Nodes;
using Cluster.Grains.Completions;

namespace Cluster.Api.Responses;

/// <summary>
/// Turns a chat-completions stream into the Responses event sequence, each event numbered by
/// <c>sequence_number</c> from 0:
/// <code>
/// response.created, response.in_progress
///   per output item, opened in the order the backend starts it:
///   reasoning       output_item.added, reasoning_text.delta…, reasoning_text.done, output_item.done
///   message         output_item.added, content_part.added, output_text.delta…,
///                   output_text.done, content_part.done, output_item.done
///   function_call   output_item.added, function_call_arguments.delta…,
///                   function_call_arguments.done, output_item.done
/// response.completed | response.incomplete | response.failed
/// </code>
/// </summary>
internal sealed class ResponseStream(JsonObject response)
{
    private readonly ChatOutput _output = new();

    // The items in the order they were opened (their output_index): 'r' reasoning, 'm' message, or a call.
    private readonly List<object> _opened = [];
    private readonly HashSet<object> _closed = [];
    private int _sequence;

    public ChatOutput Output => _output;

    public List<JsonObject> Start() =>
    [
        Event("response.created", new JsonObject { ["response"] = response.DeepClone() }),
        Event("response.in_progress", new JsonObject { ["response"] = response.DeepClone() }),
    ];

    /// <summary>The events for one chat chunk.</summary>
    public List<JsonObject> Add(JsonNode chunk)
    {
        var events = new List<JsonObject>();
        var delta = _output.Add(chunk);
        if (delta.Reasoning is { } reasoning)
        {
            var index = Open(events, 'r');
            events.Add(Event("response.reasoning_text.delta", new JsonObject
            {
                ["item_id"] = _output.ReasoningId,
                ["output_index"] = index,
                ["content_index"] = 0,
                ["delta"] = reasoning,
            }));
        }

        if (delta.Text is { } text)
        {
            var index = Open(events, 'm');
            events.Add(Event("response.output_text.delta", new JsonObject
            {
                ["item_id"] = _output.MessageId,
                ["output_index"] = index,
                ["content_index"] = 0,
                ["delta"] = text,
                ["logprobs"] = new JsonArray(),
            }));
        }
        else if (delta.Refusal is not null)
        {
            // The refusal text arrives with the message item when it is done.
            Open(events, 'm');
        }

        foreach (var (call, _, arguments) in delta.Calls ?? [])
        {
            var index = Open(events, call);
            if (!string.IsNullOrEmpty(arguments))
            {
                events.Add(Event("response.function_call_arguments.delta", new JsonObject
                {
                    ["item_id"] = call.ItemId,
                    ["output_index"] = index,
                    ["delta"] = arguments,
                }));
            }
        }

        return events;
    }

    /// <summary>The closing events and the final event, once the backend finished; <paramref name="response"/> is completed on the way.</summary>
    public List<JsonObject> Finish(TokenUsage usage, long completedAt)
    {
        var events = new List<JsonObject>();
        ResponseObject.Complete(response, _output, usage, completedAt);
        var status = response["status"]!.GetValue<string>();
        foreach (var item in _opened)
        {
            Close(events, item, status == "completed" ? "completed" : "incomplete");
        }

        response["output"] = Items(status == "completed" ? "completed" : "incomplete");
        events.Add(Event(status == "completed" ? "response.completed" : "response.incomplete", new JsonObject { ["response"] = response.DeepClone() }));
        return events;
    }

    /// <summary>The final event of a stream the backend broke off.</summary>
    public JsonObject Fail(string code, string message)
    {
        ResponseObject.Fail(response, _output, code, message);
        response["output"] = Items("incomplete");
        return Event("response.failed", new JsonObject { ["response"] = response.DeepClone() });
    }

    /// <summary>The output items in output_index order.</summary>
    private JsonArray Items(string status)
    {
        var items = new JsonArray();
        foreach (var item in _opened)
        {
            items.Add(item switch
            {
                'r' => _output.ReasoningItem(status),
                'm' => _output.MessageItem(status),
                _ => ((ChatOutput.ToolCall)item).Item(status),
            });
        }

        return items;
    }

    /// <summary>Opens the item (closing a reasoning item the answer moved on from); its output_index.</summary>
    private int Open(List<JsonObject> events, object item)
    {
        var index = _opened.IndexOf(item);
        if (index >= 0)
        {
            return index;
        }

        if (item is not 'r' && _opened.Contains('r'))
        {
            Close(events, 'r', "completed");
        }

        index = _opened.Count;
        _opened.Add(item);
        var added = item switch
        {
            'r' => _output.ReasoningItem("in_progress"),
            'm' => _output.MessageItem("in_progress"),
            _ => ((ChatOutput.ToolCall)item).Item("in_progress"),
        };
        events.Add(Event("response.output_item.added", new JsonObject { ["output_index"] = index, ["item"] = added }));
        if (item is 'm')
        {
            events.Add(Event("response.content_part.added", new JsonObject
            {
                ["item_id"] = _output.MessageId,
                ["output_index"] = index,
                ["content_index"] = 0,
                ["part"] = ResponseItems.OutputText(""),
            }));
        }

        return index;
    }

    private void Close(List<JsonObject> events, object item, string status)
    {
        if (!_closed.Add(item))
        {
            return;
        }

        var index = _opened.IndexOf(item);
        JsonObject done;
        switch (item)
        {
            case 'r':
                events.Add(Event("response.reasoning_text.done", new JsonObject
                {
                    ["item_id"] = _output.ReasoningId,
                    ["output_index"] = index,
                    ["content_index"] = 0,
                    ["text"] = _output.Reasoning,
                }));
                done = _output.ReasoningItem(status);
                break;
            case 'm':
                done = _output.MessageItem(status);
                if (_output.Text.Length > 0 || done["content"]!.AsArray().Count == 0)
                {
                    events.Add(Event("response.output_text.done", new JsonObject
                    {
                        ["item_id"] = _output.MessageId,
                        ["output_index"] = index,
                        ["content_index"] = 0,
                        ["text"] = _output.Text,
                        ["logprobs"] = new JsonArray(),
                    }));
                    events.Add(Event("response.content_part.done", new JsonObject
                    {
                        ["item_id"] = _output.MessageId,
                        ["output_index"] = index,
                        ["content_index"] = 0,
                        ["part"] = ResponseItems.OutputText(_output.Text),
                    }));
                }

                break;
            default:
                var call = (ChatOutput.ToolCall)item;
                events.Add(Event("response.function_call_arguments.done", new JsonObject
                {
                    ["item_id"] = call.ItemId,
                    ["name"] = call.Name,
                    ["output_index"] = index,
                    ["arguments"] = call.Arguments.ToString(),
                }));
                done = call.Item(status);
                break;
        }

        events.Add(Event("response.output_item.done", new JsonObject { ["output_index"] = index, ["item"] = done }));
    }

    private JsonObject Event(string type, JsonObject fields)
    {
        var result = new JsonObject { ["type"] = type, ["sequence_number"] = _sequence++ };
        foreach (var (name, value) in fields.ToArray())
        {
            fields.Remove(name);
            result[name] = value;
        }

        return result;
    }
}
