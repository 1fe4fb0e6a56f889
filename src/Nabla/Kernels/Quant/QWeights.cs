namespace Nabla.Kernels.Quant;

/// <summary>
/// Signed 8-bit weights W (N output channels × K inputs) packed for <see cref="QGemm"/>: panels of
/// <see cref="QGemm.NR"/> channels, each holding, for every group of 4 consecutive k, the 4 bytes of channel 0, then
/// of channel 1, ... (the operand order of VPDPBUSD). K is padded to a multiple of 4 and N to a multiple of NR with zeros.
/// </summary>
public sealed class QWeights
{
    /// <summary>Output channels.</summary>
    public int N { get; }

    /// <summary>Inputs per output channel.</summary>
    public int K { get; }

    /// <summary>K rounded up to a multiple of 4: the bytes each row of A must hold.</summary>
    public int KPadded { get; }

    /// <summary>N rounded up to a multiple of <see cref="QGemm.NR"/>.</summary>
    public int NPadded { get; }

    /// <summary>The packed panels, NPadded × KPadded bytes.</summary>
    public sbyte[] Packed { get; }

    /// <summary>Σ_k W[n, k] per channel: the zero-point correction of the activations (bias −= z·Σ_k W[n, k]).</summary>
    public int[] RowSums { get; }

    private QWeights(int n, int k)
    {
        N = n; K = k;
        KPadded = (k + 3) & ~3;
        NPadded = (n + QGemm.NR - 1) / QGemm.NR * QGemm.NR;
        Packed = new sbyte[(long)NPadded * KPadded];
        RowSums = new int[n];
    }

    /// <summary>Rounds K up to a multiple of 4 (the row length A needs).</summary>
    public static int PadK(int k) => (k + 3) & ~3;

    /// <summary>Packs W given row-major as N rows of K values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">n or k is negative.</exception>
    /// <exception cref="ArgumentException"><paramref name="w"/> holds fewer than n·k values.</exception>
    public static QWeights Pack(ReadOnlySpan<sbyte> w, int n, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (w.Length < (long)n * k) throw new ArgumentException($"W holds {w.Length} values, {n}x{k} needed", nameof(w));
        var q = new QWeights(n, k);
        for (int c = 0; c < n; c++)
        {
            int panel = c / QGemm.NR, lane = c % QGemm.NR, sum = 0;
            long baseOff = (long)panel * QGemm.NR * q.KPadded;
            for (int kk = 0; kk < k; kk++)
            {
                sbyte v = w[c * k + kk];
                sum += v;
                q.Packed[baseOff + (kk / 4) * 4 * QGemm.NR + lane * 4 + kk % 4] = v;
            }
            q.RowSums[c] = sum;
        }
        return q;
    }
}
