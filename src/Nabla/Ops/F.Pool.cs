using Nabla.Autograd;
using Nabla.Tensors;

namespace Nabla.Ops;

public static partial class F
{
    /// <summary>Output size of a window op along one axis: ⌊(n + 2p − d(k − 1) − 1) / s⌋ + 1 (ceil with ceilMode).</summary>
    public static int PoolOutSize(int n, int k, int s, int p, int d = 1, bool ceilMode = false)
    {
        // PyTorch's formula: in ceil mode a window may run past the end of an input shorter than the kernel
        // (n 2, k 3, s 3, ceil: one output), so the rounding comes before the emptiness check.
        int span = n + 2 * p - d * (k - 1) - 1 + (ceilMode ? s - 1 : 0);
        if (span < 0) return 0;
        int o = span / s + 1;
        // As PyTorch: with ceil mode the last window must start inside the input or left padding.
        if (ceilMode && (o - 1) * s >= n + p) o--;
        return o;
    }

    private static (int n, int c, int h, int w) Check4D(Tensor x, string op)
    {
        if (x.Rank != 4) throw new ArgumentException($"{op}: expected input of shape (N, C, H, W), got {ShapeUtil.Format(x.Shape)}");
        return (x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]);
    }

    private static void CheckWindow(string op, (int h, int w) k, (int h, int w) s, (int h, int w) p, int h, int w, int oh, int ow)
    {
        if (k.h <= 0 || k.w <= 0) throw new ArgumentException($"{op}: kernel_size must be positive, got {k.h}x{k.w}");
        if (s.h <= 0 || s.w <= 0) throw new ArgumentException($"{op}: stride must be positive, got {s.h}x{s.w}");
        if (p.h < 0 || p.w < 0) throw new ArgumentException($"{op}: padding must be non-negative, got {p.h}x{p.w}");
        if (p.h > k.h / 2 || p.w > k.w / 2)
            throw new ArgumentException($"{op}: padding should be at most half of kernel size, got padding {p.h}x{p.w} and kernel_size {k.h}x{k.w}");
        if (oh <= 0 || ow <= 0)
            throw new ArgumentException($"{op}: kernel {k.h}x{k.w} is larger than the padded input {h + 2 * p.h}x{w + 2 * p.w} (output would be {oh}x{ow})");
    }

    /// <summary>Runs of planes the max-pool backward is split into.</summary>
    private const int MaxPoolBackwardRuns = 8;

    /// <summary>2-D max pooling, as <c>nn.MaxPool2d</c> (stride defaults to the kernel size; padding counts as −∞;
    /// dilation spaces the window's taps).</summary>
    public static Tensor MaxPool2d(Tensor x, (int h, int w) kernel, (int h, int w)? stride = null, (int h, int w) padding = default,
        bool ceilMode = false, (int h, int w)? dilation = null)
    {
        var s = stride ?? kernel;
        var d = dilation ?? (1, 1);
        if (d.h <= 0 || d.w <= 0) throw new ArgumentException($"MaxPool2d: dilation must be positive, got {d.h}x{d.w}");
        var (n, c, h, w) = Check4D(x, "MaxPool2d");
        int oh = PoolOutSize(h, kernel.h, s.h, padding.h, d.h, ceilMode), ow = PoolOutSize(w, kernel.w, s.w, padding.w, d.w, ceilMode);
        CheckWindow("MaxPool2d", kernel, s, padding, h, w, oh, ow);
        var y = StepScope.RentTensor([n, c, oh, ow], clear: false);
        var arg = StepScope.RentInts(y.Numel, clear: false);
        // Planes split into fixed runs (each plane is independent, so any split gives the same bits).
        int planes = n * c, parts = Math.Min(planes, 4 * Kernels.Workers.Count);
        Kernels.Workers.Run(parts, (x.Data, y.Data, arg, planes, parts, h, w, kernel, s, padding, d, oh, ow), static (j, part) =>
        {
            int p0 = (int)((long)j.planes * part / j.parts), p1 = (int)((long)j.planes * (part + 1) / j.parts);
            int hw = j.h * j.w, ohw = j.oh * j.ow;
            Kernels.Pool.MaxPool2d(j.Item1.AsSpan(p0 * hw, (p1 - p0) * hw), p1 - p0, j.h, j.w, new Kernels.Window2d(j.kernel.h, j.kernel.w, j.s.h, j.s.w, j.padding.h, j.padding.w, j.d.h, j.d.w),
                j.oh, j.ow, j.Item2.AsSpan(p0 * ohw, (p1 - p0) * ohw), j.arg.AsSpan(p0 * ohw, (p1 - p0) * ohw));
        });
        if (!Graph.ShouldRecord(x)) return y;
        bool tiles = kernel == (2, 2) && s == (2, 2) && padding == (0, 0) && d == (1, 1) && oh == h / 2 && ow == w / 2;
        return Graph.Record(y, "max_pool2d", [x], g =>
        {
            // Planes in a fixed number of runs (planes are independent: any split gives the same bits).
            int runs = Math.Min(planes, MaxPoolBackwardRuns);
            bool accumulate = true;
            var dx = tiles ? Graph.GradToWrite(x, out accumulate) : Graph.GradOf(x);
            if (!accumulate)
            {
                // Windows that tile the input and a new gradient buffer: every input element is written once,
                // with no clearing pass.
                Kernels.Workers.Run(runs, (g.Data, arg, dx.Data, planes, runs, h, w), static (j, run) =>
                {
                    int p0 = (int)((long)j.planes * run / j.runs), p1 = (int)((long)j.planes * (run + 1) / j.runs);
                    int hw = j.h * j.w, ohw = j.h / 2 * (j.w / 2);
                    Kernels.Pool.MaxPool2x2Backward(j.Item1.AsSpan(p0 * ohw, (p1 - p0) * ohw), j.arg.AsSpan(p0 * ohw, (p1 - p0) * ohw),
                        p1 - p0, j.h, j.w, j.Item3.AsSpan(p0 * hw, (p1 - p0) * hw));
                });
                return;
            }
            Kernels.Workers.Run(runs, (g.Data, arg, dx.Data, planes, runs, hw: h * w, ohw: oh * ow), static (j, run) =>
            {
                int p0 = (int)((long)j.planes * run / j.runs), p1 = (int)((long)j.planes * (run + 1) / j.runs);
                Kernels.Pool.MaxPool2dBackward(j.Item1.AsSpan(p0 * j.ohw, (p1 - p0) * j.ohw), j.arg.AsSpan(p0 * j.ohw, (p1 - p0) * j.ohw),
                    p1 - p0, j.hw, j.ohw, j.Item3.AsSpan(p0 * j.hw, (p1 - p0) * j.hw));
            });
        });
    }

    /// <summary>2-D average pooling, as <c>nn.AvgPool2d</c>: with <paramref name="countIncludePad"/> (the default)
    /// every window divides by kh·kw; otherwise by the number of input elements it covers.</summary>
    public static Tensor AvgPool2d(Tensor x, (int h, int w) kernel, (int h, int w)? stride = null, (int h, int w) padding = default,
        bool countIncludePad = true, bool ceilMode = false)
    {
        var s = stride ?? kernel;
        var (n, c, h, w) = Check4D(x, "AvgPool2d");
        int oh = PoolOutSize(h, kernel.h, s.h, padding.h, 1, ceilMode), ow = PoolOutSize(w, kernel.w, s.w, padding.w, 1, ceilMode);
        CheckWindow("AvgPool2d", kernel, s, padding, h, w, oh, ow);
        var y = StepScope.RentTensor([n, c, oh, ow], clear: false);
        float[] xd = x.Data, yd = y.Data;
        // Window bounds and divisor as PyTorch: the window is clipped to input + padding for the count.
        (int a0, int a1, int b0, int b1, float inv) Window(int i, int j)
        {
            int hs = i * s.h - padding.h, ws = j * s.w - padding.w;
            int he = Math.Min(hs + kernel.h, h + padding.h), we = Math.Min(ws + kernel.w, w + padding.w);
            int poolSize = (he - hs) * (we - ws);
            int a0 = Math.Max(hs, 0), b0 = Math.Max(ws, 0), a1 = Math.Min(he, h), b1 = Math.Min(we, w);
            int div = countIncludePad ? poolSize : (a1 - a0) * (b1 - b0);
            return (a0, a1, b0, b1, 1f / div);
        }
        Kernels.Workers.Run(n * c, plane =>
        {
            int xb = plane * h * w, yb = plane * oh * ow;
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    var (a0, a1, b0, b1, inv) = Window(i, j);
                    float sum = 0;
                    for (int a = a0; a < a1; a++)
                        for (int b = b0; b < b1; b++) sum += xd[xb + a * w + b];
                    yd[yb + i * ow + j] = sum * inv;
                }
        });
        if (!Graph.ShouldRecord(x)) return y;
        return Graph.Record(y, "avg_pool2d", [x], g =>
        {
            float[] dx = Graph.GradOf(x).Data, gd = g.Data;
            Kernels.Workers.Run(n * c, plane =>
            {
                int xb = plane * h * w, yb = plane * oh * ow;
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        var (a0, a1, b0, b1, inv) = Window(i, j);
                        float v = gd[yb + i * ow + j] * inv;
                        for (int a = a0; a < a1; a++)
                            for (int b = b0; b < b1; b++) dx[xb + a * w + b] += v;
                    }
            });
        });
    }

    /// <summary>Adaptive average pooling to (oh, ow), as <c>nn.AdaptiveAvgPool2d</c>: bin i covers
    /// ⌊i·H/oh⌋ ≤ a &lt; ⌈(i+1)·H/oh⌉. Output size 1 is global average pooling.</summary>
    public static Tensor AdaptiveAvgPool2d(Tensor x, (int h, int w) output)
    {
        var (n, c, h, w) = Check4D(x, "AdaptiveAvgPool2d");
        if (output.h <= 0 || output.w <= 0) throw new ArgumentException($"AdaptiveAvgPool2d: output_size must be positive, got {output.h}x{output.w}");
        int oh = output.h, ow = output.w;
        var y = StepScope.RentTensor([n, c, oh, ow], clear: false);
        float[] xd = x.Data, yd = y.Data;
        static (int, int) Bin(int i, int inSize, int outSize) => (i * inSize / outSize, ((i + 1) * inSize + outSize - 1) / outSize);
        for (int plane = 0; plane < n * c; plane++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    var (a0, a1) = Bin(i, h, oh); var (b0, b1) = Bin(j, w, ow);
                    float sum = 0;
                    for (int a = a0; a < a1; a++) for (int b = b0; b < b1; b++) sum += xd[plane * h * w + a * w + b];
                    yd[plane * oh * ow + i * ow + j] = sum / ((a1 - a0) * (b1 - b0));
                }
        if (!Graph.ShouldRecord(x)) return y;
        return Graph.Record(y, "adaptive_avg_pool2d", [x], g =>
        {
            float[] dx = Graph.GradOf(x).Data, gd = g.Data;
            for (int plane = 0; plane < n * c; plane++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        var (a0, a1) = Bin(i, h, oh); var (b0, b1) = Bin(j, w, ow);
                        float v = gd[plane * oh * ow + i * ow + j] / ((a1 - a0) * (b1 - b0));
                        for (int a = a0; a < a1; a++) for (int b = b0; b < b1; b++) dx[plane * h * w + a * w + b] += v;
                    }
        });
    }
}
