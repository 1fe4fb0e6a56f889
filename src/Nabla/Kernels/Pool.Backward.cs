using System.Runtime.Intrinsics;

namespace Nabla.Kernels;

public static partial class Pool
{
    /// <summary>The gradient of max pooling: <c>dx[plane, arg[o]] += g[plane, o]</c> for every output o with an index
    /// (arg ≥ 0), plane by plane, in output order (so windows that overlap add in a fixed order).</summary>
    /// <param name="g">Output gradient, planes x <paramref name="outPlane"/>.</param>
    /// <param name="arg">The in-plane indices <see cref="MaxPool2d"/> wrote.</param>
    /// <param name="planes">Number of planes.</param>
    /// <param name="inPlane">Elements per input plane (H·W).</param>
    /// <param name="outPlane">Elements per output plane (OH·OW).</param>
    /// <param name="dx">Input gradient, planes x <paramref name="inPlane"/>; accumulated into.</param>
    /// <exception cref="ArgumentException">Spans too short, or an index outside its plane.</exception>
    public static unsafe void MaxPool2dBackward(ReadOnlySpan<float> g, ReadOnlySpan<int> arg, int planes, int inPlane, int outPlane, Span<float> dx)
    {
        CheckBackward(g.Length, arg.Length, planes, inPlane, outPlane, dx.Length);
        fixed (float* pg = g, pd = dx)
        fixed (int* pa = arg)
        {
            for (int plane = 0; plane < planes; plane++)
            {
                float* gp = pg + (long)plane * outPlane, dp = pd + (long)plane * inPlane;
                int* ap = pa + (long)plane * outPlane;
                for (int o = 0; o < outPlane; o++)
                {
                    uint at = (uint)ap[o];
                    if (at < (uint)inPlane) dp[at] += gp[o];
                    else if (ap[o] >= 0) throw new ArgumentException($"Pool.MaxPool2dBackward: index {ap[o]} outside a plane of {inPlane}");
                }
            }
        }
    }

    internal static void CheckBackward(int gLength, int argLength, int planes, int inPlane, int outPlane, int dxLength)
    {
        if (planes < 0 || inPlane < 0 || outPlane < 0)
            throw new ArgumentException($"Pool: sizes out of range: planes={planes} in-plane {inPlane} out-plane {outPlane}");
        long outs = (long)planes * outPlane, ins = (long)planes * inPlane;
        if (gLength < outs || argLength < outs) throw new ArgumentException($"Pool: gradient and index spans need {outs} elements, have {gLength} and {argLength}");
        if (dxLength < ins) throw new ArgumentException($"Pool: input gradient span needs {ins} elements, has {dxLength}");
    }

    /// <summary>The gradient of 2 x 2, stride-2 max pooling without padding or dilation (the windows tile the plane,
    /// whose last row and column are left out when H or W is odd), written over the whole of <paramref name="dx"/>:
    /// as if cleared and then <c>dx[plane, arg[o]] += g[plane, o]</c> (0 + g at each window's maximum, 0 everywhere
    /// else). No input lies in two windows, so with AVX-512 or AVX2 each pair of rows is built in registers 16 windows at a
    /// time and stored once, with no clearing pass and no scattered adds. (To add into a gradient that already holds
    /// values, <see cref="MaxPool2dBackward"/>'s scatter is the faster.)</summary>
    /// <param name="g">Output gradient, planes x (H/2) x (W/2).</param>
    /// <param name="arg">The in-plane indices <see cref="MaxPool2d"/> wrote; each must lie in its own window.</param>
    /// <param name="planes">Number of planes.</param>
    /// <param name="h">Input plane height.</param>
    /// <param name="w">Input plane width.</param>
    /// <param name="dx">Input gradient, planes x H x W; overwritten.</param>
    /// <exception cref="ArgumentException">Spans too short, sizes out of range, or an index outside its window.</exception>
    public static unsafe void MaxPool2x2Backward(ReadOnlySpan<float> g, ReadOnlySpan<int> arg, int planes, int h, int w, Span<float> dx)
    {
        if (h < 1 || w < 1) throw new ArgumentException($"Pool: sizes out of range: {h}x{w}");
        int oh = h / 2, ow = w / 2;
        CheckBackward(g.Length, arg.Length, planes, h * w, oh * ow, dx.Length);
        fixed (float* pg = g, pd = dx)
        fixed (int* pa = arg)
        {
            float* dxEnd = pd + (long)planes * h * w;
            int* argEnd = pa + (long)planes * oh * ow;
            for (int plane = 0; plane < planes; plane++)
            {
                float* gp = pg + (long)plane * oh * ow, dp = pd + (long)plane * h * w;
                int* ap = pa + (long)plane * oh * ow;
                for (int i = 0; i < oh; i++)
                {
                    float* top = dp + 2 * i * w;
                    int j = 0;
                    if (Vector16.IsSupported)
                        for (; j < ow; j += 16)
                        {
                            // A row narrower than 16 windows may read and store whole vectors past its end while they
                            // stay inside the spans: everything they spill onto (the odd column, the bottom row,
                            // later rows) is written again afterwards, in order.
                            bool overrun = ow < 16 && ap + i * ow + 16 <= argEnd && top + w + 32 <= dxEnd;
                            if (!RowPairBackward16(gp + i * ow + j, ap + i * ow + j, Math.Min(16, ow - j), overrun, 2 * i * w + 2 * j, w, top + 2 * j))
                                break; // an index outside its window: the scalar loop below finds it and throws
                        }
                    for (; j < ow; j++)
                    {
                        int o = i * ow + j, d = ap[o] - (2 * i * w + 2 * j);
                        if (d != 0 && d != 1 && d != w && d != w + 1) throw OutsideWindow(ap[o], o);
                        float* at = top + 2 * j;
                        at[0] = 0f; at[1] = 0f; at[w] = 0f; at[w + 1] = 0f;
                        at[d] = 0f + gp[o];
                    }
                    if ((w & 1) != 0) { top[w - 1] = 0f; top[2 * w - 1] = 0f; }
                }
                if ((h & 1) != 0) new Span<float>(dp + (h - 1) * w, w).Clear();
            }
        }
    }

