namespace Nabla.Kernels;

/// <summary>
/// Max pooling over planes (N·C planes of H x W), writing the maximum of each window and the flat in-plane
/// index of the element that gave it. Padding counts as −∞; a NaN in a window wins (the first one), as PyTorch.
/// </summary>
public static class Pool
{
    /// <summary>Max pooling of <paramref name="planes"/> planes: fast loops (no bounds clipping inside windows
    /// that lie wholly in the plane).</summary>
    /// <param name="x">Planes of H x W, back to back.</param>
    /// <param name="planes">Number of planes.</param>
    /// <param name="h">Plane height.</param>
    /// <param name="w">Plane width.</param>
    /// <param name="kh">Window height.</param>
    /// <param name="kw">Window width.</param>
    /// <param name="sh">Vertical stride.</param>
    /// <param name="sw">Horizontal stride.</param>
    /// <param name="ph">Padding top and bottom.</param>
    /// <param name="pw">Padding left and right.</param>
    /// <param name="dh">Vertical dilation.</param>
    /// <param name="dw">Horizontal dilation.</param>
    /// <param name="oh">Output height.</param>
    /// <param name="ow">Output width.</param>
    /// <param name="y">Destination, planes x OH x OW.</param>
    /// <param name="arg">Destination, the in-plane index (row·W + column) of each maximum.</param>
    /// <exception cref="ArgumentException">Spans too short or sizes out of range.</exception>
    public static unsafe void MaxPool2d(ReadOnlySpan<float> x, int planes, int h, int w, int kh, int kw, int sh, int sw,
        int ph, int pw, int dh, int dw, int oh, int ow, Span<float> y, Span<int> arg)
    {
        Check(x.Length, planes, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, y.Length, arg.Length);
        fixed (float* px = x, py = y)
        fixed (int* pa = arg)
        {
            if (kh == 2 && kw == 2 && ph == 0 && pw == 0 && dh == 1 && dw == 1 && (oh - 1) * sh + 2 <= h && (ow - 1) * sw + 2 <= w)
            {
                MaxPool2x2Inside(px, planes, h, w, sh, sw, oh, ow, py, pa);
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

    /// <summary>2 x 2 windows that all lie inside the plane (no padding, no dilation): no clipping at all.</summary>
    private static unsafe void MaxPool2x2Inside(float* px, int planes, int h, int w, int sh, int sw, int oh, int ow, float* py, int* pa)
    {
        for (int plane = 0; plane < planes; plane++)
        {
            float* src = px + (long)plane * h * w;
            float* dst = py + (long)plane * oh * ow;
            int* da = pa + (long)plane * oh * ow;
            for (int i = 0; i < oh; i++)
            {
                int r = i * sh;
                float* row0 = src + r * w, row1 = row0 + w;
                for (int j = 0, c = 0; j < ow; j++, c += sw)
                {
                    float a = row0[c], b = row0[c + 1], e = row1[c], f = row1[c + 1];
                    float best; int bi;
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
                    best = row0[c + bi];
                    bi += r * w + c;
                    dst[i * ow + j] = best;
                    da[i * ow + j] = bi;
                }
            }
        }
    }

    /// <summary>The reference: the window loop straight from the definition. Same contract as <see cref="MaxPool2d"/>.</summary>
    /// <exception cref="ArgumentException">Spans too short or sizes out of range.</exception>
    public static void MaxPool2dNaive(ReadOnlySpan<float> x, int planes, int h, int w, int kh, int kw, int sh, int sw,
        int ph, int pw, int dh, int dw, int oh, int ow, Span<float> y, Span<int> arg)
    {
        Check(x.Length, planes, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, y.Length, arg.Length);
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

    private static void Check(int xLength, int planes, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw,
        int dh, int dw, int oh, int ow, int yLength, int argLength)
    {
        if (planes < 0 || h < 1 || w < 1 || kh < 1 || kw < 1 || sh < 1 || sw < 1 || ph < 0 || pw < 0 || dh < 1 || dw < 1 || oh < 0 || ow < 0)
            throw new ArgumentException($"Pool: sizes out of range: planes={planes} {h}x{w} kernel {kh}x{kw} stride {sh}x{sw} padding {ph}x{pw} output {oh}x{ow}");
        long need = (long)planes * h * w, outs = (long)planes * oh * ow;
        if (xLength < need) throw new ArgumentException($"Pool: input span needs {need} elements, has {xLength}");
        if (yLength < outs || argLength < outs) throw new ArgumentException($"Pool: output spans need {outs} elements, have {yLength} and {argLength}");
    }
}
