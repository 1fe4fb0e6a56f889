using Nabla.Tensors;

namespace Nabla.Autograd.Reference;

/// <summary>A dense row-major float64 tensor: the value type of <see cref="ReferenceForward"/>.</summary>
/// <param name="Shape">Dimensions, outermost first.</param>
/// <param name="Data">Elements, row-major; length = product of <paramref name="Shape"/>.</param>
public sealed record DoubleTensor(int[] Shape, double[] Data)
{
    /// <summary>A zero tensor of the given shape.</summary>
    public DoubleTensor(params int[] shape) : this(shape, new double[ShapeUtil.Numel(shape)]) { }

    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Length;

    /// <summary>The float32 tensor's values widened to float64 (exactly).</summary>
    /// <param name="t">Source tensor.</param>
    public static DoubleTensor From(Tensor t) => new((int[])t.Shape.Clone(), t.ToArray().Select(v => (double)v).ToArray());

    /// <summary>The same data viewed with another shape of the same size.</summary>
    /// <exception cref="ArgumentException">The sizes differ.</exception>
    public DoubleTensor Reshape(params int[] shape)
    {
        if (ShapeUtil.Numel(shape) != Data.Length)
            throw new ArgumentException($"DoubleTensor.Reshape: {ShapeUtil.Format(Shape)} has {Data.Length} elements, {ShapeUtil.Format(shape)} needs {ShapeUtil.Numel(shape)}");
        return new DoubleTensor(shape, Data);
    }
}
