using System.Globalization;
using Nabla.Kernels;
using Nabla.Kernels.Quant;

namespace Nabla.Cli.Commands;

/// <summary>
/// `nabla bench`: steady-state throughput of the engine's workloads (CONTRACTS §5). A workload is one small
/// static method that appends its figures to a <see cref="BenchReport"/>; add it to <see cref="Workloads"/>.
/// </summary>
public sealed class BenchCommand : ICommand
{
    /// <summary>Every workload in the order they run. Model workloads (mlp, lenet5, ...) add
    /// <see cref="BenchReport.ModelResult"/> rows; gemm adds <see cref="BenchReport.GemmResult"/> rows.</summary>
    private static readonly (string Name, Action<BenchReport> Run)[] Workloads =
    [
        .. BenchWorkloads.All,
        ("gemm", RunGemm),
    ];

    public string Name => "bench";
    public string Summary => "measure steady-state throughput (img/s, GFLOP/s)";
    public IReadOnlyList<Flag> Flags { get; } =
    [
        Flag.Valued("workloads", "LIST", $"comma-separated, from: {string.Join(",", Workloads.Select(w => w.Name))} (default: all)"),
        Flag.Valued("threads", "T", "worker threads (default: all cores)"),
        Flag.Switch("json", "print one JSON object (CONTRACTS §5) instead of a table"),
        Flag.Valued("precision", "P", "fp32 (default) or int8: model inference in int8 (training stays fp32)"),
        Flag.Switch("conv-algos", "list, for each convolution of the chosen models, the algorithm it runs on and why (the\ncandidates' estimated multiply-adds), instead of measuring"),
        Flag.Switch("profile", "per-op time breakdown of a training step and an inference batch (int8 too with --precision int8; developers)").AsHidden(),
    ];

    public int Run(Args args)
    {
        string? list = args.String("workloads");
        int threads = args.Int("threads", Environment.ProcessorCount, min: 1, max: 1024);
        bool json = args.Flag("json");
        bool int8 = Int8Options.Int8(args, Name);
        bool profile = args.Flag("profile"); // hidden: per-op time breakdown of a training step (developers)
        bool convAlgos = args.Flag("conv-algos");
        args.EnsureAllUsed();

        var known = Workloads.Select(w => w.Name).ToArray();
        var chosen = list is null ? known : list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var name in chosen)
            if (!known.Contains(name))
                throw new UsageException($"nabla bench: --workloads: unknown workload '{name}' (known: {string.Join(",", known)})");

        Workers.Count = threads;
        if (convAlgos)
        {
            foreach (var name in chosen.Where(BenchWorkloads.Models.Contains)) BenchConvAlgos.Run(name, Console.Out);
            return 0;
        }
        if (profile)
        {
            foreach (var name in chosen.Where(BenchWorkloads.Models.Contains)) BenchProfile.Run(name, Console.Out, int8);
            return 0;
        }
        var report = new BenchReport(threads, json ? TextWriter.Null : Console.Out) { Int8Kernel = int8 ? QGemm.KernelName : null };
        if (int8) Int8Options.Notice();
        foreach (var (name, run) in Workloads)
            if (chosen.Contains(name))
            {
                if (int8 && BenchWorkloads.Models.Contains(name)) BenchInt8.Run(report, name);
                else run(report);
            }

        if (json) Console.WriteLine(report.ToJson());
        return 0;
    }

    /// <summary>Square float32 products C = A·B at n = 1024 and 2048: GFLOP/s = 2n³ / t, best single call
    /// after warm-up.</summary>
    private static void RunGemm(BenchReport report)
    {
        foreach (int n in new[] { 1024, 2048 })
        {
            var rng = new Random(n);
            var a = new float[n * n];
            var b = new float[n * n];
            var c = new float[n * n];
            for (int i = 0; i < a.Length; i++) { a[i] = (float)rng.NextDouble() - 0.5f; b[i] = (float)rng.NextDouble() - 0.5f; }
            double best = BenchReport.BestSeconds(() => Gemm.Sgemm(false, false, n, n, n, a, n, b, n, c, n, 0f),
                warmup: 3, minRuns: 5, minSeconds: n >= 2048 ? 3.0 : 1.5);
            double gflops = 2.0 * n * n * n / best / 1e9;
            report.Gemm.Add(new BenchReport.GemmResult(n, gflops));
            report.Log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"gemm  n={n,-5} {gflops,8:F1} GFLOP/s  ({best * 1e3:F2} ms, {report.Threads} threads)"));
        }
    }
}
