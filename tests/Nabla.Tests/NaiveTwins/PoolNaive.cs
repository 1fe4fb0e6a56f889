using System.Numerics.Tensors;
using Nabla.Kernels;

namespace Nabla.Tests.NaiveTwins;

/// <summary>The naive twins of <see cref="Pool"/>: the definitions, one element at a time, that the fast kernels are
/// compared with.</summary>
internal static class PoolNaive
{
    /// <summary>The reference: the window loop straight from the definition. Same contract as <see cref="Pool.MaxPool2d"/>.</summary>
    /// <exception cref="ArgumentException">Spans too short or sizes out of range.</exception>
    internal static void MaxPool2d(ReadOnlySpan<float> x, int planes, int h, int w, int kh, int kw, int sh, int sw,
        int ph, int pw, int dh, int dw, int oh, int ow, Span<float> y, Span<int> arg)
    {
        Pool.Check(x.Length, planes, h, w, new Window2d(kh, kw, sh, sw, ph, pw, dh, dw), oh, ow, y.Length, arg.Length);
        for (int plane = 0; plane < planes; plane++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    float best = float.NegativeInfinity; int bi = -1;
                    for (int a = 0; a < kh; a++)
                        for (int b = 0; b < kw; b++)
                        {
                            int r = i * sh - ph + a * dh, col = j * sw - pw + b * dw;
                            if (r < 0 || r >= h || col < 0 || col >= w) continue;
                            float v = x[plane * h * w + r * w + col];
                            if (bi >= 0 && float.IsNaN(best)) continue;
                            if (bi < 0 || v > best || float.IsNaN(v)) { best = v; bi = r * w + col; }
                        }
                    y[(plane * oh + i) * ow + j] = best;
                    arg[(plane * oh + i) * ow + j] = bi;
                }
    }

    /// <summary>The reference, with span indexing. Same contract as <see cref="Pool.MaxPool2dBackward"/>.</summary>
    /// <exception cref="ArgumentException">Spans too short, or an index outside its plane.</exception>
    internal static void MaxPool2dBackward(ReadOnlySpan<float> g, ReadOnlySpan<int> arg, int planes, int inPlane, int outPlane, Span<float> dx)
    {
        Pool.CheckBackward(g.Length, arg.Length, planes, inPlane, outPlane, dx.Length);
        for (int plane = 0; plane < planes; plane++)
            for (int o = 0; o < outPlane; o++)
            {
                int at = arg[plane * outPlane + o];
                if (at < 0) continue;
                if (at >= inPlane) throw new ArgumentException($"Pool.MaxPool2dBackwardNaive: index {at} outside a plane of {inPlane}");
                dx[plane * inPlane + at] += g[plane * outPlane + o];
            }
    }

    /// <summary>The reference: clear, then one add per output. Same contract as <see cref="Pool.MaxPool2x2Backward"/>.</summary>
    /// <exception cref="ArgumentException">Spans too short, sizes out of range, or an index outside its window.</exception>
    internal static void MaxPool2x2Backward(ReadOnlySpan<float> g, ReadOnlySpan<int> arg, int planes, int h, int w, Span<float> dx)
    {
        if (h < 1 || w < 1) throw new ArgumentException($"Pool: sizes out of range: {h}x{w}");
        int oh = h / 2, ow = w / 2;
        Pool.CheckBackward(g.Length, arg.Length, planes, h * w, oh * ow, dx.Length);
        dx[..(planes * h * w)].Clear();
        for (int plane = 0; plane < planes; plane++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    int o = i * ow + j, at = arg[plane * oh * ow + o];
                    if (at < 0 || at / w / 2 != i || at % w / 2 != j) throw Pool.OutsideWindow(at, o);
                    dx[plane * h * w + at] += g[plane * oh * ow + o];
                }
    }
}
