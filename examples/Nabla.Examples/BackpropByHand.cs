using Nabla.Ops;
using Nabla.Tensors;

namespace Nabla.Examples;

/// <summary>
/// Topic 1. For y_L = A_L σ(A_{L−1} ··· σ(A_1 x + b_1) ··· + b_{L−1}) + b_L with the sigmoid σ, the Jacobians
/// ∂y_L/∂b_i = A_L diag(σ'(ỹ_{L−1})) A_{L−1} ··· A_{i+1} diag(σ'(ỹ_i)) and, for each output k,
/// ∂(y_L)_k/∂A_i = diag(σ'(ỹ_i)) (∂(y_L)_k/∂y_i)ᵀ y_{i−1}ᵀ, built by explicit matrix loops in double and compared
/// with autograd (float32), which gets them one output at a time by backpropagating the unit vector e_k.
/// </summary>
public static class BackpropByHand
{
    /// <summary>float32 autograd against the double products: values are O(1), float32 rounding is ~1e-7 per op.</summary>
    public const double Tolerance = 1e-5;

    /// <summary>The outcome.</summary>
    /// <param name="Sizes">n_0 (input) … n_L (output).</param>
    /// <param name="MaxDiffBias">max over i, k, j of |∂(y_L)_k/∂(b_i)_j by hand − autograd|.</param>
    /// <param name="MaxDiffWeight">the same for ∂(y_L)_k/∂(A_i)_{jl}.</param>
    /// <param name="MaxDiffOutput">|y_L by hand − y_L by the library|.</param>
    /// <param name="LargestEntry">the largest |entry| among the compared Jacobians (so the tolerance is meaningful).</param>
    public sealed record Result(int[] Sizes, double MaxDiffBias, double MaxDiffWeight, double MaxDiffOutput, double LargestEntry) : IExampleResult
    {
        /// <inheritdoc/>
        public bool Holds => Math.Max(MaxDiffBias, Math.Max(MaxDiffWeight, MaxDiffOutput)) <= Tolerance * Math.Max(1, LargestEntry);
    }

