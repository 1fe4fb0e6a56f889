namespace Nabla.IO.Spec;

/// <summary><c>flatten</c>: PyTorch's <c>nn.Flatten()</c>, C x H x W to C*H*W features per sample.</summary>
public sealed record FlattenSpec : LayerSpec
{
    /// <inheritdoc/>
    public override LayerKind Kind => LayerKind.Flatten;
}
