using Nabla.Examples;
using Xunit;

namespace Nabla.Tests.Examples;

public class FamiliarConvolutionsTests
{
    [Fact]
    public void FamiliarConv_DifferencesPoolingGrey_EqualTheirConvolutions_MaxPoolCommutesWithMonotoneF()
    {
        var r = FamiliarConvolutions.Run(TextWriter.Null);
        Assert.True(r.VerticalDiff <= FamiliarConvolutions.Tolerance, $"vertical {r.VerticalDiff}");
        Assert.True(r.HorizontalDiff <= FamiliarConvolutions.Tolerance, $"horizontal {r.HorizontalDiff}");
        Assert.True(r.AvgPoolDiff <= FamiliarConvolutions.Tolerance, $"avgpool {r.AvgPoolDiff}");
        Assert.True(r.GreyDiff <= FamiliarConvolutions.Tolerance, $"grey {r.GreyDiff}");
        Assert.Equal(0, r.ReluCommuteDiff);
        Assert.Equal(0, r.SigmoidCommuteDiff);
        Assert.True(r.NegationCommuteDiff > 0, "a decreasing map should not commute with max-pooling");
        Assert.True(r.Holds);
    }
}
