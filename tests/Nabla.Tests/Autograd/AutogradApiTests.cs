using Nabla.Autograd;
using Nabla.Ops;
using Nabla.Tensors;
using Xunit;

namespace Nabla.Tests.Autograd;

public class AutogradApiTests
{
    private static Tensor Leaf(params float[] v) => new(v, v.Length) { RequiresGrad = true };

    [Fact]
    public void Backward_Twice_AccumulatesIntoLeafGradients()
    {
        var x = Leaf(1, 2, 3);
        F.Sum(F.Mul(x, x)).Backward();
        F.Sum(F.Mul(x, x)).Backward();
        Assert.Equal(new[] { 4f, 8f, 12f }, x.Grad!.ToArray()); // 2 · 2x
        x.ZeroGrad();
        Assert.Null(x.Grad);
    }

    [Fact]
    public void Backward_WithExplicitUpstreamGradient_ComputesVectorJacobianProduct()
    {
        var x = Leaf(1, 2, 3);
        var y = F.Mul(x, x);
        y.Backward(new Tensor([1f, 10f, 100f], 3));
        Assert.Equal(new[] { 2f, 40f, 600f }, x.Grad!.ToArray());
    }

    [Fact]
    public void Backward_NonScalarWithoutGradient_Throws()
    {
        var e = Assert.Throws<InvalidOperationException>(() => F.Mul(Leaf(1, 2), Leaf(3, 4)).Backward());
        Assert.Contains("scalar", e.Message);
    }

    [Fact]
    public void NoGrad_RecordsNothing()
    {
        var x = Leaf(1, 2);
        Tensor y;
        using (GradMode.NoGrad()) y = F.Mul(x, x);
        Assert.False(y.RequiresGrad);
        Assert.True(y.IsLeaf);
        Assert.True(GradMode.IsEnabled);
    }

    [Fact]
    public void Detach_StopsTheGradient()
    {
        var x = Leaf(3);
        var y = F.Mul(x, x.Detach()); // d/dx (x · c) = c
        y.Backward();
        Assert.Equal(3f, x.Grad!.Item());
    }

    [Fact]
    public void SharedSubexpression_GetsTheSumOfBothPaths()
    {
        var x = Leaf(2);
        var s = F.Exp(x);
        F.Add(F.Mul(s, s), s).Backward(); // d/dx (e^{2x} + e^x) = 2e^{2x} + e^x
        Assert.Equal(2 * MathF.Exp(4) + MathF.Exp(2), x.Grad!.Item(), 3);
    }

    [Fact]
    public void DeepChain_DoesNotOverflowTheStack()
    {
        var x = Leaf(1);
        var y = x;
        for (int i = 0; i < 100_000; i++) y = F.AddScalar(y, 0f);
        y.Backward();
        Assert.Equal(1f, x.Grad!.Item());
    }

    [Fact]
    public void Broadcasting_ReducesGradientsToTheInputShapes()
    {
        var a = new Tensor([1f, 2f, 3f, 4f, 5f, 6f], 2, 3) { RequiresGrad = true };
        var b = new Tensor([10f, 20f, 30f], 3) { RequiresGrad = true };
        F.Sum(F.Mul(a, b)).Backward();
        Assert.Equal(new[] { 5f, 7f, 9f }, b.Grad!.ToArray());
        Assert.Equal(new[] { 10f, 20f, 30f, 10f, 20f, 30f }, a.Grad!.ToArray());
    }
}
