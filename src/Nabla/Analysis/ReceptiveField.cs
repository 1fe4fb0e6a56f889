namespace Nabla.Analysis;

/// <summary>The receptive field of a layer's output on the model input, per spatial axis.</summary>
/// <param name="H">Along rows (index i).</param>
/// <param name="W">Along columns (index j).</param>
public sealed record ReceptiveField(ReceptiveFieldAxis H, ReceptiveFieldAxis W)
{
    /// <summary>The model input's own field.</summary>
    public static ReceptiveField Identity { get; } = new(ReceptiveFieldAxis.Identity, ReceptiveFieldAxis.Identity);

    /// <summary>
    /// The input region seen by output (i, j), e.g. <c>X[:, 4i-9 : 4i+6, 4j-9 : 4j+6]</c> with
    /// <paramref name="indexBase"/> 1 (inclusive) or <c>X[:, 4i-6 : 4i+10, 4j-6 : 4j+10]</c> with 0 (Python slice).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The index base is not 0 or 1.</exception>
    public string Range(int indexBase) => $"X[:, {H.Range('i', indexBase)}, {W.Range('j', indexBase)}]";
}
