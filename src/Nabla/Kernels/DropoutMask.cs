using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Kernels;

/// <summary>
/// Inverted dropout with a counter-based mask: whether element i is kept depends only on a 64-bit key and i, so
/// the mask can be drawn in any order, split over the workers, and drawn again in the backward instead of stored.
/// </summary>
/// <remarks>
/// Elements 2j and 2j + 1 share one 64-bit hash <c>h = mix(key + (j + 1)·γ)</c> (SplitMix64: γ = 0x9E3779B97F4A7C15
/// and its finaliser, so the hashes of j = 0, 1, 2, ... are the stream <see cref="Tensors.Rng.SplitMix64"/> draws
/// from the seed <c>key</c>). Element 2j takes u = bits 8..31 of h, element 2j + 1 bits 40..63 (the top 24 bits of
/// each 32-bit half): a uniform on [0, 1) in steps of 2⁻²⁴. The element is kept and scaled by
/// <c>keep = 1/(1 − p)</c> when <c>u ≥ p</c>, zeroed otherwise; p = 1 zeroes everything (keep = 0).
/// </remarks>
public static class DropoutMask
{
    /// <summary>SplitMix64's increment (2⁶⁴ over the golden ratio).</summary>
    private const ulong Gamma = 0x9E3779B97F4A7C15UL;

    /// <summary>Elements per part when a span is split over the workers (even, so parts start on a pair).</summary>
    private const int PartLength = 1 << 16;

    /// <summary>The factor a kept element is multiplied by: 1/(1 − p), or 0 when p = 1.</summary>
    /// <param name="p">Drop probability in [0, 1].</param>
    public static float Keep(float p) => p >= 1f ? 0f : 1f / (1f - p);

    /// <summary>The uniform on [0, 1) (a multiple of 2⁻²⁴) that decides element <paramref name="index"/>.</summary>
    /// <param name="key">The call's key.</param>
    /// <param name="index">Element index (≥ 0).</param>
    public static float Uniform(ulong key, long index)
    {
        uint half = (uint)(Hash(key, index >> 1) >> (int)(32 * (index & 1)));
        return (half >> 8) * (1.0f / (1 << 24));
    }

    /// <summary>The mask value of element <paramref name="index"/> from the definition: <see cref="Keep"/>(p) when
    /// <see cref="Uniform"/> ≥ p, else 0.</summary>
    /// <param name="key">The call's key.</param>
    /// <param name="p">Drop probability in [0, 1].</param>
    /// <param name="index">Element index (≥ 0).</param>
    public static float Mask(ulong key, float p, long index) => Uniform(key, index) >= p ? Keep(p) : 0f;

    /// <summary>Effectively computes <c>dst[i] = src[i] · Mask(key, p, i)</c>, or <c>dst[i] += src[i] · Mask(key, p, i)</c>
    /// when <paramref name="accumulate"/> (a multiply then an add, not fused), split over the <see cref="Workers"/>:
    /// the dropout forward (src = x) and its backward (src = the output gradient). The bits do not depend on the
    /// thread count.</summary>
    /// <param name="key">The call's key (one draw of the layer's generator).</param>
    /// <param name="p">Drop probability in [0, 1].</param>
    /// <param name="src">Values to mask.</param>
    /// <param name="dst">Destination, same length; may be <paramref name="src"/> itself.</param>
    /// <param name="accumulate">Add into <paramref name="dst"/> instead of overwriting it.</param>
    /// <exception cref="ArgumentException">The spans differ in length, or p is outside [0, 1].</exception>
    public static unsafe void Apply(ulong key, float p, ReadOnlySpan<float> src, Span<float> dst, bool accumulate)
    {
        Check(p, src.Length, dst.Length);
        fixed (float* ps = src, pd = dst)
        {
            var job = (Key: key, P: p, S: (nint)ps, D: (nint)pd, N: src.Length, Acc: accumulate);
            Workers.Run((src.Length + PartLength - 1) / PartLength, job, static (j, part) =>
            {
                int lo = part * PartLength, hi = Math.Min(j.N, lo + PartLength);
                ApplyRange(j.Key, j.P, (float*)j.S, (float*)j.D, lo, hi, j.Acc);
            });
        }
    }

