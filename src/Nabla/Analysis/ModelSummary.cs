namespace Nabla.Analysis;

/// <summary>The analysis of a whole model (CONTRACTS §4): one row per layer in execution order, and totals.</summary>
/// <param name="Input">The per-sample input shape.</param>
/// <param name="Layers">The rows; a block's row follows the rows of its inner layers.</param>
/// <param name="Source">The spec's source (file or zoo resource).</param>
public sealed record ModelSummary(IReadOnlyList<int> Input, IReadOnlyList<LayerSummary> Layers, string Source)
{
    /// <summary>The sum of every row.</summary>
    public Counts Total => Layers.Aggregate(Counts.Zero, (acc, row) => acc + row.Counts);

    /// <summary>The output shape of the model.</summary>
    public IReadOnlyList<int> OutputShape => Layers.Count == 0 ? Input : Layers[^1].OutputShape;

    /// <summary>The row of the layer with that parameter-name prefix.</summary>
    /// <exception cref="KeyNotFoundException">No such layer.</exception>
    public LayerSummary this[string name] =>
        Layers.FirstOrDefault(r => r.Name == name) ?? throw new KeyNotFoundException($"no layer named '{name}'");
}
