namespace Nabla.Data;

/// <summary>
/// The data layer's own random number generator: xoshiro256** seeded through SplitMix64.
/// </summary>
/// <remarks>
/// Written out here (not <see cref="System.Random"/>) so that the sequence, and with it every shuffle,
/// random label and shift, is fixed forever and independent of the .NET version. Every generator is
/// created from a tuple (seed, stream, a, b) so that a random choice is a pure function of where it is
/// used: a resumed run recomputes the same choices without saved state.
/// </remarks>
internal struct DataRng
{
    /// <summary>Stream tag of the per-epoch shuffle permutation.</summary>
    internal const ulong ShuffleStream = 0x5348_5546_464C_4531; // "SHUFFLE1"
    /// <summary>Stream tag of the random labels.</summary>
    internal const ulong LabelStream = 0x4C41_4245_4C53_3031;   // "LABELS01"
    /// <summary>Stream tag of the random shifts.</summary>
    internal const ulong ShiftStream = 0x5348_4946_5453_3031;   // "SHIFTS01"
    /// <summary>Stream tag of the validation split of image folders and tables.</summary>
    internal const ulong SplitStream = 0x5641_4C53_504C_4954;   // "VALSPLIT"

    private ulong _s0, _s1, _s2, _s3;

    /// <summary>A generator whose state is a hash of the four words.</summary>
    internal static DataRng Create(ulong seed, ulong stream, ulong a, ulong b = 0)
    {
        ulong x = seed;
        x = Mix(x ^ Mix(stream));
        x = Mix(x ^ Mix(a + 0x9E37_79B9_7F4A_7C15UL));
        x = Mix(x ^ Mix(b + 0x3C6E_F372_FE94_F82AUL));
        var r = new DataRng();
        ulong sm = x;
        r._s0 = SplitMix64(ref sm);
        r._s1 = SplitMix64(ref sm);
        r._s2 = SplitMix64(ref sm);
        r._s3 = SplitMix64(ref sm);
        return r;
    }

    /// <summary>A generator with the given raw state (for checking against the reference test vectors).</summary>
    internal static DataRng FromState(ulong s0, ulong s1, ulong s2, ulong s3) => new() { _s0 = s0, _s1 = s1, _s2 = s2, _s3 = s3 };

    /// <summary>The SplitMix64 step: advances <paramref name="state"/> and returns the next output.</summary>
    internal static ulong SplitMix64(ref ulong state)
    {
        state += 0x9E37_79B9_7F4A_7C15UL;
        return Mix(state);
    }

    /// <summary>The SplitMix64 finaliser (a bijection on 64-bit words).</summary>
    internal static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits (xoshiro256**).</summary>
    internal ulong NextUInt64()
    {
        ulong result = RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform integer in [0, <paramref name="bound"/>), without modulo bias (Lemire's method).</summary>
    internal int NextInt(int bound)
    {
        if (bound <= 0) throw new ArgumentOutOfRangeException(nameof(bound), bound, "bound must be positive");
        ulong range = (ulong)bound;
        while (true)
        {
            ulong x = NextUInt64() >> 32; // 32 random bits
            ulong m = x * range;
            uint low = (uint)m;
            if (low >= range || low >= (uint)((0x1_0000_0000UL - range) % range)) return (int)(m >> 32);
        }
    }

    /// <summary>Shuffles <paramref name="items"/> in place (Fisher–Yates, from the last position down).</summary>
    internal void Shuffle(Span<int> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}
