using Nabla.Kernels;
using Nabla.Reporting;
using Nabla.Tests.Training;
using Nabla.Training;
using Xunit;

namespace Nabla.Tests.Reporting;

[Collection("Workers")] // trains, which sets Workers.Count through the trainer's options
public sealed class TrainerReportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nabla-report-").FullName;

    public void Dispose() { Workers.Count = Environment.ProcessorCount; Directory.Delete(_dir, true); }

    internal static (Trainer Trainer, Nabla.Data.DataSplits Data) Train(string dir, string outName, int epochs, bool randomLabels = false)
    {
        var data = TrainerTests.Synthetic();
        var o = new TrainOptions
        {
            Model = TrainerTests.SpecFile(dir), Data = "synthetic", Epochs = epochs, BatchSize = 32, Optimizer = "momentum",
            Lr = 0.02, Seed = 7, StepsEvery = 3, RandomLabels = randomLabels, EvalTrain = randomLabels, OutDir = Path.Combine(dir, outName),
        };
        var t = new Trainer(o, data: data);
        t.Run();
        return (t, data);
    }

    [Fact]
    public void Train_WritesReportAndItsSources_AndRebuildGivesTheSameReport()
    {
        var (t, data) = Train(_dir, "run", 2);
        string outDir = Path.Combine(_dir, "run");
        foreach (var f in new[] { "report.html", "steps.csv", "predictions.csv", "run.json" })
            Assert.True(File.Exists(Path.Combine(outDir, f)), f);
        // 256 samples / 32 = 8 steps per epoch; a row every 3 steps: steps 3, 6, 9, 12, 15.
        Assert.Equal([3L, 6, 9, 12, 15], t.Steps.Select(s => s.Step));
        var p = t.TestPredictions!;
        Assert.Equal(data.Test.Labels.ToArray(), p.Labels);
        Assert.Equal(t.History[^1].TestAcc, p.Accuracy, 12);
        string written = File.ReadAllText(t.Outputs.Report);
        File.Delete(t.Outputs.Report);
        RunFiles.Rebuild(outDir, data.Test);
        Assert.Equal(written, File.ReadAllText(t.Outputs.Report));
    }

    [Fact]
    public void Rebuild_OfAnInterruptedRun_SaysSo()
    {
        var (_, data) = Train(_dir, "cut", 1);
        string outDir = Path.Combine(_dir, "cut");
        var info = RunInfo.Load(new RunDirectory(outDir).Info);
        File.WriteAllText(new RunDirectory(outDir).Info, (info with { Options = info.Options with { Epochs = 5 } }).ToJson());
        RunFiles.Rebuild(outDir, data.Test);
        Assert.Contains("run in progress or interrupted: 1 of 5 epochs", File.ReadAllText(new RunDirectory(outDir).Report));
    }

    [Fact]
    public void Rebuild_NamesTheClassesFromClassesTxt()
    {
        var (_, data) = Train(_dir, "named", 1);
        string outDir = Path.Combine(_dir, "named");
        var names = Enumerable.Range(0, 10).Select(i => $"class-{(char)('a' + i)}").ToArray();
        File.WriteAllLines(new RunDirectory(outDir).Classes, names);
        RunFiles.Rebuild(outDir, data.Test);
        string html = File.ReadAllText(new RunDirectory(outDir).Report);
        foreach (var n in names) Assert.Contains($"<th scope=\"col\">{n}</th>", html);
    }

    [Fact]
    public void Rebuild_OfADirectoryWithoutMetrics_NamesIt()
    {
        var e = Assert.Throws<NablaInputException>(() => RunFiles.Rebuild(_dir));
        Assert.Contains(_dir, e.Message);
        Assert.Contains("metrics.csv", e.Message);
    }

    [Fact]
    public void Resume_KeepsTheStepLogOfTheEpochsBefore()
    {
        var (full, _) = Train(_dir, "full", 2);
        var (_, data) = Train(_dir, "half", 1);
        var o = new TrainOptions
        {
            Model = TrainerTests.SpecFile(_dir), Data = "synthetic", Epochs = 2, BatchSize = 32, Optimizer = "momentum",
            Lr = 0.02, Seed = 7, StepsEvery = 3, OutDir = Path.Combine(_dir, "half"),
        };
        var resumed = new Trainer(o, data: data);
        resumed.Run(Path.Combine(_dir, "half", "checkpoint.safetensors"));
        Assert.Equal(full.Steps.Select(s => (s.Step, s.Loss, s.Accuracy)), resumed.Steps.Select(s => (s.Step, s.Loss, s.Accuracy)));
        Assert.Equal(2, resumed.Info().EpochTrainSeconds.Count);
    }
}
