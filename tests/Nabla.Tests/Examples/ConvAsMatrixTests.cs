using Nabla.Examples;
using Nabla.NN;
using Nabla.Tensors;
using Xunit;

namespace Nabla.Tests.Examples;

public class ConvAsMatrixTests
{
    /// <summary>Both matrices copy the same float32 weights (no arithmetic), so they agree exactly.</summary>
    internal const double MatrixTolerance = 0;

    [Fact]
    public void ConvAsMatrix_ForwardBackwardAndWeightGradient_MatchConvAndAutograd()
    {
        var r = ConvAsMatrix.Run(TextWriter.Null);
        Assert.Equal([1, 2], r.Cases.Select(c => c.Stride));
        foreach (var c in r.Cases)
        {
            Assert.True(c.Forward <= ConvAsMatrix.Tolerance, $"stride {c.Stride}: forward {c.Forward}");
            Assert.True(c.BackwardMatrix <= ConvAsMatrix.Tolerance, $"stride {c.Stride}: A_wᵀ dy {c.BackwardMatrix}");
            Assert.True(c.BackwardTransposedConv <= ConvAsMatrix.Tolerance, $"stride {c.Stride}: transposed conv {c.BackwardTransposedConv}");
            Assert.True(c.WeightGrad <= ConvAsMatrix.Tolerance, $"stride {c.Stride}: dW {c.WeightGrad}");
            Assert.True(c.MatrixVsLibrary <= ConvAsMatrixTests.MatrixTolerance, $"stride {c.Stride}: matrix vs ConvToeplitz {c.MatrixVsLibrary}");
            Assert.InRange(c.Density, 0.0, 0.5); // sparse: each output pixel sees 3x3 of the input
        }
        Assert.True(r.Holds);
    }

    [Fact]
    public void ConvAsMatrix_Matrix_ColumnsAreTheResponsesToUnitImages()
    {
        // Column (c, r, q) of A_w is the convolution (without bias) of the unit image e_(c,r,q): an independent check of the indexing.
        var conv = new Conv2d(2, 3, (3, 3), stride: (2, 2), padding: (1, 1), bias: false, rng: new Rng(4));
        var a = ConvAsMatrix.Matrix(conv, 5, 4);
        for (int col = 0; col < 2 * 5 * 4; col++)
        {
            var e = Tensor.Zeros(1, 2, 5, 4);
            e.Data[col] = 1;
            var y = conv.Forward(e).ToArray();
            Assert.Equal(y.Length, a.GetLength(0));
            for (int row = 0; row < y.Length; row++) Assert.Equal(y[row], a[row, col], 6);
        }
    }
}
