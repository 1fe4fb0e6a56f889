using System.Diagnostics;
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
}
