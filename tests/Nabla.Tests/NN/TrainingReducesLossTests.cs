using Nabla.NN;
using Nabla.Ops;
using Nabla.Optim;
using Nabla.Tensors;
using Xunit;

namespace Nabla.Tests.NN;

public class TrainingReducesLossTests
{
    /// <summary>The factor by which the final loss must be below the initial one.</summary>
    private const float RequiredReduction = 10f;

    /// <summary>A seeded, learnable synthetic problem: the class is the quadrant of the first two features.</summary>
    private static (Tensor x, int[] y) Quadrants(int n, int features, Rng rng)
    {
        var x = Tensor.Randn(rng, n, features);
        var y = new int[n];
        for (int i = 0; i < n; i++) y[i] = (x[i, 0] > 0 ? 1 : 0) + (x[i, 1] > 0 ? 2 : 0);
        return (x, y);
    }

    private static (float first, float last) Train(Module model, Optimizer opt, Tensor x, int[] y, int steps)
    {
        float first = 0, last = 0;
        for (int s = 0; s < steps; s++)
        {
            opt.ZeroGrad();
            var loss = F.CrossEntropy(model.Forward(x), y);
            loss.Backward();
            opt.Step();
            if (s == 0) first = loss.Item();
            last = loss.Item();
        }
        return (first, last);
    }

    [Fact]
    public void Mlp_Adam_ReducesLossTenfold()
    {
        var rng = new Rng(1);
        var (x, y) = Quadrants(128, 6, rng);
        var model = new Sequential(new Linear(6, 32, rng: rng), new ReLU(), new Linear(32, 4, rng: rng));
        var (first, last) = Train(model, new Adam(model.NamedParameters(), 0.01), x, y, 300);
        Assert.True(last * RequiredReduction < first, $"loss {first} -> {last}");
    }

    [Fact]
    public void Cnn_SgdMomentum_ReducesLossTenfold()
    {
        // Class = which quadrant of an 8x8 image holds a bright blob.
        var rng = new Rng(2);
        int n = 64;
        var x = Tensor.Randn(rng, n, 1, 8, 8) * 0.1f;
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = i % 4;
            int r0 = y[i] / 2 * 4, c0 = y[i] % 2 * 4;
            for (int a = 1; a < 3; a++) for (int b = 1; b < 3; b++) x[i, 0, r0 + a, c0 + b] += 1f;
        }
        var model = new Sequential(new Conv2d(1, 4, (3, 3), padding: (1, 1), rng: rng), new BatchNorm2d(4), new ReLU(), new MaxPool2d((2, 2)),
            new Flatten(), new Dropout(0.1f, rng), new Linear(4 * 4 * 4, 4, rng: rng));
        var (first, last) = Train(model, new Sgd(model.NamedParameters(), 0.05, momentum: 0.9f), x, y, 150);
        Assert.True(last * RequiredReduction < first, $"loss {first} -> {last}");
    }
}
