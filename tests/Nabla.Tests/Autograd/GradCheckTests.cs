using Nabla.Autograd;
using Nabla.NN;
using Nabla.Ops;
using Nabla.Tensors;
using Xunit;

namespace Nabla.Tests.Autograd;

public class GradCheckTests
{
    /// <summary>Built-in layers have a float64 twin: the check must use it, agree on the forward, and pass every tensor
    /// with every sampled element compared (no element skipped as non-smooth).</summary>
    private static void AssertPasses(Module m, params int[] inputShape)
    {
        var x = Tensor.Randn(new Rng(42), inputShape);
        var report = GradCheck.Check(m, x);
        bool builtIn = m is not FunctionModule;
        Assert.Equal(builtIn, report.Float64);
        Assert.True(report.ForwardPassed, $"{m.GetType().Name}: float32 forward vs float64 reference {report.ForwardError:G3}");
        foreach (var r in report.Tensors)
        {
            Assert.True(r.Passed, $"{m.GetType().Name}: {r.Name} rel error {r.MaxRelError:G3} (abs {r.MaxAbsError:G3}) over {r.Checked} elements");
            Assert.True(r.Checked > 0, $"{m.GetType().Name}: {r.Name} has no checked element");
            if (builtIn) Assert.Equal(0, r.NonSmooth);
        }
    }

    private static Rng R() => new(7);

    [Fact] public void Linear_Passes() => AssertPasses(new Linear(5, 3, rng: R()), 4, 5);
    [Fact] public void Linear_NoBias_Passes() => AssertPasses(new Linear(5, 3, bias: false, rng: R()), 4, 5);
    [Fact] public void Conv2d_Passes() => AssertPasses(new Conv2d(2, 3, (3, 3), rng: R()), 2, 2, 6, 7);
    [Fact] public void Conv2d_Stride2Padding1_Passes() => AssertPasses(new Conv2d(2, 4, (3, 3), stride: (2, 2), padding: (1, 1), rng: R()), 2, 2, 7, 7);
    [Fact] public void Conv2d_Dilation2_NonSquare_Passes() => AssertPasses(new Conv2d(2, 3, (3, 2), dilation: (2, 2), padding: (2, 1), bias: false, rng: R()), 2, 2, 8, 7);
    [Fact] public void Conv2d_Groups2_Passes() => AssertPasses(new Conv2d(4, 6, (3, 3), groups: 2, padding: (1, 1), rng: R()), 2, 4, 5, 5);
    [Fact] public void Conv2d_Depthwise_Passes() => AssertPasses(new Conv2d(3, 3, (3, 3), groups: 3, rng: R()), 2, 3, 5, 6);
    [Fact] public void MaxPool2d_Passes() => AssertPasses(new MaxPool2d((2, 2)), 2, 3, 6, 6);
    [Fact] public void MaxPool2d_StridePadding_Passes() => AssertPasses(new MaxPool2d((3, 3), (2, 2), (1, 1)), 2, 2, 7, 7);
    [Fact] public void MaxPool2d_CeilModeDilation_Passes() => AssertPasses(new MaxPool2d((2, 3), (2, 2), (1, 1), ceilMode: true, dilation: (2, 1)), 2, 2, 8, 7);
    [Fact] public void AvgPool2d_CeilMode_Passes() => AssertPasses(new AvgPool2d((3, 2), (2, 2), (1, 1), countIncludePad: true, ceilMode: true), 2, 2, 8, 7);
    [Fact] public void Conv2d_Stride2Dilation2Groups_Passes() => AssertPasses(new Conv2d(4, 6, (3, 2), stride: (2, 3), padding: (2, 1), dilation: (2, 2), groups: 2, rng: R()), 2, 4, 9, 8);
    [Fact] public void BatchNorm1d_3DInput_Train_Passes() => AssertPasses(new BatchNorm1d(3), 3, 3, 4);
    [Fact] public void AvgPool2d_Passes() => AssertPasses(new AvgPool2d((3, 3), (2, 2), (1, 1)), 2, 2, 7, 7);
    [Fact] public void AvgPool2d_ExcludePad_Passes() => AssertPasses(new AvgPool2d((3, 3), (2, 2), (1, 1), countIncludePad: false), 2, 2, 7, 7);
    [Fact] public void AdaptiveAvgPool2d_Passes() => AssertPasses(new AdaptiveAvgPool2d((3, 2)), 2, 2, 7, 5);
    [Fact] public void BatchNorm2d_Train_Passes() => AssertPasses(new BatchNorm2d(3), 4, 3, 3, 3);
    [Fact] public void BatchNorm2d_Eval_Passes() => AssertPasses(new BatchNorm2d(3).Eval(), 4, 3, 3, 3);
    [Fact] public void BatchNorm1d_Train_Passes() => AssertPasses(new BatchNorm1d(5), 6, 5);
    [Fact] public void Activations_Pass()
    {
        AssertPasses(new ReLU(), 3, 7);
        AssertPasses(new LeakyReLU(0.1f), 3, 7);
        AssertPasses(new Sigmoid(), 3, 7);
        AssertPasses(new Tanh(), 3, 7);
        AssertPasses(new Softmax(1), 3, 7);
        AssertPasses(new LogSoftmax(1), 3, 7);
    }

