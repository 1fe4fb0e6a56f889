using Nabla.Tensors;

namespace Nabla.NN;

/// <summary>Parameter initialisation as PyTorch's defaults.</summary>
public static class Init
{
    /// <summary>U(−bound, bound) in place.</summary>
    public static void Uniform(Tensor t, float bound, Rng rng)
    {
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) s[i] = (2f * rng.NextFloat() - 1f) * bound;
    }

    /// <summary>Kaiming-uniform with a = √5, PyTorch's default for Linear and Conv weights:
    /// bound = gain·√(3/fan_in) with gain = √(2/(1+a²)), which is 1/√fan_in.</summary>
    public static void KaimingUniformDefault(Tensor weight, int fanIn, Rng rng)
    {
        float gain = MathF.Sqrt(2f / (1f + 5f));
        Uniform(weight, fanIn > 0 ? gain * MathF.Sqrt(3f / fanIn) : 0f, rng);
    }

    /// <summary>PyTorch's default bias: U(±1/√fan_in).</summary>
    public static void BiasDefault(Tensor bias, int fanIn, Rng rng) => Uniform(bias, fanIn > 0 ? 1f / MathF.Sqrt(fanIn) : 0f, rng);

    /// <summary>The generator used when a layer is built without one (seed 0).</summary>
    public static Rng DefaultRng { get; set; } = new(0);
}
