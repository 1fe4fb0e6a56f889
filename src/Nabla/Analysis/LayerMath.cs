using Nabla.IO.Spec;

namespace Nabla.Analysis;

/// <summary>Output shape, counts and receptive field of one leaf layer (the conventions of docs/counting.md).</summary>
internal static class LayerMath
{
    /// <remarks>Arithmetic is checked (the whole body is a <c>checked</c> block; the context is lexical, so the helpers
    /// it calls check their own): sizes whose counts exceed the 64-bit range throw <see cref="OverflowException"/>,
    /// which <see cref="ModelAnalyzer"/> reports as a spec error.</remarks>
    public static (int[] Shape, Counts Counts, ReceptiveField? Rf) Apply(LayerSpec layer, int[] input, ReceptiveField? rf, string where)
    {
        checked
        {
            long elements = Elements(input);
            switch (layer)
            {
                case Conv2dSpec c:
                {
                    Image(input, where);
                    Geometry(c.KernelSize, c.Stride, c.Padding, c.Dilation, where);
                    if (c.Groups < 1 || c.OutChannels < 1 || c.OutChannels % c.Groups != 0)
                        throw new NablaInputException($"{where}: expected out_channels >= 1 divisible by groups >= 1, found out_channels={c.OutChannels} groups={c.Groups}");
                    int cin = input[0];
                    if (cin % c.Groups != 0)
                        throw new NablaInputException($"{where}: expected in_channels divisible by groups={c.Groups}, found input {Show(input)}");
                    int[] shape = [c.OutChannels,
                        OutSize(input[1], c.KernelSize.H, c.Stride.H, c.Padding.H, c.Dilation.H, false),
                        OutSize(input[2], c.KernelSize.W, c.Stride.W, c.Padding.W, c.Dilation.W, false)];
                    Positive(shape, input, where);
                    long outElements = Elements(shape);
                    long taps = (long)(cin / c.Groups) * c.KernelSize.H * c.KernelSize.W;
                    long mults = outElements * taps;
                    var counts = new Counts(c.OutChannels * taps + (c.Bias ? c.OutChannels : 0), mults, c.Bias ? mults : mults - outElements, 0);
                    return (shape, counts, Window(rf, c.KernelSize, c.Stride, c.Padding, c.Dilation));
                }
                case LinearSpec l:
                {
                    Flat(input, where);
                    long inF = input[0], outF = l.OutFeatures;
                    var counts = new Counts(outF * inF + (l.Bias ? outF : 0), outF * inF, l.Bias ? outF * inF : outF * (inF - 1), 0);
                    return ([l.OutFeatures], counts, null);
                }
                case BatchNormSpec b:
                {
                    if (b is BatchNorm2dSpec) Image(input, where); else Flat(input, where);
                    return (input, new Counts(b.Affine ? 2L * input[0] : 0, elements, elements, 0), rf);
                }
                case Pad2dSpec pad:
                {
                    Image(input, where);
                    int[] shape = [input[0], checked(input[1] + pad.Top + pad.Bottom), checked(input[2] + pad.Left + pad.Right)];
                    // Output (i, j) is input (i - top, j - left): a 1x1 window at that offset.
                    return (shape, Counts.Zero, rf is null ? null : new ReceptiveField(rf.H.Then(1, 1, pad.Top), rf.W.Then(1, 1, pad.Left)));
                }
                case AffineSpec f:
                {
                    int c = input[0];
                    if (f.Scale.Count is not 1 && f.Scale.Count != c || f.Shift.Count is not 1 && f.Shift.Count != c)
                        throw new NablaInputException($"{where}: expected scale and shift of 1 or {c} values (the {(input.Length == 1 ? "features" : "channels")} of input {Show(input)}), found {f.Scale.Count} and {f.Shift.Count}");
                    bool scales = f.Scale.Any(v => v != 1), shifts = f.Shift.Any(v => v != 0);
                    return (input, new Counts(0, scales ? elements : 0, shifts ? elements : 0, 0), rf);
                }
                case ActivationSpec or LeakyReLUSpec or EluSpec:
                    return (input, new Counts(0, 0, 0, elements), rf);
                case SoftmaxSpec s:
                {
                    int rank = input.Length + 1;
                    if (s.Dim < -rank || s.Dim >= rank || s.Dim == 0 || s.Dim == -rank)
                        throw new NablaInputException($"{where}: expected dim in 1..{rank - 1} (or -{rank - 1}..-1) for input {Show(input)} with a batch dimension, found {s.Dim}");
                    return (input, new Counts(0, 0, 0, elements), rf);
                }
                case MaxPool2dSpec m:
                {
                    var shape = Pool(input, m.KernelSize, m.Stride, m.Padding, m.Dilation, m.CeilMode, where);
                    return (shape, Counts.Zero, Window(rf, m.KernelSize, m.Stride, m.Padding, m.Dilation));
                }
                case AvgPool2dSpec a:
                {
                    var shape = Pool(input, a.KernelSize, a.Stride, a.Padding, 1, a.CeilMode, where);
                    long outElements = Elements(shape);
                    long window = (long)a.KernelSize.H * a.KernelSize.W;
                    return (shape, new Counts(0, outElements, outElements * (window - 1), 0), Window(rf, a.KernelSize, a.Stride, a.Padding, 1));
                }
                case AdaptiveAvgPool2dSpec ap:
                    return Adaptive(ap, input, rf, where);
                case DropoutSpec:
                    return (input, Counts.Zero, rf);
                case FlattenSpec:
                    if (elements > int.MaxValue)
                        throw new NablaInputException($"{where}: expected at most {int.MaxValue} features per sample, found {Show(input)} = {elements}");
                    return ([(int)elements], Counts.Zero, null);
                default:
                    throw new ArgumentException($"unexpected layer {layer.Kind}", nameof(layer));
            }
        }
    }