    /// <summary><paramref name="count"/> (≤ 16) windows of one output row: the four candidates of each window
    /// selected by comparing its index with the window's corners, the two input rows interleaved back from even and
    /// odd columns by permutes, and stored with the elements past the windows masked off unless
    /// <paramref name="overrun"/> allows whole vectors. False, with nothing written, when an index is outside its window.</summary>
    private static unsafe bool RowPairBackward16(float* g, int* arg, int count, bool overrun, int corner, int w, float* top)
    {
        var lanes = Vector512<int>.Indices;
        var inWindows = Vector512.LessThan(lanes, Vector512.Create(count));
        Vector512<float> gv;
        Vector512<int> av;
        if (count == 16 || overrun) { gv = Vector512.Load(g); av = Vector512.Load(arg); }
        else
        {
            gv = Vector16.Load(g, inWindows.AsSingle());
            av = Vector16.Load(arg, inWindows);
        }
        var d = av - Vector512.Create(corner) - lanes * 2; // 0, 1, w or w + 1 inside the window
        var m0 = Vector512.Equals(d, Vector512<int>.Zero);
        var m1 = Vector512.Equals(d, Vector512<int>.One);
        var mw = Vector512.Equals(d, Vector512.Create(w));
        var mw1 = Vector512.Equals(d, Vector512.Create(w + 1));
        if (!Vector512.EqualsAll(m0 | m1 | mw | mw1 | ~inWindows, Vector512<int>.AllBitsSet)) return false;
        // 0 + g, as a cleared buffer plus the gradient would hold (a −0 gradient lands as +0).
        var zero = Vector512<float>.Zero;
        gv += zero;
        var te = Vector512.ConditionalSelect(m0.AsSingle(), gv, zero);
        var to = Vector512.ConditionalSelect(m1.AsSingle(), gv, zero);
        var be = Vector512.ConditionalSelect(mw.AsSingle(), gv, zero);
        var bo = Vector512.ConditionalSelect(mw1.AsSingle(), gv, zero);
        int stored = overrun ? 16 : count;
        Store(top, Vector16.Interleave(te, to, high: false), Vector16.Interleave(te, to, high: true), stored);
        Store(top + w, Vector16.Interleave(be, bo, high: false), Vector16.Interleave(be, bo, high: true), stored);
        return true;
    }

    /// <summary>Stores 2·<paramref name="count"/> floats of one input row: <paramref name="a"/> then <paramref name="b"/>.</summary>
    private static unsafe void Store(float* at, Vector512<float> a, Vector512<float> b, int count)
    {
        if (count == 16) { a.Store(at); b.Store(at + 16); return; }
        var lanes = Vector512<int>.Indices;
        Vector16.Store(at, Vector512.LessThan(lanes, Vector512.Create(2 * count)).AsSingle(), a);
        Vector16.Store(at + 16, Vector512.LessThan(lanes, Vector512.Create(2 * count - 16)).AsSingle(), b);
    }

    internal static ArgumentException OutsideWindow(int index, int output) =>
        new($"Pool.MaxPool2x2Backward: index {index} of output {output} is outside its 2x2 window");
}
