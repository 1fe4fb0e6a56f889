namespace Nabla.IO.Spec;

/// <summary>
/// <c>concat</c>: every branch gets the block's input; the outputs are concatenated along channels (features
/// for flat outputs). An empty branch is the identity. Branch b's layer j is named <c>Name.b.j</c>.
/// </summary>
/// <param name="Branches">The branches in order, each a list of layers (at least one branch).</param>
public sealed record ConcatSpec(IReadOnlyList<IReadOnlyList<LayerSpec>> Branches) : LayerSpec
{
    /// <inheritdoc/>
    public override LayerKind Kind => LayerKind.Concat;

    /// <summary>Structural equality over the branches; ignores <see cref="LayerSpec.Line"/>.</summary>
    public bool Equals(ConcatSpec? other) =>
        base.Equals(other) && other!.Branches.Count == Branches.Count &&
        Branches.Zip(other.Branches).All(p => p.First.SequenceEqual(p.Second));

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Branches.Count);
}
