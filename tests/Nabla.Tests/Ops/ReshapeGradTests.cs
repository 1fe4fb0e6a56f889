using Nabla.Ops;
using Nabla.Tensors;
using Xunit;

namespace Nabla.Tests.Ops;

/// <summary>Reshape's backward hands its incoming gradient to a non-leaf input without a copy: the gradients that
/// reach the leaves must be those of the copying backward in every accumulation order, a leaf's gradient must never
/// share scoped storage, and a reshape at the root must keep the root's gradient intact.</summary>
public class ReshapeGradTests
{
    /// <summary>Relative tolerance where the expected gradient adds the same terms as the backward in another order.</summary>
    private const float Tolerance = 1e-6f;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reshape_Gradient_ReachesLeaf_WhicheverConsumerRunsFirst(bool reshapeFirst)
    {
        var r = new Rng(3);
        var x = Tensor.Randn(r, 4, 2, 3, 5); x.RequiresGrad = true;
        var c = Tensor.Randn(r, 4, 30);
        var c2 = Tensor.Randn(r, 4, 2, 3, 5);
        var c3 = Tensor.Randn(r, 4, 30);
        var h = F.MulScalar(x, 2f); // not a leaf: its gradient may be the reshape's incoming one
        var flat = F.Flatten(h);
        var viaFlat = F.Sum(F.Mul(F.Add(flat, F.Mul(flat, c3)), c));
        var direct = F.Sum(F.Mul(h, c2));
        (reshapeFirst ? F.Add(viaFlat, direct) : F.Add(direct, viaFlat)).Backward();
        for (int i = 0; i < x.Numel; i++)
        {
            float expected = 2f * (c.Data[i] * (1f + c3.Data[i]) + c2.Data[i]);
            Assert.True(Math.Abs(expected - x.Grad!.Data[i]) <= Tolerance * (1 + Math.Abs(expected)), $"element {i}: {x.Grad!.Data[i]}, expected {expected}");
        }
    }

    [Fact]
    public void Reshape_OfLeaf_AddsToItsGradient_AndOutlivesTheScope()
    {
        var x = Tensor.Randn(new Rng(4), 3, 8); x.RequiresGrad = true;
        var c = Tensor.Randn(new Rng(5), 24);
        x.Grad = Tensor.Ones(3, 8);
        using (StepScope.Begin())
            F.Sum(F.Mul(F.Reshape(x, 24), c)).Backward();
        using (StepScope.Begin())
            F.Sum(F.Mul(F.Reshape(Tensor.Ones(24), 24), Tensor.Ones(24))).Item(); // reuses pooled buffers
        for (int i = 0; i < 24; i++) Assert.Equal(1f + c.Data[i], x.Grad!.Data[i]);
    }

    [Fact]
    public void Reshape_AtTheRoot_KeepsTheRootGradient()
    {
        var x = Tensor.Randn(new Rng(6), 2, 6); x.RequiresGrad = true;
        var h = F.MulScalar(x, 3f);
        var root = F.Reshape(h, 3, 4);
        var gradient = Tensor.Randn(new Rng(7), 3, 4);
        root.Backward(gradient);
        Assert.Equal(gradient.ToArray(), root.Grad!.ToArray());
        for (int i = 0; i < 12; i++) Assert.Equal(3f * gradient.Data[i], x.Grad!.Data[i]);
        root.Backward(gradient); // a second pass accumulates, as with the copying backward
        Assert.Equal(gradient.ToArray().Select(v => v + v), root.Grad!.ToArray());
    }
}
