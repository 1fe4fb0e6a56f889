using System.Numerics.Tensors;
using Nabla.Kernels;

namespace Nabla.Tests.NaiveTwins;

/// <summary>The naive twins of <see cref="Winograd"/>: the definitions, one element at a time, that the fast kernels are
/// compared with.</summary>
internal static partial class WinogradNaive
{
    /// <summary>The reference of <see cref="Winograd.FilterGrad"/>: the direct sum over images and outputs, in float, into
    /// <paramref name="dw"/> (C_out·C_in·9, overwritten).</summary>
    /// <exception cref="ArgumentException">A span is too short.</exception>
    internal static void FilterGrad(ReadOnlySpan<float> x, int n, int cin, int h, int w, ReadOnlySpan<float> dy, int cout,
        int oh, int ow, int ph, int pw, Span<float> dw)
    {
        if (x.Length < n * cin * h * w || dy.Length < n * cout * oh * ow || dw.Length < cout * cin * 9) throw new ArgumentException("Winograd: span too short");
        for (int o = 0; o < cout; o++)
            for (int c = 0; c < cin; c++)
                for (int a = 0; a < 3; a++)
                    for (int e = 0; e < 3; e++)
                    {
                        float sum = 0;
                        for (int b = 0; b < n; b++)
                            for (int i = 0; i < oh; i++)
                            {
                                int r = i - ph + a;
                                if (r < 0 || r >= h) continue;
                                for (int q = 0; q < ow; q++)
                                {
                                    int col = q - pw + e;
                                    if (col < 0 || col >= w) continue;
                                    sum += dy[((b * cout + o) * oh + i) * ow + q] * x[((b * cin + c) * h + r) * w + col];
                                }
                            }
                        dw[((o * cin + c) * 3 + a) * 3 + e] = sum;
                    }
    }

    /// <summary>The reference of the input gradient of <see cref="Winograd.Backward"/>: the direct sum
    /// <c>dx[b, c, r, q] += Σ_{o,a,e} dY[b, o, r + ph − a, q + pw − e] · w[o, c, a, e]</c> in float, one element at a time.</summary>
    /// <param name="w">Weights (C_out, C_in, 3, 3).</param>
    /// <param name="dy">Output gradient (N, C_out, OH, OW).</param>
    /// <param name="n">N.</param>
    /// <param name="cin">C_in.</param>
    /// <param name="h">H.</param>
    /// <param name="width">W.</param>
    /// <param name="cout">C_out.</param>
    /// <param name="oh">OH.</param>
    /// <param name="ow">OW.</param>
    /// <param name="ph">Padding above.</param>
    /// <param name="pw">Padding left.</param>
    /// <param name="dx">Input gradient (N, C_in, H, W), added to.</param>
    /// <exception cref="ArgumentException">A span is too short.</exception>
    internal static void InputGrad(ReadOnlySpan<float> w, ReadOnlySpan<float> dy, int n, int cin, int h, int width, int cout,
        int oh, int ow, int ph, int pw, Span<float> dx)
    {
        if (w.Length < cout * cin * 9 || dy.Length < n * cout * oh * ow || dx.Length < n * cin * h * width) throw new ArgumentException("Winograd: span too short");
        for (int b = 0; b < n; b++)
            for (int c = 0; c < cin; c++)
                for (int r = 0; r < h; r++)
                    for (int q = 0; q < width; q++)
                    {
                        float sum = 0;
                        for (int o = 0; o < cout; o++)
                            for (int a = 0; a < 3; a++)
                            {
                                int i = r + ph - a;
                                if (i < 0 || i >= oh) continue;
                                for (int e = 0; e < 3; e++)
                                {
                                    int jj = q + pw - e;
                                    if (jj < 0 || jj >= ow) continue;
                                    sum += dy[((b * cout + o) * oh + i) * ow + jj] * w[((o * cin + c) * 3 + a) * 3 + e];
                                }
                            }
                        dx[((b * cin + c) * h + r) * width + q] += sum;
                    }
    }
}
