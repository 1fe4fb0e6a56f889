using Nabla.Analysis;
using Nabla.NN;
using Nabla.Ops;
using Nabla.Tensors;

namespace Nabla.Examples;

/// <summary>
/// Topic 9. A convolution is a linear map, so on an h x w input it is a (sparse, block-Toeplitz) matrix A_w of size
/// (C_out·oh·ow) x (C_in·h·w): y = A_w x + b. Its backward is multiplication by A_wᵀ — a transposed convolution,
/// which is itself a convolution of the output gradient (zero-inserted between pixels for stride s, padded by
/// k − 1 − p) with the flipped kernel, input and output channels swapped. The weight gradient is a correlation of
/// the input with the output gradient: dW[o, c] = Σ_n x_pad[n, c] ⋆ dy[n, o], dilated by the stride.
/// A_w comes from <see cref="Nabla.Analysis.ConvToeplitz.Matrix"/>, checked against the scatter construction here;
/// each product is compared with F.Conv2d's forward and autograd's gradients.
/// </summary>
public static class ConvAsMatrix
{
    /// <summary>float32 sums of a few dozen O(1) products, formed in different orders.</summary>
    public const double Tolerance = 1e-5;

    /// <summary>One configuration.</summary>
    /// <param name="Stride">Stride.</param>
    /// <param name="Padding">Zero padding.</param>
    /// <param name="Rows">Rows of A_w (C_out·oh·ow).</param>
    /// <param name="Cols">Columns (C_in·h·w).</param>
    /// <param name="Density">Fraction of nonzero entries of A_w.</param>
    /// <param name="MatrixVsLibrary">max |A_w by the scatter here − ConvToeplitz.Matrix|.</param>
    /// <param name="Forward">max |A_w x + b − F.Conv2d|.</param>
    /// <param name="BackwardMatrix">max |A_wᵀ dy − autograd ∂/∂x|.</param>
    /// <param name="BackwardTransposedConv">max |transposed conv (as F.Conv2d of the zero-inserted dy) − autograd ∂/∂x|.</param>
    /// <param name="WeightGrad">max |correlation of x with dy (F.Conv2d, dilation = stride) − autograd ∂/∂W| / max(1, max |∂/∂W|)
    /// (each entry sums N·oh·ow products, so entries reach ~10 and float32 rounding scales with them).</param>
    public sealed record Case(int Stride, int Padding, int Rows, int Cols, double Density, double MatrixVsLibrary, double Forward, double BackwardMatrix,
        double BackwardTransposedConv, double WeightGrad)
    {
        /// <summary>Every comparison within <see cref="Tolerance"/>.</summary>
        public bool Agrees => new[] { MatrixVsLibrary, Forward, BackwardMatrix, BackwardTransposedConv, WeightGrad }.All(d => d <= Tolerance);
    }

    /// <summary>The outcome.</summary>
    /// <param name="Cases">Stride 1 and stride 2.</param>
    public sealed record Result(IReadOnlyList<Case> Cases) : IExampleResult
    {
        /// <inheritdoc/>
        public bool Holds => Cases.All(c => c.Agrees);
    }

    /// <summary>Runs a 2 → 3 channel 3x3 convolution, stride 1 on 6x6 and stride 2 on 8x8 (padding 1), batch 2.</summary>
    public static Result Run(TextWriter o)
    {
        o.WriteLine("conv2d 2 → 3 channels, 3x3, padding 1, batch of 2; A_w from ConvToeplitz.Matrix, checked against scattering each weight to the (output, input) pixel pairs it links.");
        var cases = new List<Case> { RunCase(o, stride: 1, padding: 1, h: 6, w: 6, seed: 1), RunCase(o, stride: 2, padding: 1, h: 8, w: 8, seed: 2) };
        return new Result(cases);
    }

