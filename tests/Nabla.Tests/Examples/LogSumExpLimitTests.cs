using Nabla.Examples;
using Xunit;

namespace Nabla.Tests.Examples;

public class LogSumExpLimitTests
{
    [Fact]
    public void LogSumExp_TendsToMaxWithinLogNOverBeta_GradientIsSoftmax_TendingToOneHot()
    {
        var r = LogSumExpLimit.Run(TextWriter.Null);
        Assert.Equal([1.0, 10, 100, 1000], r.Rows.Select(x => x.Beta));
        foreach (var row in r.Rows)
        {
            Assert.InRange(row.Gap, -LogSumExpLimit.Tolerance, row.Bound + LogSumExpLimit.Tolerance);
            Assert.Equal(Math.Log(r.X.Length) / row.Beta, row.Bound, 12);
            Assert.True(row.GradVsSoftmax <= LogSumExpLimit.Tolerance, $"β = {row.Beta}: ∇ vs softmax {row.GradVsSoftmax}");
            Assert.True(row.DistanceToOneHot <= row.OneHotBound + LogSumExpLimit.Tolerance, $"β = {row.Beta}");
        }
        for (int i = 1; i < r.Rows.Count; i++)
        {
            Assert.True(r.Rows[i].Gap < r.Rows[i - 1].Gap);
            Assert.True(r.Rows[i].DistanceToOneHot < r.Rows[i - 1].DistanceToOneHot);
        }
        Assert.True(r.Holds);
    }

    [Fact]
    public void LogSumExp_TiedMaxima_GapIsExactlyLogTwoOverBeta()
    {
        // Two equal maxima far above the rest: lse_β − max → log(2)/β, the softmax splits ½/½.
        var r = LogSumExpLimit.Run(TextWriter.Null, [5f, -5f, 5f, -5f], [1, 10]);
        double exact = Math.Log(1 + 1 + 2 * Math.Exp(-100)) / 10;
        Assert.True(Math.Abs(r.Rows[1].Gap - exact) <= LogSumExpLimit.Tolerance, $"gap {r.Rows[1].Gap} vs log(2)/10 = {exact}");
    }
}
