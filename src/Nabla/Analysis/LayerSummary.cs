using Nabla.IO.Spec;

namespace Nabla.Analysis;

/// <summary>One row of a <see cref="ModelSummary"/>: a layer, or a concat/residual block after its inner rows.</summary>
/// <param name="Layer">The spec node.</param>
/// <param name="Depth">Nesting depth: 0 at top level, +1 inside each block.</param>
/// <param name="OutputShape">The per-sample output shape, [C, H, W] or [F].</param>
/// <param name="Counts">This row's own counts (a block's own row counts only its own work: 0 for concat, the sum for residual).</param>
/// <param name="ReceptiveField">The output's receptive field on the model input; null once the data is flat.</param>
/// <param name="Subtotals">For a block, one subtotal per branch (concat) or for body and shortcut (residual); else empty.</param>
public sealed record LayerSummary(
    LayerSpec Layer, int Depth, IReadOnlyList<int> OutputShape, Counts Counts,
    ReceptiveField? ReceptiveField, IReadOnlyList<BranchSubtotal> Subtotals)
{
    /// <summary>The layer's parameter-name prefix, e.g. <c>3.1.0</c>.</summary>
    public string Name => Layer.Name;

    /// <summary>The per-sample input shape of a layer, [C, H, W] or [F] (empty for a block's own row).</summary>
    public IReadOnlyList<int> InputShape { get; init; } = [];

    /// <summary>The spec keyword, e.g. <c>conv2d</c>.</summary>
    public string Type => Layer.Kind.Keyword();
}
