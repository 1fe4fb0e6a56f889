using System.Diagnostics;
using System.Globalization;
using System.Text;
using Xunit;

namespace Nabla.Tests.Cli;

/// <summary>Runs the real CLI and checks that user mistakes give exit code 2 and one line naming the flag or file.</summary>
public sealed class CliErrorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nabla-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    internal static (int Code, string Out, string Err) Run(params string[] args) => RunIn(null, args);

    /// <summary>Runs the CLI with <paramref name="workingDirectory"/> as its working directory (null: this process's).</summary>
    internal static (int Code, string Out, string Err) RunIn(string? workingDirectory, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null) psi.WorkingDirectory = workingDirectory;
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Nabla.Cli.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout, err.Result);
    }

    internal static void AssertUsageError((int Code, string Out, string Err) r, params string[] fragments)
    {
        Assert.Equal(2, r.Code);
        string line = r.Err.TrimEnd('\n');
        Assert.DoesNotContain('\n', line);
        Assert.DoesNotContain("   at ", line);
        foreach (var f in fragments) Assert.Contains(f, line);
    }

    [Fact]
    public void BadFlagsAndFiles_ExitTwoWithOneLine()
    {
        AssertUsageError(Run("frobnicate"), "unknown command 'frobnicate'");
        AssertUsageError(Run("train", "--epochs", "two"), "--epochs expects an integer, got 'two'");
        AssertUsageError(Run("train", "--epochs", "0"), "--epochs must be in [1,");
        AssertUsageError(Run("train", "--optimizer", "rmsprop"), "--optimizer must be one of", "'rmsprop'");
        AssertUsageError(Run("train", "--lr", "fast"), "--lr expects a number, got 'fast'");
        AssertUsageError(Run("train", "--epoch", "3"), "unknown option --epoch");
        AssertUsageError(Run("train", "--epochs"), "nabla train: --epochs needs a value");
        AssertUsageError(Run("train", "--epochs", "1", "--epochs", "2"), "nabla train: --epochs given twice");
        AssertUsageError(Run("summary", "lenet5", "--index-base", "2", "--input"), "nabla summary: --input needs a value");
        AssertUsageError(Run("summary", "lenet6"), "lenet6");
        string spec = Path.Combine(_dir, "bad.spec");
        File.WriteAllText(spec, "input 1 28 28\nconv2d out_channel=8 kernel_size=3\n");
        AssertUsageError(Run("summary", spec), "bad.spec:2:", "out_channel");
        string weights = Path.Combine(_dir, "w.safetensors");
        File.WriteAllBytes(weights, [1, 2, 3]);
        AssertUsageError(Run("eval", "--model", "lenet5", "--weights", weights), "w.safetensors");
        AssertUsageError(Run("train", "--data", Path.Combine(_dir, "nowhere")), "nowhere");
    }

    [Fact]
    public void Help_ExitZero_NoArguments_ExitTwo()
    {
        var help = Run("train", "--help");
        Assert.Equal(0, help.Code);
        Assert.Contains("nabla train [options]", help.Out);
        Assert.Contains("--batch-size <B>", help.Out);
        Assert.Equal("", help.Err);
        var none = Run();
        Assert.Equal(2, none.Code);
        Assert.Contains("Commands:", none.Out);
    }

    [Fact]
    public void Int8Flags_BadValues_ExitTwoWithOneLine()
    {
        AssertUsageError(Run("bench", "--precision", "fp16"), "--precision: expected fp32 or int8, got 'fp16'");
        AssertUsageError(Run("eval", "--model", "mlp", "--weights", "w.safetensors", "--precision", "int4"), "--precision", "'int4'");
        AssertUsageError(Run("export", "--model", "mlp", "--weights", "w.safetensors", "--quantize", "int4", "--out", "o"), "--quantize: expected int8, got 'int4'");
        string fake = Path.Combine(_dir, "fp32.safetensors");
        File.WriteAllBytes(fake, [1, 2, 3]);
        AssertUsageError(Run("eval", "--model", "mlp", "--weights", fake, "--precision", "int8"), "fp32.safetensors");
    }

    // The trainer raises typed exceptions naming TrainOptions properties; nabla train names them by their flags.
    // These are the exact lines the CLI printed when the library still wrote the flags itself.

    private string P(string name) => Path.Combine(_dir, name);

    /// <summary>40 rows of two features and a 0/1 label; and a three-layer MLP for them (SGD at lr 1e6 makes its
    /// logits overflow within a few steps).</summary>
    private (string Csv, string Spec) Table()
    {
        var sb = new StringBuilder("a,b,label\n");
        for (int i = 0; i < 40; i++) sb.Append(CultureInfo.InvariantCulture, $"{i % 3 + 1},{i % 5 - 2},{i % 2}\n");
        File.WriteAllText(P("t.csv"), sb.ToString());
        File.WriteAllText(P("m.spec"), "input 2\nlinear out_features=32\nrelu\nlinear out_features=32\nrelu\nlinear out_features=2\n");
        return (P("t.csv"), P("m.spec"));
    }

    private static string[] Train(string csv, string spec, string outDir, params string[] extra) =>
        ["train", "--model", spec, "--data", csv, "--val-split", "0.25", "--epochs", "3", "--batch-size", "4", "--threads", "1", "--out", outDir, .. extra];

    [Fact]
    public void OptionProblems_NameTheFlags()
    {
        var (csv, spec) = Table();
        var r = Run(Train(csv, spec, P("o1"), "--optimizer", "nesterov", "--momentum-form", "heavy-ball"));
        AssertUsageError(r);
        Assert.Equal("nabla train: --optimizer nesterov works with --momentum-form velocity only\n", r.Err);

        r = Run(Train(csv, spec, P("o2"), "--subset", "1000"));
        AssertUsageError(r);
        Assert.StartsWith($"nabla train: --subset 1000 exceeds the 30 training samples of CSV table {csv} (", r.Err);

        File.WriteAllText(P("file"), "x");
        string blocked = Path.Combine(P("file"), "sub");
        r = Run(Train(csv, spec, blocked));
        AssertUsageError(r);
        Assert.StartsWith($"nabla train: --out {blocked}: cannot write there (", r.Err);

        File.WriteAllText(P("huge.spec"), "input 1 28 28\nflatten\nlinear out_features=2000000000\nlinear out_features=10\n");
        r = Run("train", "--model", P("huge.spec"), "--data", csv, "--out", P("o3"));
        AssertUsageError(r);
        Assert.Matches(@"^nabla train: \S*huge\.spec: training would need about [0-9.]+ GB \(.*\), more than the [0-9.]+ GB available; use a smaller model or --batch-size\n$", r.Err);
    }

    [Fact]
    public void Divergence_SuggestsTheLrFlag_WithAndWithoutDetectAnomaly()
    {
        var (csv, spec) = Table();
        var r = Run(Train(csv, spec, P("d1"), "--optimizer", "sgd", "--lr", "1e6"));
        Assert.Equal(1, r.Code);
        Assert.Matches(@"^nabla train: training diverged at epoch 1, batch \d+ \(step \d+\): (loss|gradient of \S+) is \S+; no checkpoint was written yet \(try a lower --lr\)\n$", r.Err);

        r = Run(Train(csv, spec, P("d2"), "--optimizer", "sgd", "--lr", "1e6", "--detect-anomaly"));
        Assert.Equal(1, r.Code);
        Assert.Matches(@"^nabla train: training diverged at epoch 1, batch \d+ \(step \d+\): anomaly: the (forward|backward) of '\w+' produced a non-finite (value|gradient) \(\S+\); no checkpoint was written yet \(try a lower --lr\)\n$", r.Err);
    }
}
