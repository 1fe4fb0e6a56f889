namespace Nabla.Analysis;

/// <summary>Per-sample counts of one layer (or a sum of layers), by the conventions of docs/counting.md.</summary>
/// <param name="Params">Trainable parameters (BatchNorm running statistics excluded).</param>
/// <param name="Mults">Scalar multiplications.</param>
/// <param name="Adds">Scalar additions.</param>
/// <param name="Activations">Evaluations of an activation function (relu, sigmoid, ...): its output elements.</param>
public readonly record struct Counts(long Params, long Mults, long Adds, long Activations)
{
    /// <summary>All zero.</summary>
    public static Counts Zero => default;

    /// <summary>Elementwise sum.</summary>
    /// <exception cref="OverflowException">A sum exceeds the 64-bit range.</exception>
    public static Counts operator +(Counts a, Counts b) => checked(
        new(a.Params + b.Params, a.Mults + b.Mults, a.Adds + b.Adds, a.Activations + b.Activations));
}
