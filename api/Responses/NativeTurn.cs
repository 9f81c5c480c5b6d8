using System.Text.Json.Nodes;

namespace Cluster.Api.Responses;

/// <summary>
/// A turn as the Responses request sent to a deployment that speaks <c>/responses</c> natively
/// (<c>Api: responses</c>): the client's body with the whole context replayed as <c>input</c>
/// (the chain's or conversation's items, then this turn's), <c>store: false</c> so the backend
/// keeps nothing, and no <c>previous_response_id</c> or <c>conversation</c> (the backend has never
/// seen them). The items go without their <c>id</c>s, which are ours and name nothing the backend
/// stored. <c>metadata</c> stays with the stored response, as for chat backends; the rest
/// (instructions, tools, <c>text</c>, <c>reasoning</c>, sampling, a backend's own fields) goes as it came.
/// </summary>
internal static class NativeTurn
{
    private static readonly HashSet<string> Dropped = ["previous_response_id", "conversation", "store", "input", "metadata", "stream_options"];

    public static JsonObject Body(ResponseRequest request, IReadOnlyList<JsonObject> context)
    {
        var body = new JsonObject();
        foreach (var (name, value) in request.Body)
        {
            if (!Dropped.Contains(name))
            {
                body[name] = value?.DeepClone();
            }
        }

        var input = new JsonArray();
        foreach (var item in context.Concat(request.InputItems))
        {
            var copy = item.DeepClone().AsObject();
            copy.Remove("id");
            input.Add(copy);
        }

        body["input"] = input;
        body["store"] = false;
        return body;
    }
}
