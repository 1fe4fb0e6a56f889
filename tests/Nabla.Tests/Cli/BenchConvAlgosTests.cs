using Nabla.Cli.Commands;
using Nabla.Kernels;
using Nabla.Kernels.Conv;
using Xunit;

namespace Nabla.Tests.Cli;

public class BenchConvAlgosTests
{
    [Fact]
    public void ConvAlgos_ListsEveryConvLayerWithTheAlgorithmItRanAndEveryCandidate()
    {
        var writer = new StringWriter();
        BenchConvAlgos.Run("lenet5", writer);
        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("lenet5: 2 convolution layer(s)", lines[0]);
        var ran = lines.Where(l => l.Contains(": ran ")).ToList();
        Assert.Equal(4, ran.Count); // two layers at the training and at the inference batch
        Assert.StartsWith("  layer 0 (64x1x28x28 -> 6x28x28, kernel 5x5", ran[0]);
        Assert.EndsWith(DirectConv.IsAccelerated ? "ran direct-1ch" : "ran im2col", ran[0]);
        Assert.EndsWith("ran im2col", ran[1]); // 6 → 16 channels: too few for F(2x2, 5x5)
        // Without hardware vectors Winograd is refused for the hardware before the channels are looked at.
        var refusal = Winograd.IsAccelerated ? "too few channels" : "no hardware 256- or 512-bit vectors";
        Assert.Contains(lines, l => l.Contains("winograd-f2x2-5x5") && l.Contains("inf") && l.Contains(refusal));
        Assert.Equal(4 * ConvRegistry.Names.Count, lines.Count(l => l.StartsWith("      ", StringComparison.Ordinal))); // every candidate each
    }
}
