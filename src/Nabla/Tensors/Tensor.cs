using System.Runtime.CompilerServices;
using Nabla.Autograd;

namespace Nabla.Tensors;

/// <summary>
/// A float32 tensor: a shape over contiguous row-major storage (NCHW for images), and, when it takes
/// part in differentiation, its gradient and the graph node that produced it.
/// </summary>
/// <remarks>
/// Storage is always contiguous and starts at index 0. Views (<see cref="Reshape"/>, <see cref="Flatten"/>)
/// share storage; every other operation copies. Integer buffers (BatchNorm's <c>num_batches_tracked</c>)
/// are held as float32 values tagged <see cref="DType.Int64"/>, exact up to 2^24.
/// </remarks>
public sealed partial class Tensor
{
    /// <summary>The storage. Its length may exceed <see cref="Numel"/>; elements past it are unused.</summary>
    public float[] Data { get; }

    /// <summary>The sizes of the dimensions. Do not mutate.</summary>
    public int[] Shape { get; }

    /// <summary>The number of elements (product of <see cref="Shape"/>; 1 for a scalar).</summary>
    public int Numel { get; }

    /// <summary>The serialization type tag (storage is float32 either way).</summary>
    public DType DType { get; set; } = DType.Float32;

    /// <summary>Whether gradients flow to this tensor. Set it on leaves (parameters, inputs).</summary>
    public bool RequiresGrad { get; set; }

    /// <summary>The accumulated gradient, same shape; null until a backward pass reaches this tensor.</summary>
    public Tensor? Grad { get; set; }

    /// <summary>The node that computed this tensor (null for leaves and for results made without grad).</summary>
    internal Node? GradFn { get; set; }

    /// <summary>True for a tensor not produced by a recorded op.</summary>
    public bool IsLeaf => GradFn is null;

    /// <summary>Wraps <paramref name="data"/> (not copied) with the given shape.</summary>
    /// <exception cref="ArgumentException">A dimension is negative or the data is shorter than the shape needs.</exception>
    public Tensor(float[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        Shape = (int[])shape.Clone();
        Numel = ShapeUtil.Numel(Shape, nameof(shape));
        if (data.Length < Numel)
            throw new ArgumentException($"data has {data.Length} elements but shape [{string.Join(", ", shape)}] needs {Numel}", nameof(data));
        Data = data;
    }

    /// <summary>A new zero-filled tensor.</summary>
    public Tensor(params int[] shape) : this(new float[ShapeUtil.Numel(shape, nameof(shape))], shape) { }

    /// <summary>The elements as a span of length <see cref="Numel"/>.</summary>
    public Span<float> Span
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Data.AsSpan(0, Numel);
    }

    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Length;

    /// <summary>Size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public int Size(int dim) => Shape[ShapeUtil.NormDim(dim, Rank)];

    /// <summary>The single value of a one-element tensor.</summary>
    /// <exception cref="InvalidOperationException">The tensor has more than one element.</exception>
    public float Item()
    {
        if (Numel != 1) throw new InvalidOperationException($"Item() needs a one-element tensor, this one has shape {ShapeUtil.Format(Shape)}");
        return Data[0];
    }

    /// <summary>Element at a multi-index (slow; for tests and small work).</summary>
    [IndexerName("At")]
    public float this[params int[] index]
    {
        get => Data[ShapeUtil.Offset(Shape, index)];
        set => Data[ShapeUtil.Offset(Shape, index)] = value;
    }

    /// <summary>A copy of the elements.</summary>
    public float[] ToArray() => Span.ToArray();

    /// <summary>A tensor sharing storage but detached from the graph.</summary>
    public Tensor Detach() => new(Data, Shape) { DType = DType };

    /// <summary>A deep copy (new storage), detached.</summary>
    public Tensor Clone() => new(ToArray(), Shape) { DType = DType };

    /// <summary>Copies <paramref name="src"/>'s elements into this tensor in place (shapes must have equal numel).</summary>
    public void CopyFrom(Tensor src)
    {
        if (src.Numel != Numel) throw new ArgumentException($"cannot copy {ShapeUtil.Format(src.Shape)} into {ShapeUtil.Format(Shape)}", nameof(src));
        src.Span.CopyTo(Span);
    }

    /// <summary>Runs reverse-mode differentiation from this tensor. A scalar output gets upstream gradient 1;
    /// otherwise pass <paramref name="gradient"/> of this tensor's shape.</summary>
    /// <exception cref="InvalidOperationException">Non-scalar without a gradient, or nothing requires grad.</exception>
    public void Backward(Tensor? gradient = null) => Graph.Backward(this, gradient);

    /// <summary>Sets the gradient to null.</summary>
    public void ZeroGrad() => Grad = null;

    /// <inheritdoc/>
    public override string ToString()
    {
        var sb = new System.Text.StringBuilder();
        sb.Append("Tensor").Append(ShapeUtil.Format(Shape)).Append(' ');
        int n = Math.Min(Numel, 8);
        sb.Append('[');
        for (int i = 0; i < n; i++) sb.Append(i > 0 ? ", " : "").Append(Data[i].ToString("G6", System.Globalization.CultureInfo.InvariantCulture));
        if (Numel > n) sb.Append(", ...");
        return sb.Append(']').ToString();
    }
}

/// <summary>The type a tensor is written as (storage is float32 either way).</summary>
public enum DType
{
    /// <summary>float32.</summary>
    Float32,
    /// <summary>int64 (values held exactly as float32 up to 2^24).</summary>
    Int64,
}
