using Nabla.Examples;
using Xunit;

namespace Nabla.Tests.Examples;

public class BatchNormFoldTests
{
    [Fact]
    public void BatchNormFold_FoldedConv_EqualsConvPlusBatchNormInEval()
    {
        var r = BatchNormFold.Run(TextWriter.Null);
        Assert.True(r.MaxDiff <= BatchNormFold.Tolerance * Math.Max(1, r.MaxOutput), $"BatchNormFolding.Fold: max |Δ| = {r.MaxDiff}");
        Assert.True(r.MaxDiffByHand <= BatchNormFold.Tolerance * Math.Max(1, r.MaxOutput), $"formula by hand: max |Δ| = {r.MaxDiffByHand}");
        Assert.True(r.WeightsVsLibrary <= BatchNormFold.Tolerance, $"folded weights differ by {r.WeightsVsLibrary}");
        Assert.True(r.MaxOutput > 1, "outputs should be far from the trivial scale");
        // Folding removes BatchNorm's per-element multiply and add and its 2·C parameters.
        Assert.True(r.Before.Mults > r.After.Mults);
        Assert.Equal(r.Before.Mults - r.After.Mults, r.Before.Adds - r.After.Adds);
        Assert.Equal(2 * 8, r.Before.Params - r.After.Params);
        Assert.True(r.Holds);
    }
}
