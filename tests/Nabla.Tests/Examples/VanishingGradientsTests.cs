using Nabla.Examples;
using Xunit;

namespace Nabla.Tests.Examples;

public class VanishingGradientsTests
{
    [Fact]
    public void Vanishing_SigmoidGradientsShrinkWithinTheQuarterBound_ReluDoNot()
    {
        var r = VanishingGradients.Run(TextWriter.Null);
        Assert.True(r.Sigmoid.BoundHolds, "‖δ_i‖ ≤ ¼‖A_(i+1)‖₂‖δ_(i+1)‖ fails somewhere");
        Assert.True(r.Relu.BoundHolds, "‖δ_i‖ ≤ ‖A_(i+1)‖₂‖δ_(i+1)‖ fails somewhere");
        // Chaining the per-layer bound: ‖δ_1‖/‖δ_L‖ ≤ Π_{i=2..L} ¼‖A_i‖₂.
        double chained = r.SpectralNorms.Skip(1).Aggregate(1.0, (p, s) => p * s / 4);
        var b = r.Sigmoid.BiasGradNorms;
        Assert.True(b[0] / b[^1] <= chained * (1 + 1e-3), $"‖δ_1‖/‖δ_L‖ = {b[0] / b[^1]} above the chained bound {chained}");
        // The sigmoid network's first layer learns orders of magnitude slower than the ReLU one's, relative to the last layer.
        Assert.True(r.Relu.Shrinkage > 1000 * r.Sigmoid.Shrinkage, $"relu {r.Relu.Shrinkage} vs sigmoid {r.Sigmoid.Shrinkage}");
        Assert.Equal(10, r.Sigmoid.WeightGradNorms.Length);
        Assert.True(r.Holds);
    }
}
