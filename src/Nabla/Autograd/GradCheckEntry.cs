namespace Nabla.Autograd;

/// <summary>One tensor's comparison in a gradient check.</summary>
/// <param name="Name">"input" or the parameter's name.</param>
/// <param name="MaxAbsError">max |analytic − numeric| over the checked elements.</param>
/// <param name="MaxRelError">max |analytic − numeric| / max(|numeric|, floor) over the checked elements (the floor is
/// <see cref="GradCheck"/>'s: a fraction of the tensor's largest gradient, see there).</param>
/// <param name="Checked">How many elements were compared.</param>
/// <param name="Passed">Whether every checked element was within tolerance.</param>
/// <param name="NonSmooth">Elements skipped as non-smooth: their difference quotients at h and h/2 disagree
/// (a ReLU or max-pool switch inside the step).</param>
public readonly record struct GradCheckEntry(string Name, double MaxAbsError, double MaxRelError, int Checked, bool Passed, int NonSmooth = 0);
