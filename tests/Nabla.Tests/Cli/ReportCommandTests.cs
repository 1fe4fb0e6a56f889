using System.Text.RegularExpressions;
using Nabla.Tests.Training;
using Xunit;

namespace Nabla.Tests.Cli;

/// <summary>The report through the real CLI: train prints the report's path, `nabla report` rebuilds it with the
/// mistakes' images read from the run's --data, `nabla eval --report` writes the confusion/mistakes page.</summary>
public sealed class ReportCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nabla-report-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static long ConfusionSum(string html) => Regex.Matches(html, "data-count=\"(\\d+)\"").Sum(m => long.Parse(m.Groups[1].Value));

    [Fact]
    public void Train_PrintsTheReport_ReportRebuildsIt_EvalWritesOne()
    {
        string data = KillResumeTests.WriteIdx(Path.Combine(_dir, "data"), 256, 100);
        string spec = TrainerTests.SpecFile(_dir), run = Path.Combine(_dir, "run");
        var t = CliErrorTests.Run("train", "--model", spec, "--data", data, "--epochs", "1", "--lr", "0.005", "--out", run);
        Assert.True(t.Code == 0, t.Err);
        string report = Path.Combine(run, "report.html");
        Assert.EndsWith($"report: {report}", t.Out.TrimEnd());
        string written = File.ReadAllText(report);
        File.Delete(report);

        var r = CliErrorTests.Run("report", run);
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal($"report: {report}", r.Out.TrimEnd());
        Assert.Equal(written, File.ReadAllText(report));
        Assert.Contains("data:image/png;base64,", written);

        string evalHtml = Path.Combine(_dir, "eval.html");
        var e = CliErrorTests.Run("eval", "--model", spec, "--weights", Path.Combine(run, "model.safetensors"), "--data", data, "--report", evalHtml);
        Assert.True(e.Code == 0, e.Err);
        string html = File.ReadAllText(evalHtml);
        Assert.Equal(100, ConfusionSum(html));
        Assert.Contains("<section id=\"confusion\">", html);
        Assert.Contains("<section id=\"mistakes\">", html);
        Assert.Contains("<section id=\"layers\">", html);
        Assert.DoesNotContain("<section id=\"curves\">", html);
    }

    [Fact]
    public void Report_OfNoRunDirectory_ExitsTwoWithOneLine()
    {
        CliErrorTests.AssertUsageError(CliErrorTests.Run("report"), "expected a run directory");
        CliErrorTests.AssertUsageError(CliErrorTests.Run("report", Path.Combine(_dir, "nope")), "nope", "no such directory");
        CliErrorTests.AssertUsageError(CliErrorTests.Run("report", _dir), _dir, "no metrics.csv");
        CliErrorTests.AssertUsageError(CliErrorTests.Run("eval", "--model", "lenet5", "--weights", Path.Combine(_dir, "w.safetensors"), "--report", "x.html"), "w.safetensors");
    }
}
