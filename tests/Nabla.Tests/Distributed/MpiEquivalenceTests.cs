using System.Diagnostics;
using System.Globalization;
using Nabla.IO;
using Nabla.Tests.Cli;
using Nabla.Tests.Training;
using Xunit;

namespace Nabla.Tests.Distributed;

/// <summary>Runs the real CLI under <c>mpirun -np 2</c> on loopback and checks data-parallel training against a
/// single process: same weights after K steps, and a resumed 2-rank run equal to an uninterrupted one.</summary>
public sealed class MpiEquivalenceTests : IDisposable
{
    /// <summary>Largest |w₂ − w₁| allowed between 2 ranks x 32 and 1 rank x 64: the two runs differ only in the order
    /// of float sums over the batch (two halves of 32 added by MPI, against one sum of 64).</summary>
    private const float WeightTolerance = 1e-5f;

    /// <summary>Largest difference allowed in the metrics (losses in nats, accuracies as fractions).</summary>
    private const double MetricTolerance = 1e-5;

    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);
    private readonly string _dir = Directory.CreateTempSubdirectory("nabla-mpi-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>A model without BatchNorm and dropout: those are per-rank by design (shard statistics, per-rank
    /// masks), so only a model without them can match one process exactly.</summary>
    private string PlainSpec()
    {
        string path = Path.Combine(_dir, "plain.spec");
        File.WriteAllText(path, """
            input 1 8 8
            conv2d out_channels=4 kernel_size=3 padding=1
            relu
            maxpool2d kernel_size=2
            flatten
            linear out_features=10
            """);
        return path;
    }

    internal static string? FindMpirun() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "mpirun")).FirstOrDefault(File.Exists);

    private static (int Code, string Out, string Err) Run(bool mpi, params string[] args)
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "Nabla.Cli.dll");
        ProcessStartInfo psi;
        if (mpi)
        {
            string mpirun = FindMpirun() ?? throw new InvalidOperationException("mpirun not found: install openmpi-bin (and libopenmpi-dev)");
            psi = new ProcessStartInfo(mpirun);
            foreach (var a in new[] { "--allow-run-as-root", "--oversubscribe", "-np", "2", "dotnet", cli }) psi.ArgumentList.Add(a);
        }
        else
        {
            psi = new ProcessStartInfo("dotnet");
            psi.ArgumentList.Add(cli);
        }
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.RedirectStandardOutput = psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(Timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{psi.FileName} {string.Join(" ", psi.ArgumentList)} did not finish within {Timeout}");
        }
        p.WaitForExit();
        return (p.ExitCode, output.Result, err.Result);
    }

    private static void AssertClose(string expectedDir, string actualDir, float weightTol, double metricTol)
    {
        var a = TensorFiles.Load(Path.Combine(expectedDir, "model.safetensors"));
        var b = TensorFiles.Load(Path.Combine(actualDir, "model.safetensors"));
        Assert.Equal(a.Keys.Order(StringComparer.Ordinal), b.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, t) in a)
        {
            float[] x = t.ToArray(), y = b[name].ToArray();
            float worst = x.Zip(y, (u, v) => MathF.Abs(u - v)).Max();
            Assert.True(worst <= weightTol, $"{name}: max |difference| {worst:E3} > {weightTol:E0}");
        }
        var m1 = Metrics(expectedDir);
        var m2 = Metrics(actualDir);
        Assert.Equal(m1.Length, m2.Length);
        for (int i = 0; i < m1.Length; i++)
            for (int j = 1; j < m1[i].Length - 1; j++) // epoch .. test_acc, not seconds
                Assert.True(Math.Abs(m1[i][j] - m2[i][j]) <= metricTol, $"metrics.csv row {i + 1} column {j}: {m1[i][j]} vs {m2[i][j]}");
    }

    private static double[][] Metrics(string dir) => File.ReadAllLines(Path.Combine(dir, "metrics.csv")).Skip(1)
        .Select(l => l.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToArray();

    [Fact]
    public void TwoRanksOfHalfBatch_EndWithTheWeightsOfOneProcess_AndResumeEqualsUninterrupted()
    {
        Assert.True(FindMpirun() is not null, "mpirun not found: install openmpi-bin (and libopenmpi-dev); .ci/run does");
        // 1001 samples at global batch 64: 15 full batches (32 per rank) and one of 41 (20 + 21), so the loss scaling
        // by the global count is exercised too; 2 epochs = K = 32 optimizer steps.
        string data = KillResumeTests.WriteIdx(Path.Combine(_dir, "data"), 1001, 300);
        string[] plain = ["train", "--model", PlainSpec(), "--data", data, "--epochs", "2", "--batch-size", "64", "--optimizer", "momentum", "--lr", "0.05", "--seed", "3", "--threads", "1"];

        var one = Run(false, [.. plain, "--out", Path.Combine(_dir, "one")]);
        Assert.True(one.Code == 0, one.Err);
        var two = Run(true, [.. plain, "--out", Path.Combine(_dir, "two")]);
        Assert.True(two.Code == 0, $"mpirun exited with {two.Code}: {two.Err}");
        Assert.Single(two.Out.Split('\n'), l => l.Contains("nabla train:", StringComparison.Ordinal)); // rank 0 alone prints
        AssertClose(Path.Combine(_dir, "one"), Path.Combine(_dir, "two"), WeightTolerance, MetricTolerance);

        // Resume, with BatchNorm and dropout (per-rank masks, averaged running statistics): 1 epoch, then resume to 2.
        string[] bn = ["train", "--model", TrainerTests.SpecFile(_dir), "--data", data, "--batch-size", "64", "--optimizer", "adam", "--seed", "4", "--threads", "1"];
        var full = Run(true, [.. bn, "--epochs", "2", "--out", Path.Combine(_dir, "full")]);
        Assert.True(full.Code == 0, full.Err);
        string part = Path.Combine(_dir, "part");
        var first = Run(true, [.. bn, "--epochs", "1", "--out", part]);
        Assert.True(first.Code == 0, first.Err);
        var resumed = Run(true, [.. bn, "--epochs", "2", "--out", part, "--resume", Path.Combine(part, "checkpoint.safetensors")]);
        Assert.True(resumed.Code == 0, resumed.Err);
        Assert.Equal(File.ReadAllBytes(Path.Combine(_dir, "full", "model.safetensors")), File.ReadAllBytes(Path.Combine(part, "model.safetensors")));
    }
}
