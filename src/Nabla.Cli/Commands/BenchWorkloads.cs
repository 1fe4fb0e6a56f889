using System.Diagnostics;
using System.Globalization;
using Nabla.Autograd;
using Nabla.IO;
using Nabla.IO.Spec;
using Nabla.NN;
using Nabla.Ops;
using Nabla.Optim;
using Nabla.Tensors;

namespace Nabla.Cli.Commands;

/// <summary>
/// The model workloads of `nabla bench` (CONTRACTS §5, §6): the MNIST zoo models trained with batch 64 (forward,
/// cross-entropy, backward, SGD momentum 0.9) and run for inference with batch 256 (evaluation mode, no grad),
/// on random input, steady state after warm-up.
/// </summary>
public static class BenchWorkloads
{
    /// <summary>Training batch size (CONTRACTS §5).</summary>
    public const int TrainBatch = 64;

    /// <summary>Inference batch size (CONTRACTS §5).</summary>
    public const int InferBatch = 256;

    /// <summary>The zoo models measured, in order.</summary>
    public static readonly string[] Models = ["mlp", "lenet5", "mnist-cnn", "alexnet-mnist"];

    /// <summary>One bench entry per model, for <see cref="BenchCommand"/>'s table.</summary>
    public static IEnumerable<(string Name, Action<BenchReport> Run)> All =>
        Models.Select(m => (m, (Action<BenchReport>)(r => Run(r, m))));

    /// <summary>Measures one model and appends its row.</summary>
    public static void Run(BenchReport report, string model)
    {
        var bench = new ModelBench(model);
        var (trainRate, bytesPerStep) = bench.Train();
        double inferRate = bench.Infer();
        report.Workloads.Add(new BenchReport.ModelResult(model, TrainBatch, trainRate, inferRate));
        report.Log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{model,-14} train {trainRate,9:F1} img/s   infer {inferRate,9:F1} img/s   ({bytesPerStep / 1024.0:F1} KiB allocated per training step, {report.Threads} threads)"));
    }

    /// <summary>A zoo model with its optimizer and random batches.</summary>
    public sealed class ModelBench
    {
        private readonly Sequential _model;
        private readonly Sgd _opt;
        private readonly Tensor _xTrain, _xInfer;
        private readonly int[] _yTrain;

        internal Sequential Model => _model;
        internal Sgd Optimizer => _opt;
        internal Tensor XTrain => _xTrain;
        internal Tensor XInfer => _xInfer;
        internal int[] YTrain => _yTrain;

        /// <summary>Builds <paramref name="name"/> from the zoo with fixed seeds.</summary>
        public ModelBench(string name)
        {
            var spec = Zoo.Load(name);
            _model = ModelFactory.Build(spec, new Rng(1), new Rng(2));
            _opt = new Sgd(_model.NamedParameters(), lr: 0.01, momentum: 0.9f);
            var rng = new Rng(3);
            int[] sample = spec.Input.ToArray();
            _xTrain = Tensor.Randn(rng, [TrainBatch, .. sample]);
            _xInfer = Tensor.Randn(rng, [InferBatch, .. sample]);
            var labels = new Random(4);
            _yTrain = Enumerable.Range(0, TrainBatch).Select(_ => labels.Next(10)).ToArray();
        }

        /// <summary>One training step: forward, cross-entropy, backward, SGD update, in a <see cref="StepScope"/>
        /// (activations and gradients come from a pool). Returns the loss.</summary>
        public float TrainStep()
        {
            using var scope = StepScope.Begin();
            _opt.ZeroGrad();
            var loss = F.CrossEntropy(_model.Forward(_xTrain), _yTrain);
            loss.Backward();
            _opt.Step();
            return loss.Item();
        }

        /// <summary>One inference batch in evaluation mode without grad.</summary>
        public void InferStep()
        {
            using var scope = StepScope.Begin();
            using var noGrad = GradMode.NoGrad();
            _model.Forward(_xInfer);
        }

        /// <summary>Training images per second and managed bytes allocated per steady-state step.</summary>
        public (double Rate, double BytesPerStep) Train()
        {
            _model.Train();
            double rate = BenchTiming.BestRate(() => TrainStep(), warmupSteps: 3);
            long b0 = GC.GetTotalAllocatedBytes(precise: true);
            const int steps = 3;
            for (int i = 0; i < steps; i++) TrainStep();
            double bytes = (GC.GetTotalAllocatedBytes(precise: true) - b0) / (double)steps;
            return (rate * TrainBatch, bytes);
        }

        /// <summary>Inference images per second.</summary>
        public double Infer()
        {
            _model.Eval();
            return BenchTiming.BestRate(InferStep, warmupSteps: 2) * InferBatch;
        }
    }
}
