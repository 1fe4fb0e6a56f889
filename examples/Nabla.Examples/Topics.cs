namespace Nabla.Examples;

/// <summary>The worked examples, in the order of issue 8.</summary>
public static class Topics
{
    /// <summary>Every topic; <see cref="Topic.Name"/> is its subcommand.</summary>
    public static IReadOnlyList<Topic> All { get; } =
    [
        new("backprop", "MLP backprop by hand (explicit Jacobian products) vs autograd", o => BackpropByHand.Run(o)),
        new("vanishing", "per-layer gradient norms of a deep sigmoid MLP vs the same with ReLU", o => VanishingGradients.Run(o)),
        new("momentum", "heavy-ball and velocity momentum give the same iterates", o => MomentumForms.Run(o)),
        new("receptive-field", "receptive fields of a conv/pool stack as index ranges", o => ReceptiveFields.Run(o)),
        new("inception", "inception module cost: naive vs 1x1 bottleneck", o => InceptionCost.Run(o)),
        new("familiar-conv", "finite differences, average pooling, RGB→grey as convolutions; max-pool commutes with monotone f", o => FamiliarConvolutions.Run(o)),
        new("logsumexp", "log-sum-exp → max as β → ∞; its gradient is the softmax → one-hot", o => LogSumExpLimit.Run(o)),
        new("bn-fold", "BatchNorm folded into the preceding convolution vs conv + BN in eval mode", o => BatchNormFold.Run(o)),
        new("toeplitz", "convolution as a matrix A_w: forward, backward as A_wᵀ (transposed conv), weight gradient as a correlation", o => ConvAsMatrix.Run(o)),
        new("conv-arithmetic", "a 5x5 correlation by hand, a layer's cost, conv+sigmoid gradients by index formulas", o => ConvArithmetic.Run(o)),
        new("memorisation", "random labels on MNIST: train accuracy → 100%, test at chance (trains ~90 s in Release)", o => Memorisation.Run(o), Slow: true),
        new("alexnet", "AlexNet at 3x227x227: per-layer multiplications and additions", o => AlexNetCost.Run(o)),
    ];
}
