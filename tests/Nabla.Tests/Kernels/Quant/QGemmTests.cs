using Nabla.Kernels.Quant;
using Xunit;

namespace Nabla.Tests.Kernels.Quant;

/// <summary>The int8 GEMM against its naive twin: exact integers, and bit-identical requantised outputs.</summary>
public class QGemmTests
{
    /// <summary>Naive twin: acc = Σ_k A[m,k]·W[n,k] in int32, then the documented epilogue with the same float ops.</summary>
    internal static void Naive(int m, int n, int k, byte[] a, int lda, sbyte[] w, int[] bias, float[] scale, int zeroPoint,
        byte[]? cu8, float[]? cf32, int ldc)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                int acc = 0;
                for (int p = 0; p < k; p++) acc += a[i * lda + p] * w[j * k + p];
                float v = (float)(acc + bias[j]) * scale[j];
                if (cu8 is not null) cu8[i * ldc + j] = (byte)Math.Clamp((int)MathF.Round(v) + zeroPoint, 0, 255);
                else cf32![i * ldc + j] = v;
            }
    }

    /// <summary>Every path this CPU runs: Auto (VNNI where there is AVX-VNNI), the widening kernel (AVX2) and the scalar loop.</summary>
    private static readonly QGemmPath[] Paths = System.Runtime.Intrinsics.X86.Avx2.IsSupported
        ? [QGemmPath.Auto, QGemmPath.Widening, QGemmPath.Scalar]
        : [QGemmPath.Auto, QGemmPath.Scalar];

    public static TheoryData<int, int, int> Shapes()
    {
        var d = new TheoryData<int, int, int>();
        foreach (int s in new[] { 0, 1, 3, 5, 6, 7, 15, 16, 17, 33, 97 })
        {
            d.Add(s, 17, 13);
            d.Add(13, s, 17);
            d.Add(7, 33, s);
        }
        d.Add(200, 40, 300);  // more than one row chunk (96)
        d.Add(6, 16, 2400);   // a long K: acc near 2^26, where int→float rounding matters
        return d;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void RunU8_MatchesNaive_Exactly(int m, int n, int k)
    {
        foreach (var path in Paths)
        {
            var (a, lda, w, bias, scale) = Random(m, n, k, seed: m * 1000 + n * 31 + k, maxScale: 0.01f);
            int ldc = n + 3;
            var fast = new byte[Math.Max(0, (m - 1) * ldc + n) + 5];
            var naive = (byte[])fast.Clone();
            QGemm.RunU8(m, a, lda, QWeights.Pack(w, n, k), bias, scale, 7, fast, ldc, path);
            Naive(m, n, k, a, lda, w, bias, scale, 7, naive, null, ldc);
            Assert.Equal(naive, fast);
            Assert.Contains(fast, b => b != 0 && b != 255 || m * n == 0); // the clamp did not swallow everything
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void RunF32_MatchesNaive_BitForBit(int m, int n, int k)
    {
        foreach (var path in Paths)
        {
            var (a, lda, w, bias, scale) = Random(m, n, k, seed: m * 7 + n * 1000 + k, maxScale: 1f);
            var fast = new float[m * n];
            var naive = new float[m * n];
            QGemm.RunF32(m, a, lda, QWeights.Pack(w, n, k), bias, scale, fast, n, path);
            Naive(m, n, k, a, lda, w, bias, scale, 0, null, naive, n);
            Assert.Equal(naive, fast);
        }
    }

    /// <summary>RunConv (implicit im2col from a padded NHWC image, segmented weights) against a naive convolution on the
    /// unpadded image, on both paths: exact u8 codes and bit-identical floats.</summary>
    [Theory]
    [InlineData(28, 28, 1, 6, 5, 5, 1, 2)]   // lenet5's first layer: 5-byte kernel rows, 6 channels
    [InlineData(12, 11, 3, 17, 3, 3, 1, 1)]  // 9-byte rows, one whole and one partial panel
    [InlineData(9, 10, 8, 16, 2, 3, 2, 0)]   // stride 2, no padding, whole tiles only
    [InlineData(5, 7, 32, 40, 3, 3, 1, 1)]
    public unsafe void RunConv_MatchesNaiveConvolution(int h, int w, int c, int n, int kh, int kw, int stride, int pad)
    {
        var g = new QWindow(h, w, c, kh, kw, stride, stride, pad, pad);
        var rng = new System.Random(h * 100 + c * 10 + n);
        var image = new byte[h * w * c];
        rng.NextBytes(image);
        var wt = new sbyte[n * g.K];
        for (int i = 0; i < wt.Length; i++) wt[i] = (sbyte)rng.Next(-127, 128);
        var bias = Enumerable.Range(0, n).Select(_ => rng.Next(-20000, 20000)).ToArray();
        var scale = Enumerable.Range(0, n).Select(_ => 0.02f * (float)(0.1 + rng.NextDouble()) / g.K).ToArray();
        const byte zero = 9;
        int pixels = g.OH * g.OW;
        var naiveU8 = new byte[pixels * n];
        var naiveF = new float[pixels * n];
        for (int p = 0; p < pixels; p++)
            for (int o = 0; o < n; o++)
            {
                int acc = 0, oy = p / g.OW, ox = p % g.OW;
                for (int u = 0; u < kh; u++)
                    for (int v = 0; v < kw; v++)
                        for (int ch = 0; ch < c; ch++)
                        {
                            int iy = oy * stride - pad + u, ix = ox * stride - pad + v;
                            int a = iy < 0 || iy >= h || ix < 0 || ix >= w ? zero : image[(iy * w + ix) * c + ch];
                            acc += a * wt[o * g.K + (u * kw + v) * c + ch];
                        }
                float val = (float)(acc + bias[o]) * scale[o];
                naiveU8[p * n + o] = (byte)Math.Clamp((int)MathF.Round(val) + 3, 0, 255);
                naiveF[p * n + o] = val;
            }
        var qw = QWeights.Pack(wt, n, g.K, kh);
        var padded = new byte[QOps.PaddedSize(g, QGemm.PaddedSlack)];
        QOps.Pad(image, g, zero, QGemm.PaddedSlack, padded);
        foreach (var path in Paths)
        {
            var u8 = new byte[pixels * n];
            var f = new float[pixels * n];
            fixed (byte* pp = padded) fixed (int* pb = bias) fixed (float* ps = scale) fixed (byte* pu = u8) fixed (float* pf = f)
            {
                // in two calls, the second from a pixel inside an output row
                int split = Math.Min(pixels, g.OW / 2 + 7);
                QGemm.RunConv(pp, g, 0, split, qw, pb, ps, 3, pu, null, n, path);
                QGemm.RunConv(pp, g, split, pixels - split, qw, pb, ps, 3, pu + split * n, null, n, path);
                QGemm.RunConv(pp, g, 0, pixels, qw, pb, ps, 0, null, pf, n, path);
            }
            Assert.Equal(naiveU8, u8);
            Assert.Equal(naiveF, f);
            Assert.Contains(u8, b => b != 0 && b != 255);
        }
    }

    [Fact]
    public void Pack_Segments_PadEachKernelRow()
    {
        var w = Enumerable.Range(0, 2 * 15).Select(i => (sbyte)(i - 7)).ToArray();
        var q = QWeights.Pack(w, 2, 15, 3);   // 3 segments of 5 → 3 × 8
        Assert.Equal(8, q.SegmentLength);
        Assert.Equal(24, q.KPadded);
        // channel 1, input 7 = segment 1, offset 2 → packed k 10: group 2, lane 1, byte 2
        Assert.Equal(w[15 + 7], q.Packed[2 * 4 * QGemm.NR + 1 * 4 + 2]);
        Assert.Equal(0, q.Packed[1 * 4 * QGemm.NR + 1 * 4 + 1]); // packed k 5 (segment 0's padding) is zero
        Assert.Equal(w.Skip(15).Sum(v => (int)v), q.RowSums[1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => QWeights.Pack(w, 2, 15, 4));
    }

    [Fact]
    public void Pack_RowSums_AreTheWeightSums()
    {
        var (_, _, w, _, _) = Random(1, 19, 23, seed: 5, maxScale: 1f);
        var q = QWeights.Pack(w, 19, 23);
        for (int j = 0; j < 19; j++) Assert.Equal(w.Skip(j * 23).Take(23).Sum(v => (int)v), q.RowSums[j]);
        Assert.Equal(24, q.KPadded);
        Assert.Equal(32, q.NPadded);
    }

    /// <summary>The extreme codes: activations 255 and 128 (the high bit set: a signed reading would flip them) against
    /// weights −128 and 127, where u8·s8 pair sums overflow 16 bits (a saturating VPMADDUBSW would clip them), on a
    /// K long enough that the int32 sums pass 2^23.</summary>
    [Fact]
    public void ExtremeCodes_MatchNaive_OnEveryPath()
    {
        const int m = 13, n = 35, k = 1030;
        int lda = QWeights.PadK(k);
        var a = new byte[m * lda];
        for (int i = 0; i < a.Length; i++) a[i] = (byte)(i % 7 == 3 ? 128 : 255);
        var w = new sbyte[n * k];
        for (int i = 0; i < w.Length; i++) w[i] = (sbyte)(i % 5 == 1 ? 127 : -128);
        var bias = new int[n];
        var scale = Enumerable.Repeat(1f, n).ToArray();
        var naive = new float[m * n];
        Naive(m, n, k, a, lda, w, bias, scale, 0, null, naive, n);
        Assert.Contains(naive, v => Math.Abs(v) > 1 << 23);
        foreach (var path in Paths)
        {
            var fast = new float[m * n];
            QGemm.RunF32(m, a, lda, QWeights.Pack(w, n, k), bias, scale, fast, n, path);
            Assert.Equal(naive, fast);
        }
    }

    [Fact]
    public void RunU8_ShortA_Throws()
    {
        var q = QWeights.Pack(new sbyte[16 * 8], 16, 8);
        Assert.Throws<ArgumentException>(() => QGemm.RunU8(2, new byte[10], 8, q, new int[16], new float[16], 0, new byte[32], 16));
    }

    private static (byte[] A, int Lda, sbyte[] W, int[] Bias, float[] Scale) Random(int m, int n, int k, int seed, float maxScale)
    {
        var rng = new System.Random(seed);
        int lda = QWeights.PadK(k) + 4;
        var a = new byte[Math.Max(1, m) * lda];
        rng.NextBytes(a); // the padding bytes past K are random too: they must meet zero weights
        var w = new sbyte[n * k];
        for (int i = 0; i < w.Length; i++) w[i] = (sbyte)rng.Next(-127, 128);
        var bias = new int[n];
        var scale = new float[n];
        for (int j = 0; j < n; j++) { bias[j] = rng.Next(-50000, 50000); scale[j] = maxScale * (float)(0.1 + rng.NextDouble()) / Math.Max(1, k); }
        return (a, lda, w, bias, scale);
    }
}
