using System.Diagnostics;
using System.IO.Compression;
using Nabla.Tests.Training;
using Xunit;

namespace Nabla.Tests.Cli;

/// <summary>Runs the real CLI in a child process, kills it with SIGKILL in mid-epoch, resumes from its last
/// checkpoint and checks the final weights equal an uninterrupted run's, byte for byte.</summary>
public sealed class KillResumeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nabla-kill-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>Writes a data set as the four IDX files (gzipped, to exercise that path too).</summary>
    internal static string WriteIdx(string dir, int train, int test)
    {
        var splits = TrainerTests.Synthetic(train, test);
        Directory.CreateDirectory(dir);
        void Write(string name, Action<BinaryWriter> body)
        {
            using var fs = File.Create(Path.Combine(dir, name + ".gz"));
            using var gz = new GZipStream(fs, CompressionLevel.Fastest);
            using var w = new BinaryWriter(gz);
            body(w);
        }
        static void BE(BinaryWriter w, int v) { w.Write((byte)(v >> 24)); w.Write((byte)(v >> 16)); w.Write((byte)(v >> 8)); w.Write((byte)v); }
        foreach (var (ds, prefix) in new[] { (splits.Train, "train"), (splits.Test, "t10k") })
        {
            Write($"{prefix}-images-idx3-ubyte", w => { BE(w, 0x803); BE(w, ds.Count); BE(w, 8); BE(w, 8); w.Write(ds.Pixels); });
            Write($"{prefix}-labels-idx1-ubyte", w => { BE(w, 0x801); BE(w, ds.Count); foreach (int l in ds.Labels) w.Write((byte)l); });
        }
        return dir;
    }

    private static Process Start(params string[] args)
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "Nabla.Cli.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(cli);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    private static (int code, string err) RunToEnd(params string[] args)
    {
        using var p = Start(args);
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, err.Result);
    }

    [Fact]
    public void SigkillMidEpoch_ThenResume_EndsWithSameWeightsAsUninterruptedRun()
    {
        string data = WriteIdx(Path.Combine(_dir, "data"), 3000, 200);
        string spec = TrainerTests.SpecFile(_dir);
        string[] common = ["train", "--model", spec, "--data", data, "--epochs", "4", "--batch-size", "16", "--optimizer", "momentum", "--lr", "0.02", "--seed", "3"];

        var (code, err) = RunToEnd([.. common, "--out", Path.Combine(_dir, "full")]);
        Assert.True(code == 0, err);

        string outDir = Path.Combine(_dir, "killed");
        string ckpt = Path.Combine(outDir, "checkpoint.safetensors");
        using (var p = Start([.. common, "--out", outDir]))
        {
            _ = p.StandardOutput.ReadToEndAsync();
            _ = p.StandardError.ReadToEndAsync();
            var sw = Stopwatch.StartNew();
            while (!File.Exists(ckpt) && !p.HasExited && sw.Elapsed < TimeSpan.FromMinutes(2)) Thread.Sleep(5);
            Thread.Sleep(40); // now inside epoch 2 (or later)
            Assert.False(p.HasExited, "the run finished before it could be killed; make the data set larger");
            p.Kill(entireProcessTree: true); // SIGKILL on Linux
            p.WaitForExit();
        }
        Assert.True(File.Exists(ckpt));

        (code, err) = RunToEnd([.. common, "--out", outDir, "--resume", ckpt]);
        Assert.True(code == 0, err);
        Assert.Equal(File.ReadAllBytes(Path.Combine(_dir, "full", "model.safetensors")), File.ReadAllBytes(Path.Combine(outDir, "model.safetensors")));
        var full = File.ReadAllLines(Path.Combine(_dir, "full", "metrics.csv")).Select(StripSeconds);
        var resumed = File.ReadAllLines(Path.Combine(outDir, "metrics.csv")).Select(StripSeconds);
        Assert.Equal(full, resumed);
    }

    private static string StripSeconds(string line) => line[..line.LastIndexOf(',')];
}
