using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Nabla.Kernels;

/// <summary>
/// <see cref="Im2ColBatch"/>'s unfold and fold for stride 1 and dilation 1, where each output row of a receptive-field
/// row is a contiguous run of the input row: with AVX-512, a row moves as 16-lane masked loads and stores (the mask
/// drops the padding and the lanes past the row), and the fold gathers every tap that lands on an input row into
/// registers before one store, instead of a read-modify-write per tap (LeNet's runs are 10 to 28 floats).
/// </summary>
/// <remarks>Same layout and values as <see cref="Im2ColBatch"/>; <see cref="Fold"/> adds the same terms to each element
/// in the same order (taps in (i, j) order after the value already there; masked lanes are left as they are, not
/// added zeros), so both are bit-identical to it. Without AVX-512 or AVX2 (<see cref="Vector16"/>) both call <see cref="Im2ColBatch"/>.</remarks>
public static class Im2ColUnit
{
    /// <summary>As <see cref="Im2ColBatch.Unfold"/> with stride 1 and dilation 1.</summary>
    /// <exception cref="ArgumentException">Sizes out of range, spans too short, or a stride or dilation of <paramref name="win"/> not 1.</exception>
    public static unsafe void Unfold(ReadOnlySpan<float> x, int images, int imageStride, int c, int h, int w, in Window2d win, Span<float> cols)
    {
        var (oh, ow) = Check(x.Length, images, imageStride, c, h, w, win, cols.Length);
        if (!Vector16.IsSupported)
        {
            Im2ColBatch.Unfold(x, images, imageStride, c, h, w, win, cols);
            return;
        }
        int kh = win.Kh, kw = win.Kw, ph = win.Ph, pw = win.Pw;
        int p = oh * ow, ld = images * p, segments = (ow + 15) / 16;
        var lane = Vector512<int>.Indices;
        // The load masks of a tap's 16-column segments: on the stack for rows up to 1,024 outputs wide, else on the heap.
        const int StackSegments = 64;
        var heapLoads = segments > StackSegments ? new Vector512<float>[segments] : null;
        Span<Vector512<float>> loads = heapLoads ?? stackalloc Vector512<float>[StackSegments];
        fixed (float* px = x, pcols = cols)
        {
            // Tap by tap, each tap's rows left to right: a full 16-lane store may run past its row into memory a later
            // store of the block (or the next tap's block) writes; stores within 16 floats of the block's end are
            // masked to stay inside it (past the last block's end is the end of the span: another object's memory).
            for (int ci = 0; ci < c; ci++)
                for (int i = 0; i < kh; i++)
                    for (int j = 0; j < kw; j++)
                    {
                        int shift = j - pw; // output column ox reads input column ox + shift
                        for (int s = 0; s < segments; s++)
                        {
                            var ox = lane + Vector512.Create(16 * s);
                            loads[s] = (Vector512.LessThan(ox, Vector512.Create(ow)) & Vector512.GreaterThanOrEqual(ox, Vector512.Create(-shift))
                                & Vector512.LessThan(ox, Vector512.Create(w - shift))).AsSingle();
                        }
                        float* dst = pcols + (long)((ci * kh + i) * kw + j) * ld, end = dst + ld;
                        int oyLo = Math.Clamp(ph - i, 0, oh), oyHi = Math.Clamp(h + ph - i, oyLo, oh); // rows whose input row exists
                        for (int b = 0; b < images; b++)
                        {
                            float* src = px + (long)b * imageStride + (long)ci * h * w + (long)(oyLo - ph + i) * w + shift;
                            // Stores whose 16 lanes can reach the block's end are masked: this image's rows end at most
                            // (OH − 1)·OW + 16·segments floats from here, which with tiny planes (OH·OW + OW < 16) is past
                            // the next image's rows too, so not only the last image's stores need it (issue 21).
                            bool last = end - dst < p - ow + 16 * segments;
                            for (int oy = 0; oy < oyLo; oy++, dst += ow) ZeroRow(dst, segments, last, end);
                            if (segments == 1 && !last)
                            {
                                var m = loads[0];
                                for (int oy = oyLo; oy < oyHi; oy++, dst += ow, src += w) Vector16.Load(src, m).Store(dst);
                            }
                            else
                                for (int oy = oyLo; oy < oyHi; oy++, dst += ow, src += w)
                                    for (int s = 0; s < segments; s++) Put(dst + 16 * s, Vector16.Load(src + 16 * s, loads[s]), last, end);
                            for (int oy = oyHi; oy < oh; oy++, dst += ow) ZeroRow(dst, segments, last, end);
                        }
                    }
        }
    }

