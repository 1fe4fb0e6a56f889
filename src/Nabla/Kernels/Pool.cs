using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Nabla.Kernels;

/// <summary>
/// Max pooling over planes (N·C planes of H x W), writing the maximum of each window and the flat in-plane
/// index of the element that gave it. Padding counts as −∞; a NaN in a window wins (the first one), as PyTorch.
/// </summary>
public static partial class Pool
{
    /// <summary>Max pooling of <paramref name="planes"/> planes: fast loops (no bounds clipping inside windows
    /// that lie wholly in the plane).</summary>
    /// <param name="win">The window: kernel, stride, padding, dilation.</param>
    /// <param name="x">Planes of H x W, back to back.</param>
    /// <param name="planes">Number of planes.</param>
    /// <param name="h">Plane height.</param>
    /// <param name="w">Plane width.</param>
    /// <param name="oh">Output height.</param>
    /// <param name="ow">Output width.</param>
    /// <param name="y">Destination, planes x OH x OW.</param>
    /// <param name="arg">Destination, the in-plane index (row·W + column) of each maximum.</param>
    /// <exception cref="ArgumentException">Spans too short or sizes out of range.</exception>
    public static unsafe void MaxPool2d(ReadOnlySpan<float> x, int planes, int h, int w, in Window2d win, int oh, int ow, Span<float> y, Span<int> arg)
    {
        int kh = win.Kh, kw = win.Kw, sh = win.Sh, sw = win.Sw, ph = win.Ph, pw = win.Pw, dh = win.Dh, dw = win.Dw;
        Check(x.Length, planes, h, w, win, oh, ow, y.Length, arg.Length);
        fixed (float* px = x, py = y)
        fixed (int* pa = arg)
        {
            if (kh == 2 && kw == 2 && ph == 0 && pw == 0 && dh == 1 && dw == 1 && (oh - 1) * sh + 2 <= h && (ow - 1) * sw + 2 <= w)
            {
                MaxPool2x2Inside(px, planes, h, w, sh, sw, oh, ow, py, pa);
                return;
            }
            if (sw == 2 && ph == 0 && pw == 0 && dh == 1 && dw == 1 && Vector16.IsSupported && (oh - 1) * sh + kh <= h && (ow - 1) * 2 + kw <= w)
            {
                MaxPoolStride2Inside(px, planes, h, w, kh, kw, sh, oh, ow, py, pa);
                return;
            }
            for (int plane = 0; plane < planes; plane++)
            {
                float* src = px + (long)plane * h * w;
                float* dst = py + (long)plane * oh * ow;
                int* da = pa + (long)plane * oh * ow;
                for (int i = 0; i < oh; i++)
                {
                    int h0 = i * sh - ph;
                    // Window taps inside the plane: ka in [ka0, ka1) (a = h0 + ka·dh), likewise kb.
                    int ka0 = h0 >= 0 ? 0 : (-h0 + dh - 1) / dh, ka1 = Math.Min(kh, h0 >= h ? 0 : (h - 1 - h0) / dh + 1);
                    for (int j = 0; j < ow; j++)
                    {
                        int w0 = j * sw - pw;
                        int kb0 = w0 >= 0 ? 0 : (-w0 + dw - 1) / dw, kb1 = Math.Min(kw, w0 >= w ? 0 : (w - 1 - w0) / dw + 1);
                        float best = float.NegativeInfinity; int bi = -1;
                        for (int ka = ka0; ka < ka1; ka++)
                        {
                            int a = h0 + ka * dh;
                            float* row = src + a * w;
                            for (int kb = kb0, b = w0 + kb0 * dw; kb < kb1; kb++, b += dw)
                            {
                                float v = row[b];
                                // !(v <= best): v is larger, or v is NaN; the first element is always taken.
                                if (!(v <= best) || bi < 0) { best = v; bi = a * w + b; if (float.IsNaN(v)) goto done; }
                            }
                        }
                    done:
                        dst[i * ow + j] = best;
                        da[i * ow + j] = bi;
                    }
                }
            }
        }
    }

