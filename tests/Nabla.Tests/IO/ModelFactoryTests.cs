using Nabla.Analysis;
using Nabla.IO;
using Nabla.IO.Spec;
using Nabla.Ops;
using Nabla.Tensors;
using Xunit;

namespace Nabla.Tests.IO;

public class ModelFactoryTests
{
    public static TheoryData<string> ZooNames() => new(Zoo.Names);

    [Theory]
    [MemberData(nameof(ZooNames))]
    public void Build_ParameterCount_MatchesAnalyzer(string name)
    {
        var spec = Zoo.Load(name);
        var model = ModelFactory.Build(spec, new Rng(1), new Rng(2));
        long built = model.Parameters().Sum(p => (long)p.Numel);
        Assert.Equal(ModelAnalyzer.Analyze(spec).Total.Params, built);
    }

    [Theory]
    [InlineData("mlp")]
    [InlineData("lenet5")]
    [InlineData("mnist-cnn")]
    [InlineData("inception-bottleneck")]
    public void Forward_OutputShape_MatchesAnalyzer(string name)
    {
        var spec = Zoo.Load(name);
        if (name.StartsWith("inception")) spec = spec.WithInput([256, 8, 8]);
        var model = ModelFactory.Build(spec, new Rng(1), new Rng(2));
        model.Eval();
        var x = Tensor.Randn(new Rng(3), [2, .. spec.Input]);
        var y = model.Forward(x);
        Assert.Equal([2, .. ModelAnalyzer.Analyze(spec).OutputShape], y.Shape);
    }

    [Fact]
    public void Build_NamesFollowContract_ForBranchesAndResiduals()
    {
        var spec = SpecParser.Parse("""
            input 3 8 8
            conv2d out_channels=4 kernel_size=3 padding=1
            relu
            concat
              branch
                conv2d out_channels=2 kernel_size=1
              branch
                relu
                conv2d out_channels=3 kernel_size=1 bias=false
            end
            residual
              conv2d out_channels=5 kernel_size=3 padding=1
              batchnorm2d
            shortcut
              conv2d out_channels=5 kernel_size=1
            end
            """);
        var names = ModelFactory.Build(spec, new Rng(1), new Rng(2)).StateDict().Select(s => s.Name).ToList();
        Assert.Contains("2.0.0.weight", names);
        Assert.Contains("2.1.1.weight", names);
        Assert.DoesNotContain("2.1.1.bias", names);
        Assert.Contains("3.0.weight", names);
        Assert.Contains("3.1.running_var", names);
        Assert.Contains("3.shortcut.0.bias", names);
    }
}
