using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using Cluster.Grains.Completions;
using Cluster.Grains.Errors;
using Cluster.Grains.Models;

namespace Cluster.Relay.Providers.OpenAI;

/// <summary>
/// Any OpenAI-compatible HTTP backend (vLLM, llama.cpp server, Ollama, LM Studio, TGI, OpenAI) and
/// Azure OpenAI. The client's body is forwarded with the model name rewritten; the backend's key
/// is added here and nowhere else. A Responses turn to a deployment whose <c>Api</c> is
/// <c>responses</c> goes to the backend's <c>/responses</c> instead (<see cref="NativeResponses"/>),
/// its answer read back as a chat completion.
/// </summary>
internal sealed class OpenAIProvider(UpstreamHttp http) : IModelProvider
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private readonly ConcurrentDictionary<(string, string), Uri> _uris = new();

    public async Task<byte[]> CompleteAsync(UpstreamCall call, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(call, cancellationToken).ConfigureAwait(false);
        try
        {
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            return IsNative(call) ? Native(call, () => NativeResponses.ToChatCompletion(body)) : body;
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            throw Broken(call.Deployment, ex, cancellationToken);
        }
    }

    public async IAsyncEnumerable<byte[]> StreamAsync(UpstreamCall call, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var response = await SendAsync(call, cancellationToken).ConfigureAwait(false);
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        if (response.Content.Headers.ContentType?.MediaType is "application/json")
        {
            // A backend that ignored "stream": one JSON body. Relay it as a single event.
            using var copy = new MemoryStream();
            try
            {
                await stream.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException)
            {
                throw Broken(call.Deployment, ex, cancellationToken);
            }

            yield return IsNative(call) ? Native(call, () => NativeResponses.ToChatCompletion(copy.ToArray())) : copy.ToArray();
            yield break;
        }

        var native = IsNative(call) ? new NativeResponseStream(call.Deployment.Id) : null;

        var events = SseReader.ReadAsync(stream, cancellationToken).GetAsyncEnumerator(cancellationToken);
        await using (events.ConfigureAwait(false))
        {
            while (true)
            {
                try
                {
                    if (!await events.MoveNextAsync().ConfigureAwait(false))
                    {
                        yield break;
                    }
                }
                catch (Exception ex) when (ex is IOException or HttpRequestException)
                {
                    throw Broken(call.Deployment, ex, cancellationToken);
                }

                if (native is null)
                {
                    yield return events.Current;
                    continue;
                }

                foreach (var chunk in Native(call, () => native.Add(events.Current)))
                {
                    yield return chunk;
                }
            }
        }
    }

    /// <summary>Whether this attempt goes to the backend's <c>/responses</c>: a Responses turn to a deployment that speaks it.</summary>
    private static bool IsNative(UpstreamCall call) =>
        call.Request.ResponsesBody is not null && call.Deployment.Api == DeploymentApis.Responses;

    /// <summary>Reads the backend's Responses JSON; JSON that is not what the API defines is a backend failure.</summary>
    private static T Native<T>(UpstreamCall call, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            throw new GatewayException(GatewayErrorCode.UpstreamFailed, $"The backend of deployment '{call.Deployment.Id}' answered /responses with a body that is not a response.");
        }
    }

    /// <summary>
    /// A backend that dropped the connection after its headers: a backend failure (502, retried when
    /// nothing reached the client yet), not a gateway fault. If the read failed because the call was
    /// cancelled (a timeout or the client leaving), it is reported as the cancellation it is.
    /// </summary>
    private static Exception Broken(DeploymentDefinition deployment, Exception exception, CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested
            ? new OperationCanceledException(exception.Message, exception, cancellationToken)
            : new GatewayException(GatewayErrorCode.UpstreamFailed, $"The backend of deployment '{deployment.Id}' closed the connection before the response was complete.");

    private async Task<HttpResponseMessage> SendAsync(UpstreamCall call, CancellationToken cancellationToken)
    {
        var deployment = call.Deployment;
        var native = IsNative(call);
        using var message = new HttpRequestMessage(HttpMethod.Post, UriOf(deployment, native ? ResponsesPath : PathOf(call.Request.Kind)))
        {
            Content = new ByteArrayContent(native ? NativeResponses.Body(call.Request.ResponsesBody!, call.UpstreamModel) : UpstreamBody.Build(call.Request, call.UpstreamModel)),
        };
        message.Content.Headers.ContentType = Json;
        if (SecretReference.Resolve(deployment.ApiKey) is { } key)
        {
            if (deployment.ProviderKind == DeploymentProvider.AzureOpenAI)
            {
                message.Headers.TryAddWithoutValidation("api-key", key);
            }
            else
            {
                message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            }
        }

        if (call.Request.Stream)
        {
            message.Headers.Accept.ParseAdd("text/event-stream");
        }

        HttpResponseMessage response;
        try
        {
            response = await http.For(deployment.Timeouts.Connect)
                .SendAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new GatewayException(GatewayErrorCode.UpstreamFailed, $"The backend of deployment '{deployment.Id}' could not be reached ({Describe(ex)}).");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // SocketsHttpHandler reports a connect timeout as a cancellation.
            throw new GatewayException(GatewayErrorCode.UpstreamTimeout, $"Connecting to the backend of deployment '{deployment.Id}' timed out.");
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            throw await RejectionAsync(deployment, response, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<GatewayException> RejectionAsync(DeploymentDefinition deployment, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        byte[] body;
        try
        {
            body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            body = [];
        }

        var retryAfter = response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - DateTimeOffset.UtcNow,
            _ => (TimeSpan?)null,
        };

        return response.StatusCode switch
        {
            HttpStatusCode.TooManyRequests => new GatewayException(GatewayErrorCode.RateLimited, $"Deployment '{deployment.Id}' is rate limited by its backend.")
            {
                RetryAfter = retryAfter,
                UpstreamStatus = status,
                UpstreamBody = body,
            },
            HttpStatusCode.RequestTimeout or HttpStatusCode.GatewayTimeout =>
                new GatewayException(GatewayErrorCode.UpstreamTimeout, $"The backend of deployment '{deployment.Id}' timed out (HTTP {status})."),
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden =>
                // The gateway's own key for the backend is wrong: the caller cannot fix that.
                new GatewayException(GatewayErrorCode.UpstreamFailed, $"The backend of deployment '{deployment.Id}' refused the gateway's credentials (HTTP {status})."),
            _ when status >= 500 => new GatewayException(GatewayErrorCode.UpstreamFailed, $"The backend of deployment '{deployment.Id}' failed (HTTP {status})."),
            _ => new GatewayException(GatewayErrorCode.UpstreamRejected, $"The backend rejected the request (HTTP {status}).")
            {
                UpstreamStatus = status,
                UpstreamBody = body,
            },
        };
    }

    private const string ResponsesPath = "responses";

    private static string PathOf(EndpointKind kind) => kind switch
    {
        EndpointKind.ChatCompletions => "chat/completions",
        EndpointKind.Completions => "completions",
        _ => "embeddings",
    };

    private Uri UriOf(DeploymentDefinition deployment, string path) =>
        _uris.GetOrAdd((deployment.Id + "\n" + deployment.BaseUrl + "\n" + deployment.UpstreamModel, path), _ =>
        {
            var baseUrl = deployment.BaseUrl!.TrimEnd('/');
            return deployment.ProviderKind != DeploymentProvider.AzureOpenAI
                ? new Uri($"{baseUrl}/{path}")
                : path == ResponsesPath

                    // Azure's Responses API is per resource; the deployment is the body's model.
                    ? new Uri($"{baseUrl}/openai/responses?api-version={Uri.EscapeDataString(deployment.ApiVersion!)}")
                    : new Uri($"{baseUrl}/openai/deployments/{Uri.EscapeDataString(deployment.UpstreamModel!)}/{path}?api-version={Uri.EscapeDataString(deployment.ApiVersion!)}");
        });

    private static string Describe(HttpRequestException ex) =>
        ex.HttpRequestError == HttpRequestError.Unknown ? "connection failed" : ex.HttpRequestError.ToString();
}
