namespace Nabla.Analysis;

/// <summary>The summed counts of one path of a concat or residual block.</summary>
/// <param name="Label">"branch 0", "branch 1", ..., or "body", "shortcut".</param>
/// <param name="FirstRow">Index in <see cref="ModelSummary.Layers"/> of the path's first row.</param>
/// <param name="LastRow">Index of its last row; <c>FirstRow - 1</c> for an empty (identity) branch.</param>
/// <param name="Counts">The sum over those rows.</param>
public sealed record BranchSubtotal(string Label, int FirstRow, int LastRow, Counts Counts);
