using Nabla.Analysis;
using Nabla.IO.Spec;
using Nabla.Ops;
using Nabla.Tensors;

namespace Nabla.Examples;

/// <summary>
/// Topic 10. Convolution arithmetic: (a) the valid 2-D correlation (no kernel flip) of the issue's 5x5 X with
/// W = [[1, −1], [1, −1]] — size, extreme values and where they and the zeros are; (b) a layer on 48x64x10 (H x W x C)
/// with a 3x3x10x20 kernel on valid pixels — output shape, multiplications, parameters (from the analyzer on the
/// spec <c>input 10 48 64</c>, against the closed forms); (c) a conv + sigmoid layer with J = ½‖σ(Z) − T‖²:
/// ∂J/∂Z, ∂J/∂W and ∂J/∂X by their index formulas (double loops) against autograd.
/// </summary>
public static class ConvArithmetic
{
    /// <summary>The issue's X.</summary>
    public static readonly float[,] X =
    {
        { 0, 0, 0, 0, 0 }, { 0, 3, 3, 3, 0 }, { 0, 3, 2, 3, 0 }, { 0, 3, 2, 3, 0 }, { 0, 0, 0, 0, 0 },
    };

    /// <summary>The issue's W.</summary>
    public static readonly float[,] W = { { 1, -1 }, { 1, -1 } };

    /// <summary>float32 autograd against double index formulas on O(1) values.</summary>
    public const double Tolerance = 1e-5;

    /// <summary>Part (a).</summary>
    /// <param name="Output">The correlation computed by F.Conv2d.</param>
    /// <param name="ByLoops">The same by Y[i, j] = Σ_{a,b} X[i+a, j+b] W[a, b].</param>
    /// <param name="Max">The largest value.</param>
    /// <param name="Min">The smallest (most negative) value.</param>
    /// <param name="MaxAt">1-based (row, column) positions of the largest value.</param>
    /// <param name="MinAt">Positions of the smallest.</param>
    /// <param name="ZerosAt">Positions of the zeros.</param>
    public sealed record Correlation(float[,] Output, double[,] ByLoops, float Max, float Min,
        IReadOnlyList<(int Row, int Col)> MaxAt, IReadOnlyList<(int Row, int Col)> MinAt, IReadOnlyList<(int Row, int Col)> ZerosAt);

    /// <summary>Part (b).</summary>
    /// <param name="OutputShape">C x H x W from the analyzer.</param>
    /// <param name="Mults">Multiplications (analyzer).</param>
    /// <param name="Params">Trainable parameters (analyzer).</param>
    /// <param name="MultsFormula">(H − 2)(W − 2) · 20 · 3·3·10.</param>
    /// <param name="ParamsFormula">3·3·10·20 + 20.</param>
    public sealed record LayerCost(IReadOnlyList<int> OutputShape, long Mults, long Params, long MultsFormula, long ParamsFormula);

    /// <summary>Part (c): max |index formula − autograd| for each gradient.</summary>
    /// <param name="DZ">∂J/∂Z.</param>
    /// <param name="DW">∂J/∂W.</param>
    /// <param name="DB">∂J/∂b.</param>
    /// <param name="DX">∂J/∂X.</param>
    public sealed record Gradients(double DZ, double DW, double DB, double DX);

    /// <summary>The outcome.</summary>
    public sealed record Result(Correlation A, LayerCost B, Gradients C) : IExampleResult
    {
        /// <inheritdoc/>
        public bool Holds => Dense.MaxAbsDiff(A.ByLoops.Cast<double>(), A.Output.Cast<float>().Select(v => (double)v)) == 0
                             && B.Mults == B.MultsFormula && B.Params == B.ParamsFormula
                             && Math.Max(Math.Max(C.DZ, C.DW), Math.Max(C.DB, C.DX)) <= Tolerance;
    }

    /// <summary>Runs the example.</summary>
    public static Result Run(TextWriter o) => new(PartA(o), PartB(o), PartC(o));

