namespace Nabla.IO.Spec;

/// <summary>The arguments shared by <c>batchnorm1d</c> and <c>batchnorm2d</c> (num_features inferred).</summary>
public abstract record BatchNormSpec : LayerSpec
{
    /// <summary>eps, default 1e-5.</summary>
    public double Eps { get; init; } = 1e-5;
    /// <summary>momentum of the running statistics, default 0.1.</summary>
    public double Momentum { get; init; } = 0.1;
    /// <summary>affine (learnable weight and bias), default true.</summary>
    public bool Affine { get; init; } = true;
}
