using Nabla.Examples;
using Nabla.Tests.Training;
using Xunit;

namespace Nabla.Tests.Examples;

public sealed class MemorisationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nabla-memorise-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void Memorisation_RandomLabels_TrainAccuracyToOne_TestAtChance()
    {
        // A wide MLP on 256 synthetic 8x8 images (no network access): it can fit 256 arbitrary labels.
        string spec = Path.Combine(_dir, "wide.spec");
        File.WriteAllText(spec, "input 64\nlinear out_features=512\nrelu\nlinear out_features=10\n");
        var settings = new Memorisation.Settings(spec, Subset: 256, Epochs: 10, BatchSize: 32, Optimizer: "adam", Lr: 1e-2, Seed: 4, OutDir: Path.Combine(_dir, "run"));
        var r = Memorisation.Run(TextWriter.Null, settings, TrainerTests.Synthetic(train: 256, test: 300));
        Assert.True(r.TrainAcc >= 0.99, $"train accuracy on random labels {r.TrainAcc}");
        Assert.InRange(r.TestAcc, r.Chance - 0.1, r.Chance + 0.1);
        Assert.True(r.History[0].TrainAcc < 0.5, "the labels should not be learnable at the first epoch");
        Assert.Contains("<polyline", File.ReadAllText(r.CurvesPath));
        Assert.True(r.Holds);
    }
}
