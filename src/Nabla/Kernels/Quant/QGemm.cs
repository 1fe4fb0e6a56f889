using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Kernels.Quant;

/// <summary>Which inner loop <see cref="QGemm"/> runs.</summary>
public enum QGemmPath
{
    /// <summary>The VNNI micro-kernel where the CPU has AVX-VNNI, else the widening one where it has AVX2, else the
    /// scalar loop.</summary>
    Auto,

    /// <summary>The exact scalar loop (what CPUs without AVX2 run).</summary>
    Scalar,

    /// <summary>The micro-kernel with AVX2's 16-bit multiply-adds (VPMADDWD), an exact emulation of VPDPBUSD: what
    /// CPUs with AVX2 but without AVX-VNNI run (e.g. AMD Zen 4, whose VNNI is only the 512-bit form .NET 10 does not
    /// expose). Needs AVX2.</summary>
    Widening,
}

/// <summary>
/// int8 matrix product with int32 accumulation and a fused requantisation, as fbgemm and ONNX Runtime do it:
/// <c>acc[m, n] = Σ_k A[m, k]·W[n, k]</c> with A unsigned 8-bit (activations) and W signed 8-bit (weights, packed
/// once by <see cref="QWeights.Pack(ReadOnlySpan{sbyte}, int, int)"/>), then <c>v = float(acc + bias[n]) · scale[n]</c> and either
/// <c>C[m, n] = clamp(round(v) + zeroPoint, 0, 255)</c> (u8 output) or <c>C[m, n] = v</c> (float output).
/// </summary>
/// <remarks>
/// With AVX-VNNI (<see cref="AvxVnni.IsSupported"/>) the micro-kernel does 6 rows × 16 columns with VPDPBUSD
/// (32 u8×s8 products summed into 8 int32 lanes per instruction). Without it, on AVX2, the same micro-kernel runs on
/// activations widened to 16 bits (a padded image once per call, a matrix's rows per L2-sized chunk) and on the
/// weights as 16-bit pairs (<see cref="QWeights.Wide"/>), adding two VPMADDWD per step (a0·w0 + a1·w1 and
/// a2·w2 + a3·w3, each at most 2·255·128 in magnitude, so nothing saturates): the same int32 lanes, exactly.
/// Elsewhere an exact scalar loop computes the same integers. The epilogue is written with the same float operations
/// in every path (int→float conversion, one multiply, round half to even), so all give bit-identical outputs. A's rows must hold
/// <see cref="QWeights.KPadded"/> readable bytes (the bytes past K are multiplied by zero weights).
/// </remarks>
public static class QGemm
{
    /// <summary>Rows per micro-tile.</summary>
    public const int MR = 6;

    /// <summary>Columns per micro-tile (two 8-lane int32 vectors).</summary>
    public const int NR = 16;

    private const int RowChunk = 96; // rows whose A stays in L2 while every column panel of W streams past

    /// <summary>True when a vector micro-kernel runs (VNNI, or the widening one on AVX2); false means the exact scalar loop.</summary>
    public static bool IsAccelerated => Resolve(QGemmPath.Auto) != Kernel.Scalar;

    /// <summary>True when the VNNI micro-kernel runs (AVX-VNNI); false with <see cref="IsAccelerated"/> means the widening one.</summary>
    public static bool HasVnni => Resolve(QGemmPath.Auto) == Kernel.Vnni;

    /// <summary>The kernel <see cref="QGemmPath.Auto"/> runs on this CPU: "vnni", "widening" or "scalar".</summary>
    public static string KernelName => Resolve(QGemmPath.Auto) switch
    {
        Kernel.Vnni => "vnni",
        Kernel.Widening => "widening",
        _ => "scalar",
    };

    /// <summary>The inner loop a path runs on this CPU.</summary>
    private enum Kernel { Scalar, Widening, Vnni }

    private static Kernel Resolve(QGemmPath path) => path switch
    {
        QGemmPath.Scalar => Kernel.Scalar,
        QGemmPath.Widening when Avx2.IsSupported => Kernel.Widening,
        QGemmPath.Widening => throw new PlatformNotSupportedException("the widening int8 micro-kernel needs AVX2"),
        _ => AvxVnni.IsSupported ? Kernel.Vnni : Avx2.IsSupported ? Kernel.Widening : Kernel.Scalar,
    };

