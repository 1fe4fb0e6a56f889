using Nabla.NN;
using Nabla.Ops;
using Nabla.Optim;
using Nabla.Tensors;
using Xunit;

namespace Nabla.Tests.Optim;

public class MomentumFormsTests
{
    /// <summary>Both forms evaluate the same sums in a different order; float32 rounding grows slowly over steps.</summary>
    private const float FormsTolerance = 1e-4f;

    private static Sequential SmallCnn() => new(
        new Conv2d(1, 4, (3, 3), rng: new Rng(11)), new ReLU(), new MaxPool2d((2, 2)),
        new Flatten(), new Linear(4 * 3 * 3, 10, rng: new Rng(12)));

    private static float[] Run(MomentumForm form, int steps)
    {
        var model = SmallCnn();
        var opt = new Sgd(model.NamedParameters(), lr: 0.05, momentum: 0.9f, form: form);
        var rng = new Rng(99);
        var x = Tensor.Randn(rng, 16, 1, 8, 8);
        var y = Enumerable.Range(0, 16).Select(i => i % 10).ToArray();
        for (int s = 0; s < steps; s++)
        {
            opt.ZeroGrad();
            F.CrossEntropy(model.Forward(x), y).Backward();
            opt.Step();
        }
        return model.Parameters().SelectMany(p => p.ToArray()).ToArray();
    }

    [Fact]
    public void HeavyBallAndVelocity_GiveSameIterates_Over100Steps()
    {
        var a = Run(MomentumForm.Velocity, 100);
        var b = Run(MomentumForm.HeavyBall, 100);
        float maxDiff = a.Zip(b, (u, v) => Math.Abs(u - v)).Max();
        float maxAbs = a.Select(Math.Abs).Max();
        Assert.True(maxDiff <= FormsTolerance * Math.Max(1f, maxAbs), $"max |Δθ| = {maxDiff}");
        // And the runs really moved: the check is not between two untouched models.
        var init = SmallCnn().Parameters().SelectMany(p => p.ToArray()).ToArray();
        Assert.True(a.Zip(init, (u, v) => Math.Abs(u - v)).Max() > 0.05f);
    }
}
