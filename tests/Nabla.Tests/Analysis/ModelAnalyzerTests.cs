using Nabla.Analysis;
using Nabla.IO.Spec;
using Xunit;

namespace Nabla.Tests.Analysis;

public class ModelAnalyzerTests
{
    // The numbers below are stated by issue 5 (inception) and issue 3 (torchvision's totals): they are the spec.
    [Fact]
    public void InceptionNaive_MatchesIssueCounts()
    {
        var s = ModelAnalyzer.Analyze(Zoo.Load("inception-naive"));
        Assert.Equal(new Counts(1_089_952, 1_115_684_864, 1_115_684_864, 425_984), s.Total);
        Assert.Equal([128 + 192 + 96 + 256, 32, 32], s.OutputShape);
    }

    [Fact]
    public void InceptionBottleneck_MatchesIssueCounts()
    {
        var s = ModelAnalyzer.Analyze(Zoo.Load("inception-bottleneck"));
        Assert.Equal(new Counts(346_720, 354_418_688, 354_418_688, 622_592), s.Total);
        Assert.Equal([128 + 192 + 96 + 64, 32, 32], s.OutputShape);
    }

    [Theory]
    [InlineData("alexnet", 61_100_840)]
    [InlineData("vgg16", 138_357_544)]
    [InlineData("resnet18", 11_689_512)]
    public void TorchvisionModels_HaveTorchvisionParameterTotals(string name, long expected)
    {
        var s = ModelAnalyzer.Analyze(Zoo.Load(name));
        Assert.Equal(expected, s.Total.Params);
        Assert.Equal([1000], s.OutputShape);
    }

    [Fact]
    public void AlexNet_LastMaxPool_Sees195PixelsWithStride32()
    {
        var s = ModelAnalyzer.Analyze(Zoo.Load("alexnet"));
        var pool = s.Layers.Last(r => r.Type == "maxpool2d");
        Assert.Equal([256, 6, 6], pool.OutputShape);
        Assert.Equal((195L, 32L), (pool.ReceptiveField!.H.Size, pool.ReceptiveField.H.Stride));
        Assert.Equal((195L, 32L), (pool.ReceptiveField!.W.Size, pool.ReceptiveField.W.Stride));
        // The adaptive pool at 6x6 is the identity: same field.
        Assert.Equal(pool.ReceptiveField, s.Layers.Single(r => r.Type == "adaptiveavgpool2d").ReceptiveField);
    }

    internal const string IssueStack = """
        input 3 32 32
        conv2d out_channels=8 kernel_size=3 padding=1
        conv2d out_channels=8 kernel_size=3 padding=1
        maxpool2d kernel_size=2
        conv2d out_channels=8 kernel_size=3 padding=1
        conv2d out_channels=8 kernel_size=3 padding=1
        maxpool2d kernel_size=2
        """;

    [Fact]
    public void IssueStack_ReceptiveFieldRanges()
    {
        var s = ModelAnalyzer.Analyze(SpecParser.Parse(IssueStack));
        Assert.Equal("X[:, 2i-3 : 2i+2, 2j-3 : 2j+2]", s["2"].ReceptiveField!.Range(1));
        Assert.Equal("X[:, 4i-9 : 4i+6, 4j-9 : 4j+6]", s["5"].ReceptiveField!.Range(1));
        Assert.Equal(new ReceptiveFieldAxis(16, 4, -6), s["5"].ReceptiveField!.H);
        Assert.Equal("X[:, 4i-6 : 4i+10, 4j-6 : 4j+10]", s["5"].ReceptiveField!.Range(0));
        Assert.Equal([8, 8, 8], s["5"].OutputShape);
    }

    [Fact]
    public void Conv_WithAndWithoutBias_FollowsContractConventions()
    {
        var s = ModelAnalyzer.Analyze(SpecParser.Parse("""
            input 6 10 12
            conv2d out_channels=4 kernel_size=3x5 stride=2 padding=1x2 groups=2
            conv2d out_channels=4 kernel_size=1 bias=false
            """));
        // Independent: count every product by walking the output grid and the window.
        long outH = (10 + 2 - 3) / 2 + 1, outW = (12 + 4 - 5) / 2 + 1, products = 0;
        for (int o = 0; o < 4; o++) for (int y = 0; y < outH; y++) for (int x = 0; x < outW; x++)
            for (int c = 0; c < 6 / 2; c++) for (int ky = 0; ky < 3; ky++) for (int kx = 0; kx < 5; kx++) products++;
        Assert.Equal([4, (int)outH, (int)outW], s["0"].OutputShape);
        Assert.Equal(new Counts(4 * 3 * 3 * 5 + 4, products, products, 0), s["0"].Counts);
        long elems = 4 * outH * outW;
        Assert.Equal(new Counts(16, elems * 4, elems * 4 - elems, 0), s["1"].Counts);
    }

