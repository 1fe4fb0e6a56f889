namespace Nabla.IO.Spec;

/// <summary>An activation without arguments: <c>relu</c>, <c>relu6</c>, <c>sigmoid</c>, <c>tanh</c> or <c>gelu</c>.</summary>
public sealed record ActivationSpec : LayerSpec
{
    /// <summary>Creates a relu, relu6, sigmoid, tanh or gelu layer.</summary>
    /// <param name="kind"><see cref="LayerKind.ReLU"/>, <see cref="LayerKind.ReLU6"/>, <see cref="LayerKind.Sigmoid"/>, <see cref="LayerKind.Tanh"/> or <see cref="LayerKind.Gelu"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">Any other kind.</exception>
    public ActivationSpec(LayerKind kind)
    {
        if (kind is not (LayerKind.ReLU or LayerKind.ReLU6 or LayerKind.Sigmoid or LayerKind.Tanh or LayerKind.Gelu))
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "expected ReLU, ReLU6, Sigmoid, Tanh or Gelu");
        Kind = kind;
    }

    /// <inheritdoc/>
    public override LayerKind Kind { get; }
}
