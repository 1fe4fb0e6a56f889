using Nabla.Tensors;

namespace Nabla.NN;

/// <summary>
/// Base of every layer and container, as <c>torch.nn.Module</c>: named parameters and buffers, children,
/// train/eval mode, and a state dict whose names match PyTorch's (<c>"3.1.0.weight"</c>).
/// </summary>
public abstract class Module
{
    private readonly List<(string Name, Tensor Tensor)> _parameters = new();
    private readonly List<(string Name, Tensor Tensor)> _buffers = new();
    private readonly List<(string Name, Module Module)> _children = new();

    /// <summary>True in training mode (the default): dropout active, BatchNorm on batch statistics.</summary>
    public bool Training { get; private set; } = true;

    /// <summary>The computation. Layers call ops from <see cref="Ops.F"/>.</summary>
    public abstract Tensor Forward(Tensor x);

    /// <summary>Same as <see cref="Forward"/>.</summary>
    public Tensor Call(Tensor x) => Forward(x);

    /// <summary>Registers a trainable parameter (RequiresGrad is set).</summary>
    protected Tensor RegisterParameter(string name, Tensor t) { t.RequiresGrad = true; _parameters.Add((name, t)); return t; }

    /// <summary>Registers a non-trainable buffer saved in the state dict (BatchNorm running statistics).</summary>
    protected Tensor RegisterBuffer(string name, Tensor t) { _buffers.Add((name, t)); return t; }

    /// <summary>Registers a child module under <paramref name="name"/>.</summary>
    protected T RegisterModule<T>(string name, T m) where T : Module { _children.Add((name, m)); return m; }

    /// <summary>Direct children with their names.</summary>
    public IReadOnlyList<(string Name, Module Module)> Children => _children;

    private IReadOnlyDictionary<string, string>? _names;

    /// <summary>Renames this module's parameters and buffers as seen from it (state dict, named parameters): each
    /// dotted name found in <paramref name="names"/> is replaced by its value. Imported models keep their file's names so.</summary>
    /// <param name="names">Dotted name → external name; names not listed stay as they are.</param>
    public void UseNames(IReadOnlyDictionary<string, string> names) => _names = names;

    private string Rename(string name) => _names is not null && _names.TryGetValue(name, out var n) ? n : name;

    /// <summary>This module and every descendant, depth first, with dotted names ("" for this one).</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "")
    {
        yield return (prefix, this);
        foreach (var (n, m) in _children)
            foreach (var x in m.NamedModules(Join(prefix, n))) yield return x;
    }

    /// <summary>Trainable parameters with their PyTorch names, in registration order.</summary>
    public IEnumerable<(string Name, Tensor Tensor)> NamedParameters(string prefix = "")
    {
        foreach (var (n, t) in _parameters) yield return (Rename(Join(prefix, n)), t);
        foreach (var (n, m) in _children)
            foreach (var x in m.NamedParameters(Join(prefix, n))) yield return (Rename(x.Name), x.Tensor);
    }

    /// <summary>Buffers with their PyTorch names.</summary>
    public IEnumerable<(string Name, Tensor Tensor)> NamedBuffers(string prefix = "")
    {
        foreach (var (n, t) in _buffers) yield return (Rename(Join(prefix, n)), t);
        foreach (var (n, m) in _children)
            foreach (var x in m.NamedBuffers(Join(prefix, n))) yield return (Rename(x.Name), x.Tensor);
    }

    /// <summary>All trainable parameters.</summary>
    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Tensor);

    /// <summary>Parameters and buffers by name, in PyTorch's state_dict order (own parameters, own buffers, then children).</summary>
    public IReadOnlyList<(string Name, Tensor Tensor)> StateDict()
    {
        var list = new List<(string, Tensor)>();
        Collect("", list);
        return _names is null ? list : list.Select(e => (Rename(e.Item1), e.Item2)).ToList();
    }

    private void Collect(string prefix, List<(string, Tensor)> list)
    {
        foreach (var (n, t) in _parameters) list.Add((Join(prefix, n), t));
        foreach (var (n, t) in _buffers) list.Add((Join(prefix, n), t));
        foreach (var (n, m) in _children) m.Collect(Join(prefix, n), list);
    }

    /// <summary>Copies tensors into this module's parameters and buffers by name.</summary>
    /// <param name="state">Name → tensor.</param>
    /// <param name="strict">When true, missing and unexpected names are errors.</param>
    /// <exception cref="ArgumentException">Lists every missing, unexpected and mis-shaped name (shapes expected vs found).</exception>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        var own = StateDict();
        var missing = new List<string>();
        var shapes = new List<string>();
        foreach (var (name, t) in own)
        {
            if (!state.TryGetValue(name, out var src)) { missing.Add(name); continue; }
            if (src.Numel != t.Numel || (!ShapeUtil.Equal(src.Shape, t.Shape) && !(src.Numel == 1 && t.Numel == 1)))
                shapes.Add($"{name}: expected {ShapeUtil.Format(t.Shape)}, found {ShapeUtil.Format(src.Shape)}");
        }
        var ownNames = own.Select(o => o.Name).ToHashSet();
        var unexpected = state.Keys.Where(k => !ownNames.Contains(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        var problems = new List<string>();
        if (shapes.Count > 0) problems.Add("size mismatch for " + string.Join("; ", shapes));
        if (strict && missing.Count > 0) problems.Add("missing key(s): " + string.Join(", ", missing));
        if (strict && unexpected.Count > 0) problems.Add("unexpected key(s): " + string.Join(", ", unexpected));
        if (problems.Count > 0) throw new ArgumentException("error loading state dict: " + string.Join("; ", problems));
        foreach (var (name, t) in own)
            if (state.TryGetValue(name, out var src)) src.Span.CopyTo(t.Span);
    }

    /// <summary>Sets training (true) or evaluation (false) mode on this module and all descendants.</summary>
    public Module Train(bool mode = true)
    {
        foreach (var (_, m) in NamedModules()) m.Training = mode;
        return this;
    }

    /// <summary>Evaluation mode: dropout off, BatchNorm on running statistics.</summary>
    public Module Eval() => Train(false);

    /// <summary>Sets every parameter's gradient to null.</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.Grad = null;
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;
}
