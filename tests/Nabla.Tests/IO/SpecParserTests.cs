using Nabla.IO.Spec;
using Xunit;

namespace Nabla.Tests.IO;

public class SpecParserTests
{
    private const string ContractExample = """
        input 1 28 28
        conv2d out_channels=32 kernel_size=3 stride=1 padding=0 dilation=1 groups=1 bias=true
        batchnorm2d                 # eps=1e-5 momentum=0.1
        relu                        # also: sigmoid, tanh, leakyrelu negative_slope=0.01, softmax, logsoftmax
        maxpool2d kernel_size=2     # stride defaults to kernel_size; padding=0
        avgpool2d kernel_size=2     # count_include_pad=true, as PyTorch
        dropout p=0.25
        flatten
        linear out_features=10 bias=true
        batchnorm1d
        """;

    private const string BlocksExample = """
        input 16 8 8
        conv2d out_channels=8 kernel_size=1
        relu
        relu
        concat
          branch
            conv2d out_channels=64 kernel_size=1
            relu
          branch
            conv2d out_channels=4 kernel_size=1
          branch
            maxpool2d kernel_size=3 stride=1 padding=1
        end
        residual                    # y = body(x) + shortcut(x)
          conv2d out_channels=64 kernel_size=3 padding=1
        shortcut
          conv2d out_channels=64 kernel_size=1
        end
        """;

    [Fact]
    public void Parser_ReadsContractExample_WithPyTorchDefaults()
    {
        var spec = SpecParser.Parse(ContractExample, "ex.spec");
        Assert.Equal([1, 28, 28], spec.Input);
        Assert.Equal("ex.spec", spec.Source);
        Assert.Equal(
            [LayerKind.Conv2d, LayerKind.BatchNorm2d, LayerKind.ReLU, LayerKind.MaxPool2d, LayerKind.AvgPool2d,
             LayerKind.Dropout, LayerKind.Flatten, LayerKind.Linear, LayerKind.BatchNorm1d],
            spec.Layers.Select(l => l.Kind));
        var conv = Assert.IsType<Conv2dSpec>(spec.Layers[0]);
        Assert.Equal(new Conv2dSpec(32, 3), conv with { Name = "", Line = 0 });
        Assert.Equal(2, conv.Line);
        var bn = Assert.IsType<BatchNorm2dSpec>(spec.Layers[1]);
        Assert.Equal((1e-5, 0.1, true), (bn.Eps, bn.Momentum, bn.Affine));
        var pool = Assert.IsType<MaxPool2dSpec>(spec.Layers[3]);
        Assert.Equal(new Size2(2, 2), pool.Stride);
        Assert.False(pool.CeilMode);
        Assert.True(Assert.IsType<AvgPool2dSpec>(spec.Layers[4]).CountIncludePad);
        Assert.Equal(0.25, Assert.IsType<DropoutSpec>(spec.Layers[5]).P);
        Assert.Equal(Enumerable.Range(0, 9).Select(i => i.ToString()), spec.Layers.Select(l => l.Name));
    }

    [Fact]
    public void Parser_NamesBranchLayers_AsInNestedSequentials()
    {
        var spec = SpecParser.Parse(BlocksExample);
        var concat = Assert.IsType<ConcatSpec>(spec.Layers[3]);
        Assert.Equal("3", concat.Name);
        Assert.Equal(5, concat.Line);
        Assert.Equal("3.1.0", concat.Branches[1][0].Name);
        Assert.Equal(["3.0.0", "3.0.1"], concat.Branches[0].Select(l => l.Name));
        var res = Assert.IsType<ResidualSpec>(spec.Layers[4]);
        Assert.Equal("4.0", res.Body[0].Name);
        Assert.Equal("4.shortcut.0", res.Shortcut![0].Name);
        Assert.Equal(["0", "1", "2", "3.0.0", "3.0.1", "3.1.0", "3.2.0", "3", "4.0", "4.shortcut.0", "4"],
            spec.AllLayers().Select(l => l.Name));
    }