    /// <summary>
    /// C = requant(A·Wᵀ + bias) for rows [0, m) of A (<paramref name="lda"/> bytes apart) into u8 C
    /// (<paramref name="ldc"/> bytes apart), clamped to [0, 255] after adding <paramref name="zeroPoint"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A span is too short for the given sizes.</exception>
    public static void RunU8(int m, ReadOnlySpan<byte> a, int lda, QWeights w, ReadOnlySpan<int> bias, ReadOnlySpan<float> scale,
        int zeroPoint, Span<byte> c, int ldc, QGemmPath path = QGemmPath.Auto)
    {
        Check(m, a, lda, w, bias, scale, c.Length, ldc);
        Run(m, a, lda, w, bias, scale, zeroPoint, c, default, ldc, u8: true, Resolve(path));
    }

    /// <summary>C = float(A·Wᵀ + bias)·scale (dequantised, e.g. the logits) for rows [0, m).</summary>
    /// <exception cref="ArgumentException">A span is too short for the given sizes.</exception>
    public static void RunF32(int m, ReadOnlySpan<byte> a, int lda, QWeights w, ReadOnlySpan<int> bias, ReadOnlySpan<float> scale,
        Span<float> c, int ldc, QGemmPath path = QGemmPath.Auto)
    {
        Check(m, a, lda, w, bias, scale, c.Length, ldc);
        Run(m, a, lda, w, bias, scale, 0, default, c, ldc, u8: false, Resolve(path));
    }

    private static void Check(int m, ReadOnlySpan<byte> a, int lda, QWeights w, ReadOnlySpan<int> bias, ReadOnlySpan<float> scale, int cLength, int ldc)
    {
        if (m == 0) return;
        if (lda < w.KPadded) throw new ArgumentException($"lda {lda} < padded K {w.KPadded}", nameof(lda));
        if (ldc < w.N) throw new ArgumentException($"ldc {ldc} < N {w.N}", nameof(ldc));
        if (a.Length < (long)(m - 1) * lda + w.KPadded) throw new ArgumentException("A is too short", nameof(a));
        if (cLength < (long)(m - 1) * ldc + w.N) throw new ArgumentException("C is too short", "c");
        if (bias.Length < w.N || scale.Length < w.N) throw new ArgumentException("bias and scale need N entries", nameof(bias));
    }

    private static unsafe void Run(int m, ReadOnlySpan<byte> a, int lda, QWeights w, ReadOnlySpan<int> bias, ReadOnlySpan<float> scale,
        int zeroPoint, Span<byte> cu8, Span<float> cf32, int ldc, bool u8, Kernel kernel)
    {
        if (m == 0 || w.N == 0) return;
        if (w.Segments != 1) throw new ArgumentException("segmented weights are for RunConv", nameof(w));
        fixed (byte* pa = a)
        fixed (int* pb = bias)
        fixed (float* ps = scale)
        fixed (byte* pcu = cu8)
        fixed (float* pcf = cf32)
        {
            if (kernel != Kernel.Widening)
            {
                Core(m, new Rows(pa, lda, 1), w, pb, ps, zeroPoint, pcu, pcf, ldc, u8, kernel, null, RowChunk);
                return;
            }
            // The widening kernel reads 16-bit activations: each chunk of rows is widened into a scratch that stays in L2.
            int chunk = Math.Clamp(WideBudget / (2 * Math.Max(4, w.KPadded)) / MR * MR, MR, RowChunk);
            int need = chunk * w.KPadded;
            if (t_wideRows is null || t_wideRows.Length < need) t_wideRows = new short[need];
            fixed (short* scratch = t_wideRows)
                Core(m, new Rows(pa, lda, 1), w, pb, ps, zeroPoint, pcu, pcf, ldc, u8, kernel, scratch, chunk);
        }
    }

    /// <summary>Bytes of widened A rows the widening kernel keeps per chunk.</summary>
    private const int WideBudget = 384 << 10;

    [ThreadStatic] private static short[]? t_wideRows;
    [ThreadStatic] private static short[]? t_wideImage;

