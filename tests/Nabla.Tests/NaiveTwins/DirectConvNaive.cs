using System.Numerics.Tensors;
using Nabla.Kernels;

namespace Nabla.Tests.NaiveTwins;

/// <summary>The naive twins of <see cref="DirectConv"/>: the definitions, one element at a time, that the fast kernels are
/// compared with.</summary>
internal static class DirectConvNaive
{
    /// <summary>The reference of <see cref="DirectConv.Conv1"/>: one element at a time, the same fused multiply-adds in the same
    /// order (bias first, then taps row by row), so the same bits.</summary>
    /// <exception cref="ArgumentException">A size is out of range or a span is too short.</exception>
    internal static void Conv1(ReadOnlySpan<float> x, int n, int h, int w, ReadOnlySpan<float> weight, int cout, int kh, int kw,
        int ph, int pw, ReadOnlySpan<float> bias, Span<float> y, bool relu)
    {
        var (oh, ow) = DirectConv.Check(n, h, w, cout, kh, kw, ph, pw, x.Length, weight.Length, bias.Length, y.Length);
        for (int b = 0; b < n; b++)
            for (int o = 0; o < cout; o++)
                for (int i = 0; i < oh; i++)
                    for (int q = 0; q < ow; q++)
                    {
                        float acc = bias.IsEmpty ? 0f : bias[o];
                        for (int a = 0; a < kh; a++)
                            for (int e = 0; e < kw; e++)
                            {
                                int r = i + a - ph, c = q + e - pw;
                                float xv = r >= 0 && r < h && c >= 0 && c < w ? x[(b * h + r) * w + c] : 0f;
                                acc = MathF.FusedMultiplyAdd(weight[(o * kh + a) * kw + e], xv, acc);
                            }
                        y[((b * cout + o) * oh + i) * ow + q] = relu ? Math.Max(acc, 0f) : acc;
                    }
    }
}