    private static (int[], Counts, ReceptiveField?) Adaptive(AdaptiveAvgPool2dSpec ap, int[] input, ReceptiveField? rf, string where)
    {
        Image(input, where);
        int oh = ap.OutputSize.H, ow = ap.OutputSize.W, h = input[1], w = input[2];
        // PyTorch's windows: cell i averages rows floor(i*H/oh) .. ceil((i+1)*H/oh) - 1.
        static long Lo(int i, int n, int o) => (long)i * n / o;
        static long Hi(int i, int n, int o) => ((long)(i + 1) * n + o - 1) / o - 1;
        long rowsSum = AdaptiveWindowSum(h, oh), colsSum = AdaptiveWindowSum(w, ow);
        int[] shape = [input[0], oh, ow];
        long outElements = Elements(shape);
        var counts = new Counts(0, outElements, checked(input[0] * (rowsSum * colsSum - (long)oh * ow)), 0);
        ReceptiveField? outRf = null;
        if (rf is not null)
        {
            ReceptiveFieldAxis Axis(ReceptiveFieldAxis f, int n, int o)
            {
                // Windows of the adaptive pool on its own input, then composed with the input's field.
                var local = ReceptiveFieldAxis.Cover(o, i => Lo(i, n, o), i => Hi(i, n, o), [Math.Max(1, n / o), (n + o - 1) / o]);
                return checked(new ReceptiveFieldAxis(f.Size + (local.Size - 1) * f.Stride, f.Stride * local.Stride, f.Start + local.Start * f.Stride));
            }
            outRf = new ReceptiveField(Axis(rf.H, h, oh), Axis(rf.W, w, ow));
        }
        return (shape, counts, outRf);
    }

    /// <summary>
    /// Σ over the o cells of adaptive pooling of n rows of the cell's window length, ⌈(i+1)n/o⌉ − ⌊i·n/o⌋, in closed
    /// form: n + o − gcd(n, o). (⌈x⌉ = ⌊x⌋ + 1 unless x is an integer, the floors telescope to n, and (i+1)·n/o is an
    /// integer for exactly gcd(n, o) of the o cells.) A test compares it with the sum over the cells.
    /// </summary>
    internal static long AdaptiveWindowSum(int n, int o) => (long)n + o - (long)System.Numerics.BigInteger.GreatestCommonDivisor(n, o);

    private static int[] Pool(int[] input, Size2 k, Size2 s, Size2 p, Size2 d, bool ceil, string where)
    {
        Image(input, where);
        Geometry(k, s, p, d, where);
        int[] shape = [input[0], OutSize(input[1], k.H, s.H, p.H, d.H, ceil), OutSize(input[2], k.W, s.W, p.W, d.W, ceil)];
        Positive(shape, input, where);
        return shape;
    }

    /// <summary>PyTorch's output size of a convolution or pooling window along one axis.</summary>
    public static int OutSize(int n, int k, int s, int p, int d, bool ceil)
    {
        long span = (long)n + 2L * p - (long)d * (k - 1) - 1;
        long o = FloorDiv(span + (ceil ? s - 1 : 0), s) + 1;
        // With ceil_mode the last window must start inside the input or its left padding.
        if (ceil && (o - 1) * s >= n + p) o--;
        return (int)Math.Clamp(o, int.MinValue, int.MaxValue);
    }

    private static long FloorDiv(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);

    private static ReceptiveField? Window(ReceptiveField? rf, Size2 k, Size2 s, Size2 p, Size2 d) =>
        rf is null ? null : new ReceptiveField(rf.H.Then(k.H, s.H, p.H, d.H), rf.W.Then(k.W, s.W, p.W, d.W));

    /// <exception cref="OverflowException">The product exceeds the 64-bit range.</exception>
    public static long Elements(int[] shape) => shape.Aggregate(1L, (a, b) => checked(a * b));

    public static string Show(IReadOnlyList<int> shape) => string.Join("x", shape);

    /// <summary>Window sizes the spec parser would accept (a spec built in code or imported from ONNX skips the parser).</summary>
    private static void Geometry(Size2 k, Size2 s, Size2 p, Size2 d, string where)
    {
        if (k.H < 1 || k.W < 1 || s.H < 1 || s.W < 1 || d.H < 1 || d.W < 1 || p.H < 0 || p.W < 0)
            throw new NablaInputException($"{where}: expected kernel_size, stride and dilation >= 1 and padding >= 0, found kernel_size={k.H}x{k.W} stride={s.H}x{s.W} padding={p.H}x{p.W} dilation={d.H}x{d.W}");
    }

    private static void Image(int[] input, string where)
    {
        if (input.Length != 3)
            throw new NablaInputException($"{where}: expected a C x H x W input, found flat input {Show(input)}");
    }

    private static void Flat(int[] input, string where)
    {
        if (input.Length != 1)
            throw new NablaInputException($"{where}: expected a flat input (add 'flatten' before it), found {Show(input)}");
    }

    private static void Positive(int[] shape, int[] input, string where)
    {
        if (shape.Any(v => v <= 0))
            throw new NablaInputException($"{where}: expected an output size >= 1, found {Show(shape)} from input {Show(input)}");
    }
}