    /// <summary>dst[i] = src[i] zero-extended to 16 bits, for i in [0, n).</summary>
    private static unsafe void Widen(byte* src, short* dst, int n)
    {
        int i = 0;
        for (; i + 16 <= n; i += 16) Avx2.ConvertToVector256Int16(Sse2.LoadVector128(src + i)).Store(dst + i);
        for (; i < n; i++) dst[i] = src[i];
    }

    /// <summary>
    /// One convolution's output pixels [p0, p0 + m) of one image, read straight from <paramref name="padded"/> (the
    /// image with its padding already in place as the zero point: (H + 2·PH) × (W + 2·PW) pixels of C bytes, NHWC, plus
    /// at least <see cref="PaddedSlack"/> readable bytes after it): row p of the implicit im2col matrix is, for each kh,
    /// the KW·C contiguous bytes of padded row oh·SH + kh from pixel ow·SW on. <paramref name="w"/> must be packed with
    /// KH segments (<see cref="QWeights.Pack(ReadOnlySpan{sbyte}, int, int, int)"/>). Output pixel p goes to row p − p0
    /// of C (u8 when <paramref name="cf32"/> is null, else float).
    /// </summary>
    internal static unsafe void RunConv(byte* padded, QWindow g, int p0, int m, QWeights w, int* bias, float* scale, int zeroPoint,
        byte* cu8, float* cf32, int ldc, QGemmPath path = QGemmPath.Auto)
    {
        if (m == 0 || w.N == 0) return;
        int wp = g.W + 2 * g.PW;
        var kernel = Resolve(path);
        if (kernel != Kernel.Widening)
        {
            Core(m, new Rows(padded, g.C, wp, g.OW, g.SH, g.SW, p0, w.Segments, 1), w, bias, scale, zeroPoint, cu8, cf32, ldc,
                cf32 == null, kernel, null, RowChunk);
            return;
        }
        // The widening kernel reads 16-bit activations: the whole padded image (and its slack) is widened once.
        int size = QOps.PaddedSize(g, PaddedSlack);
        if (t_wideImage is null || t_wideImage.Length < size) t_wideImage = new short[size];
        fixed (short* wide = t_wideImage)
        {
            Widen(padded, wide, size);
            Core(m, new Rows((byte*)wide, g.C, wp, g.OW, g.SH, g.SW, p0, w.Segments, 2), w, bias, scale, zeroPoint, cu8, cf32, ldc,
                cf32 == null, kernel, null, RowChunk);
        }
    }

    /// <summary>Readable bytes a padded image needs past its end for <see cref="RunConv"/> (a segment's last 4-group
    /// may reach up to 3 bytes past the window).</summary>
    internal const int PaddedSlack = 4;

    /// <summary>Where row r of A starts: a matrix's row, or an output pixel's window corner in a padded image of
    /// <paramref name="elementBytes"/>-byte codes (1, or 2 when widened); rows that follow in the same segment are
    /// <see cref="SegStride"/> bytes apart.</summary>
    private readonly unsafe struct Rows
    {
        private readonly byte* _base;
        private readonly int _lda, _c, _wp, _ow, _sh, _sw, _p0;
        private readonly bool _conv;
        public readonly nint SegStride;

        public Rows(byte* a, int lda, int elementBytes) { _base = a; _lda = lda * elementBytes; }

        public Rows(byte* padded, int c, int wp, int ow, int sh, int sw, int p0, int segments, int elementBytes)
        {
            _base = padded; _c = c * elementBytes; _wp = wp; _ow = ow; _sh = sh; _sw = sw; _p0 = p0; _conv = true;
            SegStride = segments > 1 ? (nint)wp * _c : 0;
        }

        /// <summary>ptrs[i] = where row r0 + i starts, for i in [0, count).</summary>
        public void Fill(nint* ptrs, int r0, int count)
        {
            if (!_conv)
            {
                for (int i = 0; i < count; i++) ptrs[i] = (nint)(_base + (long)(r0 + i) * _lda);
                return;
            }
            int p = _p0 + r0, oh = p / _ow, ox = p - oh * _ow;
            long rowStep = (long)_sh * _wp * _c, pixStep = (long)_sw * _c;
            byte* rowBase = _base + oh * rowStep;
            for (int i = 0; i < count; i++)
            {
                ptrs[i] = (nint)(rowBase + ox * pixStep);
                if (++ox == _ow) { ox = 0; rowBase += rowStep; }
            }
        }
    }

