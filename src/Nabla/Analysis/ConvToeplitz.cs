using Nabla.NN;
using Nabla.Ops;
using Nabla.Tensors;

namespace Nabla.Analysis;

/// <summary>
/// A 2-D convolution written as a matrix: for one image of size C_in × H × W, the (doubly block-)Toeplitz
/// matrix A_w with A_w·vec(x) + vec(b) = vec(conv(x)), vec being the row-major flattening.
/// </summary>
/// <remarks>
/// <para>Row r = (o·OH + i)·OW + j is output element y[o, i, j]; column c = (ch·H + a)·W + b' is input
/// element x[ch, a, b']. Entry A[r, c] = w[o, ch − g·C_in/G, ka, kb] when input row a = i·s_h − p_h + ka·d_h and
/// input column b' = j·s_w − p_w + kb·d_w for a tap (ka, kb), and ch lies in output channel o's group g;
/// every other entry is 0 (padding contributes nothing, which is why padded taps simply have no column).</para>
/// <para>Because the convolution is linear in x, its input gradient is A_wᵀ·vec(dY): multiplying by the
/// transpose is the transposed convolution. The matrix has C_out·OH·OW·C_in·H·W entries, so it is for
/// small sizes: teaching and tests.</para>
/// </remarks>
public static class ConvToeplitz
{
    /// <summary>Builds A_w for <paramref name="conv"/> on inputs of size <paramref name="h"/> × <paramref name="w"/>.</summary>
    /// <param name="conv">The layer (its current weight; stride, padding, dilation and groups are honoured).</param>
    /// <param name="h">Input height.</param>
    /// <param name="w">Input width.</param>
    /// <returns>A tensor of shape (C_out·OH·OW, C_in·H·W).</returns>
    /// <exception cref="ArgumentException">The input is smaller than the dilated kernel (no output), or the matrix would exceed 2^31 entries.</exception>
    public static Tensor Matrix(Conv2d conv, int h, int w)
    {
        ArgumentNullException.ThrowIfNull(conv);
        var (oh, ow) = OutputSize(conv, h, w);
        int cin = conv.InChannels, cout = conv.OutChannels, g = conv.Options.Groups;
        int cpg = cin / g, opg = cout / g;
        var (kh, kw) = conv.KernelSize;
        var (sh, sw) = conv.Options.Stride; var (ph, pw) = conv.Options.Padding; var (dh, dw) = conv.Options.Dilation;
        long rows = (long)cout * oh * ow, cols = (long)cin * h * w;
        if (rows * cols > int.MaxValue)
            throw new ArgumentException($"ConvToeplitz: the matrix would be {rows}x{cols}, more than 2^31 entries; use a smaller input");
        var a = new Tensor((int)rows, (int)cols);
        float[] ad = a.Data, wd = conv.Weight.Data;
        for (int o = 0; o < cout; o++)
        {
            int group = o / opg;
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    long row = ((long)o * oh + i) * ow + j;
                    for (int c = 0; c < cpg; c++)
                    {
                        int ch = group * cpg + c;
                        for (int ka = 0; ka < kh; ka++)
                        {
                            int y = i * sh - ph + ka * dh;
                            if (y < 0 || y >= h) continue;
                            for (int kb = 0; kb < kw; kb++)
                            {
                                int x = j * sw - pw + kb * dw;
                                if (x < 0 || x >= w) continue;
                                long col = ((long)ch * h + y) * w + x;
                                ad[row * cols + col] += wd[((o * cpg + c) * kh + ka) * kw + kb];
                            }
                        }
                    }
                }
        }
        return a;
    }

    /// <summary>The bias as a vector over the rows of <see cref="Matrix"/>: b[o] repeated OH·OW times (zeros without bias).</summary>
    /// <param name="conv">The layer.</param>
    /// <param name="h">Input height.</param>
    /// <param name="w">Input width.</param>
    /// <returns>A tensor of shape (C_out·OH·OW).</returns>
    /// <exception cref="ArgumentException">The input is smaller than the dilated kernel.</exception>
    public static Tensor BiasVector(Conv2d conv, int h, int w)
    {
        ArgumentNullException.ThrowIfNull(conv);
        var (oh, ow) = OutputSize(conv, h, w);
        var v = new Tensor(conv.OutChannels * oh * ow);
        if (conv.Bias is { } b)
            for (int o = 0; o < conv.OutChannels; o++) v.Span.Slice(o * oh * ow, oh * ow).Fill(b.Data[o]);
        return v;
    }

    private static (int oh, int ow) OutputSize(Conv2d conv, int h, int w)
    {
        var o = conv.Options;
        int oh = F.PoolOutSize(h, conv.KernelSize.h, o.Stride.h, o.Padding.h, o.Dilation.h);
        int ow = F.PoolOutSize(w, conv.KernelSize.w, o.Stride.w, o.Padding.w, o.Dilation.w);
        if (h <= 0 || w <= 0 || oh <= 0 || ow <= 0)
            throw new ArgumentException($"ConvToeplitz: input {h}x{w} gives no output for kernel {conv.KernelSize.h}x{conv.KernelSize.w} (padding {o.Padding.h}x{o.Padding.w}, dilation {o.Dilation.h}x{o.Dilation.w})");
        return (oh, ow);
    }
}
