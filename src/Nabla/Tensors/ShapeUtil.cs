namespace Nabla.Tensors;

/// <summary>Shape arithmetic shared by tensors and ops: element counts, strides, broadcasting, dims.</summary>
public static class ShapeUtil
{
    /// <summary>Product of dims; throws for a negative dim or an overflow.</summary>
    public static int Numel(ReadOnlySpan<int> shape, string argName = "shape")
    {
        long n = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"{argName} must have non-negative sizes, got {Format(shape)}", argName);
            n *= d;
            if (n > int.MaxValue) throw new ArgumentException($"{argName} {Format(shape)} has more than {int.MaxValue} elements", argName);
        }
        return (int)n;
    }

    /// <summary>Row-major strides.</summary>
    public static int[] Strides(ReadOnlySpan<int> shape)
    {
        var s = new int[shape.Length];
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
        return s;
    }

    /// <summary>"[2, 3, 4]".</summary>
    public static string Format(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    /// <summary>Normalises a possibly negative dim; throws naming the valid range.</summary>
    public static int NormDim(int dim, int rank)
    {
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= Math.Max(rank, 1) || (rank == 0 && dim != 0 && dim != -1))
            throw new ArgumentOutOfRangeException(nameof(dim), $"dim {dim} is out of range for a tensor of rank {rank} (expected in [{-rank}, {rank - 1}])");
        return d;
    }

    /// <summary>Flat offset of a multi-index.</summary>
    public static int Offset(int[] shape, int[] index)
    {
        if (index.Length != shape.Length) throw new ArgumentException($"index has {index.Length} dims, tensor has {shape.Length}", nameof(index));
        int off = 0;
        for (int i = 0; i < shape.Length; i++)
        {
            if ((uint)index[i] >= (uint)shape[i]) throw new IndexOutOfRangeException($"index {index[i]} out of range for dim {i} of size {shape[i]}");
            off = off * shape[i] + index[i];
        }
        return off;
    }

    /// <summary>NumPy/PyTorch broadcasting of two shapes.</summary>
    /// <exception cref="ArgumentException">Sizes differ and neither is 1.</exception>
    public static int[] Broadcast(int[] a, int[] b)
    {
        int r = Math.Max(a.Length, b.Length);
        var o = new int[r];
        for (int i = 0; i < r; i++)
        {
            int da = i - (r - a.Length) >= 0 ? a[i - (r - a.Length)] : 1;
            int db = i - (r - b.Length) >= 0 ? b[i - (r - b.Length)] : 1;
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"shapes {Format(a)} and {Format(b)} cannot be broadcast: size {da} vs {db} at dim {i}");
            o[i] = da == 1 ? db : da;
        }
        return o;
    }

    /// <summary>True when the shapes are equal.</summary>
    public static bool Equal(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => a.SequenceEqual(b);
}
