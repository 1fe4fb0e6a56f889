namespace Nabla.Autograd;

/// <summary>The result of <see cref="GradCheck.Check"/>.</summary>
/// <param name="Tensors">One entry for the input and one per parameter, in <c>NamedParameters</c> order.</param>
/// <param name="Float64">True when the finite differences came from the float64 reference interpreter
/// (<see cref="Reference.ReferenceForward"/>); false when the module has no float64 twin and float32 forwards were used.</param>
/// <param name="ForwardError">‖y₃₂ − y₆₄‖∞ / ‖y₆₄‖∞: the engine's float32 output against the float64 reference
/// on the same input and weights (NaN without a reference).</param>
/// <param name="ForwardTolerance">Bound on <paramref name="ForwardError"/>.</param>
/// <param name="Tolerance">Bound on each tensor's <see cref="GradCheckEntry.MaxRelError"/>.</param>
/// <param name="Step">The relative finite-difference step used.</param>
/// <param name="OutputShape">Shape of the model's output.</param>
/// <param name="Unsupported">Without a reference: the module that has no float64 twin.</param>
public sealed record GradCheckReport(IReadOnlyList<GradCheckEntry> Tensors, bool Float64, double ForwardError, double ForwardTolerance,
    double Tolerance, double Step, int[] OutputShape, string? Unsupported = null)
{
    /// <summary>The float32 forward agrees with the float64 reference (always true without a reference).</summary>
    public bool ForwardPassed => !Float64 || ForwardError <= ForwardTolerance;

    /// <summary>Every tensor passed and the forward agrees.</summary>
    public bool Passed => ForwardPassed && Tensors.All(t => t.Passed);

    /// <summary>The entry for "input" or a parameter name.</summary>
    /// <exception cref="KeyNotFoundException">No such tensor.</exception>
    public GradCheckEntry this[string name] =>
        Tensors.FirstOrDefault(t => t.Name == name) is { Name: not null } e ? e : throw new KeyNotFoundException($"gradcheck: no tensor named '{name}'");
}
