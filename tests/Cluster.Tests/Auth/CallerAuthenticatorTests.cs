using Cluster.Api.Auth;
using Cluster.Grains.Access;
using Cluster.Grains.Errors;
using Cluster.Grains.Models;
using Cluster.Relay.Views;
using Cluster.Tests.Support.InMemory;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Cluster.Tests.Auth;

/// <summary>
/// A key the local copy of the access directory does not hold is checked against the directory
/// itself, once a second at most per key: OpenAI clients send some key with every request, even
/// to an open gateway. In open mode a check the cluster cannot answer leaves the caller anonymous.
/// </summary>
[Trait("Category", "Unit")]
public sealed class CallerAuthenticatorTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 5, 12, 0, 0, TimeSpan.Zero));
    private readonly InMemoryAccessDirectoryGrain _directory = new();
    private readonly List<CallerAuthenticator> _authenticators = [];

    [Fact]
    public async Task OpenMode_UnknownKeyOnEveryRequest_CheckedWithTheDirectoryOncePerSecond()
    {
        var authenticator = Create(AuthMode.Open);
        await authenticator.AuthenticateAsync(Request("sk-anything"));
        var afterFirst = _directory.VersionReads;

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("default", (await authenticator.AuthenticateAsync(Request("sk-anything"))).Identity.Tenant);
        }

        Assert.Equal(afterFirst, _directory.VersionReads);

        // A second on, a key issued meanwhile elsewhere would be found: it is checked again.
        _time.Advance(TimeSpan.FromSeconds(1));
        await authenticator.AuthenticateAsync(Request("sk-anything"));
        Assert.True(_directory.VersionReads > afterFirst, "The key was not checked again after a second.");
    }

    [Fact]
    public async Task OpenMode_DirectoryDoesNotAnswer_CallerServedAsAnonymous()
    {
        var authenticator = Create(AuthMode.Open);
        await authenticator.AuthenticateAsync(Request(null));
        _directory.Failure = new TimeoutException("Response did not arrive on time.");

        var caller = await authenticator.AuthenticateAsync(Request("sk-anything"));

        Assert.Equal("default", caller.Identity.Tenant);
        Assert.Null(caller.Identity.KeyId);
    }

    [Fact]
    public async Task KeysMode_DirectoryDoesNotAnswer_FailsRatherThanGuess()
    {
        var authenticator = Create(AuthMode.Keys);
        _directory.Publish(new TenantDefinition("t1", ["*"], ScopeLimits.None, TenantQuotas.None, [], ModelSource.Configuration, 0));
        await Assert.ThrowsAsync<GatewayException>(() => authenticator.AuthenticateAsync(Request(null)).AsTask());
        _directory.Failure = new TimeoutException("Response did not arrive on time.");

        await Assert.ThrowsAsync<TimeoutException>(() => authenticator.AuthenticateAsync(Request("sk-not-yet-known")).AsTask());
    }

    public void Dispose()
    {
        foreach (var authenticator in _authenticators)
        {
            authenticator.Dispose();
        }
    }

    private CallerAuthenticator Create(AuthMode mode)
    {
        var grains = new InMemoryGrainFactory().Register<IAccessDirectoryGrain>(_ => _directory);
        var options = Options.Create(new AuthOptions { Mode = mode });
        var authenticator = new CallerAuthenticator(
            new AccessView(grains, _time),
            grains,
            options,
            new ConfigurationBuilder().Build(),
            _time,
            new FailedAuthentications(options, _time),
            NullLogger<CallerAuthenticator>.Instance);
        _authenticators.Add(authenticator);
        return authenticator;
    }

    private static DefaultHttpContext Request(string? key)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = System.Net.IPAddress.Loopback;
        if (key is not null)
        {
            context.Request.Headers.Authorization = "Bearer " + key;
        }

        return context;
    }
}
