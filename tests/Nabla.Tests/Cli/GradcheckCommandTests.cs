using Nabla.Autograd;
using Nabla.Cli;
using Nabla.Cli.Commands;
using Nabla.NN;
using Nabla.Ops;
using Nabla.Tensors;
using Xunit;

namespace Nabla.Tests.Cli;

public class GradcheckCommandTests
{
    private static (int Code, string Output) Run(params string[] args)
    {
        var w = new StringWriter();
        int code = new GradcheckCommand(w).Run(new Args("gradcheck", args));
        return (code, w.ToString());
    }

    [Fact]
    public void Gradcheck_Lenet5_PassesAndListsInputAndEveryParameter()
    {
        var (code, output) = Run("lenet5", "--samples", "4");
        Assert.Equal(0, code);
        foreach (var name in new[] { "input", "0.weight", "0.bias", "3.weight", "7.weight", "11.bias" })
            Assert.Contains(output.Split('\n'), l => l.StartsWith(name + " ", StringComparison.Ordinal) && !l.Contains("FAIL"));
        Assert.Contains("all 11 tensors pass", output);
    }

    [Fact]
    public void Gradcheck_BatchNormTrainMode_WithDropoutInSpec_Passes()
    {
        string path = Path.Combine(Path.GetTempPath(), $"nabla-gc-{Guid.NewGuid():N}.spec");
        File.WriteAllText(path, "input 2 5 5\nconv2d out_channels=3 kernel_size=3 padding=1\nbatchnorm2d\ntanh\ndropout p=0.5\nflatten\nlinear out_features=4\nbatchnorm1d\n");
        try
        {
            var (code, output) = Run(path, "--batch", "3");
            Assert.True(code == 0, output);
            Assert.Contains("train mode (dropout off)", output);
            Assert.Contains("1.weight", output);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Gradcheck_ImpossibleTolerance_ExitsOne()
    {
        var (code, output) = Run("mlp", "--input", "12", "--tol", "0", "--all-points", "--samples", "2");
        Assert.Equal(1, code);
        Assert.Contains("FAIL", output);
    }

    [Fact]
    public void Gradcheck_NoModel_IsUsageError()
    {
        Assert.ThrowsAny<NablaInputException>(() => Run());
        Assert.ThrowsAny<NablaInputException>(() => Run("lenet5", "--mode", "test"));
    }

    /// <summary>A linear map whose backward forgets the transpose (dx = g·W instead of g·Wᵀ).</summary>
    private sealed class BrokenLinear : Module
    {
        public BrokenLinear() => RegisterParameter("weight", Tensor.Randn(new Rng(5), 4, 4));

        public override Tensor Forward(Tensor x)
        {
            var w = NamedParameters().Single().Tensor;
            var y = F.MatMul(x, w).Detach();
            return Graph.Record(y, "broken", [x, w], g =>
            {
                using var _ = GradMode.NoGrad();
                Nabla.Kernels.Elementwise.AddInPlace(Graph.GradOf(x).Span, F.MatMul(g, w).Span);
                Nabla.Kernels.Elementwise.AddInPlace(Graph.GradOf(w).Span, F.MatMul(F.Transpose(x, 0, 1), g).Span);
            });
        }
    }

    [Fact]
    public void SkipNonSmooth_StillCatchesWrongBackward_BehindReLU()
    {
        var model = new Sequential(new ReLU(), new BrokenLinear(), new ReLU());
        var results = GradCheck.Check(model, Tensor.Randn(new Rng(2), 6, 4), maxPerTensor: 16, skipNonSmooth: true);
        var input = results.Single(r => r.Name == "input");
        Assert.True(input.Checked > 0);
        Assert.False(input.Passed);
        Assert.True(results.Single(r => r.Name == "1.weight").Passed);
    }
}