    [Fact]
    public void LinearBatchNormPoolsActivations_FollowContractConventions()
    {
        var s = ModelAnalyzer.Analyze(SpecParser.Parse("""
            input 2 8 8
            batchnorm2d
            avgpool2d kernel_size=3 stride=1 padding=1
            maxpool2d kernel_size=2
            relu
            dropout
            flatten
            linear out_features=5
            linear out_features=3 bias=false
            batchnorm1d affine=false
            sigmoid
            """));
        Assert.Equal(new Counts(4, 128, 128, 0), s["0"].Counts);
        Assert.Equal(new Counts(0, 128, 128 * 8, 0), s["1"].Counts);
        Assert.Equal(Counts.Zero, s["2"].Counts);
        Assert.Equal(new Counts(0, 0, 0, 32), s["3"].Counts);
        Assert.Equal(Counts.Zero, s["4"].Counts);
        Assert.Equal([32], s["5"].OutputShape);
        Assert.Null(s["5"].ReceptiveField);
        Assert.Equal(new Counts(5 * 32 + 5, 5 * 32, 5 * 32, 0), s["6"].Counts);
        Assert.Equal(new Counts(15, 15, 3 * 4, 0), s["7"].Counts);
        Assert.Equal(new Counts(0, 3, 3, 0), s["8"].Counts);
        Assert.Equal(new Counts(0, 0, 0, 3), s["9"].Counts);
        Assert.Null(s["9"].ReceptiveField);
        Assert.Equal(s.Layers.Aggregate(Counts.Zero, (a, r) => a + r.Counts), s.Total);
    }

    [Fact]
    public void AdaptiveAvgPool_CountsItsUnevenWindows()
    {
        var s = ModelAnalyzer.Analyze(SpecParser.Parse("input 3 7 5\nadaptiveavgpool2d output_size=3x2\nadaptiveavgpool2d output_size=1\n"));
        // Independent: PyTorch's windows start=floor(i*n/o), end=ceil((i+1)*n/o).
        long adds = 0;
        for (int i = 0; i < 3; i++) for (int j = 0; j < 2; j++)
        {
            int h = (int)Math.Ceiling((i + 1) * 7 / 3.0) - i * 7 / 3, w = (int)Math.Ceiling((j + 1) * 5 / 2.0) - j * 5 / 2;
            adds += h * w - 1;
        }
        Assert.Equal(new Counts(0, 3 * 6, 3 * adds, 0), s["0"].Counts);
        Assert.Equal(new Counts(0, 3, 3 * 5, 0), s["1"].Counts);
        // A single output cell sees the whole input (its stride is immaterial).
        Assert.Equal((7L, 0L), (s["1"].ReceptiveField!.H.Size, s["1"].ReceptiveField!.H.Start));
        Assert.Equal((5L, 0L), (s["1"].ReceptiveField!.W.Size, s["1"].ReceptiveField!.W.Start));
        Assert.Equal(new ReceptiveFieldAxis(3, 2, 0), s["0"].ReceptiveField!.H);
    }

    [Fact]
    public void Blocks_OwnRowsAndSubtotals()
    {
        var s = ModelAnalyzer.Analyze(SpecParser.Parse("""
            input 4 8 8
            residual
              conv2d out_channels=4 kernel_size=3 padding=1
              relu
            end
            concat
              branch
                conv2d out_channels=2 kernel_size=1
              branch
              branch
                maxpool2d kernel_size=3 stride=1 padding=1
            end
            """));
        Assert.Equal(["0.0", "0.1", "0", "1.0.0", "1.2.0", "1"], s.Layers.Select(r => r.Name));
        Assert.Equal(new Counts(0, 0, 256, 0), s["0"].Counts);
        Assert.Equal([1, 1, 0, 1, 1, 0], s.Layers.Select(r => r.Depth));
        var body = Assert.Single(s["0"].Subtotals);
        Assert.Equal(new BranchSubtotal("body", 0, 1, s["0.0"].Counts + s["0.1"].Counts), body);
        Assert.Equal(Counts.Zero, s["1"].Counts);
        Assert.Equal([10, 8, 8], s["1"].OutputShape);
        Assert.Equal(["branch 0", "branch 1", "branch 2"], s["1"].Subtotals.Select(b => b.Label));
        Assert.Equal((4, 3), (s["1"].Subtotals[1].FirstRow, s["1"].Subtotals[1].LastRow));
        // Residual field: union of the 3x3 body and the identity; concat: union of 1x1, identity and 3x3 pool.
        Assert.Equal(new ReceptiveFieldAxis(3, 1, -1), s["0"].ReceptiveField!.H);
        Assert.Equal(new ReceptiveFieldAxis(5, 1, -2), s["1"].ReceptiveField!.H);
    }