    /// <summary>2 x 2 windows that all lie inside the plane (no padding, no dilation): no clipping at all; with
    /// stride 2 and AVX-512 or AVX2 (<see cref="Vector16"/>), 16 windows at a time.</summary>
    private static unsafe void MaxPool2x2Inside(float* px, int planes, int h, int w, int sh, int sw, int oh, int ow, float* py, int* pa)
    {
        bool vector = sh == 2 && sw == 2 && Vector16.IsSupported;
        float* inEnd = px + (long)planes * h * w;
        float* outEnd = py + (long)planes * oh * ow;
        for (int plane = 0; plane < planes; plane++)
        {
            float* src = px + (long)plane * h * w;
            float* dst = py + (long)plane * oh * ow;
            int* da = pa + (long)plane * oh * ow;
            for (int i = 0; i < oh; i++)
            {
                int r = i * sh;
                float* row0 = src + r * w;
                int j = 0;
                if (vector)
                    for (; j < ow; j += 16)
                    {
                        // A short block (a row narrower than 16 windows, or its last block) may read past its two
                        // rows and write past its row's outputs when both stay inside the spans: the extra outputs
                        // belong to later windows of this call, which are written afterwards, in order.
                        int count = Math.Min(16, ow - j);
                        bool overrun = count < 16 && dst + i * ow + j + 16 <= outEnd && row0 + w + 2 * j + 32 <= inEnd;
                        Window2x2Stride2x16(row0, w, r, j, count, overrun, dst + i * ow + j, da + i * ow + j);
                    }
                for (int c = j * sw; j < ow; j++, c += sw)
                {
                    var (best, bi) = Window2x2(row0, w, c);
                    dst[i * ow + j] = best;
                    da[i * ow + j] = bi + r * w + c;
                }
            }
        }
    }