    /// <summary>The tiles of rows [0, m), <paramref name="chunk"/> rows at a time; with <paramref name="wideRows"/> (the
    /// widening kernel on a plain matrix) each chunk's rows are first widened into it.</summary>
    private static unsafe void Core(int m, Rows rows, QWeights w, int* pb, float* ps, int zeroPoint, byte* pcu, float* pcf,
        int ldc, bool u8, Kernel kernel, short* wideRows, int chunk)
    {
        int* tile = stackalloc int[MR * NR];
        nint* ptrs = stackalloc nint[RowChunk + MR];
        int* tailBias = stackalloc int[8];
        float* tailScale = stackalloc float[8];
        fixed (sbyte* packed = w.Packed)
        fixed (short* wide = kernel == Kernel.Widening ? w.Wide : null)
        {
            byte* pw = kernel == Kernel.Widening ? (byte*)wide : (byte*)packed;
            int panelBytes = (kernel == Kernel.Widening ? 2 : 1) * NR * w.KPadded;
            for (int m0 = 0; m0 < m; m0 += chunk)
            {
                int m1 = Math.Min(m, m0 + chunk);
                rows.Fill(ptrs, m0, m1 - m0);
                if (wideRows != null)
                    for (int i = 0; i < m1 - m0; i++)
                    {
                        short* dst = wideRows + (long)i * w.KPadded;
                        Widen((byte*)ptrs[i], dst, w.KPadded);
                        ptrs[i] = (nint)dst;
                    }
                // Rows past the end repeat the last one: the kernel reads nothing outside A, and they are not stored.
                for (int r = m1 - m0; r < m1 - m0 + MR; r++) ptrs[r] = ptrs[m1 - m0 - 1];
                for (int nb = 0; nb < w.NPadded; nb += NR)
                {
                    byte* panel = pw + (long)(nb / NR) * panelBytes;
                    int nValid = Math.Min(NR, w.N - nb), full = nValid & ~7, rest = nValid - full;
                    // A last partial group of 8 columns reads bias and scale from zero-padded copies.
                    for (int j = 0; j < 8; j++) { tailBias[j] = j < rest ? pb[nb + full + j] : 0; tailScale[j] = j < rest ? ps[nb + full + j] : 0f; }
                    for (int r = m0; r < m1; r += MR)
                    {
                        if (kernel != Kernel.Scalar && nValid == NR && r + MR <= m1)
                        {
                            // A whole tile: the epilogue runs on the accumulators in registers.
                            var o = new Out(pb + nb, ps + nb, zeroPoint, u8, pcu + (long)r * ldc + nb, pcf + (long)r * ldc + nb, ldc);
                            Tile(ptrs + (r - m0), w.Segments, rows.SegStride, w.SegmentLength, panel, null, &o, kernel);
                            continue;
                        }
                        Tile(ptrs + (r - m0), w.Segments, rows.SegStride, w.SegmentLength, panel, tile, null, kernel);
                        Epilogue(tile, Math.Min(MR, m1 - r), nValid, pb + nb, ps + nb, tailBias, tailScale, zeroPoint, u8,
                            pcu + (long)r * ldc + nb, pcf + (long)r * ldc + nb, ldc);
                    }
                }
            }
        }
    }

    /// <summary>acc (MR×NR int32, row-major) = A · panel for the MR rows starting at <paramref name="rows"/>[0..MR):
    /// <paramref name="segs"/> segments of <paramref name="segLen"/> codes, segment s of a row at row + s·segStride bytes;
    /// the panel holds NR columns × 4 k per group (64 bytes; 128 as the widening kernel's 16-bit pairs). With
    /// <paramref name="o"/> (vector kernels only) the epilogue writes the tile instead.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile(nint* rows, int segs, nint segStride, int segLen, byte* panel, int* acc, Out* o, Kernel kernel)
    {
        if (kernel == Kernel.Vnni && AvxVnni.IsSupported)
        {
            TileSimd<VnniDot, Vector256<byte>, Vector256<sbyte>>(rows, segs, segStride, segLen, panel, acc, o);
            return;
        }
        if (kernel == Kernel.Widening && Avx2.IsSupported)
        {
            TileSimd<WideningDot, Pairs, Pairs>(rows, segs, segStride, segLen, panel, acc, o);
            return;
        }
        for (int i = 0; i < MR * NR; i++) acc[i] = 0;
        sbyte* wt = (sbyte*)panel;
        for (int s = 0; s < segs; s++)
            for (int k = 0; k < segLen; k += 4, wt += 4 * NR)
                for (int r = 0; r < MR; r++)
                {
                    byte* ar = (byte*)rows[r] + s * segStride + k;
                    int* cr = acc + r * NR;
                    for (int j = 0; j < NR; j++)
                    {
                        sbyte* b = wt + 4 * j;
                        cr[j] += ar[0] * b[0] + ar[1] * b[1] + ar[2] * b[2] + ar[3] * b[3];
                    }
                }
    }

