namespace Nabla.IO.Spec;

/// <summary>
/// <c>residual</c>: y = body(x) + shortcut(x), the shortcut being the identity when absent. The body's
/// layer j is named <c>Name.j</c>, the shortcut's <c>Name.shortcut.j</c>.
/// </summary>
/// <param name="Body">The body's layers (at least one).</param>
/// <param name="Shortcut">The shortcut's layers, or null for the identity.</param>
public sealed record ResidualSpec(IReadOnlyList<LayerSpec> Body, IReadOnlyList<LayerSpec>? Shortcut = null) : LayerSpec
{
    /// <inheritdoc/>
    public override LayerKind Kind => LayerKind.Residual;

    /// <summary>Structural equality over body and shortcut; ignores <see cref="LayerSpec.Line"/>.</summary>
    public bool Equals(ResidualSpec? other) =>
        base.Equals(other) && Body.SequenceEqual(other!.Body) &&
        (Shortcut is null ? other.Shortcut is null : other.Shortcut is not null && Shortcut.SequenceEqual(other.Shortcut));

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Body.Count, Shortcut?.Count ?? -1);
}
