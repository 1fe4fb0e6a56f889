using Nabla.Analysis;
using Nabla.IO.Spec;

namespace Nabla.Examples;

/// <summary>
/// Topic 5. The inception module on 256x32x32 (zoo specs <c>inception-naive</c> and <c>inception-bottleneck</c>):
/// parameters, multiplications, additions and activations of each, per branch and in total, and the ratios —
/// the 1x1 reductions before the 3x3 and 5x5 convolutions cut the cost several-fold.
/// </summary>
public static class InceptionCost
{
    /// <summary>The outcome.</summary>
    /// <param name="Naive">Totals of inception-naive.</param>
    /// <param name="Bottleneck">Totals of inception-bottleneck.</param>
    /// <param name="NaiveOutput">Output shape of the naive module.</param>
    /// <param name="BottleneckOutput">Output shape of the bottleneck module.</param>
    public sealed record Result(Counts Naive, Counts Bottleneck, IReadOnlyList<int> NaiveOutput, IReadOnlyList<int> BottleneckOutput) : IExampleResult
    {
        /// <summary>naive / bottleneck multiplications.</summary>
        public double MultRatio => (double)Naive.Mults / Bottleneck.Mults;
        /// <summary>naive / bottleneck parameters.</summary>
        public double ParamRatio => (double)Naive.Params / Bottleneck.Params;
        /// <inheritdoc/>
        public bool Holds => Bottleneck.Mults < Naive.Mults && Bottleneck.Params < Naive.Params;
    }

    /// <summary>Runs the example.</summary>
    public static Result Run(TextWriter o)
    {
        var naive = ModelAnalyzer.Analyze(Zoo.Load("inception-naive"));
        var bottle = ModelAnalyzer.Analyze(Zoo.Load("inception-bottleneck"));
        o.WriteLine($"input {string.Join("x", naive.Input)}; naive output {string.Join("x", naive.OutputShape)}, bottleneck output {string.Join("x", bottle.OutputShape)}.");
        foreach (var (name, s) in new[] { ("naive", naive), ("bottleneck", bottle) })
        {
            o.WriteLine($"{name}:");
            o.WriteLine($"  {"",-10}{"params",14}{"mults",16}{"adds",16}{"activations",14}");
            foreach (var b in s.Layers[^1].Subtotals)
                o.WriteLine($"  {b.Label,-10}{Dense.N(b.Counts.Params),14}{Dense.N(b.Counts.Mults),16}{Dense.N(b.Counts.Adds),16}{Dense.N(b.Counts.Activations),14}");
            var t = s.Total;
            o.WriteLine($"  {"total",-10}{Dense.N(t.Params),14}{Dense.N(t.Mults),16}{Dense.N(t.Adds),16}{Dense.N(t.Activations),14}");
        }
        var r = new Result(naive.Total, bottle.Total, naive.OutputShape, bottle.OutputShape);
        static string Ratio(long a, long b) => Dense.F((double)a / b);
        o.WriteLine($"naive / bottleneck: params {Ratio(r.Naive.Params, r.Bottleneck.Params)}, mults {Ratio(r.Naive.Mults, r.Bottleneck.Mults)}, " +
                    $"adds {Ratio(r.Naive.Adds, r.Bottleneck.Adds)}, activations {Ratio(r.Naive.Activations, r.Bottleneck.Activations)}.");
        return r;
    }
}