    [Fact]
    public void Parser_NamesNestedBlocks_Recursively()
    {
        var spec = SpecParser.Parse("""
            input 4 8 8
            residual
              relu
              concat
                branch
                  conv2d out_channels=2 kernel_size=1
                branch
                  residual
                    conv2d out_channels=2 kernel_size=1
                  shortcut
                    conv2d out_channels=2 kernel_size=1
                  end
              end
            shortcut
              concat
                branch
                  relu
                branch
              end
            end
            """);
        Assert.Equal(
            ["0.0", "0.1.0.0", "0.1.1.0.0", "0.1.1.0.shortcut.0", "0.1.1.0", "0.1", "0.shortcut.0.0.0", "0.shortcut.0", "0"],
            spec.AllLayers().Select(l => l.Name));
        var shortcutConcat = Assert.IsType<ConcatSpec>(Assert.IsType<ResidualSpec>(spec.Layers[0]).Shortcut![0]);
        Assert.Empty(shortcutConcat.Branches[1]);
    }

    [Fact]
    public void Parser_ReadsNonSquareSizesAndAllKeys()
    {
        var spec = SpecParser.Parse("""
            input 3 20 30
            conv2d out_channels=6 kernel_size=3x5 stride=2x1 padding=1x2 dilation=2 groups=3 bias=false
            maxpool2d kernel_size=3 stride=1 padding=1 dilation=1 ceil_mode=true
            avgpool2d kernel_size=2x3 count_include_pad=false
            leakyrelu negative_slope=0.2
            logsoftmax dim=1
            BatchNorm2d eps=0.001 momentum=0.01 affine=False
            """);
        var c = Assert.IsType<Conv2dSpec>(spec.Layers[0]);
        Assert.Equal((new Size2(3, 5), new Size2(2, 1), new Size2(1, 2), new Size2(2, 2), 3, false),
            (c.KernelSize, c.Stride, c.Padding, c.Dilation, c.Groups, c.Bias));
        Assert.True(Assert.IsType<MaxPool2dSpec>(spec.Layers[1]).CeilMode);
        var a = Assert.IsType<AvgPool2dSpec>(spec.Layers[2]);
        Assert.Equal((new Size2(2, 3), new Size2(2, 3), false), (a.KernelSize, a.Stride, a.CountIncludePad));
        Assert.Equal(0.2, Assert.IsType<LeakyReLUSpec>(spec.Layers[3]).NegativeSlope);
        Assert.Equal(LayerKind.LogSoftmax, spec.Layers[4].Kind);
        var bn = Assert.IsType<BatchNorm2dSpec>(spec.Layers[5]);
        Assert.Equal((0.001, 0.01, false), (bn.Eps, bn.Momentum, bn.Affine));
    }

    [Fact]
    public void Parser_ReadsFlatInput() =>
        Assert.Equal([784], SpecParser.Parse("# mlp\n\ninput 784\nlinear out_features=10\n").Input);

