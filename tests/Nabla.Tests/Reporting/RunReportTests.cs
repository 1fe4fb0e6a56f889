using System.Text.RegularExpressions;
using Nabla.Analysis;
using Nabla.Data;
using Nabla.IO.Spec;
using Nabla.Reporting;
using Nabla.Tensors;
using Nabla.Training;
using Xunit;

namespace Nabla.Tests.Reporting;

public class RunReportTests
{
    private const long MaxReportBytes = 2_000_000;

    /// <summary>A report as a 60-epoch mnist-cnn run on MNIST would give: 60 epochs, one step row every 50 of the
    /// 938 steps per epoch, 10,000 test predictions of which 10 % wrong, 28x28 images, the mnist-cnn layer table.</summary>
    internal static RunReport Synthetic(int epochs = 60, bool randomLabels = false, string[]? classNames = null)
    {
        var rng = new Rng(3);
        var history = Enumerable.Range(1, epochs).Select(e => new EpochMetrics(e, 1.0 / e, 1 - 0.5 / e, 1.2 / e, 1 - 0.6 / e, 30.0 * e)).ToList();
        var steps = Enumerable.Range(1, epochs * 938 / 50).Select(i => new StepMetrics(50L * i, 1 + 50 * i / 938, 2.0 / i, 1 - 1.0 / i, 2e-3, 2400)).ToList();
        int n = 10_000;
        var px = new byte[n * 784];
        for (int i = 0; i < px.Length; i++) px[i] = (byte)rng.NextInt(256);
        var labels = Enumerable.Range(0, n).Select(i => i % 10).ToArray();
        var test = new Dataset(px, labels, 1, 28, 28);
        var pred = labels.Select((l, i) => i % 10 == 3 ? (l + 1 + i % 7) % 10 : l).ToArray();
        var conf = Enumerable.Range(0, n).Select(i => 0.3f + 0.7f * (float)rng.NextDouble()).ToArray();
        return new RunReport
        {
            Title = "nabla run: mnist-cnn",
            Info = [new("model", "mnist-cnn"), new("seed", "1")],
            History = history,
            Steps = steps,
            Chance = randomLabels ? 0.1 : null,
            ClassNames = classNames ?? Enumerable.Range(0, 10).Select(i => i.ToString()).ToArray(),
            Predictions = new TestPredictions(labels, pred, conf, 10),
            TestImages = test,
            Layers = ModelAnalyzer.Analyze(Zoo.Resolve("mnist-cnn")),
        };
    }

    [Fact]
    public void SixtyEpochReport_StaysUnderTwoMegabytes()
    {
        int bytes = System.Text.Encoding.UTF8.GetByteCount(Synthetic().ToHtml());
        Assert.True(bytes < MaxReportBytes, $"report of a 60-epoch run is {bytes:N0} bytes");
    }

    [Fact]
    public void Report_HasEverySectionId_AndLoadsNothingFromElsewhere()
    {
        string html = Synthetic(epochs: 4).ToHtml();
        foreach (var id in new[] { "run", "curves", "confusion", "mistakes", "layers" })
            Assert.Contains($"<section id=\"{id}\">", html);
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org/2000/svg", ""));
        Assert.DoesNotContain("https://", html);
        Assert.DoesNotContain("@import", html);
        Assert.DoesNotContain("url(", html);
        foreach (Match m in Regex.Matches(html, "src=\"([^\"]*)\"")) Assert.StartsWith("data:image/png;base64,", m.Groups[1].Value);
    }

    [Fact]
    public void Confusion_CellsSumToTheSampleCount_AndMistakesAreTheMostConfidentWrongOnes()
    {
        var r = Synthetic(epochs: 2);
        string html = r.ToHtml();
        long sum = Regex.Matches(html, "data-count=\"(\\d+)\"").Sum(m => long.Parse(m.Groups[1].Value));
        Assert.Equal(10_000, sum);
        var p = r.Predictions!;
        var shown = Regex.Matches(html, "data-index=\"(\\d+)\"").Select(m => int.Parse(m.Groups[1].Value)).ToList();
        Assert.Equal(r.MistakeCount, shown.Count);
        float weakestShown = shown.Min(i => p.Confidence[i]);
        foreach (int i in shown) Assert.NotEqual(p.Labels[i], p.Predicted[i]);
        Assert.DoesNotContain(Enumerable.Range(0, p.Count), i => p.Labels[i] != p.Predicted[i] && !shown.Contains(i) && p.Confidence[i] > weakestShown);
    }

    [Fact]
    public void ClassNames_AreEscaped()
    {
        var names = Enumerable.Range(0, 10).Select(i => $"<b>c{i}&</b>").ToArray();
        string html = Synthetic(epochs: 1, classNames: names).ToHtml();
        Assert.DoesNotContain("<b>c3&</b>", html);
        Assert.Contains("&lt;b&gt;c3&amp;&lt;/b&gt;", html);
    }

    [Fact]
    public void RandomLabels_DrawTheChanceLine()
    {
        Assert.Contains("chance (10 %)", Synthetic(epochs: 3, randomLabels: true).ToHtml());
        Assert.DoesNotContain("chance (", Synthetic(epochs: 3).ToHtml());
    }

    [Fact]
    public void Predictions_RoundTripThroughCsv()
    {
        var p = Synthetic(epochs: 1).Predictions!;
        string path = Path.Combine(Directory.CreateTempSubdirectory("nabla-pred-").FullName, "predictions.csv");
        File.WriteAllText(path, p.ToCsv());
        var q = TestPredictions.Load(path, 10);
        Assert.Equal(p.Labels, q.Labels);
        Assert.Equal(p.Predicted, q.Predicted);
        Assert.Equal(p.Confidence, q.Confidence, (a, b) => Math.Abs(a - b) <= 1e-6f);
        File.WriteAllText(path, TestPredictions.CsvHeader + "\n0,1,x,0.5\n");
        var e = Assert.Throws<NablaInputException>(() => TestPredictions.Load(path, 10));
        Assert.Contains("predictions.csv:2:", e.Message);
    }
}
