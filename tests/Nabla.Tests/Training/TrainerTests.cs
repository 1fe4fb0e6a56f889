using Nabla.Data;
using Nabla.IO;
using Nabla.Kernels;
using Nabla.Tensors;
using Nabla.Training;
using Xunit;

namespace Nabla.Tests.Training;

[Collection("Workers")] // these tests change Workers.Count
public sealed class TrainerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nabla-trainer-").FullName;

    public void Dispose() { Workers.Count = Environment.ProcessorCount; Directory.Delete(_dir, true); }

    /// <summary>A learnable 10-class problem on 8x8 images: class k lights up a k-dependent 2x2 block.</summary>
    internal static DataSplits Synthetic(int train = 256, int test = 128, ulong seed = 5)
    {
        Dataset Make(int n, ulong s)
        {
            var rng = new Rng(s);
            var px = new byte[n * 64];
            var labels = new int[n];
            for (int i = 0; i < n; i++)
            {
                int k = rng.NextInt(10);
                labels[i] = k;
                for (int p = 0; p < 64; p++) px[i * 64 + p] = (byte)rng.NextInt(60);
                int r0 = k / 5 * 4 + 1, c0 = k % 5;
                for (int a = 0; a < 2; a++) for (int b = 0; b < 2; b++) px[i * 64 + (r0 + a) * 8 + c0 + b] = 255;
            }
            return new Dataset(px, labels, 1, 8, 8, name: "synthetic");
        }
        return new DataSplits(Make(train, seed), Make(test, seed + 1), "synthetic");
    }

    internal static string SpecFile(string dir)
    {
        string path = Path.Combine(dir, "tiny.spec");
        File.WriteAllText(path, """
            input 1 8 8
            conv2d out_channels=4 kernel_size=3 padding=1
            batchnorm2d
            relu
            maxpool2d kernel_size=2
            flatten
            dropout p=0.2
            linear out_features=10
            """);
        return path;
    }

    private TrainOptions Options(string outName, int epochs = 3) => new()
    {
        Model = SpecFile(_dir), Data = "synthetic", Epochs = epochs, BatchSize = 32, Optimizer = "momentum", Lr = 0.05,
        Seed = 7, OutDir = Path.Combine(_dir, outName),
    };

    private static float[] Weights(Trainer t) => t.Model.StateDict().SelectMany(s => s.Tensor.ToArray()).ToArray();

    [Fact]
    public void Train_LearnsAndWritesOutputs()
    {
        var t = new Trainer(Options("a", 4), data: Synthetic());
        var h = t.Run();
        Assert.Equal(4, h.Count);
        Assert.True(h[^1].TestAcc > 0.9, $"test accuracy {h[^1].TestAcc}");
        var lines = File.ReadAllLines(t.Outputs.Metrics);
        Assert.Equal(EpochMetrics.CsvHeader, lines[0]);
        Assert.Equal(5, lines.Length);
        Assert.Contains("<polyline", File.ReadAllText(t.Outputs.Curves));
        var saved = TensorFiles.Load(t.Outputs.Model);
        Assert.Equal(t.Model.StateDict().Select(s => s.Name).OrderBy(s => s, StringComparer.Ordinal), saved.Keys.OrderBy(s => s, StringComparer.Ordinal));
        Assert.Equal(Weights(t), t.Model.StateDict().SelectMany(s => saved[s.Name].ToArray()).ToArray());
    }

    [Fact]
    public void Train_SameSeed_SameMetricsAndWeights_WhateverTheThreadCount()
    {
        Workers.Count = 1;
        var a = new Trainer(Options("t1", 2), data: Synthetic());
        var ha = a.Run();
        Workers.Count = 2;
        var b = new Trainer(Options("t2", 2), data: Synthetic());
        var hb = b.Run();
        Assert.Equal(ha.Select(m => m with { Seconds = 0 }), hb.Select(m => m with { Seconds = 0 }));
        Assert.Equal(Weights(a), Weights(b));
    }

    [Fact]
    public void Resume_FromCheckpoint_EndsWithSameWeightsAsUninterruptedRun()
    {
        var full = new Trainer(Options("full", 3), data: Synthetic());
        full.Run();

        var first = new Trainer(Options("part", 1) with { }, data: Synthetic());
        // Same options except the epoch count, which is not part of the fingerprint.
        first.Run();
        var resumed = new Trainer(Options("part", 3), data: Synthetic());
        var h = resumed.Run(resumeFrom: first.Outputs.Checkpoint);
        Assert.Equal(3, h.Count);
        Assert.Equal(Weights(full), Weights(resumed));
        Assert.Equal(full.History.Select(m => m with { Seconds = 0 }), resumed.History.Select(m => m with { Seconds = 0 }));
    }

    [Fact]
    public void Resume_WithDifferentOptions_IsRefusedNamingTheOption()
    {
        var first = new Trainer(Options("opt", 1), data: Synthetic());
        first.Run();
        var other = new Trainer(Options("opt", 2) with { Lr = 0.1 }, data: Synthetic());
        var e = Assert.Throws<NablaInputException>(() => other.Run(first.Outputs.Checkpoint));
        Assert.Contains("lr=0.05 (now lr=0.1)", e.Message);
        Assert.Contains("checkpoint.safetensors", e.Message);
    }

    [Fact]
    public void Divergence_StopsWithStepAndKeepsLastGoodCheckpoint()
    {
        var o = Options("div", 3) with { Optimizer = "sgd", Lr = 1e30 };
        var t = new Trainer(o, data: Synthetic());
        var e = Assert.Throws<TrainingDivergedException>(() => t.Run());
        Assert.Contains("step", e.Message);
        Assert.True(e.Step >= 1);
    }

    [Fact]
    public void BadOptions_AreTyped_NamingTheOption_AndTheCliNamesTheFlag()
    {
        InvalidTrainOptionException Bad(TrainOptions o) => Assert.Throws<InvalidTrainOptionException>(() => new Trainer(o, data: Synthetic()));
        var subset = Bad(Options("x") with { Subset = 100000 });
        Assert.Equal(nameof(TrainOptions.Subset), subset.Option);
        Assert.StartsWith("TrainOptions.Subset 100000 exceeds the ", subset.Message);
        Assert.StartsWith("--subset 100000 exceeds the ", subset.MessageFor(Nabla.Cli.Commands.TrainCommand.FlagOf));
        var optimizer = Bad(Options("x") with { Optimizer = "rmsprop" });
        Assert.Equal("--optimizer must be one of sgd|momentum|nesterov|adam|adamw|adadelta, got 'rmsprop'", optimizer.MessageFor(Nabla.Cli.Commands.TrainCommand.FlagOf));
        var epochs = Bad(Options("x") with { Epochs = 0 });
        Assert.Equal("TrainOptions.Epochs must be at least 1, got 0", epochs.Message);
        Assert.Equal("--epochs must be at least 1, got 0", epochs.MessageFor(Nabla.Cli.Commands.TrainCommand.FlagOf));
        var nesterov = Bad(Options("x") with { Optimizer = "nesterov", MomentumForm = "heavy-ball" });
        Assert.Equal((nameof(TrainOptions.Optimizer), nameof(TrainOptions.MomentumForm)), (nesterov.Option, nesterov.Related));
        Assert.Equal("TrainOptions.Optimizer nesterov works with TrainOptions.MomentumForm velocity only", nesterov.Message);
        Assert.Equal("--optimizer nesterov works with --momentum-form velocity only", nesterov.MessageFor(Nabla.Cli.Commands.TrainCommand.FlagOf));
        // Braces in a value are text, not placeholders.
        var odd = Bad(Options("x") with { MomentumForm = "{0}{1}" });
        Assert.Equal("--momentum-form must be velocity or heavy-ball, got '{0}{1}'", odd.MessageFor(Nabla.Cli.Commands.TrainCommand.FlagOf));
        Assert.Contains("input is 1x28x28", Assert.Throws<NablaInputException>(() => new Trainer(Options("x") with { Model = "lenet5" }, data: Synthetic())).Message);
    }

    [Fact]
    public void CliOptionFlags_AreFlagsOfTrain_AndPropertiesOfTrainOptions()
    {
        var flags = new Nabla.Cli.Commands.TrainCommand().Flags.Select(f => "--" + f.Name).ToHashSet();
        foreach (var (option, flag) in Nabla.Cli.Commands.TrainCommand.OptionFlags)
        {
            Assert.NotNull(typeof(TrainOptions).GetProperty(option));
            Assert.Contains(flag, flags);
        }
        Assert.Equal("TrainOptions.StepsEvery", Nabla.Cli.Commands.TrainCommand.FlagOf(nameof(TrainOptions.StepsEvery)));
    }

    [Fact]
    public void RandomLabels_SmallSubset_IsMemorised()
    {
        var o = Options("mem", 60) with { Subset = 64, RandomLabels = true, EvalTrain = true, Optimizer = "adam", Lr = 0.01, Gamma = 1 };
        var spec = Path.Combine(_dir, "wide.spec");
        File.WriteAllText(spec, "input 1 8 8\nflatten\nlinear out_features=256\nrelu\nlinear out_features=10\n");
        var t = new Trainer(o with { Model = spec }, data: Synthetic());
        var h = t.Run();
        Assert.True(h[^1].TrainAcc >= 0.99, $"train accuracy on random labels {h[^1].TrainAcc}");
        Assert.True(h[^1].TestAcc < 0.4, $"test accuracy {h[^1].TestAcc}");
    }
}

