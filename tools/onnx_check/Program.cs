// tools/check_onnx_export.py's C# half: random weights for a zoo model, and an ONNX Runtime run of an exported file
// against Nabla's evaluation-mode forward (the same check as tests/Nabla.Tests/IO/Onnx, for the models too big for
// the suite: alexnet and vgg16 at 3x224x224).
//
// usage: dotnet run -c Release --project tools/onnx_check -- weights MODEL OUT.safetensors [--seed S]
//            PyTorch-default weights from seed S (default 11), every BatchNorm given random affine parameters and
//            running statistics (so folding and BatchNormalization compute something)
//        dotnet run -c Release --project tools/onnx_check -- ort MODEL W.safetensors FILE.onnx [--batches 1,2]
//            prints one line: "<worst relative error> <seconds of the ONNX Runtime runs>", err = ||ort - nabla||_inf /
//            ||nabla||_inf over the batches; exit 1 when it exceeds 1e-4 or a shape differs
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Nabla.Autograd;
using Nabla.IO;
using Nabla.IO.Spec;
using Nabla.NN;
using Nabla.Tensors;

const double Tolerance = 1e-4;
if (args.Length < 3) return Usage();
var spec = Zoo.Resolve(args[1]);
switch (args[0])
{
    case "weights":
    {
        ulong seed = ulong.Parse(Option("--seed", "11"), CultureInfo.InvariantCulture);
        var model = Nabla.Tests.IO.Onnx.ExportWeights.Build(spec, seed);
        TensorFiles.Save(args[2], model.StateDict());
        return 0;
    }
    case "ort" when args.Length >= 4:
    {
        var model = ModelFactory.Build(spec, new Rng(0), new Rng(0));
        TensorFiles.LoadInto(model, TensorFiles.Load(args[2]), args[2]);
        model.Eval();
        using var options = new SessionOptions { IntraOpNumThreads = 2, InterOpNumThreads = 1 };
        using var session = new InferenceSession(args[3], options);
        double worst = 0, seconds = 0;
        foreach (var n in Option("--batches", "1,2").Split(',').Select(b => int.Parse(b, CultureInfo.InvariantCulture)))
        {
            var rng = new Rng((ulong)n * 7919);
            var x = new Tensor([n, .. spec.Input]);
            for (int i = 0; i < x.Numel; i++) x.Data[i] = rng.NextFloat() * 2f - 1f;
            Tensor expected;
            using (GradMode.NoGrad()) expected = model.Forward(x);
            using var input = OrtValue.CreateTensorValueFromMemory(x.ToArray(), x.Shape.Select(d => (long)d).ToArray());
            using var run = new RunOptions();
            var clock = Stopwatch.StartNew();
            using var outputs = session.Run(run, ["input"], [input], ["output"]);
            seconds += clock.Elapsed.TotalSeconds;
            var shape = outputs[0].GetTensorTypeAndShape().Shape;
            if (!shape.SequenceEqual(expected.Shape.Select(d => (long)d)))
            {
                Console.WriteLine($"shape [{string.Join(",", shape)}] != Nabla [{string.Join(",", expected.Shape)}]");
                return 1;
            }
            var got = outputs[0].GetTensorDataAsSpan<float>();
            double diff = 0, scale = 0;
            for (int i = 0; i < got.Length; i++)
            {
                diff = Math.Max(diff, Math.Abs((double)got[i] - expected.Data[i]));
                scale = Math.Max(scale, Math.Abs((double)expected.Data[i]));
            }
            worst = Math.Max(worst, double.IsNaN(diff) ? double.PositiveInfinity : scale == 0 ? diff : diff / scale);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{worst:0.00E+00} {seconds:F2}"));
        return worst <= Tolerance ? 0 : 1;
    }
    default:
        return Usage();
}

string Option(string name, string fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

static int Usage()
{
    Console.Error.WriteLine("usage: onnx_check weights MODEL OUT.safetensors [--seed S] | ort MODEL W.safetensors FILE.onnx [--batches 1,2]");
    return 2;
}
