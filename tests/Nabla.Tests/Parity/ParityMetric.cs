using Nabla.Tensors;
using Xunit;
using Xunit.Abstractions;

namespace Nabla.Tests.Parity;

/// <summary>
/// The comparison used by every parity test: for a tensor a (Nabla) and its reference b (PyTorch, float64),
/// err(a, b) = ‖a − b‖∞ / max(‖b‖∞, 1e-6), the largest elementwise difference relative to the largest
/// reference magnitude of that tensor. Shapes must be identical.
/// </summary>
internal sealed class ParityMetric
{
    /// <summary>The bound on the relative error (infinity-norm relative error per tensor).</summary>
    public const double RelTol = 1e-4;

    /// <summary>Floor of the denominator, for tensors whose reference is (nearly) zero.</summary>
    public const double Floor = 1e-6;

    private readonly List<string> _failures = new();
    private readonly List<(string What, double Err)> _results = new();

    /// <summary>The largest error recorded so far (0 when nothing was compared).</summary>
    public double MaxError => _results.Count == 0 ? 0 : _results.Max(r => r.Err);

    /// <summary>Number of tensors compared.</summary>
    public int Count => _results.Count;

    /// <summary>‖a − b‖∞ / max(‖b‖∞, 1e-6), or +∞ when a differs in shape or holds a NaN.</summary>
    public static double RelError(ReadOnlySpan<double> a, int[] aShape, int[] bShape, ReadOnlySpan<double> b)
    {
        if (!aShape.SequenceEqual(bShape) || a.Length != b.Length) return double.PositiveInfinity;
        double diff = 0, scale = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = Math.Abs(a[i] - b[i]);
            if (double.IsNaN(d)) return double.PositiveInfinity;
            diff = Math.Max(diff, d);
            scale = Math.Max(scale, Math.Abs(b[i]));
        }
        return diff / Math.Max(scale, Floor);
    }

    /// <summary>Compares <paramref name="actual"/> with the reference JSON tensor and records the result.</summary>
    public void Check(string what, Tensor? actual, System.Text.Json.JsonElement reference)
    {
        var (shape, data) = ParityFixture.ToReference(reference);
        if (actual is null)
        {
            // No gradient reached the tensor: equal to a zero reference only.
            bool zero = data.All(v => v == 0);
            _results.Add((what, zero ? 0 : double.PositiveInfinity));
            if (!zero) _failures.Add($"{what}: Nabla produced no gradient, PyTorch's is non-zero");
            return;
        }
        double[] values = new double[actual.Numel];
        for (int i = 0; i < values.Length; i++) values[i] = actual.Data[i];
        Check(what, values, actual.Shape, data, shape);
    }

    /// <summary>Compares values computed by the test (e.g. a displacement θ_k − θ_0) with reference values.</summary>
    public void Check(string what, double[] actual, int[] actualShape, double[] reference, int[] referenceShape)
    {
        double err = RelError(actual, actualShape, referenceShape, reference);
        _results.Add((what, err));
        if (!(err <= RelTol))
            _failures.Add($"{what}: rel err {err:E3} > {RelTol:E0} (shape {ShapeUtil.Format(actualShape)} vs reference {ShapeUtil.Format(referenceShape)})");
    }

    /// <summary>Compares two scalars with the same metric.</summary>
    public void CheckScalar(string what, double actual, double reference)
    {
        double err = Math.Abs(actual - reference) / Math.Max(Math.Abs(reference), Floor);
        _results.Add((what, err));
        if (!(err <= RelTol)) _failures.Add($"{what}: {actual:R} vs PyTorch {reference:R} (rel err {err:E3})");
    }

    /// <summary>Writes every comparison to the test log and fails with the list of tensors over the bound.</summary>
    public void AssertAll(ITestOutputHelper log, string caseName)
    {
        Assert.True(_results.Count > 0, $"{caseName}: nothing was compared");
        foreach (var (what, err) in _results) log.WriteLine($"{caseName} {what} {err:E3}");
        log.WriteLine($"PARITY {caseName} tensors={_results.Count} max_rel_err={MaxError:E3}");
        Assert.True(_failures.Count == 0, $"{caseName}: {_failures.Count} of {_results.Count} tensors differ from PyTorch:\n" + string.Join("\n", _failures));
    }
}
