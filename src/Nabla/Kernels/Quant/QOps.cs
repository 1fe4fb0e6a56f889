using System.Buffers.Binary;
using System.Runtime.Intrinsics.X86;
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
    /// <summary>Bytes <see cref="Pad"/> writes for <paramref name="g"/>: (H + 2·PH) × (W + 2·PW) pixels of C bytes and
    /// <paramref name="slack"/> bytes after them.</summary>
    public static int PaddedSize(QWindow g, int slack) => (g.H + 2 * g.PH) * (g.W + 2 * g.PW) * g.C + slack;

    /// <summary>One NHWC u8 image with its padding in place: (H + 2·PH) × (W + 2·PW) pixels, <paramref name="pad"/> (the
    /// zero point) outside the image, then <paramref name="slack"/> bytes of <paramref name="pad"/>.</summary>
    /// <exception cref="ArgumentException">A span is too short.</exception>
    public static void Pad(ReadOnlySpan<byte> image, QWindow g, byte pad, int slack, Span<byte> padded)
    {
        int rowIn = g.W * g.C, wp = g.W + 2 * g.PW, rowOut = wp * g.C;
        int size = PaddedSize(g, slack);
        if (image.Length < g.H * rowIn || padded.Length < size) throw new ArgumentException("image or padded buffer too short");
        if (g.PH == 0 && g.PW == 0)
        {
            image[..(g.H * rowIn)].CopyTo(padded);
            padded.Slice(g.H * rowIn, slack).Fill(pad);
            return;
        }
        padded[..size].Fill(pad);
        for (int y = 0; y < g.H; y++)
            image.Slice(y * rowIn, rowIn).CopyTo(padded.Slice((y + g.PH) * rowOut + g.PW * g.C));
    }

    /// <summary>Max pooling of one NHWC u8 image (floor mode; padding never wins since 0 is the smallest code and
    /// every window holds at least one real value).</summary>
    /// <remarks>Row by row, in vectors: the element-wise max of the window's valid input rows into a scratch row with
    /// PW zero pixels on either side, then the max over the KW shifts of that row (m[i] = max_kw row[i + kw·C]), then
    /// output pixel x takes the C bytes of m at pixel x·SW.</remarks>
    /// <exception cref="ArgumentException">A span is too short.</exception>
    public static unsafe void MaxPool(ReadOnlySpan<byte> image, QWindow g, Span<byte> output)
    {
        int c = g.C, ow = g.OW, oh = g.OH, row = g.W * c;
        if (image.Length < g.H * row || output.Length < oh * ow * c) throw new ArgumentException("image or output too short");
        int padded = (g.W + 2 * g.PW) * c, span = ((ow - 1) * g.SW + 1) * c;
        int need = padded + 32 + span + 32;
        if (t_poolRow is null || t_poolRow.Length < need) t_poolRow = new byte[need];
        Array.Clear(t_poolRow); // the side padding and the slack stay 0
        fixed (byte* src = image)
        fixed (byte* dst = output)
        fixed (byte* buf = t_poolRow)
        {
            byte* tmp = buf, mx = buf + padded + 32, inner = tmp + g.PW * c;
            for (int y = 0; y < oh; y++)
            {
                int h0 = Math.Max(0, y * g.SH - g.PH), h1 = Math.Min(g.H, y * g.SH - g.PH + g.KH);
                new ReadOnlySpan<byte>(src + (long)h0 * row, row).CopyTo(new Span<byte>(inner, row));
                for (int ih = h0 + 1; ih < h1; ih++) MaxInto(inner, src + (long)ih * row, row);
                new ReadOnlySpan<byte>(tmp, span).CopyTo(new Span<byte>(mx, span));
                for (int kw = 1; kw < g.KW; kw++) MaxInto(mx, tmp + kw * c, span);
                byte* o = dst + (long)y * ow * c;
                if (g.SW == 1) { new ReadOnlySpan<byte>(mx, ow * c).CopyTo(new Span<byte>(o, ow * c)); continue; }
                int step = g.SW * c;
                if (c >= 16)
                    for (int x = 0; x < ow; x++) new ReadOnlySpan<byte>(mx + x * step, c).CopyTo(new Span<byte>(o + x * c, c));
                else
                    for (int x = 0; x < ow; x++)
                    {
                        byte* m = mx + x * step;
                        for (int ch = 0; ch < c; ch++) o[ch] = m[ch];
                        o += c;
                    }
            }
        }
    }

    [ThreadStatic] private static byte[]? t_poolRow;

    private static unsafe void MaxInto(byte* dst, byte* src, int n)
    {
        int i = 0;
        for (; i + 32 <= n; i += 32) Vector256.Max(Vector256.Load(dst + i), Vector256.Load(src + i)).Store(dst + i);
        for (; i + 16 <= n; i += 16) Vector128.Max(Vector128.Load(dst + i), Vector128.Load(src + i)).Store(dst + i);
        for (; i < n; i++) dst[i] = Math.Max(dst[i], src[i]);
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
    /// <remarks>One channel (NCHW = NHWC) runs 8 values at a time: the product clamped to [−256, 512] in float (so no
    /// conversion overflows), converted with round half to even as MathF.Round does, then the zero point and the clamp:
    /// the same codes as the scalar loop for every input that is not NaN.</remarks>
    public static void Quantize(ReadOnlySpan<float> chw, int c, int h, int w, float scale, int zeroPoint, Span<byte> hwc)
    {
        float inv = 1f / scale;
        int plane = h * w, p0 = 0;
        if (c == 1 && Avx2.IsSupported)
        {
            var vInv = Vector256.Create(inv);
            var lo = Vector256.Create(-256f);
            var hi = Vector256.Create(512f);
            var zp = Vector256.Create(zeroPoint);
            var max = Vector256.Create(255);
            for (; p0 + 8 <= plane; p0 += 8)
            {
                var v = Avx.Min(Avx.Max(Avx.Multiply(Vector256.Create(chw.Slice(p0, 8)), vInv), lo), hi);
                var q = Avx2.Min(Avx2.Max(Avx2.Add(Avx.ConvertToVector256Int32(v), zp), Vector256<int>.Zero), max);
                var s16 = Avx2.PackSignedSaturate(q, q);
                var s8 = Avx2.PackUnsignedSaturate(s16, s16).AsUInt32();
                BinaryPrimitives.WriteUInt64LittleEndian(hwc.Slice(p0, 8), s8.GetElement(0) | (ulong)s8.GetElement(4) << 32);
            }
        }
        for (int ch = 0; ch < c; ch++)
            for (int p = p0; p < plane; p++)
                hwc[p * c + ch] = (byte)Math.Clamp((int)MathF.Round(chw[ch * plane + p] * inv) + zeroPoint, 0, 255);
    }
}