[Collection("Workers")]
public sealed class TrainerRobustnessTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nabla-robust-").FullName;

    public void Dispose() { Nabla.Autograd.GradMode.DetectAnomaly = false; Directory.Delete(_dir, true); }

    [Fact]
    public void HugeModel_IsRefusedUpFront_WithEstimate()
    {
        string spec = Path.Combine(_dir, "huge.spec");
        File.WriteAllText(spec, "input 1 28 28\nconv2d out_channels=100000 kernel_size=3\nrelu\nflatten\nlinear out_features=10\n");
        var e = Assert.Throws<InvalidTrainOptionException>(() => new Trainer(new TrainOptions { Model = spec, OutDir = _dir }, data: TrainerTests.Synthetic()));
        Assert.Equal(nameof(TrainOptions.BatchSize), e.Option);
        Assert.Contains("huge.spec: training would need about", e.Message);
        Assert.EndsWith("GB available; use a smaller model or TrainOptions.BatchSize", e.Message);
        Assert.EndsWith("GB available; use a smaller model or --batch-size", e.MessageFor(Nabla.Cli.Commands.TrainCommand.FlagOf));
    }

    [Fact]
    public void DetectAnomaly_NamesTheFirstOp()
    {
        var o = new TrainOptions { Model = TrainerTests.SpecFile(_dir), Optimizer = "sgd", Lr = 1e30, Epochs = 2, BatchSize = 32, OutDir = Path.Combine(_dir, "a") };
        Nabla.Autograd.GradMode.DetectAnomaly = true;
        var e = Assert.Throws<TrainingDivergedException>(() => new Trainer(o, data: TrainerTests.Synthetic()).Run());
        Assert.NotNull(e.Anomaly);
        Assert.Matches("^(conv2d|batch_norm_train|relu|max_pool2d|reshape|linear|cross_entropy|dropout)$", e.Anomaly!.Op);
        Assert.False(float.IsFinite(e.Anomaly.Value));
        Assert.Contains($": {e.Anomaly.Message}; ", e.Message);
        Assert.Matches("'(conv2d|batch_norm_train|relu|max_pool2d|reshape|linear|cross_entropy|dropout)'", e.Message);
        Assert.EndsWith("(try a lower TrainOptions.Lr)", e.Message);
        Assert.EndsWith("(try a lower --lr)", e.MessageFor(Nabla.Cli.Commands.TrainCommand.FlagOf));
    }

    [Fact]
    public void UnwritableOut_IsOneClearError()
    {
        string file = Path.Combine(_dir, "not-a-dir");
        File.WriteAllText(file, "x");
        var o = new TrainOptions { Model = TrainerTests.SpecFile(_dir), OutDir = Path.Combine(file, "sub") };
        var e = Assert.Throws<InvalidTrainOptionException>(() => new Trainer(o, data: TrainerTests.Synthetic()).Run());
        Assert.Equal(nameof(TrainOptions.OutDir), e.Option);
        Assert.StartsWith($"--out {o.OutDir}: cannot write there", e.MessageFor(Nabla.Cli.Commands.TrainCommand.FlagOf));
    }
}
