using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Nabla.Analysis;
using Nabla.Autograd;
using Nabla.IO;
using Nabla.IO.Onnx;
using Nabla.IO.Spec;
using Nabla.NN;
using Nabla.Tensors;
using Xunit;

namespace Nabla.Tests.IO.Onnx;

/// <summary>Shared steps of the export tests: random weights (BatchNorm statistics too), export, a run in ONNX Runtime,
/// and the comparison with Nabla's own evaluation-mode forward.</summary>
internal static class OnnxExportKit
{
    /// <summary>Relative tolerance against Nabla's forward: ||ort - nabla||_inf / ||nabla||_inf.</summary>
    public const double Tolerance = 1e-4;

    /// <summary>The model with PyTorch-default weights from <paramref name="seed"/> and random BatchNorm statistics
    /// (<see cref="ExportWeights"/>).</summary>
    public static Sequential Build(ModelSpec spec, ulong seed) => ExportWeights.Build(spec, seed);

    /// <summary>A random batch (N, ...input) in [-1, 1).</summary>
    public static Tensor Input(IReadOnlyList<int> input, int batch, ulong seed)
    {
        var rng = new Rng(seed);
        int[] shape = [batch, .. input];
        var t = new Tensor(shape);
        for (int i = 0; i < t.Numel; i++) t.Data[i] = rng.NextFloat() * 2f - 1f;
        return t;
    }

    /// <summary>Runs <paramref name="onnx"/> in ONNX Runtime on <paramref name="x"/>; returns the output and its shape.</summary>
    public static (float[] Data, long[] Shape) RunOrt(byte[] onnx, Tensor x)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(onnx, options);
        using var input = OrtValue.CreateTensorValueFromMemory(x.ToArray(), x.Shape.Select(d => (long)d).ToArray());
        using var run = new RunOptions();
        using var outputs = session.Run(run, [OnnxExporter.InputName], [input], [OnnxExporter.OutputName]);
        var y = outputs[0];
        return (y.GetTensorDataAsSpan<float>().ToArray(), y.GetTensorTypeAndShape().Shape);
    }

    /// <summary>Nabla's evaluation-mode forward.</summary>
    public static Tensor Forward(Module model, Tensor x)
    {
        using var _ = GradMode.NoGrad();
        return model.Forward(x);
    }

    /// <summary>Exports <paramref name="model"/>, runs it in ONNX Runtime at each batch size and asserts the outputs
    /// agree with Nabla's within <see cref="Tolerance"/>. Returns the worst relative error.</summary>
    public static double AssertMatches(Module model, ModelSpec spec, string what, params int[] batches)
    {
        byte[] onnx = OnnxExporter.ToModel(model, spec.Input).ToByteArray();
        double worst = 0;
        foreach (int n in batches)
        {
            var x = Input(spec.Input, n, (ulong)(n * 7919));
            var expected = Forward(model, x);
            var (got, shape) = RunOrt(onnx, x);
            Assert.Equal(expected.Shape.Select(d => (long)d).ToArray(), shape);
            double err = RelErr(got, expected.ToArray());
            Assert.True(err <= Tolerance, $"{what} batch {n}: ONNX Runtime vs Nabla relative error {err:E2} > {Tolerance:E0}");
            worst = Math.Max(worst, err);
        }
        return worst;
    }

    /// <summary>||a - b||_inf / ||b||_inf (absolute when b is all zeros).</summary>
    public static double RelErr(float[] a, float[] b)
    {
        Assert.Equal(b.Length, a.Length);
        double diff = 0, scale = 0;
        for (int i = 0; i < a.Length; i++)
        {
            if (!float.IsFinite(a[i]) || !float.IsFinite(b[i])) return a[i].Equals(b[i]) ? 0 : double.PositiveInfinity;
            diff = Math.Max(diff, Math.Abs((double)a[i] - b[i]));
            scale = Math.Max(scale, Math.Abs((double)b[i]));
        }
        return scale == 0 ? diff : diff / scale;
    }

    /// <summary>The folded twin of <paramref name="model"/>.</summary>
    public static Sequential Fold(Sequential model) => BatchNormFolding.Fold(model);
}
