namespace Nabla.IO.Spec;

/// <summary>
/// A parsed model spec (CONTRACTS §2): the per-sample input shape and the layers in order. The constructor
/// assigns every layer its PyTorch parameter-name prefix (<see cref="LayerSpec.Name"/>), recursively into
/// concat branches and residual bodies/shortcuts. Immutable; equality is structural (input and layers,
/// not <see cref="Source"/> or line numbers).
/// </summary>
public sealed class ModelSpec : IEquatable<ModelSpec>
{
    private readonly int[] _input;

    /// <summary>Creates a spec and names its layers.</summary>
    /// <param name="input">C, H, W for images or F for flat features; every entry positive.</param>
    /// <param name="layers">The top-level layers in execution order.</param>
    /// <param name="source">Where the spec came from (file path or zoo resource), used in messages.</param>
    /// <exception cref="ArgumentException">The input shape is not 1 or 3 positive sizes.</exception>
    public ModelSpec(IReadOnlyList<int> input, IReadOnlyList<LayerSpec> layers, string source = "<spec>")
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(layers);
        if (input.Count is not (1 or 3) || input.Any(d => d <= 0))
            throw new ArgumentException($"input must be C,H,W or F with positive sizes, got [{string.Join(",", input)}]", nameof(input));
        _input = input.ToArray();
        Layers = NameAll(layers, "");
        Source = source;
    }

    /// <summary>The per-sample input shape: [C, H, W] or [F].</summary>
    public IReadOnlyList<int> Input => _input;

    /// <summary>True when the input is flat features (<c>input F</c>).</summary>
    public bool IsFlatInput => _input.Length == 1;

    /// <summary>The top-level layers, named per CONTRACTS §2.</summary>
    public IReadOnlyList<LayerSpec> Layers { get; }

    /// <summary>The file path or zoo resource name the spec was read from.</summary>
    public string Source { get; }

    /// <summary>The same layers on another input shape (as <c>--input</c> asks).</summary>
    /// <param name="input">C, H, W or F.</param>
    /// <exception cref="ArgumentException">The input shape is not 1 or 3 positive sizes.</exception>
    public ModelSpec WithInput(IReadOnlyList<int> input) =>
        new(input, Layers, Source) { ParameterNames = ParameterNames, InitialWeights = InitialWeights };

    /// <summary>The same layers and names without the imported weights: a model built from it starts from fresh
    /// initial weights (<c>nabla train --init</c>).</summary>
    public ModelSpec WithoutInitialWeights() =>
        new(Input, Layers, Source) { ParameterNames = ParameterNames };

    /// <summary>For an imported model (ONNX): the parameter and buffer names to use instead of the spec names,
    /// spec name → file name (e.g. <c>0.0.weight</c> → <c>layer1.0.conv1.weight</c>); null for a spec file.</summary>
    public IReadOnlyDictionary<string, string>? ParameterNames { get; init; }

    /// <summary>For an imported model: the weights it came with, by (file) name; null for a spec file.</summary>
    public IReadOnlyDictionary<string, Tensors.Tensor>? InitialWeights { get; init; }

    /// <summary>Every layer depth-first in execution order: a block's inner layers come before the block itself.</summary>
    public IEnumerable<LayerSpec> AllLayers() => Walk(Layers);

    private static IEnumerable<LayerSpec> Walk(IEnumerable<LayerSpec> layers)
    {
        foreach (var layer in layers)
        {
            switch (layer)
            {
                case ConcatSpec c:
                    foreach (var b in c.Branches) foreach (var l in Walk(b)) yield return l;
                    break;
                case ResidualSpec r:
                    foreach (var l in Walk(r.Body)) yield return l;
                    if (r.Shortcut is not null) foreach (var l in Walk(r.Shortcut)) yield return l;
                    break;
            }
            yield return layer;
        }
    }

    /// <summary>Names a list of layers <c>prefix + index</c> and recurses into blocks.</summary>
    internal static IReadOnlyList<LayerSpec> NameAll(IReadOnlyList<LayerSpec> layers, string prefix)
    {
        var named = new LayerSpec[layers.Count];
        for (int i = 0; i < layers.Count; i++)
        {
            var layer = layers[i] ?? throw new ArgumentException($"layer {prefix}{i} is null", nameof(layers));
            string name = prefix + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            named[i] = layer switch
            {
                ConcatSpec c => c with
                {
                    Name = name,
                    Branches = c.Branches.Select((b, bi) => NameAll(b, $"{name}.{bi}.")).ToArray(),
                },
                ResidualSpec r => r with
                {
                    Name = name,
                    Body = NameAll(r.Body, name + "."),
                    Shortcut = r.Shortcut is null ? null : NameAll(r.Shortcut, name + ".shortcut."),
                },
                _ => layer with { Name = name },
            };
        }
        return named;
    }

    /// <summary>The spec text (see <see cref="SpecWriter"/>).</summary>
    public override string ToString() => SpecWriter.Write(this);

    /// <inheritdoc/>
    public bool Equals(ModelSpec? other) =>
        other is not null && _input.AsSpan().SequenceEqual(other._input) && Layers.SequenceEqual(other.Layers);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as ModelSpec);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_input.Length, _input[0], Layers.Count);
}
