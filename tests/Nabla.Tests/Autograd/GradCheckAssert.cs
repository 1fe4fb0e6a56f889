using Nabla.Autograd;
using Xunit;

namespace Nabla.Tests.Autograd;

/// <summary>The assertions every layer's gradcheck test makes on a <see cref="GradCheckReport"/>.</summary>
internal static class GradCheckAssert
{
    /// <summary>The report ran in float64, its forward agreed, and every tensor was checked and passed.</summary>
    public static void Passes(GradCheckReport report)
    {
        Assert.True(report.Float64);
        Assert.True(report.ForwardPassed, $"forward err {report.ForwardError:G3}");
        foreach (var r in report.Tensors) Assert.True(r.Passed && r.Checked > 0, $"{r.Name}: rel err {r.MaxRelError:G3} over {r.Checked}");
    }
}
