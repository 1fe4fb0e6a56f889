namespace Nabla.Kernels.Quant;

/// <summary>
/// Signed 8-bit weights W (N output channels × K inputs) packed for <see cref="QGemm"/>: panels of
/// <see cref="QGemm.NR"/> channels, each holding, for every group of 4 consecutive k, the 4 bytes of channel 0, then
/// of channel 1, ... (the operand order of VPDPBUSD). K is padded to a multiple of 4 and N to a multiple of NR with zeros.
/// </summary>
/// <remarks>
/// A convolution's K = KH·KW·C is packed as KH <see cref="Segments"/> of KW·C inputs, each padded to a multiple of 4
/// (<see cref="SegmentLength"/>), so that <see cref="QGemm"/> can read each segment straight from one row of a padded
/// NHWC image (an implicit im2col); a plain matrix has one segment.
/// </remarks>
public sealed class QWeights
{
    /// <summary>Output channels.</summary>
    public int N { get; }

    /// <summary>Inputs per output channel.</summary>
    public int K { get; }

    /// <summary>Segments × <see cref="SegmentLength"/>: the packed inputs per channel (for one segment, K rounded up to
    /// a multiple of 4: the bytes each row of A must hold).</summary>
    public int KPadded { get; }

    /// <summary>How many runs of K / Segments inputs K is split into (1 for a plain matrix, KH for a convolution).</summary>
    public int Segments { get; }

    /// <summary>The inputs of one segment rounded up to a multiple of 4 (the zero weights past a segment's end meet
    /// whatever bytes follow it in A).</summary>
    public int SegmentLength { get; }

    /// <summary>N rounded up to a multiple of <see cref="QGemm.NR"/>.</summary>
    public int NPadded { get; }

    /// <summary>The packed panels, NPadded × KPadded bytes.</summary>
    public sbyte[] Packed { get; }

    /// <summary>The same panels as 16-bit pairs, for the widening micro-kernel (CPUs without AVX-VNNI), built on first
    /// use: per panel and group of 4 k, four runs of 16 shorts: (w[c, k0], w[c, k1]) for channels 0–7, for 8–15, then
    /// (w[c, k2], w[c, k3]) for 0–7 and for 8–15 (the operand order of VPMADDWD).</summary>
    internal short[] Wide => _wide ??= Widen();

    private short[]? _wide;

    private short[] Widen()
    {
        var wide = new short[Packed.Length];
        int groupBytes = 4 * QGemm.NR;
        for (long g = 0; g < Packed.Length / groupBytes; g++)
            for (int lane = 0; lane < QGemm.NR; lane++)
                for (int i = 0; i < 4; i++)
                    wide[g * groupBytes + i / 2 * 2 * QGemm.NR + lane / 8 * 16 + lane % 8 * 2 + i % 2] = Packed[g * groupBytes + lane * 4 + i];
        return wide;
    }

    /// <summary>Σ_k W[n, k] per channel: the zero-point correction of the activations (bias −= z·Σ_k W[n, k]).</summary>
    public int[] RowSums { get; }

    private QWeights(int n, int k, int segments)
    {
        N = n; K = k; Segments = segments;
        SegmentLength = PadK(k / segments);
        KPadded = segments * SegmentLength;
        NPadded = (n + QGemm.NR - 1) / QGemm.NR * QGemm.NR;
        Packed = new sbyte[(long)NPadded * KPadded];
        RowSums = new int[n];
    }

    /// <summary>Rounds K up to a multiple of 4 (the row length A needs).</summary>
    public static int PadK(int k) => (k + 3) & ~3;

    /// <summary>Packs W given row-major as N rows of K values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">n or k is negative.</exception>
    /// <exception cref="ArgumentException"><paramref name="w"/> holds fewer than n·k values.</exception>
    public static QWeights Pack(ReadOnlySpan<sbyte> w, int n, int k) => Pack(w, n, k, 1);

    /// <summary>Packs W given row-major as N rows of K values, each row split into <paramref name="segments"/> equal runs
    /// that are padded to a multiple of 4 separately (a convolution's (kh, kw, c) rows: one segment per kh).</summary>
    /// <exception cref="ArgumentOutOfRangeException">n or k is negative, segments is below 1, or k is not a multiple of segments.</exception>
    /// <exception cref="ArgumentException"><paramref name="w"/> holds fewer than n·k values.</exception>
    public static QWeights Pack(ReadOnlySpan<sbyte> w, int n, int k, int segments)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfLessThan(segments, 1);
        if (k % segments != 0) throw new ArgumentOutOfRangeException(nameof(segments), $"K = {k} is not a multiple of {segments} segments");
        if (w.Length < (long)n * k) throw new ArgumentException($"W holds {w.Length} values, {n}x{k} needed", nameof(w));
        var q = new QWeights(n, k, segments);
        int seg = k / segments;
        for (int c = 0; c < n; c++)
        {
            int panel = c / QGemm.NR, lane = c % QGemm.NR, sum = 0;
            long baseOff = (long)panel * QGemm.NR * q.KPadded;
            for (int kk = 0; kk < k; kk++)
            {
                sbyte v = w[c * k + kk];
                sum += v;
                int kp = seg == 0 ? kk : kk / seg * q.SegmentLength + kk % seg;
                q.Packed[baseOff + (kp / 4) * 4 * QGemm.NR + lane * 4 + kp % 4] = v;
            }
            q.RowSums[c] = sum;
        }
        return q;
    }
}
