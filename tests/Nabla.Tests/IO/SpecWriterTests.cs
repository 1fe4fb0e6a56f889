using Nabla.IO.Spec;
using Xunit;

namespace Nabla.Tests.IO;

public class SpecWriterTests
{
    public static TheoryData<string> ZooNames() => new(Zoo.Names);

    [Theory]
    [MemberData(nameof(ZooNames))]
    public void Writer_RoundTripsZooModel(string name)
    {
        var spec = Zoo.Load(name);
        string text = SpecWriter.Write(spec);
        var back = SpecParser.Parse(text);
        Assert.Equal(spec, back);
        Assert.Equal(text, SpecWriter.Write(back));
    }

    [Fact]
    public void Writer_RoundTripsEveryKeyAtNonDefaultValues()
    {
        var spec = new ModelSpec([6, 21, 17],
        [
            new Conv2dSpec(12, new Size2(3, 5)) { Stride = new Size2(2, 1), Padding = new Size2(1, 2), Dilation = 2, Groups = 3, Bias = false },
            new BatchNorm2dSpec { Eps = 1e-3, Momentum = 0.3, Affine = false },
            new LeakyReLUSpec { NegativeSlope = 0.125 },
            new MaxPool2dSpec(3) { Stride = 1, Padding = 1, Dilation = 1, CeilMode = true },
            new AvgPool2dSpec(new Size2(2, 3)) { Stride = 1, Padding = 1, CountIncludePad = false, CeilMode = true },
            new ConcatSpec([[new ActivationSpec(LayerKind.Tanh)], [], [new ResidualSpec([new ActivationSpec(LayerKind.Sigmoid)])]]),
            new ResidualSpec([new Conv2dSpec(18, 1)], [new Conv2dSpec(18, 1) { Bias = false }]),
            new AdaptiveAvgPool2dSpec(new Size2(2, 1)),
            new FlattenSpec(),
            new DropoutSpec { P = 0.1 },
            new LinearSpec(7) { Bias = false },
            new BatchNorm1dSpec(),
            new SoftmaxSpec(LayerKind.Softmax) { Dim = -1 },
            new SoftmaxSpec(LayerKind.LogSoftmax),
        ]);
        var back = SpecParser.Parse(SpecWriter.Write(spec));
        Assert.Equal(spec, back);
        Assert.Equal("5.2.0.0", back.AllLayers().First(l => l.Kind == LayerKind.Sigmoid).Name);
    }

    [Fact]
    public void Writer_OmitsDefaults()
    {
        var spec = SpecParser.Parse("input 1 8 8\nconv2d out_channels=4 kernel_size=3 stride=1 padding=0 bias=true\nmaxpool2d kernel_size=2 stride=2\nbatchnorm2d eps=1e-5\ndropout p=0.5\n");
        Assert.Equal("input 1 8 8\nconv2d out_channels=4 kernel_size=3\nmaxpool2d kernel_size=2\nbatchnorm2d\ndropout\n", SpecWriter.Write(spec));
    }

    [Fact]
    public void Equality_DetectsChangedArgument()
    {
        var a = Zoo.Load("resnet18");
        var layers = a.Layers.ToList();
        var res = (ResidualSpec)layers[4];
        layers[4] = res with { Body = res.Body.Select((l, i) => i == 0 ? ((Conv2dSpec)l with { Bias = true }) : l).ToArray() };
        Assert.NotEqual(a, new ModelSpec(a.Input, layers));
        Assert.Equal(a, new ModelSpec(a.Input, a.Layers.ToList()));
        Assert.NotEqual(a, a.WithInput([3, 64, 64]));
    }
}
