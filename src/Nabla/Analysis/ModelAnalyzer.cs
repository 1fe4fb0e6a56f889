using Nabla.IO.Spec;

namespace Nabla.Analysis;

/// <summary>
/// Infers shapes, counts and receptive fields of a <see cref="ModelSpec"/> without allocating tensors
/// (CONTRACTS §4, docs/counting.md).
/// </summary>
public static class ModelAnalyzer
{
    /// <summary>Analyzes every layer of <paramref name="spec"/> for one sample.</summary>
    /// <exception cref="NablaInputException">A layer does not fit its input: a non-positive output size, a flat
    /// input where an image is needed (or the reverse), channels not divisible by groups, concat branches of
    /// different spatial sizes, a residual body and shortcut of different shapes. The message names the spec
    /// line, the layer and both shapes.</exception>
    public static ModelSummary Analyze(ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var rows = new List<LayerSummary>();
        var input = new Flow(spec.Input.ToArray(), spec.IsFlatInput ? null : ReceptiveField.Identity);
        Run(spec.Layers, input, 0, rows, spec.Source);
        var summary = new ModelSummary(spec.Input, rows, spec.Source);
        try { _ = summary.Total; }
        catch (OverflowException)
        {
            throw new NablaInputException($"{spec.Source}: expected the model's total counts to fit in 64 bits, found a larger sum (sizes too large)");
        }
        return summary;
    }

    /// <summary>A tensor's per-sample shape and its receptive field on the model input.</summary>
    private readonly record struct Flow(int[] Shape, ReceptiveField? Rf);

    private static Flow Run(IReadOnlyList<LayerSpec> layers, Flow flow, int depth, List<LayerSummary> rows, string source)
    {
        foreach (var layer in layers)
        {
            try
            {
                flow = layer switch
                {
                    ConcatSpec c => Concat(c, flow, depth, rows, source),
                    ResidualSpec r => Residual(r, flow, depth, rows, source),
                    _ => Leaf(layer, flow, depth, rows, source),
                };
            }
            catch (OverflowException)
            {
                // Counts and receptive fields are long and computed with checked arithmetic (a spec may declare
                // sizes near 2^31 in every dimension); report the first layer whose figures do not fit.
                throw new NablaInputException($"{Where(source, layer)}: expected counts and receptive field to fit in 64 bits, " +
                    $"found larger ones for input {LayerMath.Show(flow.Shape)}");
            }
        }
        return flow;
    }

    private static Flow Leaf(LayerSpec layer, Flow flow, int depth, List<LayerSummary> rows, string source)
    {
        var (shape, counts, rf) = LayerMath.Apply(layer, flow.Shape, flow.Rf, Where(source, layer));
        rows.Add(new LayerSummary(layer, depth, shape, counts, rf, []) { InputShape = flow.Shape });
        return new Flow(shape, rf);
    }

    private static Flow Concat(ConcatSpec c, Flow flow, int depth, List<LayerSummary> rows, string source)
    {
        var outs = new List<Flow>();
        var subtotals = new List<BranchSubtotal>();
        for (int b = 0; b < c.Branches.Count; b++)
        {
            int first = rows.Count;
            outs.Add(Run(c.Branches[b], flow, depth + 1, rows, source));
            subtotals.Add(Subtotal($"branch {b}", first, rows));
        }
        var shape0 = outs[0].Shape;
        for (int b = 1; b < outs.Count; b++)
        {
            var s = outs[b].Shape;
            if (s.Length != shape0.Length || (s.Length == 3 && (s[1] != shape0[1] || s[2] != shape0[2])))
                throw new NablaInputException($"{Where(source, c)}: expected every branch to have the spatial size of branch 0 " +
                    $"({LayerMath.Show(shape0)}), found branch {b} output {LayerMath.Show(s)}");
        }
        var shape = (int[])shape0.Clone();
        long channels = outs.Sum(o => (long)o.Shape[0]);
        if (channels > int.MaxValue)
            throw new NablaInputException($"{Where(source, c)}: expected at most {int.MaxValue} channels after concatenation, found {channels}");
        shape[0] = (int)channels;
        var rf = shape.Length == 3 ? Union(outs.Select(o => o.Rf!).ToList(), shape) : null;
        rows.Add(new LayerSummary(c, depth, shape, Counts.Zero, rf, subtotals));
        return new Flow(shape, rf);
    }

    private static Flow Residual(ResidualSpec r, Flow flow, int depth, List<LayerSummary> rows, string source)
    {
        int first = rows.Count;
        var body = Run(r.Body, flow, depth + 1, rows, source);
        var subtotals = new List<BranchSubtotal> { Subtotal("body", first, rows) };
        var shortcut = flow;
        if (r.Shortcut is not null)
        {
            first = rows.Count;
            shortcut = Run(r.Shortcut, flow, depth + 1, rows, source);
            subtotals.Add(Subtotal("shortcut", first, rows));
        }
        if (!body.Shape.SequenceEqual(shortcut.Shape))
            throw new NablaInputException($"{Where(source, r)}: expected the body output {LayerMath.Show(body.Shape)} to equal the " +
                $"{(r.Shortcut is null ? "identity shortcut (the block input)" : "shortcut output")}, found {LayerMath.Show(shortcut.Shape)}");
        var rf = body.Shape.Length == 3 && body.Rf is not null && shortcut.Rf is not null ? Union([body.Rf, shortcut.Rf], body.Shape) : null;
        long elements = LayerMath.Elements(body.Shape);
        rows.Add(new LayerSummary(r, depth, body.Shape, new Counts(0, 0, elements, 0), rf, subtotals));
        return new Flow(body.Shape, rf);
    }

    private static BranchSubtotal Subtotal(string label, int first, List<LayerSummary> rows)
    {
        var sum = Counts.Zero;
        for (int i = first; i < rows.Count; i++) sum += rows[i].Counts;
        return new BranchSubtotal(label, first, rows.Count - 1, sum);
    }

    /// <summary>The union of several paths' fields: output (i, j) sees what any path sees.</summary>
    private static ReceptiveField Union(IReadOnlyList<ReceptiveField> fields, int[] shape)
    {
        ReceptiveFieldAxis Axis(Func<ReceptiveField, ReceptiveFieldAxis> pick, int count) =>
            ReceptiveFieldAxis.Cover(count,
                i => fields.Min(f => pick(f).Start + i * pick(f).Stride),
                i => fields.Max(f => pick(f).Start + i * pick(f).Stride + pick(f).Size - 1),
                fields.Select(f => pick(f).Stride));
        return new ReceptiveField(Axis(f => f.H, shape[1]), Axis(f => f.W, shape[2]));
    }

    /// <summary>Where a layer is: its spec line, or for a layer with no line (an imported .onnx, a spec built in
    /// code) the source alone.</summary>
    private static string Where(string source, LayerSpec layer) => layer.Line > 0
        ? $"{source}:{layer.Line}: layer {layer.Name} ({layer.Kind.Keyword()})"
        : $"{source}: layer {layer.Name} ({layer.Kind.Keyword()})";
}
