namespace Nabla.Data.Transforms;

/// <summary>The random draws of one sample's transforms: a generator seeded from (loader seed, epoch, sample
/// index), so augmentation is a pure function of those, whatever the thread count or resume point.</summary>
public struct TransformRandom
{
    private DataRng _rng;

    internal TransformRandom(DataRng rng) => _rng = rng;

    /// <summary>A uniform integer in [0, <paramref name="bound"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">bound is not positive.</exception>
    public int NextInt(int bound) => _rng.NextInt(bound);

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (_rng.NextUInt64() >> 11) * (1.0 / (1UL << 53));
}
