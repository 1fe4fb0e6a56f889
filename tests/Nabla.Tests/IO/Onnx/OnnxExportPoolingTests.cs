using Google.Protobuf;
using Nabla.IO.Onnx;
using Nabla.NN;
using Xunit;

namespace Nabla.Tests.IO.Onnx;

/// <summary>Pooling at the ceil_mode boundary in ONNX Runtime: ONNX's ceil formula keeps a last window that starts in
/// the right padding where PyTorch (and Nabla) drop it, and ONNX Runtime's count_include_pad divisor for a window that
/// runs past the padding is not PyTorch's. Every geometry of a small sweep (sizes 1–9, kernels 1–3, strides 1–3,
/// paddings up to kernel/2, both count_include_pad values, square and asymmetric) must give Nabla's output.</summary>
public sealed class OnnxExportPoolingTests
{
    private static readonly (int n, int k, int s, int p)[] Axes = Sweep().ToArray();

    private static IEnumerable<(int n, int k, int s, int p)> Sweep()
    {
        for (int k = 1; k <= 3; k++)
            for (int s = 1; s <= 3; s++)
                for (int p = 0; p <= k / 2; p++)
                    for (int n = Math.Max(1, k - 2 * p); n <= 9; n++)
                        yield return (n, k, s, p);
    }

    /// <summary>One channel-pair sample per geometry; <paramref name="make"/> builds the pooling layer.</summary>
    private static void AssertSweep(Func<(int h, int w), (int h, int w), (int h, int w), Module> make)
    {
        var failures = new List<string>();
        for (int i = 0; i < Axes.Length; i++)
        {
            var a = Axes[i];
            var b = Axes[(i * 37 + 11) % Axes.Length];   // an unrelated geometry for the width: asymmetric windows
            foreach (var (h, w) in new[] { (a, a), (a, b) })
            {
                var layer = make((h.k, w.k), (h.s, w.s), (h.p, w.p));
                int[] input = [2, h.n, w.n];
                var model = new Sequential(layer);
                model.Eval();
                var x = OnnxExportKit.Input(input, 2, (ulong)i + 1);
                var expected = OnnxExportKit.Forward(model, x);
                var (got, shape) = OnnxExportKit.RunOrt(OnnxExporter.ToModel(model, input).ToByteArray(), x);
                string what = $"{layer.GetType().Name} in {h.n}x{w.n} k {h.k}x{w.k} s {h.s}x{w.s} p {h.p}x{w.p}";
                if (!shape.SequenceEqual(expected.Shape.Select(d => (long)d)))
                    failures.Add($"{what}: shape [{string.Join(",", shape)}], Nabla [{string.Join(",", expected.Shape)}]");
                else if (OnnxExportKit.RelErr(got, expected.ToArray()) is var err && err > OnnxExportKit.Tolerance)
                    failures.Add($"{what}: relative error {err:E2}");
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} geometries differ, e.g.\n{string.Join("\n", failures.Take(10))}");
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(false, false)]
    public void AvgPool2d_Sweep_MatchesNablaInOnnxRuntime(bool ceil, bool countIncludePad) =>
        AssertSweep((k, s, p) => new AvgPool2d(k, s, p, countIncludePad, ceil));

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void MaxPool2d_Sweep_MatchesNablaInOnnxRuntime(bool ceil) =>
        AssertSweep((k, s, p) => new MaxPool2d(k, s, p, ceil));

    /// <summary>Named boundary geometries and the form each must be written in (ops, pads, ceil_mode). 5/3/3/1: ONNX's ceil
    /// keeps a third window starting in the right padding (PyTorch has 2; torch.onnx.export's Pad + ceil_mode form gives 3
    /// in a runtime that follows opset 17 to the letter), so floor mode is written. 6/3/2/1: ceil's fourth window runs
    /// past the padding, where PyTorch's count_include_pad divisor stops at n + p: Pad, then count_include_pad=0.
    /// 6x5 mixes the two axes, which one ceil_mode flag cannot: floor with end padding.</summary>
    [Theory]
    [InlineData("avg", 5, 5, true, "AveragePool", "1,1,1,1", 0, 1)]
    [InlineData("avg", 6, 6, true, "Pad AveragePool", "0,0,1,1", 0, 0)]
    [InlineData("avg", 6, 6, false, "AveragePool", "1,1,1,1", 1, 0)]
    [InlineData("avg", 6, 5, false, "AveragePool", "1,1,2,1", 0, 0)]
    [InlineData("avg", 6, 5, true, "Pad AveragePool", "0,0,1,0", 0, 0)]
    [InlineData("max", 6, 6, false, "MaxPool", "1,1,1,1", 1, -1)]
    [InlineData("max", 6, 5, false, "MaxPool", "1,1,2,1", 0, -1)]
    public void Pool_CeilBoundary_WrittenInAnUnambiguousForm(string kind, int h, int w, bool countIncludePad, string ops, string pads, int ceilMode, int countIncludePadAttr)
    {
        // Per axis: kernel 3, padding 1; stride 2 on a 6 (ceil adds a window), 3 on a 5 (ceil's extra window is dropped).
        (int, int) k = (3, 3), s = (h == 6 ? 2 : 3, w == 6 ? 2 : 3), p = (1, 1);
        Module layer = kind == "avg" ? new AvgPool2d(k, s, p, countIncludePad, ceilMode: true) : new MaxPool2d(k, s, p, ceilMode: true);
        var model = new Sequential(layer);
        model.Eval();
        int[] input = [3, h, w];
        var proto = OnnxExporter.ToModel(model, input);
        Assert.Equal(ops, string.Join(" ", proto.Graph.Node.Select(n => n.OpType)));
        var pool = proto.Graph.Node[^1];
        Assert.Equal(pads, string.Join(",", pool.Attribute.Single(a => a.Name == "pads").Ints));
        Assert.Equal(ceilMode, pool.Attribute.Single(a => a.Name == "ceil_mode").I);
        if (kind == "avg") Assert.Equal(countIncludePadAttr, pool.Attribute.Single(a => a.Name == "count_include_pad").I);
        var x = OnnxExportKit.Input(input, 2, 5);
        var expected = OnnxExportKit.Forward(model, x);
        var (got, shape) = OnnxExportKit.RunOrt(proto.ToByteArray(), x);
        Assert.Equal(expected.Shape.Select(d => (long)d), shape);
        Assert.InRange(OnnxExportKit.RelErr(got, expected.ToArray()), 0, OnnxExportKit.Tolerance);
    }
}