    /// <summary>Windows of any size at horizontal stride 2 that lie inside the plane (AlexNet's 3x3 stride-2 pools), 16
    /// outputs at a time: each tap's 16 inputs (every other float) are the even lanes of two loads, and the running
    /// maximum takes a value when <c>!(v &lt;= best)</c> while best is not NaN, taps in row-major order — the scalar
    /// rule (the first maximum; the first NaN wins), so the same values and indices as the naive twin in the tests.</summary>
    private static unsafe void MaxPoolStride2Inside(float* px, int planes, int h, int w, int kh, int kw, int sh, int oh, int ow, float* py, int* pa)
    {
        var lane = Vector512<int>.Indices;
        var even = lane * 2; // lanes 0, 2, ..., 30 of two 16-float loads
        for (int plane = 0; plane < planes; plane++)
        {
            float* src = px + (long)plane * h * w;
            float* dst = py + (long)plane * oh * ow;
            int* da = pa + (long)plane * oh * ow;
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j += 16)
                {
                    int count = Math.Min(16, ow - j), span = 2 * count - 1; // floats a tap needs from its first
                    var lo = Vector512.LessThan(lane, Vector512.Create(span)).AsSingle();
                    var hi = Vector512.LessThan(lane + Vector512.Create(16), Vector512.Create(span)).AsSingle();
                    Vector512<float> best = default;
                    Vector512<int> at = default;
                    for (int ka = 0; ka < kh; ka++)
                    {
                        int r = i * sh + ka;
                        for (int kb = 0; kb < kw; kb++)
                        {
                            float* first = src + (long)r * w + 2 * j + kb;
                            var v = Vector16.EveryOther(Vector16.Load(first, lo), Vector16.Load(first + 16, hi), odd: false);
                            var index = Vector512.Create(r * w + 2 * j + kb) + even;
                            if (ka == 0 && kb == 0) { best = v; at = index; continue; }
                            var take = ~Vector512.LessThanOrEqual(v, best) & Vector512.Equals(best, best);
                            best = Vector512.ConditionalSelect(take, v, best);
                            at = Vector512.ConditionalSelect(take.AsInt32(), index, at);
                        }
                    }
                    var keep = Vector512.LessThan(lane, Vector512.Create(count));
                    Vector16.Store(dst + i * ow + j, keep.AsSingle(), best);
                    Vector16.Store(da + i * ow + j, keep, at);
                }
        }
    }

    /// <summary>The first maximum of the window at row0[c], row0[c + 1], row0[c + w], row0[c + w + 1] (a NaN wins:
    /// the first one), and its offset from row0[c]: 0, 1, w or w + 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe (float Best, int Offset) Window2x2(float* row0, int w, int c)
    {
        float* row1 = row0 + w;
        float a = row0[c], b = row0[c + 1], e = row1[c], f = row1[c + 1];
        int bi;
        if (float.IsNaN(a + b + e + f)) // rare: the first NaN wins, taken in window order
        {
            bi = float.IsNaN(a) ? 0 : float.IsNaN(b) ? 1 : float.IsNaN(e) ? w : float.IsNaN(f) ? w + 1 : -1;
            if (bi < 0) // a + b + e + f overflowed (+inf + -inf): plain comparisons are exact here
            {
                bi = 0; float m0 = a;
                if (b > m0) { bi = 1; m0 = b; }
                if (e > m0) { bi = w; m0 = e; }
                if (f > m0) bi = w + 1;
            }
        }
        else
        {
            // Branch-free: the index of the first maximum (strictly greater replaces), then its value.
            int k = b > a ? 1 : 0;
            float m = MathF.Max(a, b);
            k = e > m ? w : k;
            m = MathF.Max(m, e);
            k = f > m ? w + 1 : k;
            bi = k;
        }
        return (row0[c + bi], bi);
    }

    /// <summary><paramref name="count"/> (≤ 16) stride-2 windows of output row starting at column
    /// <paramref name="j"/>: even and odd columns of the two input rows split by permutes, the first maximum kept by
    /// strict-greater selects (exactly the scalar rule). Reads and writes are masked to the windows asked for unless
    /// <paramref name="overrun"/> allows whole vectors (the caller checked they stay inside the spans and that the
    /// extra outputs are rewritten later); a block holding a NaN in its windows is left to <see cref="Window2x2"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Window2x2Stride2x16(float* row0, int w, int r, int j, int count, bool overrun, float* dst, int* da)
    {
        float* p0 = row0 + 2 * j, p1 = p0 + w;
        Vector512<float> lo0, hi0, lo1, hi1;
        var lanes = Vector512<int>.Indices;
        if (count == 16 || overrun)
        {
            lo0 = Vector512.Load(p0); hi0 = Vector512.Load(p0 + 16);
            lo1 = Vector512.Load(p1); hi1 = Vector512.Load(p1 + 16);
        }
        else
        {
            var mlo = Vector512.LessThan(lanes, Vector512.Create(2 * count)).AsSingle();
            var mhi = Vector512.LessThan(lanes, Vector512.Create(2 * count - 16)).AsSingle();
            lo0 = Vector16.Load(p0, mlo); hi0 = Vector16.Load(p0 + 16, mhi);
            lo1 = Vector16.Load(p1, mlo); hi1 = Vector16.Load(p1 + 16, mhi);
        }
        var even = lanes * 2;
        var a = Vector16.EveryOther(lo0, hi0, odd: false);
        var b = Vector16.EveryOther(lo0, hi0, odd: true);
        var e = Vector16.EveryOther(lo1, hi1, odd: false);
        var f = Vector16.EveryOther(lo1, hi1, odd: true);
        var ordered = Vector512.Equals(a, a) & Vector512.Equals(b, b) & Vector512.Equals(e, e) & Vector512.Equals(f, f);
        if (!Vector512.EqualsAll(ordered.AsInt32() | Vector512.GreaterThanOrEqual(lanes, Vector512.Create(count)), Vector512<int>.AllBitsSet))
        {
            for (int q = 0; q < count; q++)
            {
                var (best, bi) = Window2x2(p0, w, 2 * q);
                dst[q] = best;
                da[q] = bi + r * w + 2 * (j + q);
            }
            return;
        }
        var k = Vector512<int>.Zero;
        var m = a;
        var gt = Vector512.GreaterThan(b, m);
        k = Vector512.ConditionalSelect(gt.AsInt32(), Vector512<int>.One, k);
        m = Vector512.ConditionalSelect(gt, b, m);
        gt = Vector512.GreaterThan(e, m);
        k = Vector512.ConditionalSelect(gt.AsInt32(), Vector512.Create(w), k);
        m = Vector512.ConditionalSelect(gt, e, m);
        gt = Vector512.GreaterThan(f, m);
        k = Vector512.ConditionalSelect(gt.AsInt32(), Vector512.Create(w + 1), k);
        m = Vector512.ConditionalSelect(gt, f, m);
        var index = k + Vector512.Create(r * w + 2 * j) + even;
        if (count == 16 || overrun)
        {
            m.Store(dst);
            index.Store(da);
        }
        else
        {
            var mask = Vector512.LessThan(lanes, Vector512.Create(count));
            Vector16.Store(dst, mask.AsSingle(), m);
            Vector16.Store(da, mask, index);
        }
    }

    internal static void Check(int xLength, int planes, int h, int w, in Window2d win, int oh, int ow, int yLength, int argLength)
    {
        int kh = win.Kh, kw = win.Kw, sh = win.Sh, sw = win.Sw, ph = win.Ph, pw = win.Pw, dh = win.Dh, dw = win.Dw;
        if (planes < 0 || h < 1 || w < 1 || kh < 1 || kw < 1 || sh < 1 || sw < 1 || ph < 0 || pw < 0 || dh < 1 || dw < 1 || oh < 0 || ow < 0)
            throw new ArgumentException($"Pool: sizes out of range: planes={planes} {h}x{w} kernel {kh}x{kw} stride {sh}x{sw} padding {ph}x{pw} output {oh}x{ow}");
        long need = (long)planes * h * w, outs = (long)planes * oh * ow;
        if (xLength < need) throw new ArgumentException($"Pool: input span needs {need} elements, has {xLength}");
        if (yLength < outs || argLength < outs) throw new ArgumentException($"Pool: output spans need {outs} elements, have {yLength} and {argLength}");
    }
}
