using Nabla.Analysis;
using Nabla.IO.Spec;

namespace Nabla.Examples;

/// <summary>
/// Topic 12. The cost of AlexNet at 3x227x227 — the first convolution 11x11, stride 4, no padding (as in the
/// paper's arithmetic), then torchvision's layers (the zoo's <c>alexnet</c>): the multiplications and additions of
/// every convolutional and linear layer, and their totals, from the analyzer. (227 − 11)/4 + 1 = 55, the same
/// 55x55 that torchvision gets from 224 with padding 2, so every later layer costs the same as in the zoo model.
/// </summary>
public static class AlexNetCost
{
    /// <summary>One conv or linear layer.</summary>
    /// <param name="Name">Layer name in the spec (PyTorch twin numbering).</param>
    /// <param name="Type">conv2d or linear.</param>
    /// <param name="Description">Kernel, stride and padding, or features in → out.</param>
    /// <param name="OutputShape">Output shape.</param>
    /// <param name="Counts">The layer's counts.</param>
    public sealed record Row(string Name, string Type, string Description, IReadOnlyList<int> OutputShape, Counts Counts);

    /// <summary>The outcome.</summary>
    /// <param name="Spec">The spec analysed (zoo alexnet with conv1 changed and input 3x227x227).</param>
    /// <param name="Rows">The conv and linear rows.</param>
    /// <param name="ConvTotal">Sum over the convolutional rows.</param>
    /// <param name="LinearTotal">Sum over the linear rows.</param>
    /// <param name="Total">Sum over the conv and linear rows.</param>
    /// <param name="ZooTotal">The same sum for the zoo's alexnet at 3x224x224 (padding 2).</param>
    public sealed record Result(ModelSpec Spec, IReadOnlyList<Row> Rows, Counts ConvTotal, Counts LinearTotal, Counts Total, Counts ZooTotal) : IExampleResult
    {
        /// <inheritdoc/>
        public bool Holds => Rows[0].OutputShape.SequenceEqual([64, 55, 55]) && Total == ZooTotal;
    }

    /// <summary>The zoo's alexnet with input 3x227x227 and the first convolution unpadded.</summary>
    public static ModelSpec Spec227()
    {
        var zoo = Zoo.Load("alexnet");
        var layers = zoo.Layers.ToList();
        int first = layers.FindIndex(l => l is Conv2dSpec);
        layers[first] = ((Conv2dSpec)layers[first]) with { Padding = 0 };
        return new ModelSpec([3, 227, 227], layers, "alexnet (3x227x227, conv1 unpadded)");
    }

    /// <summary>Runs the example.</summary>
    public static Result Run(TextWriter o)
    {
        var spec = Spec227();
        var summary = ModelAnalyzer.Analyze(spec);
        var rows = new List<Row>();
        IReadOnlyList<int> input = spec.Input;
        foreach (var l in summary.Layers)
        {
            string? desc = l.Layer switch
            {
                Conv2dSpec c => $"{input[0]}→{c.OutChannels}, {c.KernelSize.H}x{c.KernelSize.W}, stride {c.Stride}, pad {c.Padding}",
                LinearSpec f => $"{input[0]}→{f.OutFeatures}",
                _ => null,
            };
            if (desc is not null) rows.Add(new Row(l.Name, l.Type, desc, l.OutputShape, l.Counts));
            input = l.OutputShape;
        }
        Counts Sum(IEnumerable<Row> rs) => rs.Aggregate(Counts.Zero, (a, r) => a + r.Counts);
        var conv = Sum(rows.Where(r => r.Type == "conv2d"));
        var linear = Sum(rows.Where(r => r.Type == "linear"));
        var zoo = ModelAnalyzer.Analyze(Zoo.Load("alexnet")).Layers
            .Where(l => l.Layer is Conv2dSpec or LinearSpec).Aggregate(Counts.Zero, (a, l) => a + l.Counts);

        o.WriteLine("AlexNet on 3x227x227: conv1 11x11 stride 4 without padding, then torchvision's layers (ReLU, pooling and dropout not shown).");
        o.WriteLine($"  {"layer",-6}{"type",-8}{"",-34}{"output",-12}{"mults",16}{"adds",16}");
        foreach (var r in rows)
            o.WriteLine($"  {r.Name,-6}{r.Type,-8}{r.Description,-34}{string.Join("x", r.OutputShape),-12}{Dense.N(r.Counts.Mults),16}{Dense.N(r.Counts.Adds),16}");
        o.WriteLine($"  {"conv total",-60}{Dense.N(conv.Mults),16}{Dense.N(conv.Adds),16}");
        o.WriteLine($"  {"linear total",-60}{Dense.N(linear.Mults),16}{Dense.N(linear.Adds),16}");
        o.WriteLine($"  {"total",-60}{Dense.N((conv + linear).Mults),16}{Dense.N((conv + linear).Adds),16}");
        o.WriteLine($"conv1 gives {string.Join("x", rows[0].OutputShape)} ((227 − 11)/4 + 1 = 55), as torchvision's 224 + padding 2, so the totals equal the zoo " +
                    $"model's at 3x224x224 ({Dense.N(zoo.Mults)} mults): {((conv + linear) == zoo ? "yes" : "NO")}. " +
                    $"Convolutions do {Dense.F(100.0 * conv.Mults / (conv + linear).Mults)}% of the multiplications, linear layers hold " +
                    $"{Dense.F(100.0 * linear.Params / (conv + linear).Params)}% of these layers' parameters.");
        return new Result(spec, rows, conv, linear, conv + linear, zoo);
    }
}
