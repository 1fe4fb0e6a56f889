namespace Nabla.IO;

/// <summary>
/// One named tensor of a safetensors file: its dtype as stored, its shape and its elements in row-major
/// order. Independent of <c>Nabla.Tensors</c>: a plain holder that the readers and writers of weights,
/// batches and checkpoints convert from and to.
/// </summary>
/// <remarks>
/// Exactly one typed array holds the data as stored: <see cref="Float"/> for F32, <see cref="Double"/>
/// for F64, <see cref="Int64"/> for I64, <see cref="Int8"/> for I8. For F64 and I8, <see cref="Float"/>
/// additionally gives the values converted to float32 (computed on first use; exact for I8), which is what
/// Nabla's float32 engine loads.
/// The arrays are shared with the caller, not copied.
/// </remarks>
public sealed class SafeTensor
{
    /// <summary>The header key reserved for the file's string metadata; no tensor may carry this name.</summary>
    public const string MetadataKey = "__metadata__";

    private float[]? _float;

    private SafeTensor(string name, SafeDType dtype, int[] shape, long count, Array data)
    {
        Name = name;
        DType = dtype;
        Shape = shape;
        ElementCount = count;
        _float = data as float[];
        Double = data as double[];
        Int64 = data as long[];
        Int8 = data as sbyte[];
    }

    /// <summary>The tensor's name, e.g. <c>3.1.0.weight</c> or <c>grad.input</c>.</summary>
    public string Name { get; }

    /// <summary>The dtype as stored in (or to be written to) the file.</summary>
    public SafeDType DType { get; }

    /// <summary>The dimensions, outermost first; empty for a scalar. Do not modify.</summary>
    public int[] Shape { get; }

    /// <summary>Number of elements: the product of <see cref="Shape"/> (1 for a scalar).</summary>
    public long ElementCount { get; }

    /// <summary>Bytes the data occupies in a file: <see cref="ElementCount"/> times 4 (F32), 8 (F64, I64) or 1 (I8).</summary>
    public long ByteLength => ElementCount * DType.ItemSize();

    /// <summary>
    /// The elements as float32: the data itself for F32, the F64 data rounded to float32 or the I8 data
    /// converted exactly (computed once, on first access), and <c>null</c> for I64.
    /// </summary>
    public float[]? Float
    {
        get
        {
            if (_float is null && Double is { } d)
            {
                var f = new float[d.Length];
                for (int i = 0; i < d.Length; i++) f[i] = (float)d[i];
                _float = f;
            }
            else if (_float is null && Int8 is { } q)
            {
                var f = new float[q.Length];
                for (int i = 0; i < q.Length; i++) f[i] = q[i];
                _float = f;
            }
            return _float;
        }
    }

    /// <summary>The F64 data as stored; <c>null</c> for other dtypes.</summary>
    public double[]? Double { get; }

    /// <summary>The I64 data as stored; <c>null</c> for other dtypes.</summary>
    public long[]? Int64 { get; }

    /// <summary>The I8 data as stored; <c>null</c> for other dtypes.</summary>
    public sbyte[]? Int8 { get; }

    /// <summary>Creates an F32 tensor. The data array is kept, not copied.</summary>
    /// <param name="name">Tensor name; any string except <c>__metadata__</c>.</param>
    /// <param name="shape">Dimensions (each ≥ 0); empty for a scalar.</param>
    /// <param name="data">Row-major elements; its length must equal the product of <paramref name="shape"/>.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The name is reserved, a dimension is negative, or the data length does not match the shape.</exception>
    public static SafeTensor FromFloat(string name, int[] shape, float[] data) => Create(name, SafeDType.F32, shape, data);

    /// <summary>Creates an F64 tensor. The data array is kept, not copied.</summary>
    /// <inheritdoc cref="FromFloat" path="/param|/exception"/>
    public static SafeTensor FromDouble(string name, int[] shape, double[] data) => Create(name, SafeDType.F64, shape, data);

    /// <summary>Creates an I64 tensor. The data array is kept, not copied.</summary>
    /// <inheritdoc cref="FromFloat" path="/param|/exception"/>
    public static SafeTensor FromInt64(string name, int[] shape, long[] data) => Create(name, SafeDType.I64, shape, data);

    /// <summary>Creates an I8 tensor. The data array is kept, not copied.</summary>
    /// <inheritdoc cref="FromFloat" path="/param|/exception"/>
    public static SafeTensor FromInt8(string name, int[] shape, sbyte[] data) => Create(name, SafeDType.I8, shape, data);

    private static SafeTensor Create(string name, SafeDType dtype, int[] shape, Array data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var (s, n) = Check(name, shape, data.Length);
        return new SafeTensor(name, dtype, s, n, data);
    }

    /// <summary>Builds a tensor from data the reader has already validated against the shape.</summary>
    internal static SafeTensor Validated(string name, SafeDType dtype, int[] shape, Array data) =>
        new(name, dtype, shape, data.LongLength, data);

    /// <summary>Returns e.g. <c>conv.weight F32 [32, 1, 3, 3]</c>.</summary>
    public override string ToString() => $"{Name} {DType} [{string.Join(", ", Shape)}]";

    private static (int[] Shape, long Count) Check(string name, int[] shape, int length)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        if (name == MetadataKey)
            throw new ArgumentException($"tensor name '{MetadataKey}' is reserved for the file's metadata", nameof(name));
        long count = 1;
        foreach (int d in shape)
        {
            if (d < 0)
                throw new ArgumentException($"tensor '{name}': shape [{string.Join(", ", shape)}] has a negative dimension", nameof(shape));
            count = Math.Min(count * d, (long)int.MaxValue + 1); // saturates above any array length, cannot overflow
        }
        if (count != length)
            throw new ArgumentException(
                $"tensor '{name}': shape [{string.Join(", ", shape)}] holds {count} elements but the data has {length}", nameof(shape));
        return ((int[])shape.Clone(), count);
    }
}
