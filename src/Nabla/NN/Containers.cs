using Nabla.Ops;
using Nabla.Tensors;

namespace Nabla.NN;

/// <summary>Runs its children in order, named "0", "1", ..., as <c>nn.Sequential</c>.</summary>
public sealed class Sequential : Module
{
    private readonly List<Module> _layers = new();

    /// <summary>Creates the container from layers.</summary>
    public Sequential(params Module[] layers) { foreach (var l in layers) Add(l); }

    /// <summary>Appends a layer under the next index.</summary>
    public Sequential Add(Module m) { RegisterModule(_layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), m); _layers.Add(m); return this; }

    /// <summary>The layers.</summary>
    public IReadOnlyList<Module> Layers => _layers;

    /// <inheritdoc/>
    /// <remarks>A <see cref="Linear"/> or <see cref="Conv2d"/> directly followed by a <see cref="ReLU"/> runs as one fused
    /// op (<see cref="F.LinearRelu"/>, <see cref="F.Conv2dRelu"/>): the same numbers with one pass over memory fewer
    /// each way.</remarks>
    public override Tensor Forward(Tensor x)
    {
        for (int i = 0; i < _layers.Count; i++)
        {
            var l = _layers[i];
            if (i + 1 < _layers.Count && _layers[i + 1] is ReLU)
            {
                if (l is Linear lin) { x = F.LinearRelu(x, lin.Weight, lin.Bias); i++; continue; }
                if (l is Conv2d conv) { x = F.Conv2dRelu(x, conv.Weight, conv.Bias, conv.Options); i++; continue; }
            }
            x = l.Forward(x);
        }
        return x;
    }
}

/// <summary>Parallel branches on the same input, concatenated along channels (dim 1): an inception module.
/// Branch b is child "b" (each usually a <see cref="Sequential"/>).</summary>
public sealed class Concat : Module
{
    private readonly List<Module> _branches = new();

    /// <summary>Creates the block from branches.</summary>
    public Concat(params Module[] branches)
    {
        if (branches.Length == 0) throw new ArgumentException("Concat needs at least one branch", nameof(branches));
        for (int i = 0; i < branches.Length; i++) { RegisterModule(i.ToString(System.Globalization.CultureInfo.InvariantCulture), branches[i]); _branches.Add(branches[i]); }
    }

    /// <summary>The branches.</summary>
    public IReadOnlyList<Module> Branches => _branches;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => F.Cat(_branches.Select(b => b.Forward(x)).ToList(), 1);
}

/// <summary>y = body(x) + shortcut(x), with the identity as shortcut when none is given (a ResNet block).
/// The body's layers are children "0", "1", ...; the shortcut is child "shortcut".</summary>
public sealed class Residual : Module
{
    private readonly List<Module> _body = new();

    /// <summary>The shortcut, or null for the identity.</summary>
    public Module? Shortcut { get; }

    /// <summary>Creates the block.</summary>
    public Residual(IEnumerable<Module> body, Module? shortcut = null)
    {
        foreach (var m in body) { RegisterModule(_body.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), m); _body.Add(m); }
        if (shortcut is not null) Shortcut = RegisterModule("shortcut", shortcut);
    }

    /// <summary>The body's layers.</summary>
    public IReadOnlyList<Module> Body => _body;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        var y = x;
        foreach (var m in _body) y = m.Forward(y);
        var s = Shortcut?.Forward(x) ?? x;
        if (!ShapeUtil.Equal(y.Shape, s.Shape))
            throw new ArgumentException($"Residual: body output {ShapeUtil.Format(y.Shape)} and shortcut output {ShapeUtil.Format(s.Shape)} differ");
        return F.Add(y, s);
    }
}
