using Nabla.Ops;
using Nabla.Tensors;

namespace Nabla.NN;

/// <summary>y = x Wᵀ + b, as <c>nn.Linear</c>. Weight (out, in), bias (out).</summary>
public sealed class Linear : Module
{
    /// <summary>Input features.</summary>
    public int InFeatures { get; }
    /// <summary>Output features.</summary>
    public int OutFeatures { get; }
    /// <summary>Weight, shape (out, in).</summary>
    public Tensor Weight { get; }
    /// <summary>Bias (out), or null.</summary>
    public Tensor? Bias { get; }

    /// <summary>Creates the layer with PyTorch's default initialisation.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A feature count is not positive.</exception>
    public Linear(int inFeatures, int outFeatures, bool bias = true, Rng? rng = null)
    {
        if (inFeatures <= 0) throw new ArgumentOutOfRangeException(nameof(inFeatures), $"in_features must be positive, got {inFeatures}");
        if (outFeatures <= 0) throw new ArgumentOutOfRangeException(nameof(outFeatures), $"out_features must be positive, got {outFeatures}");
        rng ??= Init.DefaultRng;
        InFeatures = inFeatures; OutFeatures = outFeatures;
        Weight = RegisterParameter("weight", new Tensor(outFeatures, inFeatures));
        Init.KaimingUniformDefault(Weight, inFeatures, rng);
        if (bias)
        {
            Bias = RegisterParameter("bias", new Tensor(outFeatures));
            Init.BiasDefault(Bias, inFeatures, rng);
        }
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => F.Linear(x, Weight, Bias);
}