    [Fact]
    public void ConcatUnion_WithDifferentStrides_CoversEveryBranch()
    {
        // Both branches give 2x2: a 1x1 stride-2 conv and a 3x3 stride-1 conv on a 4x4 input.
        var s = ModelAnalyzer.Analyze(SpecParser.Parse("""
            input 1 4 4
            concat
              branch
                conv2d out_channels=1 kernel_size=1 stride=2
              branch
                conv2d out_channels=1 kernel_size=3
            end
            """));
        var u = s["0"].ReceptiveField!.H;
        for (int i = 0; i < 2; i++)
        foreach (var f in new[] { s["0.0.0"].ReceptiveField!.H, s["0.1.0"].ReceptiveField!.H })
        {
            Assert.True(u.Start + i * u.Stride <= f.Start + i * f.Stride);
            Assert.True(u.Start + i * u.Stride + u.Size >= f.Start + i * f.Stride + f.Size);
        }
        Assert.Equal(3, u.Size);
    }

    [Theory]
    [InlineData("input 1 4 4\nconv2d out_channels=2 kernel_size=5", "<spec>:2: layer 0 (conv2d): expected an output size >= 1, found 2x0x0 from input 1x4x4")]
    [InlineData("input 1 4 4\nmaxpool2d kernel_size=2\nmaxpool2d kernel_size=3", "<spec>:3: layer 1 (maxpool2d): expected an output size >= 1, found 1x0x0 from input 1x2x2")]
    [InlineData("input 1 8 8\nconcat\nbranch\nconv2d out_channels=2 kernel_size=3\nbranch\nrelu\nend", "<spec>:2: layer 0 (concat): expected every branch to have the spatial size of branch 0 (2x6x6), found branch 1 output 1x8x8")]
    [InlineData("input 1 8 8\nresidual\nconv2d out_channels=2 kernel_size=3 padding=1\nend", "<spec>:2: layer 0 (residual): expected the body output 2x8x8 to equal the identity shortcut (the block input), found 1x8x8")]
    [InlineData("input 1 8 8\nresidual\nconv2d out_channels=2 kernel_size=1\nshortcut\nconv2d out_channels=2 kernel_size=1 stride=2\nend", "<spec>:2: layer 0 (residual): expected the body output 2x8x8 to equal the shortcut output, found 2x4x4")]
    [InlineData("input 3 8 8\nconv2d out_channels=4 kernel_size=1 groups=2", "<spec>:2: layer 0 (conv2d): expected in_channels divisible by groups=2, found input 3x8x8")]
    [InlineData("input 3 8 8\nlinear out_features=4", "<spec>:2: layer 0 (linear): expected a flat input (add 'flatten' before it), found 3x8x8")]
    [InlineData("input 12\nconv2d out_channels=4 kernel_size=1", "<spec>:2: layer 0 (conv2d): expected a C x H x W input, found flat input 12")]
    [InlineData("input 60000 60000 60000\nflatten", "<spec>:2: layer 0 (flatten): expected at most 2147483647 features per sample, found 60000x60000x60000 = 216000000000000")]
    [InlineData("input 12\nsoftmax dim=2", "<spec>:2: layer 0 (softmax): expected dim in 1..1 (or -1..-1) for input 12 with a batch dimension, found 2")]
    public void ShapeErrors_NameLayerAndBothShapes(string text, string expected)
    {
        var e = Assert.Throws<NablaInputException>(() => ModelAnalyzer.Analyze(SpecParser.Parse(text)));
        Assert.Equal(expected, e.Message);
    }

    [Fact]
    public void FlatInput_HasNoReceptiveField()
    {
        var s = ModelAnalyzer.Analyze(SpecParser.Parse("input 20\nlinear out_features=4\nlogsoftmax\n"));
        Assert.All(s.Layers, r => Assert.Null(r.ReceptiveField));
        Assert.Equal(new Counts(84, 80, 80, 4), s.Total);
    }
}
