using System.Net;
using System.Text.Json.Nodes;
using Cluster.Tests.Contract;

namespace Cluster.Tests.Support;

/// <summary>Asserts that a response is one OpenAI error: status, JSON content type, and the four error fields.</summary>
public static class ErrorAssert
{
    public static JsonObject Matches(RawResponse response, HttpStatusCode status, string type, string? code, string? param)
    {
        Assert.True(status == response.Status, $"Expected {(int)status}, got {(int)response.Status}: {response.Body}");
        Assert.Equal("application/json", response.ContentType);
        OpenApiContract.AssertValid("ErrorResponse", response.Body);
        var error = response.Json["error"]!.AsObject();
        Assert.Equal(type, error["type"]!.GetValue<string>());
        Assert.Equal(code, error["code"]?.GetValue<string>());
        Assert.Equal(param, error["param"]?.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(error["message"]!.GetValue<string>()));
        Assert.DoesNotContain("   at ", response.Body, StringComparison.Ordinal);
        return error;
    }
}