    private static Correlation PartA(TextWriter o)
    {
        int n = X.GetLength(0), k = W.GetLength(0), m = n - k + 1;
        var x = Tensor.FromArray(X.Cast<float>().ToArray(), 1, 1, n, n);
        var w = Tensor.FromArray(W.Cast<float>().ToArray(), 1, 1, k, k);
        var y = F.Conv2d(x, w, null, Conv2dOptions.Default);
        var output = new float[y.Shape[2], y.Shape[3]];
        for (int i = 0; i < y.Shape[2]; i++) for (int j = 0; j < y.Shape[3]; j++) output[i, j] = y[0, 0, i, j];
        var loops = new double[m, m];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++)
                for (int a = 0; a < k; a++)
                    for (int b = 0; b < k; b++)
                        loops[i, j] += (double)X[i + a, j + b] * W[a, b];
        float max = output.Cast<float>().Max(), min = output.Cast<float>().Min();
        List<(int, int)> Where(Func<float, bool> p)
        {
            var at = new List<(int, int)>();
            for (int i = 0; i < output.GetLength(0); i++) for (int j = 0; j < output.GetLength(1); j++) if (p(output[i, j])) at.Add((i + 1, j + 1));
            return at;
        }
        var r = new Correlation(output, loops, max, min, Where(v => v == max), Where(v => v == min), Where(v => v == 0));
        static string Pos(IEnumerable<(int, int)> ps) => string.Join(" ", ps.Select(p => $"({p.Item1},{p.Item2})"));
        o.WriteLine($"(a) valid correlation of the 5x5 X with W = [[1,−1],[1,−1]] (no flip): output {output.GetLength(0)}x{output.GetLength(1)} (= 5 − 2 + 1):");
        Dense.Print(o, loops, "      ", "F0");
        o.WriteLine($"    F.Conv2d equals the explicit loops: {(Dense.MaxAbsDiff(loops.Cast<double>(), output.Cast<float>().Select(v => (double)v)) == 0 ? "yes" : "NO")}");
        o.WriteLine($"    largest positive {max} at (row, col, 1-based) {Pos(r.MaxAt)}; largest negative {min} at {Pos(r.MinAt)}");
        o.WriteLine($"    zeros ({r.ZerosAt.Count}) at {Pos(r.ZerosAt)}");
        return r;
    }

    private static LayerCost PartB(TextWriter o)
    {
        const int h = 48, w = 64, c = 10, k = 3, outC = 20;
        var spec = SpecParser.Parse($"input {c} {h} {w}\nconv2d out_channels={outC} kernel_size={k}\n", "conv-arithmetic");
        var row = ModelAnalyzer.Analyze(spec).Layers[0];
        long multsFormula = (long)(h - k + 1) * (w - k + 1) * outC * k * k * c;
        long paramsFormula = (long)k * k * c * outC + outC;
        o.WriteLine($"(b) input {h}x{w}x{c} (H x W x C), kernel {k}x{k}x{c}x{outC}, valid pixels (spec: input {c} {h} {w}; conv2d out_channels={outC} kernel_size={k}):");
        o.WriteLine($"    output {row.OutputShape[1]}x{row.OutputShape[2]}x{row.OutputShape[0]} (H x W x C); multiplications {Dense.N(row.Counts.Mults)} " +
                    $"(= {h - k + 1}·{w - k + 1}·{outC}·{k * k * c}); trainable parameters {Dense.N(row.Counts.Params)} (= {k * k * c * outC} weights + {outC} biases)");
        return new LayerCost(row.OutputShape, row.Counts.Mults, row.Counts.Params, multsFormula, paramsFormula);
    }

    private static Gradients PartC(TextWriter o)
    {
        const int c = 2, oc = 3, h = 6, w = 5, k = 3, oh = h - k + 1, ow = w - k + 1;
        var rng = new Rng(10);
        var x = Tensor.Uniform(rng, -1, 1, 1, c, h, w);
        var wt = Tensor.Uniform(rng, -0.5f, 0.5f, oc, c, k, k);
        var bias = Tensor.Uniform(rng, -0.5f, 0.5f, oc);
        var target = Tensor.Uniform(rng, 0, 1, 1, oc, oh, ow);
        foreach (var p in new[] { x, wt, bias }) p.RequiresGrad = true;

        // Autograd, in two steps so that ∂J/∂Z is visible: J from a leaf copy of Z, then Z.Backward(∂J/∂Z).
        var z = F.Conv2d(x, wt, bias, Conv2dOptions.Default);
        var zLeaf = z.Detach();
        zLeaf.RequiresGrad = true;
        var diff = F.Sigmoid(zLeaf) - target;
        (diff * diff * 0.5f).Sum().Backward();
        z.Backward(zLeaf.Grad!);

        // Index formulas in double: Z[o,i,j] = b[o] + Σ_{c,a,b} W[o,c,a,b] X[c,i+a,j+b], A = σ(Z), J = ½ Σ (A − T)².
        double Xd(int cc, int i, int j) => x[0, cc, i, j];
        double Wd(int o1, int cc, int a, int b) => wt[o1, cc, a, b];
        var Z = new double[oc, oh, ow];
        var dZ = new double[oc, oh, ow];
        for (int q = 0; q < oc; q++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    double s = bias[q];
                    for (int cc = 0; cc < c; cc++) for (int a = 0; a < k; a++) for (int b = 0; b < k; b++) s += Wd(q, cc, a, b) * Xd(cc, i + a, j + b);
                    Z[q, i, j] = s;
                    double sig = 1 / (1 + Math.Exp(-s));
                    dZ[q, i, j] = (sig - target[0, q, i, j]) * sig * (1 - sig);     // ∂J/∂Z = (A − T) ⊙ σ'(Z)
                }
        var dW = new double[oc, c, k, k];      // ∂J/∂W[o,c,a,b] = Σ_{i,j} ∂J/∂Z[o,i,j] X[c, i+a, j+b]
        var dB = new double[oc];               // ∂J/∂b[o] = Σ_{i,j} ∂J/∂Z[o,i,j]
        var dX = new double[c, h, w];          // ∂J/∂X[c,p,q] = Σ_{o,a,b} ∂J/∂Z[o, p−a, q−b] W[o,c,a,b] (valid indices)
        for (int q = 0; q < oc; q++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    dB[q] += dZ[q, i, j];
                    for (int cc = 0; cc < c; cc++)
                        for (int a = 0; a < k; a++)
                            for (int b = 0; b < k; b++)
                            {
                                dW[q, cc, a, b] += dZ[q, i, j] * Xd(cc, i + a, j + b);
                                dX[cc, i + a, j + b] += dZ[q, i, j] * Wd(q, cc, a, b);
                            }
                }
        var g = new Gradients(
            Dense.MaxAbsDiff(dZ.Cast<double>(), zLeaf.Grad!.ToArray().Select(v => (double)v)),
            Dense.MaxAbsDiff(dW.Cast<double>(), wt.Grad!.ToArray().Select(v => (double)v)),
            Dense.MaxAbsDiff(dB, bias.Grad!.ToArray().Select(v => (double)v)),
            Dense.MaxAbsDiff(dX.Cast<double>(), x.Grad!.ToArray().Select(v => (double)v)));
        o.WriteLine($"(c) conv ({c} → {oc} channels, {k}x{k}, valid) + sigmoid on {c}x{h}x{w}, J = ½‖σ(Z) − T‖²; index formulas (double) vs autograd:");
        o.WriteLine("    ∂J/∂Z[o,i,j] = (A − T)[o,i,j]·σ(Z)(1 − σ(Z))[o,i,j]                max |Δ| " + Dense.F(g.DZ));
        o.WriteLine("    ∂J/∂W[o,c,a,b] = Σ_{i,j} ∂J/∂Z[o,i,j]·X[c,i+a,j+b]                max |Δ| " + Dense.F(g.DW));
        o.WriteLine("    ∂J/∂b[o] = Σ_{i,j} ∂J/∂Z[o,i,j]                                     max |Δ| " + Dense.F(g.DB));
        o.WriteLine("    ∂J/∂X[c,p,q] = Σ_{o,a,b} ∂J/∂Z[o,p−a,q−b]·W[o,c,a,b]               max |Δ| " + Dense.F(g.DX));
        o.WriteLine($"    tolerance {Tolerance}: {(Math.Max(Math.Max(g.DZ, g.DW), Math.Max(g.DB, g.DX)) <= Tolerance ? "agree" : "DISAGREE")}");
        return g;
    }
}
