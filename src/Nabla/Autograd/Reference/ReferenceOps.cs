using Nabla.Tensors;

namespace Nabla.Autograd.Reference;

/// <summary>
/// Naive float64 loops for every layer a model spec can hold, written from PyTorch's definitions and sharing
/// no code with the engine's float32 kernels (so agreement between the two is evidence, not tautology).
/// </summary>
internal static class ReferenceOps
{
    private static (int n, int c, int h, int w) Dims4(DoubleTensor x, string op)
    {
        if (x.Rank != 4) throw new ArgumentException($"{op}: expected (N, C, H, W), got {ShapeUtil.Format(x.Shape)}");
        return (x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]);
    }

    /// <summary>out[n,o,i,j] = b[o] + Σ_{c in group, a, e} w[o,c,a,e]·x[n, g·cg + c, i·s − p + a·d, j·s − p + e·d] (zero outside).</summary>
    /// <remarks>Each output pixel's receptive field is gathered into a row (zeros where it leaves the input) and the
    /// sum is a float64 dot product with the filter: the definition, with vectorised dots.</remarks>
    public static DoubleTensor Conv2d(DoubleTensor x, DoubleTensor w, DoubleTensor? b, (int h, int w) s, (int h, int w) p, (int h, int w) d, int groups)
    {
        var (n, c, h, wd) = Dims4(x, "conv2d");
        int o = w.Shape[0], cg = w.Shape[1], kh = w.Shape[2], kw = w.Shape[3], og = o / groups;
        if (cg * groups != c) throw new ArgumentException($"conv2d: weight {ShapeUtil.Format(w.Shape)} with groups {groups} does not fit input {ShapeUtil.Format(x.Shape)}");
        int oh = (h + 2 * p.h - d.h * (kh - 1) - 1) / s.h + 1, ow = (wd + 2 * p.w - d.w * (kw - 1) - 1) / s.w + 1;
        int kk = cg * kh * kw, pixels = oh * ow;
        var y = new DoubleTensor(n, o, oh, ow);
        double[] xd = x.Data, wdt = w.Data, yd = y.Data;
        System.Threading.Tasks.Parallel.For(0, n * groups, job =>
        {
            int ni = job / groups, g = job % groups;
            var rows = new double[pixels * kk];
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    int rb = (i * ow + j) * kk;
                    for (int ci = 0; ci < cg; ci++)
                    {
                        int xb = (ni * c + g * cg + ci) * h * wd;
                        for (int a = 0; a < kh; a++)
                        {
                            int r = i * s.h - p.h + a * d.h;
                            for (int e = 0; e < kw; e++)
                            {
                                int col = j * s.w - p.w + e * d.w;
                                if (r >= 0 && r < h && col >= 0 && col < wd) rows[rb + (ci * kh + a) * kw + e] = xd[xb + r * wd + col];
                            }
                        }
                    }
                }
            // Blocks of 8 filters stay in cache while every pixel's row passes by.
            for (int o0 = 0; o0 < og; o0 += 8)
                for (int px = 0; px < pixels; px++)
                {
                    var row = new ReadOnlySpan<double>(rows, px * kk, kk);
                    for (int oc = g * og + o0; oc < g * og + Math.Min(o0 + 8, og); oc++)
                        yd[(ni * o + oc) * pixels + px] = (b?.Data[oc] ?? 0) + System.Numerics.Tensors.TensorPrimitives.Dot(row, new ReadOnlySpan<double>(wdt, oc * kk, kk));
                }
        });
        return y;
    }

    /// <summary>y = x·Wᵀ + b over the last dimension.</summary>
    public static DoubleTensor Linear(DoubleTensor x, DoubleTensor w, DoubleTensor? b)
    {
        int outF = w.Shape[0], inF = w.Shape[1];
        if (x.Rank < 1 || x.Shape[^1] != inF) throw new ArgumentException($"linear: input {ShapeUtil.Format(x.Shape)} does not end in {inF}");
        int rows = x.Data.Length / inF;
        var shape = (int[])x.Shape.Clone();
        shape[^1] = outF;
        var y = new DoubleTensor(shape);
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < outF; o++)
            {
                y.Data[r * outF + o] = (b?.Data[o] ?? 0) + System.Numerics.Tensors.TensorPrimitives.Dot(
                    new ReadOnlySpan<double>(x.Data, r * inF, inF), new ReadOnlySpan<double>(w.Data, o * inF, inF));
            }
        return y;
    }

    /// <summary>PyTorch's output size rule, with ceil mode's "last window starts inside input or left padding".</summary>
    private static int OutSize(int n, int k, int s, int p, int d, bool ceil)
    {
        double span = n + 2 * p - d * (k - 1) - 1;
        int o = (int)(ceil ? Math.Ceiling(span / s) : Math.Floor(span / s)) + 1;
        if (ceil && (o - 1) * s >= n + p) o--;
        return o;
    }

    /// <summary>Max over the dilated window; padding counts as −∞.</summary>
    public static DoubleTensor MaxPool2d(DoubleTensor x, (int h, int w) k, (int h, int w) s, (int h, int w) p, (int h, int w) d, bool ceil)
    {
        var (n, c, h, w) = Dims4(x, "maxpool2d");
        int oh = OutSize(h, k.h, s.h, p.h, d.h, ceil), ow = OutSize(w, k.w, s.w, p.w, d.w, ceil);
        var y = new DoubleTensor(n, c, oh, ow);
        for (int pl = 0; pl < n * c; pl++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    double m = double.NegativeInfinity;
                    for (int a = 0; a < k.h; a++)
                        for (int e = 0; e < k.w; e++)
                        {
                            int r = i * s.h - p.h + a * d.h, col = j * s.w - p.w + e * d.w;
                            if (r >= 0 && r < h && col >= 0 && col < w) m = Math.Max(m, x.Data[(pl * h + r) * w + col]);
                        }
                    y.Data[(pl * oh + i) * ow + j] = m;
                }
        return y;
    }

    /// <summary>Mean over the window; the divisor is the window clipped to input + padding (count_include_pad)
    /// or to the input alone, as PyTorch.</summary>
    public static DoubleTensor AvgPool2d(DoubleTensor x, (int h, int w) k, (int h, int w) s, (int h, int w) p, bool countIncludePad, bool ceil)
    {
        var (n, c, h, w) = Dims4(x, "avgpool2d");
        int oh = OutSize(h, k.h, s.h, p.h, 1, ceil), ow = OutSize(w, k.w, s.w, p.w, 1, ceil);
        var y = new DoubleTensor(n, c, oh, ow);
        for (int pl = 0; pl < n * c; pl++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    int r0 = i * s.h - p.h, c0 = j * s.w - p.w;
                    int r1 = Math.Min(r0 + k.h, h + p.h), c1 = Math.Min(c0 + k.w, w + p.w);
                    int padded = (r1 - r0) * (c1 - c0);
                    r0 = Math.Max(r0, 0); c0 = Math.Max(c0, 0); r1 = Math.Min(r1, h); c1 = Math.Min(c1, w);
                    double sum = 0;
                    for (int r = r0; r < r1; r++)
                        for (int col = c0; col < c1; col++) sum += x.Data[(pl * h + r) * w + col];
                    y.Data[(pl * oh + i) * ow + j] = sum / (countIncludePad ? padded : (r1 - r0) * (c1 - c0));
                }
        return y;
    }

    /// <summary>Bin i along an axis of n covers ⌊i·n/o⌋ ≤ a &lt; ⌈(i+1)·n/o⌉.</summary>
    public static DoubleTensor AdaptiveAvgPool2d(DoubleTensor x, (int h, int w) o)
    {
        var (n, c, h, w) = Dims4(x, "adaptiveavgpool2d");
        var y = new DoubleTensor(n, c, o.h, o.w);
        for (int pl = 0; pl < n * c; pl++)
            for (int i = 0; i < o.h; i++)
                for (int j = 0; j < o.w; j++)
                {
                    int r0 = (int)Math.Floor((double)i * h / o.h), r1 = (int)Math.Ceiling((double)(i + 1) * h / o.h);
                    int c0 = (int)Math.Floor((double)j * w / o.w), c1 = (int)Math.Ceiling((double)(j + 1) * w / o.w);
                    double sum = 0;
                    for (int r = r0; r < r1; r++)
                        for (int col = c0; col < c1; col++) sum += x.Data[(pl * h + r) * w + col];
                    y.Data[(pl * o.h + i) * o.w + j] = sum / ((r1 - r0) * (c1 - c0));
                }
        return y;
    }

    /// <summary>(x − μ)/√(σ² + ε)·γ + β per channel (dim 1); μ, σ² are the batch's biased statistics in training,
    /// the running ones otherwise.</summary>
    public static DoubleTensor BatchNorm(DoubleTensor x, double[] runningMean, double[] runningVar, double[]? gamma, double[]? beta, bool training, double eps)
    {
        int n = x.Shape[0], c = x.Shape[1], inner = x.Data.Length / (n * c), m = n * inner;
        var y = new DoubleTensor((int[])x.Shape.Clone());
        for (int ch = 0; ch < c; ch++)
        {
            double mean = runningMean[ch], var = runningVar[ch];
            if (training)
            {
                double s = 0;
                for (int i = 0; i < n; i++) for (int k = 0; k < inner; k++) s += x.Data[(i * c + ch) * inner + k];
                mean = s / m;
                double ss = 0;
                for (int i = 0; i < n; i++) for (int k = 0; k < inner; k++) { double dv = x.Data[(i * c + ch) * inner + k] - mean; ss += dv * dv; }
                var = ss / m;
            }
            double inv = 1 / Math.Sqrt(var + eps), g = gamma?[ch] ?? 1, b = beta?[ch] ?? 0;
            for (int i = 0; i < n; i++)
                for (int k = 0; k < inner; k++)
                {
                    int idx = (i * c + ch) * inner + k;
                    y.Data[idx] = (x.Data[idx] - mean) * inv * g + b;
                }
        }
        return y;
    }

    /// <summary>Elementwise map.</summary>
    public static DoubleTensor Map(DoubleTensor x, Func<double, double> f) => new((int[])x.Shape.Clone(), x.Data.Select(f).ToArray());

    /// <summary>Softmax (or log-softmax) along <paramref name="dim"/>: exp(x − max) / Σ exp(x − max).</summary>
    public static DoubleTensor Softmax(DoubleTensor x, int dim, bool log)
    {
        dim = ShapeUtil.NormDim(dim, x.Rank);
        int size = x.Shape[dim], inner = 1, outer = 1;
        for (int i = dim + 1; i < x.Rank; i++) inner *= x.Shape[i];
        for (int i = 0; i < dim; i++) outer *= x.Shape[i];
        var y = new DoubleTensor((int[])x.Shape.Clone());
        for (int o = 0; o < outer; o++)
            for (int q = 0; q < inner; q++)
            {
                int b = o * size * inner + q;
                double mx = double.NegativeInfinity;
                for (int k = 0; k < size; k++) mx = Math.Max(mx, x.Data[b + k * inner]);
                double sum = 0;
                for (int k = 0; k < size; k++) sum += Math.Exp(x.Data[b + k * inner] - mx);
                double lse = Math.Log(sum);
                for (int k = 0; k < size; k++)
                {
                    double z = x.Data[b + k * inner] - mx - lse;
                    y.Data[b + k * inner] = log ? z : Math.Exp(z);
                }
            }
        return y;
    }

    /// <summary>Concatenation along dim 1.</summary>
    public static DoubleTensor CatChannels(IReadOnlyList<DoubleTensor> parts)
    {
        int n = parts[0].Shape[0], inner = parts[0].Data.Length / (n * parts[0].Shape[1]);
        foreach (var t in parts)
            if (t.Shape[0] != n || t.Data.Length / (n * t.Shape[1]) != inner || !t.Shape.AsSpan(2).SequenceEqual(parts[0].Shape.AsSpan(2)))
                throw new ArgumentException($"concat: branch outputs {string.Join(", ", parts.Select(p => ShapeUtil.Format(p.Shape)))} differ beyond dim 1");
        int c = parts.Sum(t => t.Shape[1]);
        var shape = (int[])parts[0].Shape.Clone();
        shape[1] = c;
        var y = new DoubleTensor(shape);
        for (int i = 0; i < n; i++)
        {
            int dst = i * c * inner;
            foreach (var t in parts)
            {
                int len = t.Shape[1] * inner;
                Array.Copy(t.Data, i * len, y.Data, dst, len);
                dst += len;
            }
        }
        return y;
    }

    /// <summary>Elementwise a + b of equal shapes.</summary>
    public static DoubleTensor Add(DoubleTensor a, DoubleTensor b)
    {
        if (!ShapeUtil.Equal(a.Shape, b.Shape)) throw new ArgumentException($"residual: body {ShapeUtil.Format(a.Shape)} and shortcut {ShapeUtil.Format(b.Shape)} differ");
        var y = new DoubleTensor((int[])a.Shape.Clone());
        for (int i = 0; i < y.Data.Length; i++) y.Data[i] = a.Data[i] + b.Data[i];
        return y;
    }
}
