using Nabla.Ops;
using Nabla.Tensors;

namespace Nabla.Examples;

/// <summary>
/// Topic 6. Convolutions as familiar operators: forward-difference filters (vertical and horizontal, 3x3 with zero
/// padding 1) against explicit differences; average pooling as a depthwise convolution with weights 1/k² and
/// stride k against AvgPool2d; a 1x1 convolution as RGB → grey (0.299, 0.587, 0.114) against the weighted sum;
/// and max-pooling commuting with a nondecreasing activation (ReLU, sigmoid), but not with a decreasing one.
/// </summary>
public static class FamiliarConvolutions
{
    /// <summary>Tolerance for float32 sums of a few products compared with the same sum written out.</summary>
    public const double Tolerance = 1e-6;

    /// <summary>The outcome: each a max |difference| between the convolution and the familiar operator.</summary>
    /// <param name="VerticalDiff">conv with [[0,0,0],[0,−1,0],[0,1,0]] vs x[i+1, j] − x[i, j] (zero outside).</param>
    /// <param name="HorizontalDiff">conv with [[0,0,0],[0,−1,1],[0,0,0]] vs x[i, j+1] − x[i, j].</param>
    /// <param name="AvgPoolDiff">depthwise conv, weights 1/k², stride k vs AvgPool2d(k).</param>
    /// <param name="GreyDiff">1x1 conv vs 0.299 R + 0.587 G + 0.114 B.</param>
    /// <param name="ReluCommuteDiff">|maxpool(relu(x)) − relu(maxpool(x))|.</param>
    /// <param name="SigmoidCommuteDiff">|maxpool(σ(x)) − σ(maxpool(x))|.</param>
    /// <param name="NegationCommuteDiff">|maxpool(−x) − (−maxpool(x))|: a decreasing map does not commute.</param>
    public sealed record Result(double VerticalDiff, double HorizontalDiff, double AvgPoolDiff, double GreyDiff,
        double ReluCommuteDiff, double SigmoidCommuteDiff, double NegationCommuteDiff) : IExampleResult
    {
        /// <inheritdoc/>
        public bool Holds => new[] { VerticalDiff, HorizontalDiff, AvgPoolDiff, GreyDiff }.All(d => d <= Tolerance)
                             && ReluCommuteDiff == 0 && SigmoidCommuteDiff == 0 && NegationCommuteDiff > 0;
    }

    /// <summary>Runs the example on random 6x8 single-channel, 3x6x6 and 3x8x8 images.</summary>
    public static Result Run(TextWriter o)
    {
        var rng = new Rng(6);
        var none = Conv2dOptions.Default;
        var pad1 = none with { Padding = (1, 1) };

        // Finite differences.
        int h = 6, w = 8;
        var x = Tensor.Uniform(rng, -1, 1, 1, 1, h, w);
        var kv = Tensor.FromArray([0, 0, 0, 0, -1, 0, 0, 1, 0], 1, 1, 3, 3);
        var kh = Tensor.FromArray([0, 0, 0, 0, -1, 1, 0, 0, 0], 1, 1, 3, 3);
        var dv = F.Conv2d(x, kv, null, pad1);
        var dh = F.Conv2d(x, kh, null, pad1);
        float X(int i, int j) => i < h && j < w ? x[0, 0, i, j] : 0f;
        double vDiff = 0, hDiff = 0;
        for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++)
            {
                vDiff = Math.Max(vDiff, Math.Abs(dv[0, 0, i, j] - (X(i + 1, j) - X(i, j))));
                hDiff = Math.Max(hDiff, Math.Abs(dh[0, 0, i, j] - (X(i, j + 1) - X(i, j))));
            }
        o.WriteLine("finite differences on a 6x8 image, 3x3 filters, zero padding 1 (the row/column past the edge reads 0):");
        o.WriteLine($"  vertical   [[0,0,0],[0,−1,0],[0,1,0]] vs x[i+1,j] − x[i,j]: max |Δ| = {Dense.F(vDiff)}");
        o.WriteLine($"  horizontal [[0,0,0],[0,−1,1],[0,0,0]] vs x[i,j+1] − x[i,j]: max |Δ| = {Dense.F(hDiff)}");

        // Average pooling as a convolution: one filter per channel (groups = C), weights 1/k², stride k.
        const int k = 2, c = 3;
        var img = Tensor.Uniform(rng, 0, 1, 2, c, 6, 6);
        var avgW = Tensor.Full(1f / (k * k), c, 1, k, k);
        var asConv = F.Conv2d(img, avgW, null, none with { Stride = (k, k), Groups = c });
        var pooled = F.AvgPool2d(img, (k, k));
        double avgDiff = Dense.MaxAbsDiff(asConv, pooled);
        o.WriteLine($"average pooling {k}x{k}: depthwise conv (groups {c}) with weights 1/{k * k}, stride {k}, output {string.Join("x", asConv.Shape)} " +
                    $"vs AvgPool2d: max |Δ| = {Dense.F(avgDiff)}");

        // RGB → grey with a 1x1 convolution.
        float[] lum = [0.299f, 0.587f, 0.114f];
        var rgb = Tensor.Uniform(rng, 0, 1, 1, 3, 8, 8);
        var grey = F.Conv2d(rgb, Tensor.FromArray(lum, 1, 3, 1, 1), null, none);
        double greyDiff = 0;
        for (int i = 0; i < 8; i++)
            for (int j = 0; j < 8; j++)
            {
                double byHand = 0.299 * rgb[0, 0, i, j] + 0.587 * rgb[0, 1, i, j] + 0.114 * rgb[0, 2, i, j];
                greyDiff = Math.Max(greyDiff, Math.Abs(grey[0, 0, i, j] - byHand));
            }
        o.WriteLine($"1x1 conv with weights (0.299, 0.587, 0.114) on an 8x8 RGB image vs 0.299 R + 0.587 G + 0.114 B: max |Δ| = {Dense.F(greyDiff)}");

        // Max-pooling commutes with a nondecreasing f: max f(x_i) = f(max x_i).
        var z = Tensor.Uniform(rng, -3, 3, 2, 3, 8, 8);
        Tensor Pool(Tensor t) => F.MaxPool2d(t, (2, 2));
        double reluD = Dense.MaxAbsDiff(Pool(F.Relu(z)), F.Relu(Pool(z)));
        double sigD = Dense.MaxAbsDiff(Pool(F.Sigmoid(z)), F.Sigmoid(Pool(z)));
        double negD = Dense.MaxAbsDiff(Pool(F.Neg(z)), F.Neg(Pool(z)));
        o.WriteLine("max-pool 2x2 and an activation f on 2x3x8x8 values in [−3, 3]: max |maxpool(f(x)) − f(maxpool(x))|");
        o.WriteLine($"  relu {Dense.F(reluD)}, sigmoid {Dense.F(sigD)} (nondecreasing: exactly equal); f(x) = −x {Dense.F(negD)} (decreasing: max becomes min).");
        return new Result(vDiff, hDiff, avgDiff, greyDiff, reluD, sigD, negD);
    }
}