    [Theory]
    [InlineData("conv2d out_channels=3 kernel_size=3", "m.spec:1:1: expected 'input C H W' or 'input F' as the first line, found 'conv2d'")]
    [InlineData("input 1 28", "m.spec:1:1: expected 'input C H W' or 'input F' (1 or 3 sizes), found 2 sizes")]
    [InlineData("input 1 0 28", "m.spec:1:9: expected a positive integer size in the input line, found '0'")]
    [InlineData("input 1 2x 28", "m.spec:1:9: expected a positive integer size in the input line, found '2x'")]
    [InlineData("# only a comment\n", "m.spec:1:1: expected 'input C H W' or 'input F', found an empty spec")]
    [InlineData("input 1 8 8\n", "m.spec:2:1: expected at least one layer after the input line, found end of file")]
    [InlineData("input 1 8 8\ninput 1 8 8", "m.spec:2:1: expected a layer, found a second 'input' line (the first is line 1)")]
    [InlineData("input 1 8 8\nconv2 out_channels=3 kernel_size=3", "m.spec:2:1: unknown layer 'conv2' (did you mean 'conv2d'?)")]
    [InlineData("input 1 8 8\n  maxpool kernel_size=2", "m.spec:2:3: unknown layer 'maxpool' (did you mean 'maxpool2d'?)")]
    [InlineData("input 1 8 8\nfrobnicate", "m.spec:2:1: unknown layer 'frobnicate'")]
    [InlineData("input 1 8 8\nconv2d out_channels=3 kernal_size=3", "m.spec:2:23: unknown key 'kernal_size' for conv2d (did you mean 'kernel_size'?)")]
    [InlineData("input 1 8 8\nconv2d in_channels=1 out_channels=3 kernel_size=3", "m.spec:2:8: unknown key 'in_channels' for conv2d: in_channels is inferred from the input shape")]
    [InlineData("input 1 8 8\nrelu inplace=true", "m.spec:2:6: unknown key 'inplace' for relu (relu takes no keys)")]
    [InlineData("input 1 8 8\ndropout q=0.1", "m.spec:2:9: unknown key 'q' for dropout (did you mean 'p'?)")]
    [InlineData("input 1 8 8\nconv2d out_channels=3 kernel_size=3 kernel_size=5", "m.spec:2:37: duplicate key 'kernel_size' for conv2d (given at column 35 too)")]
    [InlineData("input 1 8 8\nconv2d 3 kernel_size=3", "m.spec:2:8: expected key=value after 'conv2d', found '3'")]
    [InlineData("input 1 8 8\nconv2d out_channels= kernel_size=3", "m.spec:2:21: expected a value after 'out_channels=', found nothing")]
    [InlineData("input 1 8 8\nconv2d out_channels=3.5 kernel_size=3", "m.spec:2:21: expected an integer for out_channels, found '3.5'")]
    [InlineData("input 1 8 8\nconv2d out_channels=0 kernel_size=3", "m.spec:2:21: expected out_channels >= 1, found 0")]
    [InlineData("input 1 8 8\nconv2d out_channels=3 kernel_size=3x0", "m.spec:2:35: expected kernel_size >= 1 (a positive size), found 3x0")]
    [InlineData("input 1 8 8\nconv2d out_channels=3 kernel_size=three", "m.spec:2:35: expected an integer or HxW for kernel_size, found 'three'")]
    [InlineData("input 1 8 8\nconv2d out_channels=3 kernel_size=3 padding=-1", "m.spec:2:45: expected padding >= 0, found -1")]
    [InlineData("input 1 8 8\nconv2d out_channels=3 kernel_size=3 bias=yes", "m.spec:2:42: expected true or false for bias, found 'yes'")]
    [InlineData("input 1 8 8\nconv2d kernel_size=3", "m.spec:2:1: expected out_channels=... for conv2d (e.g. out_channels=32), found none")]
    [InlineData("input 4 8 8\nconv2d out_channels=6 kernel_size=3 groups=4", "m.spec:2:44: expected out_channels divisible by groups, found out_channels=6 groups=4")]
    [InlineData("input 1 8 8\ndropout p=1.5", "m.spec:2:11: expected p in [0, 1], found 1.5")]
    [InlineData("input 1 8 8\nbatchnorm2d eps=0", "m.spec:2:17: expected eps > 0, found 0")]
    [InlineData("input 1 8 8\nmaxpool2d kernel_size=2 padding=2", "m.spec:2:33: expected padding at most half the kernel (1), found 2")]
    [InlineData("input 1 8 8\nmaxpool2d kernel_size=3 dilation=2 padding=3", "m.spec:2:44: expected padding at most half the kernel (2), found 3")]
    [InlineData("input 1 8 8\navgpool2d kernel_size=3 padding=2", "m.spec:2:33: expected padding at most half the kernel (1), found 2")]
    [InlineData("input 1 8 8\nmaxpool2d kernel_size=2 count_include_pad=false", "m.spec:2:25: unknown key 'count_include_pad' for maxpool2d (maxpool2d takes kernel_size, stride, padding, dilation, ceil_mode)")]
    [InlineData("input 1 8 8\navgpool2d kernel_size=2 dilation=2", "m.spec:2:25: unknown key 'dilation' for avgpool2d (avgpool2d takes kernel_size, stride, padding, ceil_mode, count_include_pad)")]
    [InlineData("input 1 8 8\nmaxpool2d kernel_size=2 ceil_mode=x dilation=0 stride=0", "m.spec:2:55: expected stride >= 1 (a positive size), found 0")]
    [InlineData("input 1 8 8\nmaxpool2d kernel_size=2 ceil_mode=x dilation=0", "m.spec:2:46: expected dilation >= 1 (a positive size), found 0")]
    [InlineData("input 1 8 8\navgpool2d kernel_size=2 count_include_pad=y ceil_mode=x padding=-1", "m.spec:2:65: expected padding >= 0, found -1")]
    [InlineData("input 1 8 8\navgpool2d kernel_size=2 count_include_pad=y ceil_mode=x", "m.spec:2:55: expected true or false for ceil_mode, found 'x'")]
    [InlineData("input 1 8 8\navgpool2d kernel_size=2 count_include_pad=y padding=2", "m.spec:2:43: expected true or false for count_include_pad, found 'y'")]
    [InlineData("input 1 8 8\nmaxpool2d stride=2", "m.spec:2:1: expected kernel_size=... for maxpool2d (e.g. kernel_size=3), found none")]
    [InlineData("input 1 8 8\nlinear", "m.spec:2:1: expected out_features=... for linear (e.g. out_features=32), found none")]
    [InlineData("input 1 8 8\nconcat\n  branch\n    relu\n", "m.spec:5:1: expected 'end' closing the concat block opened at line 2, found end of file")]
    [InlineData("input 1 8 8\nresidual\n  relu\n", "m.spec:4:1: expected 'end' closing the residual block opened at line 2, found end of file")]
    [InlineData("input 1 8 8\nbranch\nrelu", "m.spec:2:1: expected a layer, found 'branch' outside a concat block")]
    [InlineData("input 1 8 8\nresidual\n  relu\n  branch\nend", "m.spec:4:3: expected a layer, 'shortcut' or 'end' in the residual block of line 2, found 'branch' (branch belongs in a concat block)")]
    [InlineData("input 1 8 8\nshortcut", "m.spec:2:1: expected a layer, found 'shortcut' outside a residual block")]
    [InlineData("input 1 8 8\nrelu\nend", "m.spec:3:1: expected a layer, found 'end' without an open concat or residual block")]
    [InlineData("input 1 8 8\nconcat\n  relu\nend", "m.spec:3:3: expected 'branch' after 'concat' (line 2), found 'relu'")]
    [InlineData("input 1 8 8\nconcat\nend", "m.spec:3:1: expected at least one 'branch' in the concat block of line 2, found 'end'")]
    [InlineData("input 1 8 8\nresidual\nend", "m.spec:3:1: expected at least one layer in the residual block of line 2, found 'end'")]
    [InlineData("input 1 8 8\nresidual\n relu\nshortcut\nend", "m.spec:5:1: expected at least one layer after 'shortcut' (omit the section for an identity shortcut), found 'end'")]
    [InlineData("input 1 8 8\nresidual\n relu\nshortcut\n relu\nshortcut\nend", "m.spec:6:1: expected a layer or 'end', found a second 'shortcut' in the residual block of line 2")]
    [InlineData("input 1 8 8\nconcat x\n", "m.spec:2:8: expected nothing after 'concat', found 'x'")]
    public void Parser_RejectsBadSpec_WithFileLineColumn(string text, string expected)
    {
        var e = Assert.Throws<NablaInputException>(() => SpecParser.Parse(text, "m.spec"));
        Assert.Equal(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void ParseFile_MissingFile_NamesThePath()
    {
        var e = Assert.Throws<NablaInputException>(() => SpecParser.ParseFile("/nonexistent/x.spec"));
        Assert.StartsWith("/nonexistent/x.spec: cannot read the spec file", e.Message);
    }
}
