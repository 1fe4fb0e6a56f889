using Nabla.Examples;
using Xunit;

namespace Nabla.Tests.Examples;

public class ConvArithmeticTests
{
    [Fact]
    public void ConvArithmetic_IssueCorrelation_SizeExtremesAndZeros()
    {
        var r = ConvArithmetic.Run(TextWriter.Null);
        var a = r.A;
        int n = ConvArithmetic.X.GetLength(0), k = ConvArithmetic.W.GetLength(0);
        Assert.Equal(n - k + 1, a.Output.GetLength(0));
        Assert.Equal(n - k + 1, a.Output.GetLength(1));
        // F.Conv2d equals the explicit loops exactly (small integers).
        for (int i = 0; i < a.Output.GetLength(0); i++)
            for (int j = 0; j < a.Output.GetLength(1); j++)
                Assert.Equal(a.ByLoops[i, j], a.Output[i, j]);
        // The positions, recomputed from the loops' result.
        var cells = Enumerable.Range(0, a.ByLoops.GetLength(0)).SelectMany(i => Enumerable.Range(0, a.ByLoops.GetLength(1)).Select(j => (i, j))).ToList();
        double max = cells.Max(c => a.ByLoops[c.i, c.j]), min = cells.Min(c => a.ByLoops[c.i, c.j]);
        Assert.True(max > 0 && min < 0);
        Assert.Equal(max, a.Max);
        Assert.Equal(min, a.Min);
        Assert.Equal(cells.Where(c => a.ByLoops[c.i, c.j] == max).Select(c => (c.i + 1, c.j + 1)), a.MaxAt);
        Assert.Equal(cells.Where(c => a.ByLoops[c.i, c.j] == min).Select(c => (c.i + 1, c.j + 1)), a.MinAt);
        Assert.Equal(cells.Where(c => a.ByLoops[c.i, c.j] == 0).Select(c => (c.i + 1, c.j + 1)), a.ZerosAt);
    }

    [Fact]
    public void ConvArithmetic_LayerOn48x64x10_ShapeMultsParams()
    {
        var b = ConvArithmetic.Run(TextWriter.Null).B;
        Assert.Equal([20, 46, 62], b.OutputShape);
        Assert.Equal(b.MultsFormula, b.Mults);
        Assert.Equal(b.ParamsFormula, b.Params);
    }

    [Fact]
    public void ConvArithmetic_ConvSigmoidGradients_IndexFormulasEqualAutograd()
    {
        var c = ConvArithmetic.Run(TextWriter.Null).C;
        Assert.True(c.DZ <= ConvArithmetic.Tolerance, $"∂J/∂Z {c.DZ}");
        Assert.True(c.DW <= ConvArithmetic.Tolerance, $"∂J/∂W {c.DW}");
        Assert.True(c.DB <= ConvArithmetic.Tolerance, $"∂J/∂b {c.DB}");
        Assert.True(c.DX <= ConvArithmetic.Tolerance, $"∂J/∂X {c.DX}");
    }
}
