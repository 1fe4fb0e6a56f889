using Nabla.Tests.NaiveTwins;
using Nabla.Kernels;
using Nabla.Ops;
using Nabla.Tensors;
using Xunit;

namespace Nabla.Tests.Ops;

/// <summary>F.Linear's backward writes a gradient that has no contribution yet (the product with beta 0, no clearing
/// pass) and adds to one that has: a weight and an input used twice, with a leaf's reused gradient storage full of
/// garbage, must still get exactly the sum of both contributions.</summary>
public class LinearGradTests
{
    /// <summary>Relative tolerance between the blocked product and the naive one (different summation order).</summary>
    private const float Tolerance = 1e-5f;

    [Theory]
    [InlineData(64, 300, 40)]
    [InlineData(5, 9, 3)]
    public void Linear_SharedWeightAndInput_GradientsSumBothUses_OverGarbage(int rows, int inF, int outF)
    {
        var r = new Rng(21);
        var w = Tensor.Randn(r, outF, inF); w.RequiresGrad = true;
        var x = Tensor.Randn(r, rows, inF); x.RequiresGrad = true;
        var c1 = Tensor.Randn(r, rows, outF);
        var c2 = Tensor.Randn(r, rows, outF);
        void Step()
        {
            using (StepScope.Begin())
            {
                var h = F.MulScalar(x, 2f); // a non-leaf input used by both products
                F.Add(F.Sum(F.Mul(F.Linear(h, w, null), c1)), F.Sum(F.Mul(F.LinearRelu(h, w, null), c2))).Backward();
            }
        }
        Step();
        // The next step reuses the weight gradient's storage without clearing it: fill it with garbage first.
        w.Grad!.Span.Fill(float.NaN);
        w.Grad = null;
        x.Grad = null;
        Step();

        // Expected: g2 = c2 masked where relu(h Wᵀ) is not positive; dW = (c1 + g2)ᵀ h, dh = (c1 + g2) W, dx = 2 dh.
        var h0 = x.ToArray().Select(v => 2f * v).ToArray();
        var y = new float[rows * outF];
        GemmNaive.Sgemm(false, true, rows, outF, inF, h0, inF, w.ToArray(), inF, y, outF, 0f);
        var g = c1.ToArray();
        for (int i = 0; i < g.Length; i++) if (y[i] > 0f) g[i] += c2.Data[i];
        var dw = new float[outF * inF];
        GemmNaive.Sgemm(true, false, outF, inF, rows, g, outF, h0, inF, dw, inF, 0f);
        var dh = new float[rows * inF];
        GemmNaive.Sgemm(false, false, rows, inF, outF, g, outF, w.ToArray(), inF, dh, inF, 0f);
        AssertClose(dw, w.Grad!.ToArray());
        AssertClose(dh.Select(v => 2f * v).ToArray(), x.Grad!.ToArray());
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        float scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Tolerance * scale, $"element {i}: {actual[i]}, expected {expected[i]}");
    }
}
