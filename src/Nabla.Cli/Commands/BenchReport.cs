using System.Diagnostics;
using System.Text.Json;

namespace Nabla.Cli.Commands;

/// <summary>The figures gathered by one `nabla bench` run, and how to measure them.</summary>
public sealed class BenchReport(int threads, TextWriter log)
{
    /// <summary>One model workload row: training and inference images per second.</summary>
    public sealed record ModelResult(string Name, int Batch, double TrainImgPerS, double InferImgPerS);

    /// <summary>One square matrix-product row.</summary>
    public sealed record GemmResult(int N, double Gflops);

    public int Threads { get; } = threads;
    /// <summary>Human-readable progress (a null writer under --json).</summary>
    public TextWriter Log { get; } = log;
    public List<ModelResult> Workloads { get; } = new();
    public List<GemmResult> Gemm { get; } = new();

    /// <summary>Set under --precision int8: the int8 micro-kernel that ran (<see cref="Nabla.Kernels.Quant.QGemm.KernelName"/>),
    /// written as <c>"precision": "int8", "int8_kernel": ...</c> (rates on CPUs with and without VNNI differ ~2x).</summary>
    public string? Int8Kernel { get; set; }

    /// <summary>Runs <paramref name="action"/> <paramref name="warmup"/> times untimed, then at least
    /// <paramref name="minRuns"/> times and for at least <paramref name="minSeconds"/>; returns the fastest run in seconds.</summary>
    public static double BestSeconds(Action action, int warmup, int minRuns, double minSeconds)
    {
        for (int i = 0; i < warmup; i++) action();
        double best = double.MaxValue;
        var total = Stopwatch.StartNew();
        for (int run = 0; run < minRuns || total.Elapsed.TotalSeconds < minSeconds; run++)
        {
            long t0 = Stopwatch.GetTimestamp();
            action();
            best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        return best;
    }

    /// <summary>The CONTRACTS §5 object.</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteNumber("threads", Threads);
            if (Int8Kernel is not null)
            {
                w.WriteString("precision", "int8");
                w.WriteString("int8_kernel", Int8Kernel);
            }
            w.WriteStartArray("workloads");
            foreach (var r in Workloads)
            {
                w.WriteStartObject();
                w.WriteString("name", r.Name);
                w.WriteNumber("batch", r.Batch);
                w.WriteNumber("train_img_per_s", Math.Round(r.TrainImgPerS, 1));
                w.WriteNumber("infer_img_per_s", Math.Round(r.InferImgPerS, 1));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("gemm");
            foreach (var g in Gemm)
            {
                w.WriteStartObject();
                w.WriteNumber("n", g.N);
                w.WriteNumber("gflops", Math.Round(g.Gflops, 1));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
