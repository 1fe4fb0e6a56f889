namespace Nabla.IO.Spec;

/// <summary>
/// One layer of a <see cref="ModelSpec"/>: an immutable record whose properties are the PyTorch constructor
/// arguments with PyTorch's defaults applied. Input sizes (in_channels, in_features) are not stored: they
/// follow from the input shape. Equality compares the kind, the arguments, the children and
/// <see cref="Name"/>, but not <see cref="Line"/>.
/// </summary>
public abstract record LayerSpec
{
    /// <summary>The layer kind (also the spec keyword, see <see cref="LayerKinds.Keyword"/>).</summary>
    public abstract LayerKind Kind { get; }

    /// <summary>The 1-based source line the layer was read from, 0 when built in code.</summary>
    public int Line { get; init; }

    /// <summary>
    /// The PyTorch parameter-name prefix (CONTRACTS §2), e.g. <c>3.1.0</c> for the first layer of branch 1 of
    /// top-level layer 3, or <c>4.shortcut.0</c>. A conv's weight is <c>Name + ".weight"</c>. Assigned by
    /// <see cref="ModelSpec"/>; empty on a free-standing layer.
    /// </summary>
    public string Name { get; init; } = "";

    /// <summary>Structural equality; ignores <see cref="Line"/>.</summary>
    public virtual bool Equals(LayerSpec? other) =>
        other is not null && EqualityContract == other.EqualityContract && Name == other.Name;

    /// <summary>Hash consistent with <see cref="Equals(LayerSpec?)"/>.</summary>
    public override int GetHashCode() => HashCode.Combine(EqualityContract, Name);
}
