namespace Nabla.IO.Spec;

/// <summary><c>elu</c>: PyTorch's <c>nn.ELU</c>.</summary>
public sealed record EluSpec : LayerSpec
{
    /// <inheritdoc/>
    public override LayerKind Kind => LayerKind.Elu;
    /// <summary>alpha, default 1.</summary>
    public double Alpha { get; init; } = 1.0;
}
