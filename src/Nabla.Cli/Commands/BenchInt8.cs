using System.Globalization;
using Nabla.Quantization;

namespace Nabla.Cli.Commands;

/// <summary>`nabla bench --precision int8`: the model workloads with int8 inference. Training stays FP32 (it is
/// measured as usual, so the JSON keeps its fields); inference runs the <see cref="QuantizedModel"/> of the same
/// weights, calibrated on the benchmark's own random inference batch, with batch 256 and the same best-window rate.</summary>
internal static class BenchInt8
{
    public static void Run(BenchReport report, string model)
    {
        var bench = new BenchWorkloads.ModelBench(model);
        var (trainRate, _) = bench.Train();
        var q = QuantizedModel.Quantize(bench.Model, [bench.XInfer]);
        double rate = BenchTiming.BestRate(() => q.Forward(bench.XInfer), warmupSteps: 2)
            * BenchWorkloads.InferBatch;
        report.Workloads.Add(new BenchReport.ModelResult(model, BenchWorkloads.TrainBatch, trainRate, rate));
        report.Log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{model,-14} train {trainRate,9:F1} img/s (fp32)   infer {rate,9:F1} img/s (int8)   ({report.Threads} threads)"));
    }
}
