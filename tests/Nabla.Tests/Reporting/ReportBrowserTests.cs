using System.Text.Json;
using Microsoft.Playwright;
using Nabla.Kernels;
using Nabla.Reporting;
using Xunit;

namespace Nabla.Tests.Reporting;

/// <summary>Opens report.html of a real (tiny) training run in Debian's chromium through Playwright: every section is
/// there and visible, the confusion matrix counts every test sample, the mistakes' PNGs decode and are truly wrong,
/// nothing is loaded from elsewhere and the console stays clean. A full-page screenshot is kept as an artifact in
/// the test output directory (artifacts/report.png).</summary>
[Collection("Workers")]
public sealed class ReportBrowserTests : IAsyncLifetime
{
    /// <summary>Debian's chromium (.ci/run installs the package); Playwright downloads no browser of its own.</summary>
    internal const string Chromium = "/usr/bin/chromium";

    private readonly string _dir = Directory.CreateTempSubdirectory("nabla-browser-").FullName;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: the report's browser tests need Debian's chromium (apt-get install chromium; .ci/run installs it)");
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.CloseAsync();
        _playwright?.Dispose();
        Workers.Count = Environment.ProcessorCount;
        Directory.Delete(_dir, true);
    }

    /// <summary>The screenshots' folder in the test output directory.</summary>
    private static string Artifacts() => Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "artifacts")).FullName;

    [Fact]
    public async Task TrainedRunReport_RendersEverySection_WithConsistentConfusionAndWrongMistakes()
    {
        var (trainer, data) = TrainerReportTests.Train(_dir, "run", 1);
        var labels = data.Test.Labels.ToArray();
        int wrong = labels.Where((l, i) => trainer.TestPredictions!.Predicted[i] != l).Count();
        Assert.True(wrong > 0, "the one-epoch run should get some test images wrong, or the mistakes grid is empty");

        var page = await _browser!.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } });
        var errors = new List<string>();
        var foreign = new List<string>();
        page.Console += (_, m) => { if (m.Type is "error" or "warning") errors.Add($"{m.Type}: {m.Text}"); };
        page.PageError += (_, e) => errors.Add($"page error: {e}");
        page.Request += (_, r) => { if (!r.Url.StartsWith("file:", StringComparison.Ordinal) && !r.Url.StartsWith("data:", StringComparison.Ordinal)) foreign.Add(r.Url); };
        await page.GotoAsync(new Uri(trainer.Outputs.Report).AbsoluteUri);

        foreach (var id in new[] { "run", "curves", "confusion", "mistakes", "layers" })
            Assert.True(await page.Locator($"#{id}").IsVisibleAsync(), $"#{id} is not visible");
        Assert.Equal(5, await page.Locator("#curves svg.plot").CountAsync());

        long cells = await page.EvaluateAsync<long>("() => [...document.querySelectorAll('#confusion td[data-count]')].reduce((s, td) => s + Number(td.textContent), 0)");
        Assert.Equal(data.Test.Count, cells);
        Assert.Equal(100, await page.Locator("#confusion td[data-count]").CountAsync());

        var figures = await page.EvaluateAsync<JsonElement>("""
            () => [...document.querySelectorAll('#mistakes figure.mistake')].map(f => {
              const img = f.querySelector('img');
              return { index: +f.dataset.index, truth: +f.dataset.true, pred: +f.dataset.pred,
                       width: img.naturalWidth, height: img.naturalHeight, complete: img.complete, caption: f.innerText };
            })
            """);
        Assert.Equal(Math.Min(wrong, 32), figures.GetArrayLength());
        foreach (var f in figures.EnumerateArray())
        {
            int i = f.GetProperty("index").GetInt32();
            Assert.Equal(labels[i], f.GetProperty("truth").GetInt32());
            Assert.NotEqual(labels[i], f.GetProperty("pred").GetInt32());
            Assert.Equal(trainer.TestPredictions!.Predicted[i], f.GetProperty("pred").GetInt32());
            Assert.True(f.GetProperty("complete").GetBoolean(), $"image {i} did not load");
            Assert.Equal(80, f.GetProperty("width").GetInt32()); // 8 px images upscaled 10x
            Assert.Equal(80, f.GetProperty("height").GetInt32());
            Assert.Contains($"true {labels[i]}", f.GetProperty("caption").GetString()!.Replace("\n", " "));
        }

        string shot = Path.Combine(Artifacts(), "report.png");
        await page.ScreenshotAsync(new() { Path = shot, FullPage = true });
        Assert.True(new FileInfo(shot).Length > 10_000, "the screenshot is (nearly) empty");
        Assert.Empty(foreign);
        Assert.Empty(errors);
    }

    [Fact]
    public async Task MemorisationReport_DrawsTheChanceLine()
    {
        var (trainer, _) = TrainerReportTests.Train(_dir, "memorise", 2, randomLabels: true);
        var page = await _browser!.NewPageAsync();
        await page.GotoAsync(new Uri(trainer.Outputs.Report).AbsoluteUri);
        var legend = page.Locator("#curves svg.plot text", new() { HasTextString = "chance (10 %)" });
        Assert.Equal(1, await legend.CountAsync());
        Assert.True(await legend.IsVisibleAsync());
        await page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts(), "report-memorisation.png"), FullPage = true });
    }
}
