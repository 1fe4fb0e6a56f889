namespace Nabla.Tensors;

public sealed partial class Tensor
{
    /// <summary>Zeros of the given shape.</summary>
    public static Tensor Zeros(params int[] shape) => new(shape);

    /// <summary>Ones of the given shape.</summary>
    public static Tensor Ones(params int[] shape) => Full(1f, shape);

    /// <summary>Every element equal to <paramref name="value"/>.</summary>
    public static Tensor Full(float value, params int[] shape)
    {
        var t = new Tensor(shape);
        t.Span.Fill(value);
        return t;
    }

    /// <summary>A copy of <paramref name="values"/> with the given shape (default: 1-D).</summary>
    public static Tensor FromArray(float[] values, params int[] shape) =>
        new((float[])values.Clone(), shape.Length == 0 && values.Length != 1 ? [values.Length] : shape);

    /// <summary>Uniform in [lo, hi).</summary>
    public static Tensor Uniform(Rng rng, float lo, float hi, params int[] shape)
    {
        var t = new Tensor(shape);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) s[i] = lo + (hi - lo) * rng.NextFloat();
        return t;
    }

    /// <summary>Standard normal from a seeded generator, as <c>torch.randn</c>.</summary>
    public static Tensor Randn(Rng rng, params int[] shape)
    {
        var t = new Tensor(shape);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) s[i] = rng.NextNormal();
        return t;
    }
}
