using Nabla.Autograd;
using Nabla.IO;
using Nabla.IO.Spec;
using Nabla.Kernels;
using Nabla.NN;
using Nabla.Ops;
using Nabla.Optim;
using Nabla.Tensors;
using Xunit;

namespace Nabla.Tests.Tensors;

/// <summary>Training inside <see cref="StepScope"/> (pooled buffers) computes exactly what training without it
/// computes, allocates almost nothing per steady-state step, and convolution results do not depend on the thread count.</summary>
[Collection("Workers")]
public class StepScopeTests
{
    /// <summary>The bound on managed allocation per steady-state training step.</summary>
    private const long MaxBytesPerStep = 64 * 1024;

    private const string Spec = """
        input 2 12 12
        conv2d out_channels=4 kernel_size=3 padding=1 groups=2
        batchnorm2d
        relu
        maxpool2d kernel_size=2
        conv2d out_channels=6 kernel_size=3 stride=2 padding=1
        leakyrelu
        avgpool2d kernel_size=2
        dropout p=0.3
        flatten
        linear out_features=5
        tanh
        linear out_features=3
        """;

    private sealed class Run
    {
        public readonly Sequential Model;
        public readonly Sgd Opt;
        public readonly Tensor X;
        public readonly int[] Y;

        public Run(string spec, int batch)
        {
            var s = SpecParser.Parse(spec);
            Model = ModelFactory.Build(s, new Rng(11), new Rng(12));
            Opt = new Sgd(Model.NamedParameters(), 0.05, momentum: 0.9f);
            X = Tensor.Randn(new Rng(13), [batch, .. s.Input]);
            Y = Enumerable.Range(0, batch).Select(i => i % 3).ToArray();
        }

        public float Step(bool pooled)
        {
            using var scope = pooled ? StepScope.Begin() : default;
            Opt.ZeroGrad();
            var loss = F.CrossEntropy(Model.Forward(X), Y);
            loss.Backward();
            Opt.Step();
            return loss.Item();
        }

        public float[] Weights() => Model.StateDict().SelectMany(p => p.Tensor.ToArray()).ToArray();
    }

    [Fact]
    public void TrainingInScope_IsBitIdenticalToTrainingWithout()
    {
        var plain = new Run(Spec, 5);
        var pooled = new Run(Spec, 5);
        for (int i = 0; i < 4; i++) Assert.Equal(plain.Step(pooled: false), pooled.Step(pooled: true));
        Assert.Equal(plain.Weights(), pooled.Weights());
    }

    [Fact]
    public void SteadyStateStep_AllocatesUnderBound()
    {
        var run = new Run(Spec, 16);
        for (int i = 0; i < 3; i++) run.Step(pooled: true);
        long before = GC.GetAllocatedBytesForCurrentThread();
        const int steps = 3;
        for (int i = 0; i < steps; i++) run.Step(pooled: true);
        long perStep = (GC.GetAllocatedBytesForCurrentThread() - before) / steps;
        Assert.InRange(perStep, 0, MaxBytesPerStep);
    }

    [Fact]
    public void ParameterGradients_StayValidAfterTheScope()
    {
        var run = new Run(Spec, 4);
        run.Step(pooled: true);
        var grads = run.Model.Parameters().Select(p => p.Grad!.ToArray()).ToArray();
        // Another scope's forward must not write into the previous step's parameter gradients.
        using (StepScope.Begin())
        using (GradMode.NoGrad())
            run.Model.Forward(Tensor.Randn(new Rng(99), [7, 2, 12, 12]));
        Assert.Equal(grads, run.Model.Parameters().Select(p => p.Grad!.ToArray()).ToArray());
    }

    [Fact]
    public void Conv2d_ForwardAndBackward_SameBitsForOneAndTwoThreads()
    {
        float[] RunWith(int threads)
        {
            return WithThreads.Run<float[]>(threads, () =>
            {
                var rng = new Rng(5);
                var x = Tensor.Randn(rng, 37, 3, 13, 11); x.RequiresGrad = true;
                var w = Tensor.Randn(rng, 8, 3, 3, 3); w.RequiresGrad = true;
                var b = Tensor.Randn(rng, 8); b.RequiresGrad = true;
                var y = F.Conv2d(x, w, b, new Conv2dOptions((1, 2), (1, 0), (1, 1), 1));
                F.Sum(F.Mul(y, y)).Backward();
                return [.. y.ToArray(), .. x.Grad!.ToArray(), .. w.Grad!.ToArray(), .. b.Grad!.ToArray()];
            });
        }
        Assert.Equal(RunWith(1), RunWith(2));
    }
}
