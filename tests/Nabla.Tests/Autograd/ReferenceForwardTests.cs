using Nabla.Autograd;
using Nabla.Autograd.Reference;
using Nabla.IO;
using Nabla.IO.Spec;
using Nabla.NN;
using Nabla.Ops;
using Nabla.Tensors;
using Xunit;

namespace Nabla.Tests.Autograd;

public class ReferenceForwardTests
{
    private static Rng R() => new(11);

    /// <summary>A linear map (no bias) with a float64 twin whose float32 backward is wrong in a chosen way.</summary>
    internal sealed class BrokenLinear : Module, IReferenceModule
    {
        private readonly bool _wrongInput, _wrongWeight, _wrongForwardTwin;
        public Tensor W { get; }

        public BrokenLinear(int n, bool wrongInput = true, bool wrongWeight = false, bool wrongForwardTwin = false)
        {
            W = RegisterParameter("weight", Tensor.Randn(new Rng(5), n, n));
            (_wrongInput, _wrongWeight, _wrongForwardTwin) = (wrongInput, wrongWeight, wrongForwardTwin);
        }

        public override Tensor Forward(Tensor x)
        {
            var y = F.MatMul(x, F.Transpose(W, 0, 1)).Detach();
            if (!Graph.ShouldRecord(x, W)) return y;
            return Graph.Record(y, "broken_linear", [x, W], g =>
            {
                using var _ = GradMode.NoGrad();
                // Right: dx = g·W, dW = gᵀ·x. Wrong: dx = g·Wᵀ (the forgotten transpose), dW = gᵀ·x·1.01 (a 1% slip).
                Nabla.Kernels.Elementwise.AddInPlace(Graph.GradOf(x).Span, F.MatMul(g, _wrongInput ? F.Transpose(W, 0, 1) : W).Span);
                var dw = F.MatMul(F.Transpose(g, 0, 1), x);
                if (_wrongWeight) dw = F.MulScalar(dw, 1.01f);
                Nabla.Kernels.Elementwise.AddInPlace(Graph.GradOf(W).Span, dw.Span);
            });
        }

        public DoubleTensor ReferenceForward(DoubleTensor x, Func<Tensor, DoubleTensor> parameter)
        {
            var w = parameter(W);
            int rows = x.Shape[0], n = W.Shape[0];
            var y = new DoubleTensor(rows, n);
            for (int r = 0; r < rows; r++)
                for (int o = 0; o < n; o++)
                {
                    double s = 0;
                    for (int k = 0; k < n; k++) s += x.Data[r * n + k] * w.Data[o * n + k];
                    y.Data[r * n + o] = _wrongForwardTwin ? s * 1.001 : s;
                }
            return y;
        }
    }

    private static Sequential ReluNet(Module broken) => new(new Linear(6, 6, rng: R()), new ReLU(), broken, new Tanh(), new Linear(6, 3, rng: R()));

    [Fact]
    public void Float64Check_CatchesForgottenTranspose_BehindReLU()
    {
        var report = GradCheck.Check(ReluNet(new BrokenLinear(6)), Tensor.Randn(new Rng(2), 5, 6), maxPerTensor: 12);
        Assert.True(report.Float64);
        Assert.True(report.ForwardPassed);
        Assert.False(report["input"].Passed);
        Assert.False(report["0.weight"].Passed);
        Assert.Equal(0, report["input"].NonSmooth);
        Assert.True(report["2.weight"].Passed);
        Assert.True(report["4.weight"].Passed);
        Assert.False(report.Passed);
    }

    [Fact]
    public void Float64Check_CatchesOnePercentSlip_InWeightGradient()
    {
        var report = GradCheck.Check(ReluNet(new BrokenLinear(6, wrongInput: false, wrongWeight: true)), Tensor.Randn(new Rng(2), 5, 6));
        Assert.True(report["input"].Passed);
        Assert.False(report["2.weight"].Passed);
        Assert.InRange(report["2.weight"].MaxRelError, 5e-3, 2e-2);
    }

    [Fact]
    public void ForwardRow_FailsWhenTheTwinDisagrees()
    {
        var report = GradCheck.Check(ReluNet(new BrokenLinear(6, wrongInput: false, wrongForwardTwin: true)), Tensor.Randn(new Rng(2), 5, 6), maxPerTensor: 2);
        Assert.False(report.ForwardPassed);
        Assert.False(report.Passed);
    }