    /// <summary>Stores 16 lanes at <paramref name="dst"/>; with <paramref name="check"/>, only those before <paramref name="end"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Put(float* dst, Vector512<float> v, bool check, float* end)
    {
        long room = end - dst;
        if (!check || room >= 16) v.Store(dst);
        else Vector16.Store(dst, Vector512.LessThan(Vector512<int>.Indices, Vector512.Create((int)room)).AsSingle(), v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void ZeroRow(float* dst, int segments, bool check, float* end)
    {
        for (int s = 0; s < segments; s++) Put(dst + 16 * s, Vector512<float>.Zero, check, end);
    }

    /// <summary>As <see cref="Im2ColBatch.Fold"/> with stride 1 and dilation 1 (accumulates into <paramref name="dx"/>).</summary>
    /// <exception cref="ArgumentException">Sizes out of range, spans too short, or a stride or dilation of <paramref name="win"/> not 1.</exception>
    public static unsafe void Fold(ReadOnlySpan<float> cols, int images, int imageStride, int c, int h, int w, in Window2d win, Span<float> dx)
    {
        var (oh, ow) = Check(dx.Length, images, imageStride, c, h, w, win, cols.Length);
        if (!Vector16.IsSupported)
        {
            Im2ColBatch.Fold(cols, images, imageStride, c, h, w, win, dx);
            return;
        }
        int kh = win.Kh, kw = win.Kw, ph = win.Ph, pw = win.Pw, p = oh * ow, ld = images * p;
        var lane = Vector512<int>.Indices;
        // Per tap column j: the lanes whose output column ix + pw − j exists (on the heap for kernels over 64 wide).
        Span<Vector512<float>> taps = kw > 64 ? new Vector512<float>[kw] : stackalloc Vector512<float>[kw];
        // Rows of fewer than 16 floats are visited in phases (0, s, 2s, ..., then 1, 1 + s, ...) so that a row's load
        // never overlaps the masked store of the row just before it (which would wait for that store to retire).
        int phases = w >= 16 ? 1 : (16 + w - 1) / w;
        fixed (float* pcols = cols, pdx = dx)
        {
            for (int ix0 = 0; ix0 < w; ix0 += 16)
            {
                var ix = lane + Vector512.Create(ix0);
                var store = Vector512.LessThan(ix, Vector512.Create(w));
                for (int j = 0; j < kw; j++)
                    taps[j] = (store & Vector512.GreaterThanOrEqual(ix, Vector512.Create(j - pw)) & Vector512.LessThan(ix, Vector512.Create(ow + j - pw))).AsSingle();
                var ms = store.AsSingle();
                for (int b = 0; b < images; b++)
                    for (int ci = 0; ci < c; ci++)
                    {
                        float* plane = pdx + (long)b * imageStride + (long)ci * h * w + ix0;
                        float* src0 = pcols + (long)ci * kh * kw * ld + (long)b * p + (pw + ix0);
                        for (int phase = 0; phase < phases; phase++)
                            for (int iy = phase; iy < h; iy += phases)
                            {
                                int iLo = Math.Max(0, iy + ph - oh + 1), iHi = Math.Min(kh, iy + ph + 1); // taps i whose output row iy + ph − i exists
                                if (iLo >= iHi) continue;
                                // Taps in (i, j) order after the value already there, as Im2ColBatch adds them; masked-off
                                // lanes keep their value (no +0 added).
                                var v = Vector16.Load(plane + (long)iy * w, ms);
                                for (int i = iLo; i < iHi; i++)
                                {
                                    float* row = src0 + (long)i * kw * ld + (iy + ph - i) * ow; // tap (i, 0), output row iy + ph − i, at input column 0
                                    for (int j = 0; j < kw; j++, row += ld)
                                    {
                                        var m = taps[j];
                                        v = Vector512.ConditionalSelect(m, v + Vector16.Load(row - j, m), v);
                                    }
                                }
                                Vector16.Store(plane + (long)iy * w, ms, v);
                            }
                    }
            }
        }
    }

    /// <summary><see cref="Im2ColBatch"/>'s checks, and a window of stride 1 and dilation 1.</summary>
    private static (int Oh, int Ow) Check(int imageLength, int images, int imageStride, int c, int h, int w, in Window2d win, int colsLength)
    {
        if (win.Sh != 1 || win.Sw != 1 || win.Dh != 1 || win.Dw != 1)
            throw new ArgumentException($"Im2ColUnit: needs stride 1 and dilation 1, got stride={win.Sh}x{win.Sw} dilation={win.Dh}x{win.Dw}");
        return Im2ColBatch.Check(imageLength, images, imageStride, c, h, w, win, colsLength, nameof(Im2ColUnit));
    }
}