    /// <summary>Elements [lo, hi) on one thread; lo is even (a part's start).</summary>
    private static unsafe void ApplyRange(ulong key, float p, float* src, float* dst, int lo, int hi, bool accumulate)
    {
        // u·2⁻²⁴ and p·2²⁴ are exact in float32, so u·2⁻²⁴ ≥ p exactly when the integer u ≥ ⌈p·2²⁴⌉: a comparison
        // turned into an all-ones/all-zeros mask on keep's bits, with no branch to mispredict on random data.
        int threshold = (int)MathF.Ceiling(p * (1 << 24));
        float keep = Keep(p);
        int i = lo;
        if (Vector512.IsHardwareAccelerated || Avx2.IsSupported) // AVX2: the Vector512 operations as two halves
        {
            var t = Vector512.Create(threshold);
            var keepBits = Vector512.Create(keep).AsInt32();
            // Counters of the 8 pairs of the first block, then 8 pairs further per block.
            var z = Vector512.Create(key + (ulong)(lo / 2 + 1) * Gamma) + Vector512.Create(0UL, 1, 2, 3, 4, 5, 6, 7) * Gamma;
            var step = Vector512.Create(unchecked(8 * Gamma));
            for (; i + 16 <= hi; i += 16, z += step)
            {
                var u = Vector512.ShiftRightLogical(Mix(z).AsInt32(), 8); // lane 2l: low half of pair l's hash, 2l + 1: high half
                var m = (Vector512.GreaterThanOrEqual(u, t) & keepBits).AsSingle();
                var v = Vector512.Load(src + i) * m;
                if (accumulate) v = Vector512.Load(dst + i) + v;
                v.Store(dst + i);
            }
        }
        for (; i < hi; i++)
        {
            uint half = (uint)(Hash(key, i >> 1) >> (32 * (i & 1)));
            float m = (int)(half >> 8) >= threshold ? keep : 0f;
            float v = src[i] * m;
            dst[i] = accumulate ? dst[i] + v : v;
        }
    }

    /// <summary>The hash of pair <paramref name="pair"/>: SplitMix64's output for the counter key + (pair + 1)·γ.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Hash(ulong key, long pair)
    {
        ulong z = key + (ulong)(pair + 1) * Gamma;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary><see cref="Hash"/>'s finaliser on 8 counters.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> Mix(Vector512<ulong> z)
    {
        if (!Vector512.IsHardwareAccelerated && Avx2.IsSupported) return Vector512.Create(Mix256(z.GetLower()), Mix256(z.GetUpper()));
        z = (z ^ Vector512.ShiftRightLogical(z, 30)) * Vector512.Create(0xBF58476D1CE4E5B9UL);
        z = (z ^ Vector512.ShiftRightLogical(z, 27)) * Vector512.Create(0x94D049BB133111EBUL);
        return z ^ Vector512.ShiftRightLogical(z, 31);
    }

    /// <summary><see cref="Mix"/> on 4 counters with AVX2, which has no 64-bit multiply: each product by a constant
    /// as three 32 x 32 → 64-bit ones (VPMULUDQ), the low halves' product plus the cross terms shifted up.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<ulong> Mix256(Vector256<ulong> z)
    {
        z = Times((z ^ Vector256.ShiftRightLogical(z, 30)), 0xBF58476D1CE4E5B9UL);
        z = Times((z ^ Vector256.ShiftRightLogical(z, 27)), 0x94D049BB133111EBUL);
        return z ^ Vector256.ShiftRightLogical(z, 31);
    }

    /// <summary>a · c mod 2⁶⁴ per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Times(Vector256<ulong> a, ulong c)
    {
        var cLo = Vector256.Create(c & 0xFFFFFFFFUL).AsUInt32();
        var cHi = Vector256.Create(c >> 32).AsUInt32();
        var ll = Avx2.Multiply(a.AsUInt32(), cLo);
        var cross = Avx2.Multiply(Vector256.ShiftRightLogical(a, 32).AsUInt32(), cLo) + Avx2.Multiply(a.AsUInt32(), cHi);
        return ll + Vector256.ShiftLeft(cross, 32);
    }

    internal static void Check(float p, int srcLength, int dstLength)
    {
        if (p is < 0f or > 1f || float.IsNaN(p)) throw new ArgumentException($"DropoutMask: p must be in [0, 1], got {p}");
        if (srcLength != dstLength) throw new ArgumentException($"DropoutMask: src has {srcLength} elements, dst {dstLength}");
    }
}
