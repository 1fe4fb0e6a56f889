using Nabla.Ops;
using Nabla.Tensors;

namespace Nabla.Examples;

/// <summary>
/// Topic 2. A deep MLP with the sigmoid, and the same network (same weights) with ReLU: per-layer gradient norms.
/// Backprop gives δ_i = ∂J/∂b_i = diag(f'(ỹ_i)) A_{i+1}ᵀ δ_{i+1}, so ‖δ_i‖ ≤ max f' · ‖A_{i+1}‖₂ · ‖δ_{i+1}‖: with
/// σ' ≤ 1/4 the sigmoid network's gradients shrink geometrically towards the input, ReLU's (f' ∈ {0, 1}) need not.
/// </summary>
public static class VanishingGradients
{
    /// <summary>Slack on the per-layer bound for float32 rounding (relative).</summary>
    public const double BoundSlack = 1e-4;

    /// <summary>One network's gradient norms.</summary>
    /// <param name="Activation">sigmoid or relu.</param>
    /// <param name="BiasGradNorms">‖∂J/∂b_i‖ for i = 1..L (index 0 is layer 1).</param>
    /// <param name="WeightGradNorms">‖∂J/∂A_i‖_F.</param>
    /// <param name="BoundHolds">‖δ_i‖ ≤ (max f')·‖A_{i+1}‖₂·‖δ_{i+1}‖ at every layer.</param>
    public sealed record Run1(string Activation, double[] BiasGradNorms, double[] WeightGradNorms, bool BoundHolds)
    {
        /// <summary>‖∂J/∂A_1‖ / ‖∂J/∂A_L‖: how much the first layer's gradient shrank relative to the last.</summary>
        public double Shrinkage => WeightGradNorms[0] / WeightGradNorms[^1];
    }

    /// <summary>The outcome.</summary>
    /// <param name="Depth">Number of linear layers L.</param>
    /// <param name="Width">Hidden width.</param>
    /// <param name="SpectralNorms">‖A_i‖₂, i = 1..L.</param>
    /// <param name="Sigmoid">The sigmoid network.</param>
    /// <param name="Relu">The same weights with ReLU.</param>
    public sealed record Result(int Depth, int Width, double[] SpectralNorms, Run1 Sigmoid, Run1 Relu) : IExampleResult
    {
        /// <inheritdoc/>
        public bool Holds => Sigmoid.BoundHolds && Relu.BoundHolds && Sigmoid.Shrinkage < Relu.Shrinkage;
    }

    /// <summary>Runs with 10 layers of width 32, He-normal weights (std √(2/n_in)), one input, J = ½‖y − t‖².</summary>
    public static Result Run(TextWriter output) => Run(output, depth: 10, width: 32, seed: 3);

    /// <summary>Runs the example.</summary>
    public static Result Run(TextWriter o, int depth, int width, ulong seed)
    {
        var rng = new Rng(seed);
        var A = new Tensor[depth];
        var b = new Tensor[depth];
        for (int i = 0; i < depth; i++)
        {
            int outF = i == depth - 1 ? 1 : width;
            A[i] = Tensor.Randn(rng, outF, width) * MathF.Sqrt(2f / width);
            b[i] = Tensor.Zeros(outF);
        }
        var x = Tensor.Randn(rng, 1, width);
        var t = Tensor.Full(1f, 1, 1);
        var spectral = A.Select(a => Dense.SpectralNorm(Dense.FromTensor(a))).ToArray();

        o.WriteLine($"{depth} linear layers of width {width}, He-normal weights, one input; J = ½(y − 1)²; same weights for both activations.");
        var sig = Measure("sigmoid", F.Sigmoid, 0.25, A, b, x, t, spectral);
        var relu = Measure("relu", F.Relu, 1.0, A, b, x, t, spectral);

        o.WriteLine("layer   ‖A_i‖₂   sigmoid ‖∂J/∂A_i‖  ratio to layer L   relu ‖∂J/∂A_i‖  ratio to layer L");
        for (int i = 0; i < depth; i++)
            o.WriteLine($"{i + 1,5} {Dense.F(spectral[i]),8} {Dense.F(sig.WeightGradNorms[i]),18} {Dense.F(sig.WeightGradNorms[i] / sig.WeightGradNorms[^1]),17} " +
                        $"{Dense.F(relu.WeightGradNorms[i]),16} {Dense.F(relu.WeightGradNorms[i] / relu.WeightGradNorms[^1]),16}");
        o.WriteLine($"first/last gradient norm: sigmoid {Dense.F(sig.Shrinkage)}, relu {Dense.F(relu.Shrinkage)}.");
        o.WriteLine($"bound ‖δ_i‖ ≤ max f'·‖A_(i+1)‖₂·‖δ_(i+1)‖ (max σ' = 1/4, max relu' = 1) at every layer: " +
                    $"sigmoid {(sig.BoundHolds ? "holds" : "FAILS")}, relu {(relu.BoundHolds ? "holds" : "FAILS")}.");
        return new Result(depth, width, spectral, sig, relu);
    }

    private static Run1 Measure(string name, Func<Tensor, Tensor> f, double maxSlope, Tensor[] A, Tensor[] b, Tensor x, Tensor t, double[] spectral)
    {
        int depth = A.Length;
        foreach (var p in A.Concat(b)) { p.Grad = null; p.RequiresGrad = true; }
        var h = x;
        for (int i = 0; i < depth; i++)
        {
            h = F.Linear(h, A[i], b[i]);
            if (i < depth - 1) h = f(h);
        }
        var d = h - t;
        (d * d * 0.5f).Sum().Backward();
        var bn = b.Select(p => Dense.Norm(p.Grad!)).ToArray();
        var an = A.Select(p => Dense.Norm(p.Grad!)).ToArray();
        bool bound = true;
        for (int i = 0; i < depth - 1; i++)
            bound &= bn[i] <= maxSlope * spectral[i + 1] * bn[i + 1] * (1 + BoundSlack) + 1e-30;
        return new Run1(name, bn, an, bound);
    }
}
