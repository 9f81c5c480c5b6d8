using Cluster.Relay.Views;
using Cluster.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Cluster.Tests.Relay.Views;

/// <summary>The process-local cache of a versioned cluster document, on a fake clock. No cluster.</summary>
[Trait("Category", "Unit")]
public sealed class VersionedViewTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _time = new();
    private readonly Document _document = new();

    [Fact]
    public async Task GetAsync_FirstCall_LoadsTheDocument()
    {
        var view = View();

        Assert.Equal("v1", await view.GetAsync());
        Assert.Equal(1, _document.Loads);
    }

    [Fact]
    public async Task GetAsync_WithinTheInterval_ServedWithoutAskingTheVersion()
    {
        var view = View();
        await view.GetAsync();
        _document.Publish("v2");

        _time.Advance(view.RefreshInterval - TimeSpan.FromMilliseconds(1));

        Assert.Equal("v1", await view.GetAsync());
        Assert.Equal(0, _document.VersionChecks);
    }

    [Fact]
    public async Task GetAsync_AfterTheInterval_ServesTheCopyAndRefreshesBehind()
    {
        var view = View();
        await view.GetAsync();
        _document.Publish("v2");
        _time.Advance(view.RefreshInterval);

        var meanwhile = await view.GetAsync();

        Assert.Equal("v1", meanwhile);
        await Eventually.UntilAsync(async () => await view.GetAsync() == "v2", "the view to load the new version", Wait);
        Assert.Equal(2, _document.Loads);
    }

    [Fact]
    public async Task GetAsync_VersionUnchanged_NotLoadedAgain()
    {
        var view = View();
        await view.GetAsync();
        _time.Advance(view.RefreshInterval);

        await view.GetAsync();

        await Eventually.UntilAsync(() => _document.VersionChecks == 1, "the version check", Wait);
        Assert.Equal(1, _document.Loads);
    }

    [Fact]
    public async Task GetAsync_RefreshFails_KeepsServingTheLastCopy()
    {
        var view = View();
        await view.GetAsync();
        _document.Unreachable = true;
        _time.Advance(view.RefreshInterval);

        Assert.Equal("v1", await view.GetAsync());

        await Eventually.UntilAsync(() => _document.VersionChecks == 1, "the failed version check", Wait);
        Assert.Equal("v1", await view.GetAsync());
    }

    [Fact]
    public async Task GetFreshAsync_ChangedMomentsAgo_SeenAtOnce()
    {
        var view = View();
        await view.GetAsync();
        _document.Publish("v2");

        Assert.Equal("v2", await view.GetFreshAsync());
    }

    [Fact]
    public async Task GetFreshAsync_ConcurrentMisses_ShareOneVersionCheck()
    {
        var view = View();
        await view.GetAsync();
        var gate = new TaskCompletionSource();
        _document.VersionGate = gate.Task;

        var checks = Enumerable.Range(0, 20).Select(_ => view.GetFreshAsync()).ToList();
        gate.SetResult();
        await Task.WhenAll(checks);

        Assert.Equal(1, _document.VersionChecks);
        Assert.All(checks, c => Assert.Equal("v1", c.Result));
    }

    [Fact]
    public async Task LoadAsync_OlderVersionArrivesLate_NewerCopyKept()
    {
        var view = View();
        _document.Publish("v2");
        await view.LoadAsync();

        _document.Rollback("v1");
        var loaded = await view.LoadAsync();

        Assert.Equal("v2", loaded);
        Assert.Equal("v2", await view.GetAsync());
    }

    private VersionedView<string> View() => new(_document.GetVersionAsync, _document.LoadAsync, _time);

    /// <summary>A versioned document as a grain holds it, counting the calls the view makes.</summary>
    private sealed class Document
    {
        private (long Version, string Value) _current = (1, "v1");
        private int _loads;
        private int _versionChecks;

        public int Loads => Volatile.Read(ref _loads);

        public int VersionChecks => Volatile.Read(ref _versionChecks);

        public bool Unreachable { get; set; }

        public Task? VersionGate { get; set; }

        public void Publish(string value) => _current = (_current.Version + 1, value);

        public void Rollback(string value) => _current = (_current.Version - 1, value);

        public async Task<long> GetVersionAsync()
        {
            Interlocked.Increment(ref _versionChecks);
            if (VersionGate is { } gate)
            {
                await gate;
            }

            return Unreachable ? throw new TimeoutException("the grain did not answer") : _current.Version;
        }

        public Task<(long Version, string Value)> LoadAsync()
        {
            Interlocked.Increment(ref _loads);
            return Task.FromResult(_current);
        }
    }
}
