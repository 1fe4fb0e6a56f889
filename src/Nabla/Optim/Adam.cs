using Nabla.Tensors;

namespace Nabla.Optim;

/// <summary>
/// Adam (Kingma &amp; Ba), as <c>torch.optim.Adam</c>; with <c>decoupled</c> it is AdamW (Loshchilov &amp; Hutter).
/// </summary>
/// <remarks>
/// m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ − α/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε).
/// Adam's weight decay adds λθ to g (L2); AdamW instead multiplies θ by (1 − αλ) before the step.
/// </remarks>
public class Adam : Optimizer
{
    /// <summary>β₁.</summary>
    public float Beta1 { get; }
    /// <summary>β₂.</summary>
    public float Beta2 { get; }
    /// <summary>ε.</summary>
    public float Eps { get; }
    /// <summary>λ.</summary>
    public float WeightDecay { get; }
    /// <summary>True for AdamW's decoupled weight decay.</summary>
    public bool Decoupled { get; }

    /// <summary>Creates the optimizer (defaults as PyTorch's Adam: lr 1e-3, betas (0.9, 0.999), eps 1e-8, no weight decay).</summary>
    /// <exception cref="ArgumentException">A β outside [0, 1), or negative ε or weight decay.</exception>
    public Adam(IEnumerable<(string Name, Tensor Param)> parameters, double lr = 1e-3, float beta1 = 0.9f, float beta2 = 0.999f,
        float eps = 1e-8f, float weightDecay = 0f, bool decoupled = false) : base(parameters, lr)
    {
        if (beta1 is < 0 or >= 1) throw new ArgumentException($"Invalid beta parameter at index 0: {beta1}", nameof(beta1));
        if (beta2 is < 0 or >= 1) throw new ArgumentException($"Invalid beta parameter at index 1: {beta2}", nameof(beta2));
        if (eps < 0) throw new ArgumentException($"Invalid epsilon value: {eps}", nameof(eps));
        if (weightDecay < 0) throw new ArgumentException($"Invalid weight_decay value: {weightDecay}", nameof(weightDecay));
        Beta1 = beta1; Beta2 = beta2; Eps = eps; WeightDecay = weightDecay; Decoupled = decoupled;
    }

    /// <inheritdoc/>
    protected override void Update(string name, Tensor param, ReadOnlySpan<float> grad)
    {
        var p = param.Span;
        var m = State(name, "exp_avg", p.Length, out _);
        var v = State(name, "exp_avg_sq", p.Length, out _);
        float lr = (float)LearningRate;
        double t = StepCount;
        float bc1 = (float)(1 - Math.Pow(Beta1, t)), bc2 = (float)(1 - Math.Pow(Beta2, t));
        float stepSize = lr / bc1, sqrtBc2 = MathF.Sqrt(bc2);
        Kernels.ParamUpdate.Adam(p, grad, m, v, new(lr, Beta1, Beta2, Eps, WeightDecay, Decoupled, stepSize, sqrtBc2));
    }
}

/// <summary>AdamW: Adam with decoupled weight decay (default λ = 0.01, as <c>torch.optim.AdamW</c>).</summary>
public sealed class AdamW(IEnumerable<(string Name, Tensor Param)> parameters, double lr = 1e-3, float beta1 = 0.9f,
    float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0.01f)
    : Adam(parameters, lr, beta1, beta2, eps, weightDecay, decoupled: true);
