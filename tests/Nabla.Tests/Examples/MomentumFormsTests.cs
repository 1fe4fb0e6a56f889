using Nabla.Examples;
using Xunit;

namespace Nabla.Tests.Examples;

public class MomentumFormsTests
{
    [Fact]
    public void Momentum_HeavyBallAndVelocity_SameIteratesAtConstantLr_DifferentUnderASchedule()
    {
        var r = MomentumForms.Run(TextWriter.Null, steps: 120);
        Assert.True(r.MaxDifference <= MomentumForms.Tolerance * Math.Max(1, r.MaxAbsParam), $"max |Δθ| = {r.MaxDifference}");
        Assert.True(r.FinalLoss < r.FirstLoss / 2, $"loss {r.FirstLoss} → {r.FinalLoss}: the runs did not train");
        Assert.True(r.Travelled > 100 * r.MaxDifference);
        Assert.True(r.ScheduledDifference > 100 * r.MaxDifference, $"scheduled {r.ScheduledDifference} vs constant {r.MaxDifference}");
        Assert.True(r.Holds);
    }
}
