using System.Globalization;
using Nabla.Analysis;
using Nabla.IO;
using Nabla.IO.Spec;
using Nabla.Kernels.Conv;
using Nabla.NN;
using Nabla.Ops;
using Nabla.Tensors;

namespace Nabla.Cli.Commands;

/// <summary>`nabla bench --conv-algos`: for each convolution of each model, at the training and the inference batch,
/// the algorithm it runs on and every candidate's cost (<see cref="ConvRegistry.Explain"/>).</summary>
public static class BenchConvAlgos
{
    /// <summary>Writes the listing of <paramref name="model"/> to <paramref name="log"/>.</summary>
    public static void Run(string model, TextWriter log)
    {
        var spec = Zoo.Load(model);
        var net = ModelFactory.Build(spec, new Rng(1), new Rng(2));
        var convs = net.NamedModules().Where(m => m.Module is Conv2d).ToDictionary(m => m.Name, m => (Conv2d)m.Module, StringComparer.Ordinal);
        var rows = ModelAnalyzer.Analyze(spec).Layers.Where(r => convs.ContainsKey(r.Name)).ToList();
        log.WriteLine($"{model}: {rows.Count} convolution layer(s)");
        foreach (int batch in new[] { BenchWorkloads.TrainBatch, BenchWorkloads.InferBatch })
            foreach (var row in rows)
            {
                var conv = convs[row.Name];
                var g = F.Conv2dGeometry(new Tensor([batch, .. row.InputShape]), conv.Weight, conv.Bias, conv.Options);
                log.WriteLine($"  layer {row.Name} ({g}): ran {ConvRegistry.Choose(g, conv.Options.Algorithm)}");
                foreach (var c in ConvRegistry.Explain(g))
                {
                    string cost = !c.Supported ? "-" : double.IsPositiveInfinity(c.Cost) ? "inf" : string.Create(CultureInfo.InvariantCulture, $"{c.Cost / 1e6:F1}M");
                    log.WriteLine($"      {c.Name,-18} {cost,10}  {c.Why}");
                }
            }
    }
}