    [Fact]
    public void Containers_Pass()
    {
        AssertPasses(new Sequential(new Conv2d(2, 3, (3, 3), padding: (1, 1), rng: R()), new Tanh(), new Flatten(), new Linear(3 * 5 * 5, 4, rng: R())), 2, 2, 5, 5);
        AssertPasses(new Concat(new Sequential(new Conv2d(2, 3, (1, 1), rng: R())), new Sequential(new AvgPool2d((3, 3), (1, 1), (1, 1)))), 2, 2, 5, 5);
        AssertPasses(new Residual([new Conv2d(2, 2, (3, 3), padding: (1, 1), rng: R()), new Tanh()]), 2, 2, 5, 5);
        AssertPasses(new Residual([new Conv2d(2, 4, (3, 3), padding: (1, 1), rng: R())], new Sequential(new Conv2d(2, 4, (1, 1), rng: R()))), 2, 2, 5, 5);
    }

    private sealed class FunctionModule(Func<Tensor, Tensor> f) : Module
    {
        public override Tensor Forward(Tensor x) => f(x);
    }

    [Fact]
    public void Ops_Pass()
    {
        var w = Tensor.Randn(new Rng(3), 7, 4);
        AssertPasses(new FunctionModule(x => F.MatMul(x, w)), 3, 7);
        AssertPasses(new FunctionModule(x => F.LogSumExp(x, 1)), 3, 7);
        AssertPasses(new FunctionModule(x => F.Mul(x, F.Exp(F.MulScalar(x, 0.3f)))), 3, 7);
        AssertPasses(new FunctionModule(x => F.Div(x, F.AddScalar(F.Mul(x, x), 1f))), 3, 7);
        AssertPasses(new FunctionModule(x => F.Add(x, F.Sum(x, 1, keepDim: true))), 3, 7);
        AssertPasses(new FunctionModule(x => F.Mul(x, F.Mean(x, 0))), 3, 7);
        AssertPasses(new FunctionModule(x => F.Max(x, 1)), 3, 7);
        AssertPasses(new FunctionModule(x => F.Permute(F.Reshape(x, 3, 7, 1), 2, 0, 1)), 3, 7);
        AssertPasses(new FunctionModule(x => F.Cat([F.Slice(x, 1, 0, 3), F.Tanh(F.Slice(x, 1, 2, 7))], 1)), 3, 7);
        AssertPasses(new FunctionModule(x => F.Stack([x, F.Sigmoid(x)], 1)), 3, 7);
        AssertPasses(new FunctionModule(x => F.Sqrt(F.AddScalar(F.Mul(x, x), 1f))), 3, 7);
        AssertPasses(new FunctionModule(x => F.Pow(F.AddScalar(F.Abs(x), 1f), 1.5f)), 3, 7);
        AssertPasses(new FunctionModule(x => F.Log(F.AddScalar(F.Abs(x), 0.5f))), 3, 7);
        AssertPasses(new FunctionModule(x => F.Maximum(x, F.MulScalar(x, -0.5f))), 3, 7);
    }

    /// <summary>A linear layer whose backward forgets the transpose: gradcheck must catch it.</summary>
    private sealed class BrokenLinear : Module
    {
        public Tensor W { get; }
        public BrokenLinear() { W = RegisterParameter("weight", Tensor.Randn(new Rng(5), 3, 3)); }
        public override Tensor Forward(Tensor x)
        {
            var y = F.MatMul(x, W).Detach();
            if (!x.RequiresGrad && !W.RequiresGrad) return y;
            return Graph.Record(y, "broken", [x, W], g =>
            {
                // Wrong on purpose: dx = g W (should be g Wᵀ), dW = xᵀ g (correct).
                using var _ = GradMode.NoGrad();
                Nabla.Kernels.Elementwise.AddInPlace(Graph.GradOf(x).Span, F.MatMul(g, W).Span);
                Nabla.Kernels.Elementwise.AddInPlace(Graph.GradOf(W).Span, F.MatMul(F.Transpose(x, 0, 1), g).Span);
            });
        }
    }

    [Fact]
    public void GradCheck_DetectsWrongBackward_Float32Fallback()
    {
        var report = GradCheck.Check(new BrokenLinear(), Tensor.Randn(new Rng(1), 4, 3));
        Assert.False(report.Float64);
        Assert.False(report["input"].Passed);
        Assert.True(report["weight"].Passed);
        Assert.False(report.Passed);
    }
}
