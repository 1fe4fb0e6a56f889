using Nabla.Examples;
using Xunit;

namespace Nabla.Tests.Examples;

public class BackpropByHandTests
{
    [Fact]
    public void Backprop_ExplicitJacobianProducts_EqualAutograd()
    {
        var r = BackpropByHand.Run(TextWriter.Null);
        Assert.True(r.Holds, r.ToString());
        Assert.True(r.MaxDiffBias <= BackpropByHand.Tolerance, $"bias Jacobians differ by {r.MaxDiffBias}");
        Assert.True(r.MaxDiffWeight <= BackpropByHand.Tolerance, $"weight Jacobians differ by {r.MaxDiffWeight}");
        Assert.True(r.LargestEntry > 0);
    }

    [Fact]
    public void Backprop_DeeperAndNarrower_StillEqualsAutograd()
    {
        var r = BackpropByHand.Run(TextWriter.Null, [3, 7, 2, 5, 4, 2], seed: 9);
        Assert.True(r.Holds, r.ToString());
    }
}
