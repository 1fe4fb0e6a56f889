using Nabla.Tensors;

namespace Nabla.Optim;

/// <summary>Adadelta (Zeiler 2012), as <c>torch.optim.Adadelta</c> (lr 1.0, ρ 0.9, ε 1e-6).</summary>
/// <remarks>s ← ρs + (1−ρ)g², δ = √(u + ε)/√(s + ε) · g, u ← ρu + (1−ρ)δ², θ ← θ − α δ.</remarks>
public sealed class Adadelta : Optimizer
{
    /// <summary>ρ.</summary>
    public float Rho { get; }
    /// <summary>ε.</summary>
    public float Eps { get; }
    /// <summary>L2 penalty λ.</summary>
    public float WeightDecay { get; }

    /// <summary>Creates the optimizer.</summary>
    /// <exception cref="ArgumentException">ρ outside [0, 1], negative ε or weight decay.</exception>
    public Adadelta(IEnumerable<(string Name, Tensor Param)> parameters, double lr = 1.0, float rho = 0.9f, float eps = 1e-6f, float weightDecay = 0f)
        : base(parameters, lr)
    {
        if (rho is < 0 or > 1) throw new ArgumentException($"Invalid rho value: {rho}", nameof(rho));
        if (eps < 0) throw new ArgumentException($"Invalid epsilon value: {eps}", nameof(eps));
        if (weightDecay < 0) throw new ArgumentException($"Invalid weight_decay value: {weightDecay}", nameof(weightDecay));
        Rho = rho; Eps = eps; WeightDecay = weightDecay;
    }

    /// <inheritdoc/>
    protected override void Update(string name, Tensor param, ReadOnlySpan<float> grad)
    {
        var p = param.Span;
        var s = State(name, "square_avg", p.Length, out _);
        var u = State(name, "acc_delta", p.Length, out _);
        float lr = (float)LearningRate;
        for (int i = 0; i < p.Length; i++)
        {
            float g = grad[i] + WeightDecay * p[i];
            s[i] = Rho * s[i] + (1 - Rho) * g * g;
            float delta = MathF.Sqrt(u[i] + Eps) / MathF.Sqrt(s[i] + Eps) * g;
            u[i] = Rho * u[i] + (1 - Rho) * delta * delta;
            p[i] -= lr * delta;
        }
    }
}
