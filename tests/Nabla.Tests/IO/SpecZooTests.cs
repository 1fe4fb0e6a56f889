using Nabla.IO.Spec;
using Xunit;

namespace Nabla.Tests.IO;

public class SpecZooTests
{
    [Fact]
    public void Zoo_HoldsTheContractModels()
    {
        foreach (var name in new[] { "mlp", "lenet5", "mnist-cnn", "alexnet-mnist", "alexnet", "vgg16", "resnet18", "inception-naive", "inception-bottleneck" })
            Assert.Contains(name, Zoo.Names);
    }

    [Fact]
    public void Zoo_InputShapes()
    {
        foreach (var name in new[] { "mlp", "lenet5", "mnist-cnn", "alexnet-mnist" }) Assert.Equal([1, 28, 28], Zoo.Load(name).Input);
        foreach (var name in new[] { "alexnet", "vgg16", "resnet18" }) Assert.Equal([3, 224, 224], Zoo.Load(name).Input);
        foreach (var name in new[] { "inception-naive", "inception-bottleneck" }) Assert.Equal([256, 32, 32], Zoo.Load(name).Input);
    }

    [Fact]
    public void Zoo_LeNet5_MatchesContractSection6()
    {
        var expected = SpecParser.Parse("""
            input 1 28 28
            conv2d out_channels=6 kernel_size=5 padding=2
            relu
            maxpool2d kernel_size=2
            conv2d out_channels=16 kernel_size=5
            relu
            maxpool2d kernel_size=2
            flatten
            linear out_features=120
            relu
            linear out_features=84
            relu
            linear out_features=10
            """);
        Assert.Equal(expected, Zoo.Load("lenet5"));
    }

    [Fact]
    public void Zoo_Resnet18_FirstDownsamplingBlockHasConvBnShortcut()
    {
        var res = Assert.IsType<ResidualSpec>(Zoo.Load("resnet18").Layers[8]);
        Assert.Equal("8.shortcut.0", res.Shortcut![0].Name);
        Assert.Equal(new Size2(2, 2), Assert.IsType<Conv2dSpec>(res.Shortcut[0]).Stride);
        Assert.IsType<BatchNorm2dSpec>(res.Shortcut[1]);
    }

    [Fact]
    public void Resolve_ReadsZooNameOrFile()
    {
        Assert.Equal("models/mlp.spec", Zoo.Resolve("mlp").Source);
        string path = Path.Combine(Path.GetTempPath(), $"nabla-zoo-{Guid.NewGuid():N}.spec");
        File.WriteAllText(path, Zoo.Text("lenet5"));
        try
        {
            var spec = Zoo.Resolve(path);
            Assert.Equal(path, spec.Source);
            Assert.Equal(Zoo.Load("lenet5"), spec);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Resolve_UnknownName_ListsZooAndSuggests()
    {
        var e = Assert.Throws<NablaInputException>(() => Zoo.Resolve("lenet"));
        Assert.StartsWith("unknown model 'lenet' (did you mean 'lenet5'?) (zoo: ", e.Message);
        Assert.Contains("resnet18", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Resolve_MissingPath_SaysNoSuchFile()
    {
        var e = Assert.Throws<NablaInputException>(() => Zoo.Resolve("nets/resnet81.spec"));
        Assert.StartsWith("nets/resnet81.spec: no such spec file, and not a zoo model (did you mean 'resnet18'?)", e.Message);
    }
}