    /// <summary>The micro-kernel's one instruction: 8 int32 lanes += Σ of 4 u8 × s8 products each, from 4 activation
    /// codes (the same in every lane) and 8 columns × 4 weights.</summary>
    /// <typeparam name="TX">The activation operand, as prepared once per row and group of 4 k.</typeparam>
    /// <typeparam name="TW">The weight operand, as prepared once per 8 columns and group of 4 k.</typeparam>
    private unsafe interface IDot<TX, TW> where TX : struct where TW : struct
    {
        /// <summary>Bytes per activation code in A (1: u8; 2: widened to 16 bits).</summary>
        static abstract int ElementBytes { get; }

        /// <summary>Bytes of a panel per group of 4 k (NR columns).</summary>
        static abstract int GroupBytes { get; }

        static abstract TX Activations(byte* a);
        static abstract TW Weights(byte* group, int half);
        static abstract Vector256<int> Add(Vector256<int> c, TX x, TW w);
    }

    /// <summary>VPDPBUSD (AVX-VNNI) on u8 activations and the byte panels.</summary>
    private readonly unsafe struct VnniDot : IDot<Vector256<byte>, Vector256<sbyte>>
    {
        public static int ElementBytes => 1;

        public static int GroupBytes => 4 * NR;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Activations(byte* a) => Vector256.Create(*(int*)a).AsByte();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<sbyte> Weights(byte* group, int half) => Avx.LoadVector256((sbyte*)group + 32 * half);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Add(Vector256<int> c, Vector256<byte> x, Vector256<sbyte> w) => AvxVnni.MultiplyWideningAndAdd(c, x, w);
    }

    /// <summary>16-bit pairs for k0, k1 (<see cref="Low"/>) and for k2, k3 (<see cref="High"/>).</summary>
    private readonly struct Pairs(Vector256<short> low, Vector256<short> high)
    {
        public readonly Vector256<short> Low = low, High = high;
    }

    /// <summary>VPDPBUSD emulated exactly on AVX2, on activations widened to 16 bits and the 16-bit panels
    /// (<see cref="QWeights.Wide"/>): c + madd(a0 a1, w0 w1) + madd(a2 a3, w2 w3), where each VPMADDWD lane is at most
    /// 2·255·128 in magnitude, so nothing saturates.</summary>
    private readonly unsafe struct WideningDot : IDot<Pairs, Pairs>
    {
        public static int ElementBytes => 2;

        public static int GroupBytes => 8 * NR;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Pairs Activations(byte* a) =>
            new(Vector256.Create(*(int*)a).AsInt16(), Vector256.Create(*(int*)(a + 4)).AsInt16());

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Pairs Weights(byte* group, int half) =>
            new(Avx.LoadVector256((short*)group + 16 * half), Avx.LoadVector256((short*)group + 2 * NR + 16 * half));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Add(Vector256<int> c, Pairs x, Pairs w) =>
            Avx2.Add(c, Avx2.Add(Avx2.MultiplyAddAdjacent(x.Low, w.Low), Avx2.MultiplyAddAdjacent(x.High, w.High)));
    }

    /// <summary>Where and how a whole tile's epilogue writes: bias and scale of its NR columns, the zero point, and the
    /// u8 or float destination (row stride <see cref="Ldc"/>).</summary>
    private readonly unsafe struct Out(int* bias, float* scale, int zeroPoint, bool u8, byte* cu8, float* cf32, int ldc)
    {
        public readonly int* Bias = bias;
        public readonly float* Scale = scale;
        public readonly int ZeroPoint = zeroPoint;
        public readonly bool U8 = u8;
        public readonly byte* Cu8 = cu8;
        public readonly float* Cf32 = cf32;
        public readonly int Ldc = ldc;
    }