    private static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));

    /// <summary>Runs the example with layer sizes 4 → 5 → 6 → 3 (L = 3).</summary>
    public static Result Run(TextWriter output) => Run(output, [4, 5, 6, 3], seed: 1);

    /// <summary>Runs the example for the given layer sizes.</summary>
    public static Result Run(TextWriter o, int[] sizes, ulong seed)
    {
        int layers = sizes.Length - 1;
        var rng = new Rng(seed);
        var A = new Tensor[layers + 1];
        var b = new Tensor[layers + 1];
        for (int i = 1; i <= layers; i++)
        {
            A[i] = Tensor.Uniform(rng, -1, 1, sizes[i], sizes[i - 1]);
            b[i] = Tensor.Uniform(rng, -1, 1, sizes[i]);
        }
        var x = Tensor.Uniform(rng, -1, 1, sizes[0]);
        o.WriteLine($"MLP with sigmoid, sizes {string.Join(" → ", sizes)} (L = {layers}), weights and x uniform in [−1, 1].");

        // Forward by hand (double): ỹ_i = A_i y_{i−1} + b_i, y_i = σ(ỹ_i) for i < L, y_L = ỹ_L.
        var a = new double[layers + 1][,];
        var y = new double[layers + 1][];
        var pre = new double[layers + 1][];
        y[0] = Dense.Vector(x);
        for (int i = 1; i <= layers; i++)
        {
            a[i] = Dense.FromTensor(A[i]);
            pre[i] = Dense.MatVec(a[i], y[i - 1]).Zip(Dense.Vector(b[i]), (u, v) => u + v).ToArray();
            y[i] = i < layers ? pre[i].Select(Sigmoid).ToArray() : pre[i];
        }
        var dsig = new double[layers + 1][];
        for (int i = 1; i < layers; i++) dsig[i] = pre[i].Select(z => Sigmoid(z) * (1 - Sigmoid(z))).ToArray();

        // ∂y_L/∂y_i = A_L diag(σ'(ỹ_{L−1})) A_{L−1} ··· diag(σ'(ỹ_{i+1})) A_{i+1}, built from the right end down.
        // ∂y_L/∂b_i = ∂y_L/∂y_i · diag(σ'(ỹ_i)) for i < L, the identity for i = L.
        var dYdY = new double[layers + 1][,];
        var dYdB = new double[layers + 1][,];
        dYdY[layers] = Dense.Identity(sizes[layers]);
        dYdB[layers] = Dense.Identity(sizes[layers]);
        for (int i = layers - 1; i >= 1; i--)
        {
            dYdY[i] = Dense.MatMul(dYdB[i + 1], a[i + 1]);
            dYdB[i] = Dense.TimesDiag(dYdY[i], dsig[i]);
        }

        // Autograd: the same forward with the library, then one backward per output k with upstream e_k.
        int m = sizes[layers];
        double diffB = 0, diffA = 0, largest = 0, diffOut = 0;
        var dbMax = new double[layers + 1];
        var daMax = new double[layers + 1];
        for (int k = 0; k < m; k++)
        {
            for (int i = 1; i <= layers; i++)
            {
                A[i].Grad = null; b[i].Grad = null;
                A[i].RequiresGrad = true; b[i].RequiresGrad = true;
            }
            var h = x.Reshape(1, sizes[0]);
            for (int i = 1; i <= layers; i++)
            {
                h = F.Linear(h, A[i], b[i]);
                if (i < layers) h = F.Sigmoid(h);
            }
            if (k == 0) diffOut = Dense.MaxAbsDiff(y[layers], h.ToArray().Select(v => (double)v));
            var ek = Tensor.Zeros(1, m);
            ek[0, k] = 1;
            h.Backward(ek);
            for (int i = 1; i <= layers; i++)
            {
                var byHandB = Dense.Row(dYdB[i], k);
                // ∂(y_L)_k/∂A_i = diag(σ'(ỹ_i)) (∂(y_L)_k/∂y_i)ᵀ y_{i−1}ᵀ = (row k of ∂y_L/∂b_i)ᵀ y_{i−1}ᵀ.
                var byHandA = Dense.Outer(byHandB, y[i - 1]);
                double db = Dense.MaxAbsDiff(byHandB, b[i].Grad!.ToArray().Select(v => (double)v));
                double da = Dense.MaxAbsDiff(byHandA, A[i].Grad!);
                dbMax[i] = Math.Max(dbMax[i], db); daMax[i] = Math.Max(daMax[i], da);
                diffB = Math.Max(diffB, db); diffA = Math.Max(diffA, da);
                largest = Math.Max(largest, Math.Max(byHandB.Max(Math.Abs), byHandA.Cast<double>().Max(Math.Abs)));
            }
        }

        o.WriteLine($"y_L by hand (double) vs the library (float32): max |Δ| = {Dense.F(diffOut)}");
        o.WriteLine($"∂y_L/∂b_1 = A_L diag(σ'(ỹ_{layers - 1})) ··· A_2 diag(σ'(ỹ_1)), a {m}x{sizes[1]} matrix, by hand:");
        Dense.Print(o, dYdB[1]);
        o.WriteLine("max |by hand − autograd| per layer (autograd: one backward per output k with upstream e_k):");
        for (int i = 1; i <= layers; i++)
            o.WriteLine($"  layer {i}: ∂y_L/∂b_{i} {Dense.F(dbMax[i]),-10}  ∂y_L/∂A_{i} {Dense.F(daMax[i])}");
        var r = new Result(sizes, diffB, diffA, diffOut, largest);
        o.WriteLine($"largest Jacobian entry {Dense.F(largest)}; tolerance {Tolerance} x max(1, largest): {(r.Holds ? "agree" : "DISAGREE")}");
        return r;
    }
}
