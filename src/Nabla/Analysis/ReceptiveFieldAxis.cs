namespace Nabla.Analysis;

/// <summary>
/// The receptive field along one spatial axis: output position i sees input positions
/// <c>Start + i*Stride</c> through <c>Start + i*Stride + Size - 1</c> (0-based, before clipping to the image).
/// </summary>
/// <param name="Size">How many consecutive input positions one output position spans.</param>
/// <param name="Stride">How far the window moves per output position.</param>
/// <param name="Start">The first input position of output 0 (negative where padding is involved).</param>
public readonly record struct ReceptiveFieldAxis(long Size, long Stride, long Start)
{
    /// <summary>The field of the input itself: each position sees only itself.</summary>
    public static ReceptiveFieldAxis Identity => new(1, 1, 0);

    /// <summary>The field after a window of <paramref name="kernel"/> taps spaced <paramref name="dilation"/> apart,
    /// moving by <paramref name="stride"/>, over input padded by <paramref name="padding"/>.</summary>
    /// <exception cref="OverflowException">The field exceeds the 64-bit range.</exception>
    public ReceptiveFieldAxis Then(int kernel, int stride, int padding, int dilation = 1) => checked(
        new(Size + (long)dilation * (kernel - 1) * Stride, Stride * stride, Start - (long)padding * Stride));

    /// <summary>
    /// The smallest field of the form (size, stride, start) that covers, for every output position
    /// i in [0, count), the input rows <paramref name="lo"/>(i) .. <paramref name="hi"/>(i); the stride is
    /// chosen among <paramref name="strides"/>. Exact when the windows move by a constant stride.
    /// </summary>
    /// <remarks>
    /// Only the first and the last position are evaluated, so the cost does not grow with <paramref name="count"/>
    /// (a spec may declare sizes near 2^31). That is exact when, for each candidate stride s, lo(i) − i·s takes its
    /// minimum and hi(i) − i·s its maximum at an end of [0, count), which holds for every caller:
    /// <list type="bullet">
    /// <item>a union of fields: lo and hi are a minimum and a maximum of functions linear in i, and a linear
    /// function's extremes over an interval are at its ends;</item>
    /// <item>adaptive average pooling of n rows to o: with n = q·o + r, lo(i) = ⌊i·n/o⌋ and hi(i) = ⌈(i+1)·n/o⌉ − 1;
    /// for s = q, lo(i) − i·s = ⌊i·r/o⌋ and hi(i) − i·s = q − 1 + ⌈(i+1)·r/o⌉ never decrease; for s = q + 1 (r > 0),
    /// ⌊i·r/o⌋ − i and ⌈(i+1)·r/o⌉ − i never increase, because r &lt; o makes each step of the floor or ceiling at most 1.</item>
    /// </list>
    /// A test compares this with a scan of every position.
    /// </remarks>
    /// <exception cref="OverflowException">The field exceeds the 64-bit range.</exception>
    public static ReceptiveFieldAxis Cover(int count, Func<int, long> lo, Func<int, long> hi, IEnumerable<long> strides)
    {
        ReceptiveFieldAxis best = default;
        bool found = false;
        int last = Math.Max(0, count - 1);
        foreach (long s in strides.Distinct())
        {
            long start = checked(Math.Min(lo(0), lo(last) - last * s));
            long end = checked(Math.Max(hi(0), hi(last) - last * s));
            var candidate = new ReceptiveFieldAxis(checked(end - start + 1), s, start);
            if (!found || candidate.Size < best.Size) { best = candidate; found = true; }
        }
        return best;
    }

    /// <summary>
    /// The window seen by output index <c>i</c> as text: with <paramref name="indexBase"/> 0, a Python slice
    /// (end exclusive) such as <c>4i-6 : 4i+10</c>; with 1, an inclusive 1-based range (Julia, MATLAB)
    /// such as <c>4i-9 : 4i+6</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The index base is not 0 or 1.</exception>
    public string Range(char index, int indexBase)
    {
        if (indexBase is not (0 or 1)) throw new ArgumentOutOfRangeException(nameof(indexBase), indexBase, "expected 0 or 1");
        // 0-based output i sees [Start + i*Stride, Start + i*Stride + Size); 1-based i' = i+1 sees inputs (1-based)
        // Start + (i'-1)*Stride + 1 .. Start + (i'-1)*Stride + Size.
        long lo = indexBase == 0 ? Start : Start - Stride + 1;
        long hi = indexBase == 0 ? Start + Size : Start - Stride + Size;
        return $"{Affine(index, lo)} : {Affine(index, hi)}";
    }

    private string Affine(char index, long offset)
    {
        string term = Stride == 1 ? index.ToString() : $"{Stride}{index}";
        return offset switch { 0 => term, > 0 => $"{term}+{offset}", _ => $"{term}{offset}" };
    }
}
