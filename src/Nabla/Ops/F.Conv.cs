using Nabla.Autograd;
using Nabla.Kernels;
using Nabla.Tensors;

namespace Nabla.Ops;

/// <summary>Stride, padding and dilation of a 2-D convolution, per axis.</summary>
public readonly record struct Conv2dOptions((int h, int w) Stride, (int h, int w) Padding, (int h, int w) Dilation, int Groups)
{
    /// <summary>Stride 1, no padding, dilation 1, one group (PyTorch's defaults).</summary>
    public static Conv2dOptions Default => new((1, 1), (0, 0), (1, 1), 1);
}

public static partial class F
{
    /// <summary>Images per partial sum of a convolution's weight gradient (fixed, for thread-count independence).</summary>
    private const int ConvChunk = 8;

    [ThreadStatic] private static float[]? t_cols;

    private static Span<float> ScratchCols(int length)
    {
        if (t_cols is null || t_cols.Length < length) t_cols = new float[length];
        return t_cols.AsSpan(0, length);
    }

    /// <summary>
    /// 2-D cross-correlation, as <c>torch.nn.functional.conv2d</c>:
    /// y[n, o, i, j] = b[o] + Σ_{c,a,b} w[o, c, a, b] · x[n, g·C_in/G + c, i·s − p + a·d, j·s − p + b·d].
    /// </summary>
    /// <param name="x">Input (N, C_in, H, W).</param>
    /// <param name="weight">Weight (C_out, C_in/groups, kh, kw).</param>
    /// <param name="bias">Optional bias (C_out).</param>
    /// <param name="opt">Stride, padding, dilation, groups.</param>
    /// <remarks>Lowered per image and group to a matrix product (im2col): Y = W·cols, dW = Σ dY·colsᵀ, dX = col2im(Wᵀ·dY).</remarks>
    /// <exception cref="ArgumentException">Shapes or options that PyTorch would reject, with the same facts in the message.</exception>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, Conv2dOptions opt)
    {
        var (n, cin, h, w) = Check4D(x, "Conv2d");
        if (weight.Rank != 4) throw new ArgumentException($"Conv2d: expected weight of shape (C_out, C_in/groups, kh, kw), got {ShapeUtil.Format(weight.Shape)}");
        int cout = weight.Shape[0], cpg = weight.Shape[1], kh = weight.Shape[2], kw = weight.Shape[3], g = opt.Groups;
        var (sh, sw) = opt.Stride; var (ph, pw) = opt.Padding; var (dh, dw) = opt.Dilation;
        if (g <= 0) throw new ArgumentException($"Conv2d: groups must be positive, got {g}");
        if (sh <= 0 || sw <= 0) throw new ArgumentException($"Conv2d: stride must be positive, got {sh}x{sw}");
        if (dh <= 0 || dw <= 0) throw new ArgumentException($"Conv2d: dilation must be positive, got {dh}x{dw}");
        if (ph < 0 || pw < 0) throw new ArgumentException($"Conv2d: padding must be non-negative, got {ph}x{pw}");
        if (cout % g != 0) throw new ArgumentException($"Conv2d: out_channels ({cout}) must be divisible by groups ({g})");
        if (cpg * g != cin)
            throw new ArgumentException($"Conv2d: given groups={g}, weight of size {ShapeUtil.Format(weight.Shape)}, expected input {ShapeUtil.Format(x.Shape)} to have {cpg * g} channels, but got {cin} channels instead");
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != cout))
            throw new ArgumentException($"Conv2d: bias must have shape [{cout}], got {ShapeUtil.Format(bias.Shape)}");
        int oh = PoolOutSize(h, kh, sh, ph, dh), ow = PoolOutSize(w, kw, sw, pw, dw);
        if (oh <= 0 || ow <= 0)
            throw new ArgumentException($"Conv2d: calculated padded input size per channel: ({h + 2 * ph} x {w + 2 * pw}); kernel size (dilated): ({dh * (kh - 1) + 1} x {dw * (kw - 1) + 1}); kernel size can't be greater than actual input size");

        int p = oh * ow, k = cpg * kh * kw, cpo = cout / g, colsPerImage = g * k * p;
        var cols = new float[n * colsPerImage];     // per image, per group: (K, P)
        var y = new Tensor(n, cout, oh, ow);
        float[] xd = x.Data, wd = weight.Data, yd = y.Data, bd = bias?.Data ?? [];
        Workers.Run(n, img =>
        {
            for (int gi = 0; gi < g; gi++)
            {
                var c = cols.AsSpan(img * colsPerImage + gi * k * p, k * p);
                Im2Col.Unfold(xd.AsSpan((img * cin + gi * cpg) * h * w, cpg * h * w), cpg, h, w, kh, kw, sh, sw, ph, pw, dh, dw, c);
                var yg = yd.AsSpan((img * cout + gi * cpo) * p, cpo * p);
                Gemm.Sgemm(false, false, cpo, p, k, wd.AsSpan(gi * cpo * k, cpo * k), k, c, p, yg, p, 0f);
                if (bd.Length > 0)
                    for (int o = 0; o < cpo; o++)
                    {
                        var row = yg.Slice(o * p, p);
                        System.Numerics.Tensors.TensorPrimitives.Add(row, bd[gi * cpo + o], row);
                    }
            }
        });
        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        if (!Graph.ShouldRecord(inputs)) return y;
        return Graph.Record(y, "conv2d", inputs, gOut =>
        {
            float[] gd = gOut.Data;
            if (x.RequiresGrad)
            {
                float[] dx = Graph.GradOf(x).Data;
                Workers.Run(n, img =>
                {
                    var dCols = ScratchCols(k * p);
                    for (int gi = 0; gi < g; gi++)
                    {
                        Gemm.Sgemm(true, false, k, p, cpo, wd.AsSpan(gi * cpo * k, cpo * k), k, gd.AsSpan((img * cout + gi * cpo) * p, cpo * p), p, dCols, p, 0f);
                        Im2Col.Fold(dCols, cpg, h, w, kh, kw, sh, sw, ph, pw, dh, dw, dx.AsSpan((img * cin + gi * cpg) * h * w, cpg * h * w));
                    }
                });
            }
            if (weight.RequiresGrad || bias is { RequiresGrad: true })
            {
                // dW = Σ_n dY_n · cols_nᵀ. Images are summed in fixed chunks whose partial sums are added in
                // chunk order, so the result is the same bit for bit whatever the number of threads.
                int chunks = (n + ConvChunk - 1) / ConvChunk, wn = weight.Numel;
                var partW = new float[chunks * wn];
                var partB = new double[chunks * cout];
                Workers.Run(chunks, ch =>
                {
                    var partial = partW.AsSpan(ch * wn, wn);
                    for (int img = ch * ConvChunk; img < Math.Min(n, (ch + 1) * ConvChunk); img++)
                        for (int gi = 0; gi < g; gi++)
                        {
                            var dy = gd.AsSpan((img * cout + gi * cpo) * p, cpo * p);
                            Gemm.Sgemm(false, true, cpo, k, p, dy, p, cols.AsSpan(img * colsPerImage + gi * k * p, k * p), p, partial.Slice(gi * cpo * k, cpo * k), k, 1f);
                            for (int o = 0; o < cpo; o++)
                            {
                                double s = 0;
                                foreach (float v in dy.Slice(o * p, p)) s += v;
                                partB[ch * cout + gi * cpo + o] += s;
                            }
                        }
                });
                if (weight.RequiresGrad)
                {
                    var dW = Graph.GradOf(weight).Span;
                    for (int ch = 0; ch < chunks; ch++) Elementwise.AddInPlace(dW, partW.AsSpan(ch * wn, wn));
                }
                if (bias is { RequiresGrad: true })
                {
                    var db = Graph.GradOf(bias).Data;
                    for (int ch = 0; ch < chunks; ch++)
                        for (int o = 0; o < cout; o++) db[o] += (float)partB[ch * cout + o];
                }
            }
        });
    }
}
