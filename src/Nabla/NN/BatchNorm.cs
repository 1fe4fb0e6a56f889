using Nabla.Ops;
using Nabla.Tensors;

namespace Nabla.NN;

/// <summary>Batch normalisation over channels (dim 1), the common part of <see cref="BatchNorm1d"/> and <see cref="BatchNorm2d"/>.</summary>
/// <remarks>y = (x − μ)/√(σ² + ε)·γ + β; in training μ, σ² are the batch's (biased) statistics and the running
/// ones are updated with momentum (running_var with the unbiased variance); in evaluation the running ones are used.</remarks>
public abstract class BatchNorm : Module
{
    /// <summary>Channels.</summary>
    public int NumFeatures { get; }
    /// <summary>ε added to the variance.</summary>
    public float Eps { get; }
    /// <summary>Running-statistics momentum (PyTorch convention).</summary>
    public float Momentum { get; }
    /// <summary>γ or null when not affine.</summary>
    public Tensor? Weight { get; }
    /// <summary>β or null when not affine.</summary>
    public Tensor? Bias { get; }
    /// <summary>Running mean.</summary>
    public Tensor RunningMean { get; }
    /// <summary>Running variance.</summary>
    public Tensor RunningVar { get; }
    /// <summary>Number of training batches seen (int64 in the state dict).</summary>
    public Tensor NumBatchesTracked { get; }

    private readonly int _inputRank;

    /// <summary>Creates the layer: γ = 1, β = 0, running mean 0, running variance 1.</summary>
    protected BatchNorm(int numFeatures, float eps, float momentum, bool affine, int inputRank)
    {
        if (numFeatures <= 0) throw new ArgumentException($"num_features must be positive, got {numFeatures}", nameof(numFeatures));
        if (eps <= 0) throw new ArgumentException($"eps must be positive, got {eps}", nameof(eps));
        NumFeatures = numFeatures; Eps = eps; Momentum = momentum; _inputRank = inputRank;
        if (affine)
        {
            Weight = RegisterParameter("weight", new Tensor(numFeatures));
            Weight.Span.Fill(1f);
            Bias = RegisterParameter("bias", new Tensor(numFeatures));
        }
        RunningMean = RegisterBuffer("running_mean", new Tensor(numFeatures));
        RunningVar = RegisterBuffer("running_var", new Tensor(numFeatures));
        RunningVar.Span.Fill(1f);
        NumBatchesTracked = RegisterBuffer("num_batches_tracked", new Tensor([0f], []) { DType = DType.Int64 });
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        bool ok = _inputRank == 4 ? x.Rank == 4 : x.Rank is 2 or 3;
        if (!ok)
            throw new ArgumentException($"{GetType().Name}: expected {(_inputRank == 4 ? "4D input (N, C, H, W)" : "2D or 3D input (N, C) or (N, C, L)")}, got {ShapeUtil.Format(x.Shape)}");
        if (x.Shape[1] != NumFeatures)
            throw new ArgumentException($"{GetType().Name}: expected {NumFeatures} channels, got input {ShapeUtil.Format(x.Shape)}");
        if (Training) NumBatchesTracked.Data[0] += 1;
        return F.BatchNorm(x, RunningMean, RunningVar, Weight, Bias, Training, Momentum, Eps);
    }
}

/// <summary>BatchNorm over (N, C) or (N, C, L), as <c>nn.BatchNorm1d</c>.</summary>
public sealed class BatchNorm1d(int numFeatures, float eps = 1e-5f, float momentum = 0.1f, bool affine = true)
    : BatchNorm(numFeatures, eps, momentum, affine, 2);

/// <summary>BatchNorm over (N, C, H, W), as <c>nn.BatchNorm2d</c>.</summary>
public sealed class BatchNorm2d(int numFeatures, float eps = 1e-5f, float momentum = 0.1f, bool affine = true)
    : BatchNorm(numFeatures, eps, momentum, affine, 4);
