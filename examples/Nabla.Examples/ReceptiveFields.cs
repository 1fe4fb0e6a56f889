using Nabla.Analysis;
using Nabla.IO;
using Nabla.IO.Spec;
using Nabla.NN;
using Nabla.Tensors;

namespace Nabla.Examples;

/// <summary>
/// Topic 4. The receptive fields of conv3x3 p1, conv3x3 p1, maxpool2, conv3x3 p1, conv3x3 p1, maxpool2 on 3x32x32,
/// from the analyzer, printed as index ranges (1-based inclusive and 0-based Python slices). Then a check by
/// autograd: in a twin with average pooling (the field does not depend on which pooling) and positive weights,
/// the input gradient of one output pixel is nonzero exactly on its window, clipped to the image.
/// </summary>
public static class ReceptiveFields
{
    /// <summary>The stack, as a spec.</summary>
    public const string Spec = """
        input 3 32 32
        conv2d out_channels=8 kernel_size=3 padding=1
        relu
        conv2d out_channels=8 kernel_size=3 padding=1
        relu
        maxpool2d kernel_size=2
        conv2d out_channels=8 kernel_size=3 padding=1
        relu
        conv2d out_channels=8 kernel_size=3 padding=1
        relu
        maxpool2d kernel_size=2
        """;

    /// <summary>One row of the table.</summary>
    /// <param name="Name">Layer name.</param>
    /// <param name="Type">Spec keyword.</param>
    /// <param name="Range1">1-based inclusive range, e.g. <c>X[:, 4i-9 : 4i+6, 4j-9 : 4j+6]</c>.</param>
    /// <param name="Range0">0-based Python slice.</param>
    /// <param name="Field">The field itself.</param>
    public sealed record Row(string Name, string Type, string Range1, string Range0, ReceptiveField Field);

    /// <summary>One autograd check: output pixel (i, j) (0-based) of the last layer.</summary>
    /// <param name="I">Row.</param>
    /// <param name="J">Column.</param>
    /// <param name="Predicted">Input rows and columns (0-based, inclusive, clipped) the analyzer predicts.</param>
    /// <param name="Observed">Bounding box of the nonzero input gradient.</param>
    /// <param name="Exact">Every input pixel in the predicted box has a nonzero gradient and none outside.</param>
    public sealed record Probe(int I, int J, (int R0, int R1, int C0, int C1) Predicted, (int R0, int R1, int C0, int C1) Observed, bool Exact);

    /// <summary>The outcome.</summary>
    /// <param name="Rows">One per layer.</param>
    /// <param name="Probes">The autograd checks.</param>
    public sealed record Result(IReadOnlyList<Row> Rows, IReadOnlyList<Probe> Probes) : IExampleResult
    {
        /// <inheritdoc/>
        public bool Holds => Probes.All(p => p.Exact);
    }

    /// <summary>Runs the example.</summary>
    public static Result Run(TextWriter o)
    {
        var spec = SpecParser.Parse(Spec, "receptive-fields");
        var summary = ModelAnalyzer.Analyze(spec);
        var rows = summary.Layers.Select(l => new Row(l.Name, l.Type, l.ReceptiveField!.Range(1), l.ReceptiveField.Range(0), l.ReceptiveField)).ToList();
        o.WriteLine("conv3x3 p1, conv3x3 p1, maxpool2, conv3x3 p1, conv3x3 p1, maxpool2 on 3x32x32; output (i, j) sees:");
        o.WriteLine($"  {"layer",-6}{"type",-10}{"output",-10}{"1-based, inclusive",-34}0-based, Python slice");
        foreach (var (row, l) in rows.Zip(summary.Layers))
            o.WriteLine($"  {row.Name,-6}{row.Type,-10}{string.Join("x", l.OutputShape),-10}{row.Range1,-34}{row.Range0}");

        // The autograd check on a twin with average pooling and positive weights.
        var twin = SpecParser.Parse(Spec.Replace("maxpool2d", "avgpool2d"), "receptive-fields-avg");
        var model = ModelFactory.Build(twin, new Rng(1), new Rng(2));
        foreach (var p in model.Parameters()) { var s = p.Span; for (int k = 0; k < s.Length; k++) s[k] = Math.Abs(s[k]) + 0.01f; }
        model.Eval();
        var field = summary.Layers[^1].ReceptiveField!;
        var last = summary.Layers[^1].OutputShape;
        var probes = new List<Probe>();
        foreach (var (i, j) in new[] { (0, 0), (3, 5), (last[1] - 1, last[2] - 1) })
            probes.Add(Check(model, field, i, j, spec.Input[1], spec.Input[2]));
        o.WriteLine("autograd check (average-pooling twin, positive weights): nonzero input gradient of output (i, j), 0-based:");
        foreach (var p in probes)
            o.WriteLine($"  ({p.I}, {p.J}): predicted rows {p.Predicted.R0}..{p.Predicted.R1}, cols {p.Predicted.C0}..{p.Predicted.C1}; " +
                        $"observed rows {p.Observed.R0}..{p.Observed.R1}, cols {p.Observed.C0}..{p.Observed.C1} — {(p.Exact ? "exact" : "MISMATCH")}");
        return new Result(rows, probes);
    }

    private static Probe Check(Sequential model, ReceptiveField field, int i, int j, int h, int w)
    {
        var x = Tensor.Uniform(new Rng(5), 0.1f, 1f, 1, 3, h, w);
        x.RequiresGrad = true;
        var y = model.Forward(x);
        var g = Tensor.Zeros(y.Shape);
        g[0, 0, i, j] = 1;
        y.Backward(g);
        int r0 = (int)Math.Max(0, field.H.Start + i * field.H.Stride), r1 = (int)Math.Min(h - 1, field.H.Start + i * field.H.Stride + field.H.Size - 1);
        int c0 = (int)Math.Max(0, field.W.Start + j * field.W.Stride), c1 = (int)Math.Min(w - 1, field.W.Start + j * field.W.Stride + field.W.Size - 1);
        int or0 = int.MaxValue, or1 = -1, oc0 = int.MaxValue, oc1 = -1;
        bool exact = true;
        for (int c = 0; c < 3; c++)
            for (int r = 0; r < h; r++)
                for (int q = 0; q < w; q++)
                {
                    bool nonzero = x.Grad![0, c, r, q] != 0;
                    bool inside = r >= r0 && r <= r1 && q >= c0 && q <= c1;
                    exact &= nonzero == inside;
                    if (nonzero) { or0 = Math.Min(or0, r); or1 = Math.Max(or1, r); oc0 = Math.Min(oc0, q); oc1 = Math.Max(oc1, q); }
                }
        return new Probe(i, j, (r0, r1, c0, c1), (or0, or1, oc0, oc1), exact);
    }
}