    /// <summary>The vector micro-kernel of <see cref="Tile"/> over one <see cref="IDot{TX, TW}"/>: the MR×NR
    /// accumulators to <paramref name="acc"/>, or, with <paramref name="o"/>, through the epilogue straight to the output.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void TileSimd<TDot, TX, TW>(nint* rows, int segs, nint segStride, int segLen, byte* panel, int* acc, Out* o)
        where TDot : IDot<TX, TW> where TX : struct where TW : struct
    {
        var c00 = Vector256<int>.Zero; var c01 = Vector256<int>.Zero;
        var c10 = Vector256<int>.Zero; var c11 = Vector256<int>.Zero;
        var c20 = Vector256<int>.Zero; var c21 = Vector256<int>.Zero;
        var c30 = Vector256<int>.Zero; var c31 = Vector256<int>.Zero;
        var c40 = Vector256<int>.Zero; var c41 = Vector256<int>.Zero;
        var c50 = Vector256<int>.Zero; var c51 = Vector256<int>.Zero;
        byte* a0 = (byte*)rows[0], a1 = (byte*)rows[1], a2 = (byte*)rows[2], a3 = (byte*)rows[3], a4 = (byte*)rows[4], a5 = (byte*)rows[5];
        for (int s = 0; s < segs; s++)
        {
            for (int k = 0; k < segLen * TDot.ElementBytes; k += 4 * TDot.ElementBytes, panel += TDot.GroupBytes)
            {
                var b0 = TDot.Weights(panel, 0);
                var b1 = TDot.Weights(panel, 1);
                var x = TDot.Activations(a0 + k);
                c00 = TDot.Add(c00, x, b0); c01 = TDot.Add(c01, x, b1);
                x = TDot.Activations(a1 + k);
                c10 = TDot.Add(c10, x, b0); c11 = TDot.Add(c11, x, b1);
                x = TDot.Activations(a2 + k);
                c20 = TDot.Add(c20, x, b0); c21 = TDot.Add(c21, x, b1);
                x = TDot.Activations(a3 + k);
                c30 = TDot.Add(c30, x, b0); c31 = TDot.Add(c31, x, b1);
                x = TDot.Activations(a4 + k);
                c40 = TDot.Add(c40, x, b0); c41 = TDot.Add(c41, x, b1);
                x = TDot.Activations(a5 + k);
                c50 = TDot.Add(c50, x, b0); c51 = TDot.Add(c51, x, b1);
            }
            a0 += segStride; a1 += segStride; a2 += segStride; a3 += segStride; a4 += segStride; a5 += segStride;
        }
        if (o == null)
        {
            c00.Store(acc); c01.Store(acc + 8); c10.Store(acc + 16); c11.Store(acc + 24);
            c20.Store(acc + 32); c21.Store(acc + 40); c30.Store(acc + 48); c31.Store(acc + 56);
            c40.Store(acc + 64); c41.Store(acc + 72); c50.Store(acc + 80); c51.Store(acc + 88);
            return;
        }
        var zp = Vector256.Create(o->ZeroPoint);
        int* bias = o->Bias;
        float* scale = o->Scale;
        long ldc = o->Ldc;
        if (o->U8)
        {
            byte* d = o->Cu8;
            Store8(c00, bias, scale, zp, d); Store8(c01, bias + 8, scale + 8, zp, d + 8); d += ldc;
            Store8(c10, bias, scale, zp, d); Store8(c11, bias + 8, scale + 8, zp, d + 8); d += ldc;
            Store8(c20, bias, scale, zp, d); Store8(c21, bias + 8, scale + 8, zp, d + 8); d += ldc;
            Store8(c30, bias, scale, zp, d); Store8(c31, bias + 8, scale + 8, zp, d + 8); d += ldc;
            Store8(c40, bias, scale, zp, d); Store8(c41, bias + 8, scale + 8, zp, d + 8); d += ldc;
            Store8(c50, bias, scale, zp, d); Store8(c51, bias + 8, scale + 8, zp, d + 8);
        }
        else
        {
            float* f = o->Cf32;
            Store8(c00, bias, scale, f); Store8(c01, bias + 8, scale + 8, f + 8); f += ldc;
            Store8(c10, bias, scale, f); Store8(c11, bias + 8, scale + 8, f + 8); f += ldc;
            Store8(c20, bias, scale, f); Store8(c21, bias + 8, scale + 8, f + 8); f += ldc;
            Store8(c30, bias, scale, f); Store8(c31, bias + 8, scale + 8, f + 8); f += ldc;
            Store8(c40, bias, scale, f); Store8(c41, bias + 8, scale + 8, f + 8); f += ldc;
            Store8(c50, bias, scale, f); Store8(c51, bias + 8, scale + 8, f + 8);
        }
    }

