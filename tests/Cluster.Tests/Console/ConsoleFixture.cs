using Cluster.Tests.Support;
using Microsoft.Playwright;

namespace Cluster.Tests.Console;

/// <summary>
/// One gateway in <c>Keys</c> mode (co-hosted silo, the built-in echo model, an admin key, two
/// tenants with a key each) and one headless Chromium from the system's packages (Debian's
/// <c>chromium</c>, <c>/usr/bin/chromium</c>) driven by Playwright: Playwright's own browser
/// download is not used. Each test opens its own browser context (own sessionStorage).
/// </summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    public const string AdminKey = "console-admin-secret";
    public const string Model = "echo";

    private static readonly string Run = Guid.NewGuid().ToString("N")[..8];

    public static string TenantA { get; } = $"console-a-{Run}";

    public static string KeyA { get; } = $"sk-console-a-{Run}";

    public static string TenantB { get; } = $"console-b-{Run}";

    public static string KeyB { get; } = $"sk-console-b-{Run}";

    /// <summary>The browser: <c>CHROMIUM_PATH</c>, else Debian's.</summary>
    public static string ChromiumPath { get; } = Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public GatewayHost Gateway { get; private set; } = null!;

    public GatewayClient Client { get; } = new();

    public AdminApi Admin => new(Client, Gateway.BaseUrl, AdminKey);

    public string ConsoleUrl => Gateway.BaseUrl + "/ui/";

    private readonly SemaphoreSlim _browserLaunch = new(1, 1);

    public IPlaywright? Playwright { get; private set; }

    public IBrowser? Browser { get; private set; }

    /// <summary>Where screenshots go: <c>TestResults/console/</c> at the repository root, beside the TRX files.</summary>
    public string ScreenshotDirectory { get; } = ScreenshotFolder();

    public async Task InitializeAsync()
    {
        var config = new
        {
            Auth = new { Mode = "Keys", AdminKey },
            Models = new object[] { new { Name = Model, Price = new { InputPerMTok = 1.5, OutputPerMTok = 2.5 }, Deployments = new object[] { new { Provider = "echo" } } } },
            Tenants = new object[]
            {
                new { Id = TenantA, Keys = new[] { KeyA }, Models = new[] { "*" }, Limits = new { Rpm = 1000, TokensPerDay = 5_000_000 } },
                new { Id = TenantB, Keys = new[] { KeyB }, Models = new[] { "*" } },
            },
        };
        Gateway = await GatewayHost.StartAsync(config);
    }

    /// <summary>A fresh page (its own context: empty sessionStorage) of the given width, for a user of the console.</summary>
    public async Task<IPage> NewPageAsync(int width = 1280, int height = 900)
    {
        await _browserLaunch.WaitAsync();
        try
        {
            // Launched on first use: the API-only tests of this fixture need no browser.
            if (Browser is null)
            {
                if (!File.Exists(ChromiumPath))
                {
                    throw new InvalidOperationException($"The console tests need Chromium at {ChromiumPath} (apt-get install chromium, as .ci/run does; or set CHROMIUM_PATH).");
                }

                Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
                Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
                {
                    ExecutablePath = ChromiumPath,
                    Headless = true,
                    Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
                });
            }
        }
        finally
        {
            _browserLaunch.Release();
        }

        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height },
            AcceptDownloads = true,
        });
        context.SetDefaultTimeout(15_000);
        return await context.NewPageAsync();
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        Playwright?.Dispose();
        if (Gateway is not null)
        {
            await Gateway.DisposeAsync();
        }

        Client.Dispose();
        _browserLaunch.Dispose();
    }

    private static string ScreenshotFolder()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Cluster.sln")))
        {
            directory = directory.Parent;
        }

        var folder = Path.Combine(directory?.FullName ?? AppContext.BaseDirectory, "TestResults", "console");
        Directory.CreateDirectory(folder);
        return folder;
    }
}
