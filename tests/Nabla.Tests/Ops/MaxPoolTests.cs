using Nabla.Tests.NaiveTwins;
using Nabla.Kernels;
using Nabla.Ops;
using Nabla.Tensors;
using Xunit;

namespace Nabla.Tests.Ops;

/// <summary>F.MaxPool2d's gradient for 2x2 windows that tile the input (written whole when the input's gradient is
/// new, added when it already holds values) against the naive scatter, and the same bits for any thread count.</summary>
public class MaxPoolTests
{
    /// <summary>Absolute tolerance where the expected gradient adds the same two terms as the backward, maybe in the
    /// other order.</summary>
    private const float Tolerance = 1e-6f;

    [Theory]
    [InlineData(24, 24)]
    [InlineData(7, 10)]
    public void MaxPool2d_2x2_Gradient_NewAndAccumulated(int h, int w)
    {
        var r = new Rng(11);
        var x = Tensor.Randn(r, 4, 3, h, w); x.RequiresGrad = true;
        var before = Tensor.Randn(r, 4, 3, h, w);
        x.Grad = before.Clone();
        var c = Tensor.Randn(r, 4, 3, h / 2, w / 2);
        var c2 = Tensor.Randn(r, 4, 3, h, w);
        // a = 3x is not a leaf and feeds the pool and a product (its gradient gets two contributions); the leaf x
        // feeds a second pool, which adds to the gradient x already holds.
        var a = F.MulScalar(x, 3f);
        var loss = F.Add(F.Add(F.Sum(F.Mul(F.MaxPool2d(a, (2, 2)), c)), F.Sum(F.Mul(a, c2))), F.Sum(F.Mul(F.MaxPool2d(x, (2, 2)), c)));
        loss.Backward();

        int planes = 12, oh = h / 2, ow = w / 2;
        var poolA = Scatter(a.ToArray(), c.ToArray(), planes, h, w, oh, ow);
        var poolX = Scatter(x.ToArray(), c.ToArray(), planes, h, w, oh, ow);
        for (int i = 0; i < x.Numel; i++)
        {
            float expected = before.Data[i] + 3f * (poolA[i] + c2.Data[i]) + poolX[i];
            Assert.True(Math.Abs(expected - x.Grad!.Data[i]) <= Tolerance * (1 + Math.Abs(expected)), $"element {i}: {x.Grad!.Data[i]}, expected {expected}");
        }
    }

    [Fact]
    public void MaxPool2d_2x2_ForwardAndBackward_SameBitsForOneAndTwoThreads()
    {
        float[] RunWith(int threads) => WithThreads.Run<float[]>(threads, () =>
        {
            var x = Tensor.Randn(new Rng(4), 64, 8, 24, 24); x.RequiresGrad = true;
            var a = F.MulScalar(x, 2f);
            var y = F.MaxPool2d(a, (2, 2));
            F.Sum(F.Mul(y, Tensor.Randn(new Rng(5), 64, 8, 12, 12))).Backward();
            return [.. y.ToArray(), .. x.Grad!.ToArray()];
        });
        Assert.Equal(RunWith(1), RunWith(2));
    }

    /// <summary>dx of max pooling by the naive kernels: the indices from the naive forward, one add per output.</summary>
    private static float[] Scatter(float[] x, float[] g, int planes, int h, int w, int oh, int ow)
    {
        var y = new float[planes * oh * ow]; var arg = new int[y.Length];
        PoolNaive.MaxPool2d(x, planes, h, w, 2, 2, 2, 2, 0, 0, 1, 1, oh, ow, y, arg);
        var dx = new float[x.Length];
        PoolNaive.MaxPool2dBackward(g, arg, planes, h * w, oh * ow, dx);
        return dx;
    }
}