    [Fact]
    public void FindUnsupported_NamesActiveDropoutAndCustomModules()
    {
        var net = new Sequential(new Linear(3, 3, rng: R()), new Dropout(0.5f));
        Assert.Contains("'1' (Dropout)", ReferenceForward.FindUnsupported(net));
        net.Eval();
        Assert.Null(ReferenceForward.FindUnsupported(net));
        Assert.Throws<NotSupportedException>(() => new ReferenceForward(new Sequential(new Identity(), new NoTwin())));
    }

    private sealed class NoTwin : Module { public override Tensor Forward(Tensor x) => x; }

    [Fact]
    public void ForwardFrom_EqualsFullForward_AfterPerturbingALaterLayer()
    {
        var spec = SpecParser.Parse("input 2 6 6\nconv2d out_channels=3 kernel_size=3 padding=1\nbatchnorm2d\nrelu\nresidual\n  conv2d out_channels=3 kernel_size=3 padding=1\n" +
            "end\nconcat\n  branch\n    maxpool2d kernel_size=3 stride=1 padding=1\n  branch\n    avgpool2d kernel_size=3 stride=1 padding=1\nend\nflatten\nlinear out_features=4\n", "test.spec");
        var model = ModelFactory.Build(spec, new Rng(1), new Rng(2));
        var reference = new ReferenceForward(model);
        var x = DoubleTensor.From(Tensor.Randn(new Rng(3), 3, 2, 6, 6));
        reference.Forward(x);
        var target = model.NamedParameters().Single(p => p.Name == "3.0.weight").Tensor;
        reference.Value(target).Data[5] += 0.25;
        var partial = reference.ForwardFrom(target).Data;
        Assert.Equal(reference.Forward(x).Data, partial);
        reference.Value(target).Data[5] -= 0.25;
        Assert.NotEqual(reference.Forward(x).Data, partial);
    }

    /// <summary>Every layer kind of the spec format, with non-default options, in one model.</summary>
    private const string EveryKindSpec = """
        input 2 7 6
        conv2d out_channels=4 kernel_size=3x2 stride=1x2 padding=2x1 dilation=2x1 groups=2 bias=false
        batchnorm2d eps=0.001
        leakyrelu negative_slope=0.1
        affine scale=0.5,2,-1,1.5 shift=0.1
        pad padding=1,0,2,1 value=0.5
        concat
          branch
            maxpool2d kernel_size=3x2 stride=2 padding=1 ceil_mode=true
          branch
            avgpool2d kernel_size=3 stride=2 padding=1 ceil_mode=true count_include_pad=false
            sigmoid
            relu6
            gelu
        end
        residual
          conv2d out_channels=8 kernel_size=3 padding=1
          batchnorm2d affine=false
          tanh
          elu
        end
        residual
          conv2d out_channels=3 kernel_size=1
        shortcut
          conv2d out_channels=3 kernel_size=1 bias=false
          batchnorm2d
        end
        adaptiveavgpool2d output_size=2x3
        relu
        softmax
        dropout p=0.3
        flatten
        linear out_features=5
        batchnorm1d
        logsoftmax
        """;

    [Theory]
    [InlineData("train")]
    [InlineData("eval")]
    public void EveryLayerKind_HasAFloat64Twin_AndPassesGradcheck(string mode)
    {
        var used = EveryKindSpec.Split('\n').Select(l => l.Trim().Split(' ')[0]).ToHashSet();
        foreach (var keyword in LayerKinds.Keywords) Assert.Contains(keyword, used);
        var model = ModelFactory.Build(SpecParser.Parse(EveryKindSpec, "every-kind.spec"), new Rng(4), new Rng(5));
        model.Train(mode == "train");
        foreach (var (_, m) in model.NamedModules())
            if (m is Dropout) m.Eval();
        Assert.Null(ReferenceForward.FindUnsupported(model));
        var report = GradCheck.Check(model, Tensor.Randn(new Rng(6), 3, 2, 7, 6), maxPerTensor: 4);
        Assert.True(report.Float64);
        Assert.True(report.ForwardPassed, $"forward {report.ForwardError:G3}");
        foreach (var r in report.Tensors)
            Assert.True(r.Passed && r.Checked > 0, $"{mode} {r.Name}: rel {r.MaxRelError:G3} over {r.Checked}");
    }
}
