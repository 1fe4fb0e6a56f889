namespace Nabla.Autograd.Reference;

/// <summary>
/// A module outside Nabla's built-in layers that can still be checked by <see cref="GradCheck"/> in float64:
/// it supplies its own float64 forward, independent of its float32 forward and backward.
/// </summary>
public interface IReferenceModule
{
    /// <summary>The module's output in float64.</summary>
    /// <param name="x">Input.</param>
    /// <param name="parameter">The float64 value of one of this module's parameters (pass the
    /// <see cref="Nabla.Tensors.Tensor"/> registered as parameter; perturbed copies during a gradient check).</param>
    DoubleTensor ReferenceForward(DoubleTensor x, Func<Nabla.Tensors.Tensor, DoubleTensor> parameter);
}