    /// <summary>The matrix A_w of <paramref name="conv"/> (groups 1, dilation 1) on an h x w input: row (o, i, j), column (c, r, q).</summary>
    public static double[,] Matrix(Conv2d conv, int h, int w)
    {
        var (s, p) = (conv.Options.Stride, conv.Options.Padding);
        var (kh, kw) = conv.KernelSize;
        int oh = (h + 2 * p.h - kh) / s.h + 1, ow = (w + 2 * p.w - kw) / s.w + 1, cin = conv.InChannels;
        var a = new double[conv.OutChannels * oh * ow, cin * h * w];
        for (int oc = 0; oc < conv.OutChannels; oc++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                    for (int c = 0; c < cin; c++)
                        for (int u = 0; u < kh; u++)
                            for (int v = 0; v < kw; v++)
                            {
                                int r = i * s.h - p.h + u, q = j * s.w - p.w + v;
                                if (r < 0 || r >= h || q < 0 || q >= w) continue;     // a padded zero: no column
                                a[(oc * oh + i) * ow + j, (c * h + r) * w + q] += conv.Weight[oc, c, u, v];
                            }
        return a;
    }

    private static Case RunCase(TextWriter o, int stride, int padding, int h, int w, ulong seed)
    {
        const int n = 2, cin = 2, cout = 3, k = 3;
        var conv = new Conv2d(cin, cout, (k, k), stride: (stride, stride), padding: (padding, padding), rng: new Rng(seed));
        var rng = new Rng(seed + 100);
        var x = Tensor.Uniform(rng, -1, 1, n, cin, h, w);
        x.RequiresGrad = true;
        var y = conv.Forward(x);
        int oh = y.Shape[2], ow = y.Shape[3];
        var dy = Tensor.Uniform(rng, -1, 1, y.Shape);
        y.Backward(dy);

        var library = ConvToeplitz.Matrix(conv, h, w);
        var A = Dense.FromTensor(library);
        double vsLibrary = Dense.MaxAbsDiff(Matrix(conv, h, w), library);
        int rows = A.GetLength(0), cols = A.GetLength(1);
        double density = (double)A.Cast<double>().Count(v => v != 0) / (rows * cols);
        var At = Dense.Transpose(A);
        double fwd = 0, bwd = 0;
        for (int b = 0; b < n; b++)
        {
            var xb = x.ToArray().Skip(b * cols).Take(cols).Select(v => (double)v).ToArray();
            var yb = Dense.MatVec(A, xb);
            var bias = ConvToeplitz.BiasVector(conv, h, w);
            for (int r = 0; r < rows; r++) yb[r] += bias.Data[r];
            fwd = Math.Max(fwd, Dense.MaxAbsDiff(yb, y.ToArray().Skip(b * rows).Take(rows).Select(v => (double)v)));
            var dyb = dy.ToArray().Skip(b * rows).Take(rows).Select(v => (double)v).ToArray();
            bwd = Math.Max(bwd, Dense.MaxAbsDiff(Dense.MatVec(At, dyb), x.Grad!.ToArray().Skip(b * cols).Take(cols).Select(v => (double)v)));
        }

        // A_wᵀ dy as a convolution: insert s − 1 zeros between output-gradient pixels, pad by k − 1 − p (plus the rows and
        // columns the strided forward never reached), and correlate with the flipped kernel, in/out channels swapped.
        int extraH = (h + 2 * padding - k) % stride, extraW = (w + 2 * padding - k) % stride, edge = k - 1 - padding;
        int dh = (oh - 1) * stride + 1 + 2 * edge + extraH, dw = (ow - 1) * stride + 1 + 2 * edge + extraW;
        var spread = Tensor.Zeros(n, cout, dh, dw);
        for (int b = 0; b < n; b++)
            for (int oc = 0; oc < cout; oc++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                        spread[b, oc, edge + i * stride, edge + j * stride] = dy[b, oc, i, j];
        var flipped = Tensor.Zeros(cin, cout, k, k);
        for (int oc = 0; oc < cout; oc++)
            for (int c = 0; c < cin; c++)
                for (int u = 0; u < k; u++)
                    for (int v = 0; v < k; v++)
                        flipped[c, oc, u, v] = conv.Weight[oc, c, k - 1 - u, k - 1 - v];
        var dxConv = F.Conv2d(spread, flipped, null, Conv2dOptions.Default);
        double tconv = Dense.MaxAbsDiff(dxConv, x.Grad!);

        // dW[o, c, u, v] = Σ_{n,i,j} dy[n, o, i, j] x_pad[n, c, i·s + u, j·s + v]: a convolution with the batch as the
        // channel axis — input x as (C_in, N, h, w), "weight" dy as (C_out, N, oh, ow), dilation s — giving (C_in, C_out, ·, ·).
        var xT = F.Permute(x.Detach(), 1, 0, 2, 3);
        var dyT = F.Permute(dy, 1, 0, 2, 3);
        var corr = F.Conv2d(xT, dyT, null, Conv2dOptions.Default with { Padding = (padding, padding), Dilation = (stride, stride) });
        var dW = F.Permute(F.Slice(F.Slice(corr, 2, 0, k), 3, 0, k), 1, 0, 2, 3);
        double wg = Dense.MaxAbsDiff(dW, conv.Weight.Grad!) / Math.Max(1, conv.Weight.Grad!.ToArray().Max(Math.Abs));

        var cs = new Case(stride, padding, rows, cols, density, vsLibrary, fwd, bwd, tconv, wg);
        o.WriteLine($"stride {stride} on {h}x{w}: A_w is {rows}x{cols} ({Dense.F(100 * density)}% nonzero; ConvToeplitz.Matrix vs the scatter here: max |Δ| {Dense.F(vsLibrary)}); max |Δ|: forward A_w x + b vs F.Conv2d {Dense.F(fwd)}, " +
                    $"A_wᵀ dy vs autograd ∂/∂x {Dense.F(bwd)}, transposed conv (F.Conv2d of the zero-inserted dy, flipped kernel) vs autograd {Dense.F(tconv)}, " +
                    $"correlation of x with dy (dilation {stride}) vs autograd ∂/∂W {Dense.F(wg)} (relative) — {(cs.Agrees ? "agree" : "DISAGREE")} (tolerance {Tolerance}).");
        return cs;
    }
}