    /// <summary>8 columns of the epilogue: float(acc + bias)·scale.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<float> Dequant8(Vector256<int> acc, Vector256<int> bias, Vector256<float> scale) =>
        Avx.Multiply(Avx.ConvertToVector256Single(Avx2.Add(acc, bias)), scale);

    /// <summary>8 u8 codes clamp(round(v) + zeroPoint, 0, 255) (round half to even: the conversion's default mode) as the
    /// 8 bytes of a ulong, lowest column first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Requant8(Vector256<float> v, Vector256<int> zp)
    {
        var q = Avx2.Min(Avx2.Max(Avx2.Add(Avx.ConvertToVector256Int32(v), zp), Vector256<int>.Zero), Vector256.Create(255));
        var s16 = Avx2.PackSignedSaturate(q, q);                 // [q0..3 q0..3 | q4..7 q4..7] as int16
        var s8 = Avx2.PackUnsignedSaturate(s16, s16).AsUInt32(); // bytes 0..3 and 16..19 hold the values
        return s8.GetElement(0) | (ulong)s8.GetElement(4) << 32;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store8(Vector256<int> acc, int* bias, float* scale, Vector256<int> zp, byte* dst) =>
        *(ulong*)dst = Requant8(Dequant8(acc, Avx.LoadVector256(bias), Avx.LoadVector256(scale)), zp);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store8(Vector256<int> acc, int* bias, float* scale, float* dst) =>
        Dequant8(acc, Avx.LoadVector256(bias), Avx.LoadVector256(scale)).Store(dst);

    private static unsafe void Epilogue(int* acc, int rows, int cols, int* bias, float* scale, int* tb, float* ts, int zeroPoint, bool u8,
        byte* cu8, float* cf32, int ldc)
    {
        if (!Avx2.IsSupported)
        {
            for (int r = 0; r < rows; r++)
                for (int j = 0; j < cols; j++)
                {
                    float v = (float)(acc[r * NR + j] + bias[j]) * scale[j];
                    if (u8) cu8[(long)r * ldc + j] = (byte)Math.Clamp((int)MathF.Round(v) + zeroPoint, 0, 255);
                    else cf32[(long)r * ldc + j] = v;
                }
            return;
        }
        // The same operations 8 columns at a time (int→float conversion, one multiply, round half to even as the
        // conversion back does under the default rounding mode); a last partial group reads bias and scale from the
        // zero-padded copies tb and ts and stores only its valid columns.
        int full = cols & ~7, rest = cols - full;
        var zp = Vector256.Create(zeroPoint);
        for (int r = 0; r < rows; r++)
        {
            int* ar = acc + r * NR;
            for (int j = 0; j < cols; j += 8)
            {
                bool whole = j < full;
                var v = Dequant8(Avx.LoadVector256(ar + j), Avx.LoadVector256(whole ? bias + j : tb), Avx.LoadVector256(whole ? scale + j : ts));
                if (!u8)
                {
                    float* dst = cf32 + (long)r * ldc + j;
                    if (whole) v.Store(dst);
                    else for (int i = 0; i < rest; i++) dst[i] = v.GetElement(i);
                    continue;
                }
                ulong bytes = Requant8(v, zp);
                byte* d = cu8 + (long)r * ldc + j;
                if (whole) *(ulong*)d = bytes;
                else for (int i = 0; i < rest; i++) d[i] = (byte)(bytes >> (8 * i));
            }
        }
    }
}
