using Nabla.Tensors;

namespace Nabla.Optim;

/// <summary>
/// Base of the optimizers: holds named parameters, the learning rate, the step count and per-parameter
/// state tensors named "&lt;param&gt;.&lt;state&gt;" so that state can be saved in a checkpoint and restored exactly.
/// </summary>
public abstract class Optimizer
{
    private readonly Dictionary<string, Tensor> _state = new(StringComparer.Ordinal);
    // The same tensors by (parameter, key): a step looks its state up without building the joined name.
    private readonly Dictionary<(string Param, string Key), Tensor> _stateByPair = new();

    /// <summary>The parameters with their names (as in the model's state dict).</summary>
    protected IReadOnlyList<(string Name, Tensor Param)> Params { get; }

    /// <summary>The current learning rate (schedules set it each epoch).</summary>
    public double LearningRate { get; set; }

    /// <summary>Number of <see cref="Step"/> calls so far.</summary>
    public long StepCount { get; protected set; }

    /// <summary>Creates the optimizer over named parameters.</summary>
    /// <exception cref="ArgumentException">No parameters, or a negative learning rate.</exception>
    protected Optimizer(IEnumerable<(string Name, Tensor Param)> parameters, double lr)
    {
        Params = parameters.ToList();
        if (Params.Count == 0) throw new ArgumentException("optimizer got an empty parameter list", nameof(parameters));
        if (!(lr >= 0) || double.IsInfinity(lr)) throw new ArgumentException($"Invalid learning rate: {lr}", nameof(lr));
        LearningRate = lr;
    }

    /// <summary>Updates every parameter that has a gradient.</summary>
    public void Step()
    {
        StepCount++;
        foreach (var (name, p) in Params)
            if (p.Grad is not null) Update(name, p, p.Grad.Span);
    }

    /// <summary>The update of one parameter given its gradient.</summary>
    protected abstract void Update(string name, Tensor param, ReadOnlySpan<float> grad);

    /// <summary>Sets every parameter's gradient to null.</summary>
    public void ZeroGrad() { foreach (var (_, p) in Params) p.Grad = null; }

    /// <summary>The state buffer <paramref name="key"/> of a parameter, created zero-filled on first use.</summary>
    protected Span<float> State(string param, string key, int numel, out bool created)
    {
        if (_stateByPair.TryGetValue((param, key), out var t) && t.Numel == numel)
        {
            created = false;
            return t.Span;
        }
        string k = param + "." + key;
        created = !_state.TryGetValue(k, out t);
        if (created) _state[k] = t = new Tensor(numel);
        _stateByPair[(param, key)] = t!;
        return t!.Span;
    }

    /// <summary>The state tensors by name plus "step" (a copy of the step count), for checkpoints.</summary>
    public IReadOnlyList<(string Name, Tensor Tensor)> StateDict()
    {
        var list = _state.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (kv.Key, kv.Value)).ToList();
        list.Add(("step", new Tensor([StepCount], []) { DType = DType.Int64 }));
        return list;
    }

    /// <summary>Restores state saved by <see cref="StateDict"/>.</summary>
    /// <exception cref="ArgumentException">A state name does not belong to a parameter, or its size differs.</exception>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        _state.Clear();
        _stateByPair.Clear();
        var sizes = Params.ToDictionary(p => p.Name, p => p.Param.Numel);
        foreach (var (k, t) in state)
        {
            if (k == "step")
            {
                if (t.Numel != 1 || !(t.Data[0] >= 0)) throw new ArgumentException($"optimizer state 'step' must be one non-negative number, got shape {ShapeUtil.Format(t.Shape)}");
                StepCount = (long)t.Data[0];
                continue;
            }
            int dot = k.LastIndexOf('.');
            string owner = dot > 0 ? k[..dot] : "";
            if (!sizes.TryGetValue(owner, out int n))
                throw new ArgumentException($"optimizer state '{k}' names no parameter of this model");
            if (t.Numel != n) throw new ArgumentException($"optimizer state '{k}' has {t.Numel} elements, its parameter has {n}");
            _state[k] = new Tensor(t.ToArray(), n);
        }
    }
}
