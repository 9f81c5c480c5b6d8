using System.Text.Json.Nodes;
using Cluster.Tests.Contract;
using Xunit.Sdk;

namespace Cluster.Tests.Responses;

/// <summary>A Responses event stream, split and checked: <c>event: {type}</c> and <c>data: {json}</c> per event, each valid against its schema.</summary>
public static class ResponseEvents
{
    /// <summary>The spec component of each event type this gateway sends.</summary>
    private static readonly Dictionary<string, string> Components = new()
    {
        ["response.created"] = "ResponseCreatedEvent",
        ["response.in_progress"] = "ResponseInProgressEvent",
        ["response.output_item.added"] = "ResponseOutputItemAddedEvent",
        ["response.output_item.done"] = "ResponseOutputItemDoneEvent",
        ["response.content_part.added"] = "ResponseContentPartAddedEvent",
        ["response.content_part.done"] = "ResponseContentPartDoneEvent",
        ["response.output_text.delta"] = "ResponseTextDeltaEvent",
        ["response.output_text.done"] = "ResponseTextDoneEvent",
        ["response.function_call_arguments.delta"] = "ResponseFunctionCallArgumentsDeltaEvent",
        ["response.function_call_arguments.done"] = "ResponseFunctionCallArgumentsDoneEvent",
        ["response.reasoning_text.delta"] = "ResponseReasoningTextDeltaEvent",
        ["response.reasoning_text.done"] = "ResponseReasoningTextDoneEvent",
        ["response.completed"] = "ResponseCompletedEvent",
        ["response.incomplete"] = "ResponseIncompleteEvent",
        ["response.failed"] = "ResponseFailedEvent",
    };

    /// <summary>
    /// The events of <paramref name="body"/>, in order. Fails unless each is framed as OpenAI frames
    /// it, is valid against its own component and against <c>ResponseStreamEvent</c>, and the
    /// sequence numbers run 0, 1, 2, … without a gap.
    /// </summary>
    public static List<JsonObject> Parse(string body)
    {
        if (!body.EndsWith("\n\n", StringComparison.Ordinal))
        {
            throw new XunitException($"The stream does not end with a blank line:\n{body}");
        }

        var events = new List<JsonObject>();
        foreach (var block in body[..^2].Split("\n\n"))
        {
            var lines = block.Split('\n');
            if (lines.Length != 2 || !lines[0].StartsWith("event: ", StringComparison.Ordinal) || !lines[1].StartsWith("data: ", StringComparison.Ordinal))
            {
                throw new XunitException($"Not an 'event:' and 'data:' pair: '{block}' in:\n{body}");
            }

            var type = lines[0]["event: ".Length..];
            var json = lines[1]["data: ".Length..];
            Assert.True(Components.TryGetValue(type, out var component), $"Unexpected event type '{type}'");
            OpenApiContract.AssertValid(component!, json);
            OpenApiContract.AssertValid("ResponseStreamEvent", json);
            var e = JsonNode.Parse(json)!.AsObject();
            Assert.Equal(type, e["type"]!.GetValue<string>());
            Assert.Equal(events.Count, e["sequence_number"]!.GetValue<int>());
            events.Add(e);
        }

        return events;
    }

    public static IEnumerable<string> Types(IEnumerable<JsonObject> events) => events.Select(e => e["type"]!.GetValue<string>());
}
