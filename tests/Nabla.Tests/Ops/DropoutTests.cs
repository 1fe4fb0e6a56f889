using Nabla.Kernels;
using Nabla.Ops;
using Nabla.Tensors;
using Xunit;

namespace Nabla.Tests.Ops;

/// <summary>F.Dropout: one key drawn from the layer's generator per call, the mask from that key, the gradient
/// masked by the same mask and accumulated, and the same bits for any thread count.</summary>
public class DropoutTests
{
    /// <summary>Relative tolerance where the expected gradient is summed in another order than the backward sums it.</summary>
    private const float Tolerance = 1e-5f;

    [Fact]
    public void Dropout_DrawsOneKey_AndMasksByIt()
    {
        var a = new Rng(77); var b = new Rng(77);
        var x = Tensor.Randn(new Rng(1), 3, 1001);
        var y = F.Dropout(x, 0.3f, training: true, a);
        ulong key = b.NextUInt64();
        for (int i = 0; i < x.Numel; i++) Assert.Equal(x.Data[i] * DropoutMask.Mask(key, 0.3f, i), y.Data[i]);
        Assert.Equal(b.NextUInt64(), a.NextUInt64()); // the generator moved by exactly one draw
    }

    [Fact]
    public void Dropout_OffOrZero_ReturnsInputAndDrawsNothing_OneDropsAll()
    {
        var a = new Rng(5); var b = new Rng(5);
        var x = Tensor.Randn(new Rng(2), 100);
        Assert.Same(x, F.Dropout(x, 0.5f, training: false, a));
        Assert.Same(x, F.Dropout(x, 0f, training: true, a));
        Assert.Equal(b.NextUInt64(), a.NextUInt64());
        Assert.All(F.Dropout(x, 1f, training: true, a).ToArray(), v => Assert.Equal(0f, Math.Abs(v)));
    }

    [Fact]
    public void Dropout_Backward_MasksAndAccumulates()
    {
        // h feeds the dropout and a second product, so h's gradient gets two contributions (whichever comes first
        // writes, the other adds); the leaf x starts with a gradient that must be added to.
        const float p = 0.4f;
        var r = new Rng(3);
        var x = Tensor.Randn(r, 4, 300); x.RequiresGrad = true;
        var c = Tensor.Randn(r, 4, 300);
        var c2 = Tensor.Randn(r, 4, 300);
        var before = Tensor.Randn(r, 4, 300);
        x.Grad = before.Clone();
        var a = new Rng(9); var b = new Rng(9);
        var h = F.Mul(x, x);
        var d = F.Dropout(h, p, training: true, a);
        var dLeaf = F.Dropout(x, p, training: true, a);
        F.Sum(F.Add(F.Add(F.Mul(d, c), F.Mul(h, c2)), F.Mul(dLeaf, c))).Backward();
        ulong key = b.NextUInt64(), keyLeaf = b.NextUInt64();
        for (int i = 0; i < x.Numel; i++)
        {
            float dh = c.Data[i] * DropoutMask.Mask(key, p, i) + c2.Data[i];
            float expected = before.Data[i] + 2 * x.Data[i] * dh + c.Data[i] * DropoutMask.Mask(keyLeaf, p, i);
            float actual = x.Grad!.Data[i];
            Assert.True(Math.Abs(expected - actual) <= Tolerance * (1 + Math.Abs(expected)), $"element {i}: {actual}, expected {expected}");
        }
    }

    [Fact]
    public void Dropout_ForwardAndBackward_SameBitsForOneAndTwoThreads()
    {
        float[] RunWith(int threads) => WithThreads.Run<float[]>(threads, () =>
        {
            var x = Tensor.Randn(new Rng(4), 64, 9216); x.RequiresGrad = true;
            var w = Tensor.Randn(new Rng(6), 64, 9216);
            var y = F.Dropout(F.Mul(x, w), 0.25f, training: true, new Rng(8));
            F.Sum(F.Mul(y, w)).Backward();
            return [.. y.ToArray(), .. x.Grad!.ToArray()];
        });
        Assert.Equal(RunWith(1), RunWith(2));
    }
}
