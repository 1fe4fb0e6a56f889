using Nabla.Cli;
using Nabla.Cli.Commands;
using Nabla.NN;
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

    private static (int Code, string Output) RunWrapped(Func<Module, Module> wrap, params string[] args)
    {
        var w = new StringWriter();
        int code = new GradcheckCommand(w, wrap).Run(new Args("gradcheck", args));
        return (code, w.ToString());
    }

    private static string Row(string output, string name) =>
        output.Split('\n').Single(l => l.StartsWith(name + " ", StringComparison.Ordinal));

    [Theory]
    [InlineData("lenet5", "input,0.weight,0.bias,3.weight,3.bias,7.weight,11.bias", 11)]
    [InlineData("mnist-cnn", "input,0.weight,0.bias,2.weight,2.bias,7.weight,10.bias", 9)]
    public void Gradcheck_ReluMaxPoolNets_CheckEveryTensorInFloat64_AndPass(string model, string names, int tensors)
    {
        var (code, output) = Run(model, "--samples", "2");
        Assert.True(code == 0, output);
        Assert.Contains("float64 differences", output);
        Assert.DoesNotContain("n/a", output);
        Assert.DoesNotContain("FAIL", output);
        Assert.EndsWith("ok", Row(output, "forward").TrimEnd());
        foreach (var name in names.Split(','))
        {
            string row = Row(output, name);
            var cols = row[(row.IndexOf(']', StringComparison.Ordinal) + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(int.Parse(cols[0], System.Globalization.CultureInfo.InvariantCulture) > 0, Row(output, name));
            Assert.Equal("ok", cols[^1]);
        }
        Assert.Contains($"all {tensors} tensors pass and the forward agrees", output);
    }

    [Fact]
    public void Gradcheck_WrongBackwardAppended_ExitsOne_NamingTheTensorsUpstream()
    {
        var (code, output) = RunWrapped(m => new Sequential(m, new Nabla.Tests.Autograd.ReferenceForwardTests.BrokenLinear(10)), "mlp", "--input", "12", "--samples", "4");
        Assert.True(code == 1, output);
        Assert.Contains("FAIL", Row(output, "input"));
        Assert.Contains("FAIL", Row(output, "0.1.weight"));
        Assert.EndsWith("ok", Row(output, "1.weight").TrimEnd());
        Assert.EndsWith("ok", Row(output, "forward").TrimEnd());
    }

    [Fact]
    public void Gradcheck_TwinDisagreeingWithForward_ExitsOne()
    {
        var (code, output) = RunWrapped(m => new Sequential(m, new Nabla.Tests.Autograd.ReferenceForwardTests.BrokenLinear(10, wrongInput: false, wrongForwardTwin: true)),
            "mlp", "--input", "12", "--samples", "1");
        Assert.True(code == 1, output);
        Assert.Contains("FAIL", Row(output, "forward"));
        Assert.Contains("note: the float32 forward itself is off the float64 one", output);
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
}
