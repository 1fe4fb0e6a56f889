using Nabla.Tensors;

namespace Nabla.Optim;

/// <summary>The two textbook forms of momentum, which produce the same iterates for a constant learning rate.</summary>
public enum MomentumForm
{
    /// <summary>v_{k+1} = g_k + β v_k, θ_{k+1} = θ_k − α v_{k+1} (PyTorch's form).</summary>
    Velocity,
    /// <summary>Polyak's heavy ball: θ_{k+1} = θ_k − α g_k + β (θ_k − θ_{k−1}).</summary>
    HeavyBall,
}

/// <summary>
/// Stochastic gradient descent with optional momentum (either form), Nesterov momentum and L2 weight decay,
/// as <c>torch.optim.SGD</c>.
/// </summary>
/// <remarks>
/// With weight decay λ the gradient is g + λθ. Velocity form (PyTorch): v ← β v + (1 − dampening) g (v = g on
/// the first step), θ ← θ − α v; Nesterov uses g + β v instead of v. Heavy-ball form keeps d = θ_k − θ_{k−1}
/// and sets θ ← θ − α g + β d. Unrolling both gives θ_{k+1} − θ_k = −α Σ_j β^{k−j} g_j, so they agree
/// while α is constant (a schedule that changes α makes them differ, as in the literature).
/// </remarks>
public sealed class Sgd : Optimizer
{
    /// <summary>β.</summary>
    public float Momentum { get; }
    /// <summary>Dampening of the velocity update (velocity form only).</summary>
    public float Dampening { get; }
    /// <summary>L2 penalty λ.</summary>
    public float WeightDecay { get; }
    /// <summary>Nesterov momentum (velocity form).</summary>
    public bool Nesterov { get; }
    /// <summary>Which form of momentum.</summary>
    public MomentumForm Form { get; }

    /// <summary>Creates the optimizer.</summary>
    /// <exception cref="ArgumentException">Negative momentum or weight decay; Nesterov without momentum, with dampening, or in heavy-ball form.</exception>
    public Sgd(IEnumerable<(string Name, Tensor Param)> parameters, double lr, float momentum = 0, float dampening = 0,
        float weightDecay = 0, bool nesterov = false, MomentumForm form = MomentumForm.Velocity) : base(parameters, lr)
    {
        if (momentum < 0) throw new ArgumentException($"Invalid momentum value: {momentum}", nameof(momentum));
        if (weightDecay < 0) throw new ArgumentException($"Invalid weight_decay value: {weightDecay}", nameof(weightDecay));
        if (nesterov && (momentum <= 0 || dampening != 0)) throw new ArgumentException("Nesterov momentum requires a momentum and zero dampening", nameof(nesterov));
        if (nesterov && form == MomentumForm.HeavyBall) throw new ArgumentException("Nesterov momentum is defined here in the velocity form only", nameof(form));
        if (form == MomentumForm.HeavyBall && dampening != 0) throw new ArgumentException("dampening applies to the velocity form only", nameof(dampening));
        Momentum = momentum; Dampening = dampening; WeightDecay = weightDecay; Nesterov = nesterov; Form = form;
    }

    /// <inheritdoc/>
    protected override void Update(string name, Tensor param, ReadOnlySpan<float> grad)
    {
        var p = param.Span;
        float lr = (float)LearningRate, beta = Momentum;
        if (beta == 0)
        {
            Kernels.ParamUpdate.Sgd(p, grad, default, new(lr, 0, Dampening, WeightDecay, false, false, false));
            return;
        }
        bool heavy = Form == MomentumForm.HeavyBall;
        var state = State(name, heavy ? "previous_step" : "momentum_buffer", p.Length, out bool first);
        Kernels.ParamUpdate.Sgd(p, grad, state, new(lr, beta, Dampening, WeightDecay, Nesterov, heavy, first && !heavy));
    }
}
