using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Nabla.Kernels;

/// <summary>Elementwise kernels on spans (vectorised through TensorPrimitives), destination last.</summary>
public static class Elementwise
{
    /// <summary>Effectively <c>dst[i] += src[i]</c>.</summary>
    public static void AddInPlace(Span<float> dst, ReadOnlySpan<float> src) => TensorPrimitives.Add(dst, src, dst);

    /// <summary>Effectively <c>dst[i] += s * src[i]</c>.</summary>
    public static void AddScaledInPlace(Span<float> dst, ReadOnlySpan<float> src, float s) => TensorPrimitives.MultiplyAdd(src, s, dst, dst);

    /// <summary>Effectively <c>dst[i] += a[i] * b[i]</c>.</summary>
    public static void AddProductInPlace(Span<float> dst, ReadOnlySpan<float> a, ReadOnlySpan<float> b) => TensorPrimitives.MultiplyAdd(a, b, dst, dst);

    /// <summary>
    /// Iterates a broadcast binary op over an output of shape <paramref name="outShape"/>; a and b have
    /// strides aligned to the output rank (0 where broadcast). Calls <paramref name="op"/>(outIndex, aIndex, bIndex).
    /// </summary>
    public static void ForEachBroadcast(int[] outShape, int[] aStrides, int[] bStrides, Action<int, int, int> op)
    {
        int rank = outShape.Length;
        int n = 1;
        foreach (int d in outShape) n *= d;
        if (n == 0) return;
        var idx = new int[rank];
        int ai = 0, bi = 0;
        for (int o = 0; o < n; o++)
        {
            op(o, ai, bi);
            for (int d = rank - 1; d >= 0; d--)
            {
                idx[d]++;
                ai += aStrides[d];
                bi += bStrides[d];
                if (idx[d] < outShape[d]) break;
                ai -= aStrides[d] * outShape[d];
                bi -= bStrides[d] * outShape[d];
                idx[d] = 0;
            }
        }
    }

    /// <summary>Strides of <paramref name="shape"/> aligned to <paramref name="outShape"/>'s rank, 0 on broadcast dims.</summary>
    public static int[] BroadcastStrides(int[] shape, int[] outShape)
    {
        int r = outShape.Length, off = r - shape.Length;
        var s = new int[r];
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            s[i + off] = shape[i] == 1 && outShape[i + off] != 1 ? 0 : acc;
            acc *= shape[i];
        }
        return s;
    }
}
