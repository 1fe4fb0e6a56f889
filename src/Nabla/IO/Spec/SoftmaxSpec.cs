namespace Nabla.IO.Spec;

/// <summary><c>softmax</c> or <c>logsoftmax</c>: PyTorch's <c>nn.Softmax</c> / <c>nn.LogSoftmax</c>.</summary>
public sealed record SoftmaxSpec : LayerSpec
{
    /// <summary>Creates a softmax or log-softmax layer.</summary>
    /// <param name="kind"><see cref="LayerKind.Softmax"/> or <see cref="LayerKind.LogSoftmax"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">Any other kind.</exception>
    public SoftmaxSpec(LayerKind kind)
    {
        if (kind is not (LayerKind.Softmax or LayerKind.LogSoftmax))
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "expected Softmax or LogSoftmax");
        Kind = kind;
    }

    /// <inheritdoc/>
    public override LayerKind Kind { get; }
    /// <summary>dim, counted with the batch dimension as 0 (PyTorch's), default 1 (channels / features).</summary>
    public int Dim { get; init; } = 1;
}
