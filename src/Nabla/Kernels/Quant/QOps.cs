using System.Runtime.Intrinsics;

namespace Nabla.Kernels.Quant;

/// <summary>The geometry of a 2-D window (convolution or pooling) over an NHWC image.</summary>
/// <param name="H">Input height.</param><param name="W">Input width.</param><param name="C">Channels.</param>
/// <param name="KH">Window height.</param><param name="KW">Window width.</param>
/// <param name="SH">Vertical stride.</param><param name="SW">Horizontal stride.</param>
/// <param name="PH">Vertical padding.</param><param name="PW">Horizontal padding.</param>
public readonly record struct QWindow(int H, int W, int C, int KH, int KW, int SH, int SW, int PH, int PW)
{
    /// <summary>Output height (floor mode).</summary>
    public int OH => (H + 2 * PH - KH) / SH + 1;

    /// <summary>Output width (floor mode).</summary>
    public int OW => (W + 2 * PW - KW) / SW + 1;

    /// <summary>Values per im2col row: KH·KW·C, ordered (kh, kw, c).</summary>
    public int K => KH * KW * C;
}

/// <summary>Element kernels of the int8 inference path, on NHWC u8 images.</summary>
public static class QOps
{
    /// <summary>
    /// Rows [p0, p1) of the im2col matrix of one NHWC u8 image: row p (output pixel p = oh·OW + ow) holds the
    /// window's values in (kh, kw, c) order, <paramref name="pad"/> (the zero point) outside the image, and zeros
    /// from K up to <paramref name="ldr"/>.
    /// </summary>
    public static void Im2Col(ReadOnlySpan<byte> image, QWindow g, int p0, int p1, byte pad, Span<byte> rows, int ldr)
    {
        int c = g.C, ow = g.OW, rowC = g.W * c;
        for (int p = p0; p < p1; p++)
        {
            var row = rows.Slice((p - p0) * ldr, ldr);
            int oh = p / ow, ox = p % ow, o = 0;
            for (int kh = 0; kh < g.KH; kh++)
            {
                int ih = oh * g.SH - g.PH + kh;
                for (int kw = 0; kw < g.KW; kw++, o += c)
                {
                    int iw = ox * g.SW - g.PW + kw;
                    bool outside = (uint)ih >= (uint)g.H || (uint)iw >= (uint)g.W;
                    if (c == 1) { row[o] = outside ? pad : image[ih * rowC + iw]; continue; } // first layers: one byte
                    var dst = row.Slice(o, c);
                    if (outside) dst.Fill(pad);
                    else image.Slice(ih * rowC + iw * c, c).CopyTo(dst);
                }
            }
            row[g.K..].Clear();
        }
    }

    /// <summary>Max pooling of one NHWC u8 image (floor mode; padding never wins since 0 is the smallest code and
    /// every window holds at least one real value).</summary>
    public static void MaxPool(ReadOnlySpan<byte> image, QWindow g, Span<byte> output)
    {
        int c = g.C, ow = g.OW, oh = g.OH;
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++)
            {
                var dst = output.Slice((y * ow + x) * c, c);
                dst.Clear();
                for (int kh = 0; kh < g.KH; kh++)
                {
                    int ih = y * g.SH - g.PH + kh;
                    if ((uint)ih >= (uint)g.H) continue;
                    for (int kw = 0; kw < g.KW; kw++)
                    {
                        int iw = x * g.SW - g.PW + kw;
                        if ((uint)iw >= (uint)g.W) continue;
                        MaxInto(dst, image.Slice((ih * g.W + iw) * c, c));
                    }
                }
            }
    }

    /// <summary>dst[i] = max(dst[i], src[i]).</summary>
    public static void MaxInto(Span<byte> dst, ReadOnlySpan<byte> src)
    {
        int i = 0;
        for (; i + Vector256<byte>.Count <= dst.Length; i += Vector256<byte>.Count)
            Vector256.Max(Vector256.Create(dst.Slice(i)), Vector256.Create(src.Slice(i))).CopyTo(dst.Slice(i));
        for (; i < dst.Length; i++) dst[i] = Math.Max(dst[i], src[i]);
    }

    /// <summary>ReLU in the quantised domain: q = max(q, zeroPoint).</summary>
    public static void Relu(Span<byte> data, byte zeroPoint)
    {
        var z = Vector256.Create(zeroPoint);
        int i = 0;
        for (; i + Vector256<byte>.Count <= data.Length; i += Vector256<byte>.Count)
            Vector256.Max(Vector256.Create(data.Slice(i)), z).CopyTo(data.Slice(i));
        for (; i < data.Length; i++) data[i] = Math.Max(data[i], zeroPoint);
    }

    /// <summary>q = clamp(round(x / scale) + zeroPoint, 0, 255) of one NCHW float image into NHWC u8 (C·H·W values).</summary>
    public static void Quantize(ReadOnlySpan<float> chw, int c, int h, int w, float scale, int zeroPoint, Span<byte> hwc)
    {
        float inv = 1f / scale;
        int plane = h * w;
        for (int ch = 0; ch < c; ch++)
            for (int p = 0; p < plane; p++)
                hwc[p * c + ch] = (byte)Math.Clamp((int)MathF.Round(chw[ch * plane + p] * inv) + zeroPoint, 0, 255);
    }
}
