using Nabla.Data;
using Nabla.Training;

namespace Nabla.Examples;

/// <summary>
/// Topic 11. Memorisation (Zhang et al. 2017, "Understanding deep learning requires rethinking generalization"):
/// train on a subset of MNIST whose labels are replaced by uniform random draws. With enough capacity and a
/// constant learning rate the network fits the random labels — training accuracy (measured after each epoch in
/// evaluation mode, labels as trained on) goes to ~100% — while test accuracy on the true labels stays at chance,
/// 10%. metrics.csv and curves.svg go to the output directory.
/// </summary>
public static class Memorisation
{
    /// <summary>How the run is set up.</summary>
    /// <param name="Model">Zoo name or spec path.</param>
    /// <param name="Subset">Training samples used (their labels randomised).</param>
    /// <param name="Epochs">Epochs.</param>
    /// <param name="BatchSize">Mini-batch size.</param>
    /// <param name="Optimizer">Optimizer name as for <c>nabla train</c>.</param>
    /// <param name="Lr">Learning rate, constant (StepLR gamma 1).</param>
    /// <param name="Seed">Seed of everything.</param>
    /// <param name="OutDir">Where metrics.csv and curves.svg go.</param>
    public sealed record Settings(string Model, int Subset, int Epochs, int BatchSize, string Optimizer, double Lr, ulong Seed, string OutDir)
    {
        /// <summary>The MNIST run of the README: the zoo mlp on 1000 random-labelled digits.</summary>
        public static Settings Default => new("mlp", 1000, 50, 32, "adam", 1e-3, 1, Path.Combine("runs", "memorisation"));
    }

    /// <summary>The outcome.</summary>
    /// <param name="Settings">The run's settings.</param>
    /// <param name="History">Per-epoch metrics (train figures on the random labels, evaluation mode).</param>
    /// <param name="Chance">1 / classes.</param>
    /// <param name="CurvesPath">The SVG of the curves.</param>
    public sealed record Result(Settings Settings, IReadOnlyList<EpochMetrics> History, double Chance, string CurvesPath) : IExampleResult
    {
        /// <summary>Final training accuracy on the random labels.</summary>
        public double TrainAcc => History[^1].TrainAcc;
        /// <summary>Final test accuracy on the true labels.</summary>
        public double TestAcc => History[^1].TestAcc;
        /// <summary>Memorised (≥ 99% of the random labels) while the test accuracy stays within 10 points of chance.</summary>
        public bool Holds => TrainAcc >= 0.99 && Math.Abs(TestAcc - Chance) <= 0.1;
    }

    /// <summary>Runs on MNIST (fetched on first use into the data cache) with <see cref="Settings.Default"/>.</summary>
    public static Result Run(TextWriter o) => Run(o, Settings.Default);

    /// <summary>Runs with the given settings, on <paramref name="data"/> if given, else MNIST.</summary>
    public static Result Run(TextWriter o, Settings s, DataSplits? data = null)
    {
        var options = new TrainOptions
        {
            Model = s.Model, Data = DataSource.Mnist, Epochs = s.Epochs, BatchSize = s.BatchSize, Optimizer = s.Optimizer, Lr = s.Lr,
            Gamma = 1, Seed = s.Seed, Subset = s.Subset, RandomLabels = true, EvalTrain = true, OutDir = s.OutDir,
        };
        o.WriteLine($"model {s.Model}, {s.Subset} training samples with random labels, {s.Optimizer} lr {s.Lr} (constant), batch {s.BatchSize}, {s.Epochs} epochs, seed {s.Seed}.");
        data ??= DataSource.Load(DataSource.Mnist, o.WriteLine);
        var trainer = new Trainer(options, new Printer(o), data);
        var history = trainer.Run();
        var r = new Result(s, history, 1.0 / data.Train.Classes, trainer.Outputs.Curves);
        o.WriteLine($"final: train accuracy on the random labels {Dense.F(r.TrainAcc)}, test accuracy on the true labels {Dense.F(r.TestAcc)} (chance {Dense.F(r.Chance)}).");
        o.WriteLine($"curves: {Path.GetFullPath(trainer.Outputs.Curves)}; metrics: {Path.GetFullPath(trainer.Outputs.Metrics)}");
        return r;
    }

    /// <summary>Prints one line per epoch.</summary>
    private sealed class Printer(TextWriter o) : ITrainingObserver
    {
        public void EpochStarted(int epoch, int epochs, int batches) { }
        public void BatchFinished(int epoch, int batch, int batches, double runningLoss, double runningAcc, double imagesPerSecond) { }
        public void EpochFinished(EpochMetrics m) =>
            o.WriteLine($"  epoch {m.Epoch,3}: train loss {m.TrainLoss:F4} acc {m.TrainAcc:F4} | test loss {m.TestLoss:F4} acc {m.TestAcc:F4} | {m.Seconds:F1} s");
        public void Message(string text) => o.WriteLine("  " + text);
    }
}
