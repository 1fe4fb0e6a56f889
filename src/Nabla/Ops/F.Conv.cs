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
    /// <summary>
    /// 2-D cross-correlation, as <c>torch.nn.functional.conv2d</c>:
    /// y[n, o, i, j] = b[o] + Σ_{c,a,b} w[o, c, a, b] · x[n, g·C_in/G + c, i·s − p + a·d, j·s − p + b·d].
    /// </summary>
    /// <param name="x">Input (N, C_in, H, W).</param>
    /// <param name="weight">Weight (C_out, C_in/groups, kh, kw).</param>
    /// <param name="bias">Optional bias (C_out).</param>
    /// <param name="opt">Stride, padding, dilation, groups.</param>
    /// <remarks>Lowered to one matrix product per group over the whole batch (im2col), so the GEMM is large
    /// and its k-order fixed: dW = dY·colsᵀ, dX = col2im(Wᵀ·dY).</remarks>
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

        int p = oh * ow, np = n * p, k = cpg * kh * kw, cpo = cout / g;
        var cols = new float[g * k * np];           // per group: (K, N·P)
        var tmp = new float[cpo * np];              // (C_out/G, N·P)
        var y = new Tensor(n, cout, oh, ow);
        float[] xd = x.Data, wd = weight.Data, yd = y.Data;
        for (int gi = 0; gi < g; gi++)
        {
            int colBase = gi * k * np, gIdx = gi;
            Workers.Run(n, img => ConvLowering.Im2Col(xd.AsSpan((img * cin + gIdx * cpg) * h * w, cpg * h * w), cpg, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow,
                cols.AsSpan(colBase + img * p), np));
            Gemm.Sgemm(false, false, cpo, np, k, wd.AsSpan(gi * cpo * k, cpo * k), k, cols.AsSpan(colBase, k * np), np, tmp, np, 0f);
            for (int o = 0; o < cpo; o++)
            {
                float bv = bias?.Data[gi * cpo + o] ?? 0f;
                for (int img = 0; img < n; img++)
                {
                    var src = tmp.AsSpan(o * np + img * p, p);
                    var dst = yd.AsSpan((img * cout + gi * cpo + o) * p, p);
                    if (bv == 0f) src.CopyTo(dst); else System.Numerics.Tensors.TensorPrimitives.Add(src, bv, dst);
                }
            }
        }
        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        if (!Graph.ShouldRecord(inputs)) return y;
        return Graph.Record(y, "conv2d", inputs, gOut =>
        {
            float[] gd = gOut.Data;
            var dY = new float[cpo * np];
            var dCols = x.RequiresGrad ? new float[k * np] : null;
            for (int gi = 0; gi < g; gi++)
            {
                for (int o = 0; o < cpo; o++)
                    for (int img = 0; img < n; img++)
                        gd.AsSpan((img * cout + gi * cpo + o) * p, p).CopyTo(dY.AsSpan(o * np + img * p));
                int colBase = gi * k * np, gIdx = gi;
                if (weight.RequiresGrad)
                    Gemm.Sgemm(false, true, cpo, k, np, dY, np, cols.AsSpan(colBase, k * np), np, Graph.GradOf(weight).Data.AsSpan(gi * cpo * k, cpo * k), k, 1f);
                if (bias is { RequiresGrad: true })
                {
                    var db = Graph.GradOf(bias).Data;
                    for (int o = 0; o < cpo; o++)
                    {
                        double s = 0;
                        foreach (float v in dY.AsSpan(o * np, np)) s += v;
                        db[gi * cpo + o] += (float)s;
                    }
                }
                if (dCols is not null)
                {
                    Gemm.Sgemm(true, false, k, np, cpo, wd.AsSpan(gi * cpo * k, cpo * k), k, dY, np, dCols, np, 0f);
                    float[] dx = Graph.GradOf(x).Data;
                    Workers.Run(n, img => ConvLowering.Col2Im(dCols.AsSpan(img * p), np, cpg, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow,
                        dx.AsSpan((img * cin + gIdx * cpg) * h * w, cpg * h * w)));
                }
            }
        });
    }
}
