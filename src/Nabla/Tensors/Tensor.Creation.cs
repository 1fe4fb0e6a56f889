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

    /// <summary>A scalar (shape []).</summary>
    public static Tensor Scalar(float value) => new([value], []);

    /// <summary>start, start + step, ... below end (1-D), as <c>torch.arange</c>.</summary>
    /// <exception cref="ArgumentException">step is 0 or has the wrong sign.</exception>
    public static Tensor Arange(float start, float end, float step = 1f)
    {
        if (step == 0 || (end - start) / step < 0) throw new ArgumentException($"arange: upper bound and step are inconsistent (start {start}, end {end}, step {step})");
        int n = (int)Math.Ceiling((end - start) / step);
        var t = new Tensor(n);
        for (int i = 0; i < n; i++) t.Data[i] = start + i * step;
        return t;
    }

    /// <summary>A copy of <paramref name="values"/> with the given shape (default: 1-D).</summary>
    public static Tensor FromArray(float[] values, params int[] shape) =>
        new((float[])values.Clone(), shape.Length == 0 && values.Length != 1 ? [values.Length] : shape);

    /// <summary>Uniform in [0, 1) from a seeded generator, as <c>torch.rand</c>.</summary>
    public static Tensor Rand(Rng rng, params int[] shape) => Uniform(rng, 0f, 1f, shape);

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
