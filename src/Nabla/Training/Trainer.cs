using System.Diagnostics;
using Nabla.Autograd;
using Nabla.Data;
using Nabla.Distributed;
using Nabla.IO;
using Nabla.IO.Spec;
using Nabla.NN;
using Nabla.Ops;
using Nabla.Optim;
using Nabla.Reporting;
using Nabla.Tensors;

namespace Nabla.Training;

/// <summary>
/// The training loop behind <c>nabla train</c>: seeded data order, model and dropout, one optimizer step per
/// mini-batch, evaluation on the test set after every epoch, and after every epoch metrics.csv, curves.svg,
/// model.safetensors, an atomic checkpoint, steps.csv, predictions.csv, run.json and report.html in the output directory.
/// </summary>
/// <remarks>Every random choice is a function of the seed (and epoch), and every reduction has a fixed order,
/// so the same options give the same metrics and weights whatever the thread count, and a resumed run ends
/// with the same weights as an uninterrupted one. Given a <see cref="Communicator"/> of more than one rank it
/// trains data-parallel (see <see cref="DataParallel"/> and docs/scaling.md): the batch size stays the global one,
/// only rank 0 writes outputs, and metrics are global.</remarks>
public sealed class Trainer
{
    private readonly TrainOptions _o;
    private readonly ITrainingObserver? _observer;
    private readonly Rng _dropoutRng;
    private readonly Dataset _train, _test;
    private readonly bool _flatInput;
    private readonly DataParallel? _dp;
    private readonly string _dataSource;
    private readonly List<double> _epochTrainSeconds = new();
    private DateTime _started = DateTime.UtcNow;
    private bool IsRoot => _dp is null || _dp.Comm.IsRoot;

    /// <summary>The model (nested Sequentials named as PyTorch's twin).</summary>
    public Sequential Model { get; }

    /// <summary>The optimizer.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Metrics of every completed epoch.</summary>
    public List<EpochMetrics> History { get; } = new();

    /// <summary>Training loss, accuracy and learning rate of every window of <see cref="TrainOptions.StepsEvery"/> steps.</summary>
    public List<StepMetrics> Steps { get; } = new();

    /// <summary>Per-sample test predictions of the latest epoch (null before the first epoch and in data-parallel runs).</summary>
    public TestPredictions? TestPredictions { get; private set; }

    /// <summary>Sets up data, model and optimizer.</summary>
    /// <param name="options">The run's options.</param>
    /// <param name="observer">Progress receiver, or null.</param>
    /// <param name="data">Data to use instead of loading <see cref="TrainOptions.Data"/> (tests).</param>
    /// <param name="comm">The MPI world when launched by mpirun, or null; with one rank it trains as without.</param>
    /// <exception cref="InvalidTrainOptionException">An option the trainer refuses (out of range, a subset larger than the
    /// data, a run too large for the memory at this batch size).</exception>
    /// <exception cref="NablaInputException">A bad spec or data set.</exception>
    public Trainer(TrainOptions options, ITrainingObserver? observer = null, DataSplits? data = null, Communicator? comm = null)
    {
        _o = options;
        Outputs = new RunDirectory(options.OutDir);
        _observer = observer;
        Validate(options);
        var spec = Zoo.Resolve(options.Model);
        if (options.Init) spec = spec.WithoutInitialWeights();
        CheckMemory(spec, options.BatchSize);
        if (data is null)
        {
            // Rank 0 loads (and on first use downloads) first, so ranks sharing a cache do not fetch it N times.
            bool sync = comm is { Size: > 1 };
            if (sync && !comm!.IsRoot) comm.Barrier();
            data = DataSource.Load(options.Data, options.DataOptions with { Input = spec.Input.ToArray() }, observer is null ? null : observer.Message);
            if (sync && comm!.IsRoot) comm.Barrier();
        }
        if (options.Normalize is not null) data = options.Normalize.Apply(data);
        DataConfig = Data.DataConfig.Of(options.Data, options.DataOptions, options.Normalize, data.Train);
        var train = data.Train;
        if (options.Subset > 0)
        {
            if (options.Subset > train.Count)
                throw new InvalidTrainOptionException(nameof(TrainOptions.Subset), $"{options.Subset} exceeds the {train.Count} training samples of {data.Source}");
            train = train.Subset(options.Subset);
        }
        if (options.RandomLabels) train = train.WithRandomLabels(Rng.Mix(options.Seed, 3));
        _train = train;
        _test = data.Test;
        _dataSource = data.Source;
        int[] want = [train.Channels, train.Height, train.Width];
        if (!spec.IsFlatInput && !spec.Input.SequenceEqual(want))
            throw new NablaInputException($"{spec.Source}: input is {string.Join("x", spec.Input)} but the data set {data.Source} has images of {string.Join("x", want)}");
        if (spec.IsFlatInput && spec.Input[0] != train.SampleSize)
            throw new NablaInputException($"{spec.Source}: input has {spec.Input[0]} features but images of {data.Source} have {train.SampleSize}");
        _flatInput = spec.IsFlatInput;
        CheckClasses(spec, data);
        ClassNames = train.ClassNames;
        _dropoutRng = new Rng(Rng.Mix(options.Seed, 2));
        Model = ModelFactory.Build(spec, new Rng(Rng.Mix(options.Seed, 1)), _dropoutRng);
        Optimizer = CreateOptimizer(options, Model);
        if (comm is { Size: > 1 }) _dp = new DataParallel(comm, Model);
    }

    /// <summary>The class names of the data (written to classes.txt in the output directory), or null.</summary>
    public IReadOnlyList<string>? ClassNames { get; }

    /// <summary>The data flags of the run with the normalisation it applied (written to data.json in the output
    /// directory, where <c>nabla eval</c> finds them).</summary>
    public Data.DataConfig DataConfig { get; }

    /// <summary>Refuses data with more classes than the model has outputs (its labels would lie outside them).</summary>
    private static void CheckClasses(ModelSpec spec, DataSplits data)
    {
        var last = Analysis.ModelAnalyzer.Analyze(spec).Layers[^1].OutputShape;
        long outputs = last.Aggregate(1L, (a, d) => a * d);
        int classes = Math.Max(data.Train.Classes, data.Test.Classes);
        if (classes > outputs)
            throw new NablaInputException($"{spec.Source}: the model has {outputs} outputs but {data.Source} has {classes} classes{(data.Train.ClassNames is { } n ? $" ({string.Join(", ", n.Take(12))}{(n.Count > 12 ? ", ..." : "")})" : "")}; its last layer needs out_features={classes}");
    }

    /// <summary>Refuses, before allocating anything, a run whose estimated memory exceeds what the machine has:
    /// 16 bytes per parameter (weights, gradients, two optimizer moments) plus 12 bytes per activation element and
    /// sample (outputs, their gradients, im2col buffers).</summary>
    private static void CheckMemory(ModelSpec spec, int batch)
    {
        var summary = Analysis.ModelAnalyzer.Analyze(spec);
        double activations = summary.Layers.Sum(l => l.OutputShape.Aggregate(1.0, (a, d) => a * d));
        double bytes = 16.0 * summary.Total.Params + 12.0 * activations * batch;
        double available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (bytes > available)
            throw InvalidTrainOptionException.Templated(nameof(TrainOptions.BatchSize), InvalidTrainOptionException.Escape(spec.Source) + string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $": training would need about {bytes / 1e9:F1} GB ({summary.Total.Params:N0} parameters, {activations:N0} activation values per sample at batch {batch}), more than the {available / 1e9:F1} GB available; use a smaller model or ") + "{0}");
    }

    private static void Validate(TrainOptions o)
    {
        static InvalidTrainOptionException Bad(string option, string problem) => new(option, problem);
        if (o.Epochs < 1) throw Bad(nameof(o.Epochs), $"must be at least 1, got {o.Epochs}");
        if (o.BatchSize < 1) throw Bad(nameof(o.BatchSize), $"must be at least 1, got {o.BatchSize}");
        if (o.Subset < 0) throw Bad(nameof(o.Subset), $"must be positive, got {o.Subset}");
        if (!(o.Lr > 0) || double.IsInfinity(o.Lr)) throw Bad(nameof(o.Lr), $"must be a positive number, got {o.Lr}");
        if (o.Momentum is < 0 or >= 1) throw Bad(nameof(o.Momentum), $"must be in [0, 1), got {o.Momentum}");
        if (o.WeightDecay < 0) throw Bad(nameof(o.WeightDecay), $"must be non-negative, got {o.WeightDecay}");
        if (o.StepsEvery < 1) throw Bad(nameof(o.StepsEvery), $"must be at least 1, got {o.StepsEvery}");
        if (!(o.Gamma > 0) || o.Gamma > 1) throw Bad(nameof(o.Gamma), $"must be in (0, 1], got {o.Gamma}");
    }

    /// <summary>The optimizer named by <see cref="TrainOptions.Optimizer"/>.</summary>
    public static Optimizer CreateOptimizer(TrainOptions o, Module model)
    {
        var ps = model.NamedParameters().ToList();
        var form = o.MomentumForm switch
        {
            "velocity" => MomentumForm.Velocity,
            "heavy-ball" => MomentumForm.HeavyBall,
            _ => throw new InvalidTrainOptionException(nameof(o.MomentumForm), $"must be velocity or heavy-ball, got '{o.MomentumForm}'"),
        };
        return o.Optimizer switch
        {
            "sgd" => new Sgd(ps, o.Lr, weightDecay: o.WeightDecay),
            "momentum" => new Sgd(ps, o.Lr, o.Momentum, weightDecay: o.WeightDecay, form: form),
            "nesterov" => form == MomentumForm.Velocity ? new Sgd(ps, o.Lr, o.Momentum, weightDecay: o.WeightDecay, nesterov: true)
                : throw InvalidTrainOptionException.Templated(nameof(o.Optimizer), "{0} nesterov works with {1} velocity only", nameof(o.MomentumForm)),
            "adam" => new Adam(ps, o.Lr, weightDecay: o.WeightDecay),
            "adamw" => new AdamW(ps, o.Lr, weightDecay: o.WeightDecay),
            "adadelta" => new Adadelta(ps, o.Lr, weightDecay: o.WeightDecay),
            _ => throw new InvalidTrainOptionException(nameof(o.Optimizer), $"must be one of sgd|momentum|nesterov|adam|adamw|adadelta, got '{o.Optimizer}'"),
        };
    }

    /// <summary>The files the run writes, in <see cref="TrainOptions.OutDir"/>.</summary>
    public RunDirectory Outputs { get; }

    /// <summary>Trains to <see cref="TrainOptions.Epochs"/> epochs, first restoring <paramref name="resumeFrom"/> if given.</summary>
    /// <exception cref="TrainingDivergedException">The loss or a gradient became non-finite.</exception>
    /// <exception cref="InvalidTrainOptionException">The output directory cannot be written.</exception>
    /// <exception cref="NablaInputException">A checkpoint to resume from that does not fit the run.</exception>
    public IReadOnlyList<EpochMetrics> Run(string? resumeFrom = null)
    {
        if (IsRoot) PrepareOutDir();
        int startEpoch = 0;
        double priorSeconds = 0;
        if (resumeFrom is not null)
        {
            var st = Checkpoint.Load(resumeFrom, Model, Optimizer, _dropoutRng, _o);
            startEpoch = st.Epoch; priorSeconds = st.Seconds;
            History.Clear(); History.AddRange(st.History);
            RestoreStepLog(st.Epoch);
            _observer?.Message($"resumed from {resumeFrom} after epoch {st.Epoch}");
        }
        _dp?.BroadcastState();
        var loader = new DataLoader(_train, _o.BatchSize, shuffle: true, seed: _o.Seed, randomShifts: _o.Shift, transforms: _o.Augment);
        int sample = _train.SampleSize;
        var xBuf = new float[_o.BatchSize * sample];
        var yBuf = new int[_o.BatchSize];
        var xLocal = _dp is null ? xBuf : new float[xBuf.Length];
        var clock = Stopwatch.StartNew();
        _started = DateTime.UtcNow;
        long step = (long)startEpoch * loader.BatchesPerEpoch;
        for (int epoch = startEpoch; epoch < _o.Epochs; epoch++)
        {
            Optimizer.LearningRate = LrSchedule.Step(_o.Lr, epoch, 1, _o.Gamma);
            Model.Train();
            loader.Seek(epoch);
            // Each rank draws its own dropout masks, from a stream that depends only on (seed, epoch, rank).
            if (_dp is not null) _dropoutRng.Reseed(Rng.Mix(_o.Seed, 2, (ulong)epoch, (ulong)_dp.Comm.Rank));
            int batches = loader.BatchesPerEpoch;
            _observer?.EpochStarted(epoch + 1, _o.Epochs, batches);
            double lossSum = 0; long correct = 0, seen = 0;
            var window = new StepWindow();
            var epochClock = Stopwatch.StartNew();
            for (int b = 0; b < batches; b++)
            {
                int n = loader.NextBatch(xBuf, yBuf);
                if (_dp is not null)
                {
                    var (lossSumB, correctB) = DataParallelStep(xBuf, yBuf, xLocal, n, epoch, b);
                    lossSum += lossSumB; correct += correctB; seen += n;
                    LogStep(ref window, ++step, epoch, lossSumB, correctB, n, epochClock.Elapsed.TotalSeconds);
                    _observer?.BatchFinished(epoch + 1, b + 1, batches, lossSum / seen, (double)correct / seen, seen / epochClock.Elapsed.TotalSeconds);
                    continue;
                }
                var (lv, c) = LocalStep(xBuf, yBuf, n, epoch, b);
                lossSum += lv * n; seen += n; correct += c;
                LogStep(ref window, ++step, epoch, (double)lv * n, c, n, epochClock.Elapsed.TotalSeconds);
                _observer?.BatchFinished(epoch + 1, b + 1, batches, lossSum / seen, (double)correct / seen, seen / epochClock.Elapsed.TotalSeconds);
            }
            double trainLoss = lossSum / Math.Max(seen, 1), trainAcc = (double)correct / Math.Max(seen, 1);
            _epochTrainSeconds.Add(epochClock.Elapsed.TotalSeconds);
            if (_dp is not null)
            {
                // Running statistics: the mean over ranks of each rank's (shard-statistics) running mean and variance.
                _dp.AverageBuffers();
                _dp.BroadcastState();
            }
            if (_o.EvalTrain) (trainLoss, trainAcc) = EvaluateGlobal(_train);
            var (testLoss, testAcc) = EvaluateGlobal(_test, collect: true);
            var m = new EpochMetrics(epoch + 1, trainLoss, trainAcc, testLoss, testAcc, priorSeconds + clock.Elapsed.TotalSeconds);
            History.Add(m);
            if (IsRoot) WriteOutputs(epoch + 1, m.Seconds);
            if (_dp is not null)
                _observer?.Message(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"mpi: {_dp.Comm.Size} ranks, {_dp.BucketLengths.Count} gradient bucket(s), {_dp.BucketLengths.Sum() * 4.0 / 1e3:F1} kB in all; {_dp.CommSeconds:F2} s in reductions of {clock.Elapsed.TotalSeconds:F2} s"));
            _observer?.EpochFinished(m);
        }
        return History;
    }

    private int[] InputShape(int n) => SampleShape(_train, n, _flatInput);

    /// <summary>One optimizer step on a batch of n samples, its activations and gradients pooled in a
    /// <see cref="StepScope"/>. Returns the batch's mean loss and its number of correct predictions.</summary>
    private (float Loss, long Correct) LocalStep(float[] xBuf, int[] yBuf, int n, int epoch, int b)
    {
        using var scope = StepScope.Begin();
        var x = new Tensor(xBuf, InputShape(n));
        Optimizer.ZeroGrad();
        Tensor logits, loss;
        float lv;
        try
        {
            logits = Model.Forward(x);
            loss = F.CrossEntropy(logits, yBuf.AsSpan(0, n));
            lv = loss.Item();
            if (!float.IsFinite(lv))
                throw Diverged(epoch, b, "loss", lv);
            loss.Backward();
        }
        catch (AnomalyException e)
        {
            throw Diverged(epoch, b, anomaly: e);
        }
        CheckGradients(epoch, b);
        Optimizer.Step();
        return (lv, CountCorrect(logits, yBuf.AsSpan(0, n)));
    }

    /// <summary>One data-parallel step: forward/backward on this rank's shard of the global batch of n samples, with
    /// the loss summed and scaled by 1/n so that the gradients summed over ranks are the global batch's mean; then the
    /// optimizer step, identical on every rank. Returns the global (loss sum, correct count) of the batch.</summary>
    private (double LossSum, long Correct) DataParallelStep(float[] xBuf, int[] yBuf, float[] xLocal, int n, int epoch, int b)
    {
        var dp = _dp!;
        using var scope = StepScope.Begin();
        int sample = _train.SampleSize;
        var (start, count) = DataParallel.Shard(n, dp.Comm.Rank, dp.Comm.Size);
        Optimizer.ZeroGrad();
        Span<float> sums = stackalloc float[2];
        AnomalyException? anomaly = null;
        if (count > 0)
        {
            xBuf.AsSpan(start * sample, count * sample).CopyTo(xLocal);
            var labels = yBuf.AsSpan(start, count);
            try
            {
                var logits = Model.Forward(new Tensor(xLocal, InputShape(count)));
                var loss = F.CrossEntropy(logits, labels, Reduction.Sum);
                sums[0] = loss.Item();
                sums[1] = CountCorrect(logits, labels);
                loss.Backward(new Tensor([1f / n], []));
            }
            catch (AnomalyException e)
            {
                // Still take part in the reduction, with a NaN loss, so that every rank stops at this step.
                anomaly = e;
                sums[0] = float.NaN;
            }
        }
        dp.AllReduceGradients(sums);
        if (anomaly is not null) throw Diverged(epoch, b, anomaly: anomaly);
        float lv = sums[0] / n;
        if (!float.IsFinite(lv)) throw Diverged(epoch, b, "loss", lv);
        CheckGradients(epoch, b);
        Optimizer.Step();
        return (sums[0], (long)sums[1]);
    }

    /// <summary>Loss and accuracy over a data set: in one process as <see cref="Evaluate"/>; data-parallel, each rank
    /// evaluates its contiguous share and the sums are reduced.</summary>
    private (double Loss, double Accuracy) EvaluateGlobal(Dataset data, bool collect = false)
    {
        if (_dp is null && collect)
        {
            var (loss, acc, p) = EvaluateWithPredictions(Model, data, _flatInput);
            TestPredictions = p;
            return (loss, acc);
        }
        if (_dp is null) return Evaluate(Model, data, _flatInput);
        var (start, count) = DataParallel.Shard(data.Count, _dp.Comm.Rank, _dp.Comm.Size);
        var (lossSum, correct) = EvaluateSums(Model, data, _flatInput, start, start + count, 500);
        Span<double> sums = [lossSum, correct];
        _dp.Comm.AllReduceSum(sums);
        return (sums[0] / Math.Max(data.Count, 1), sums[1] / Math.Max(data.Count, 1));
    }

    private static int[] SampleShape(Dataset d, int n, bool flat) => flat ? [n, d.SampleSize] : [n, d.Channels, d.Height, d.Width];

    private void CheckGradients(int epoch, int batch)
    {
        foreach (var (name, p) in Model.NamedParameters())
        {
            if (p.Grad is null) continue;
            foreach (float v in p.Grad.Span)
                if (!float.IsFinite(v))
                    throw Diverged(epoch, batch, $"gradient of {name}", v);
        }
    }

    /// <summary>The exception for a non-finite <paramref name="what"/> of value <paramref name="value"/> (or the op
    /// <paramref name="anomaly"/> names) at 0-based <paramref name="epoch"/> and <paramref name="batch"/>, in the
    /// step about to be taken.</summary>
    private TrainingDivergedException Diverged(int epoch, int batch, string what = "", float value = float.NaN, AnomalyException? anomaly = null)
    {
        string? last = History.Count > 0 ? Outputs.Checkpoint : null;
        long step = Optimizer.StepCount + 1;
        return anomaly is null
            ? new TrainingDivergedException(epoch + 1, batch + 1, step, what, value, last)
            : new TrainingDivergedException(epoch + 1, batch + 1, step, anomaly, last);
    }

    private static long CountCorrect(Tensor logits, ReadOnlySpan<int> labels)
    {
        var pred = F.ArgMax(logits, 1);
        long c = 0;
        for (int i = 0; i < labels.Length; i++) if (pred[i] == labels[i]) c++;
        return c;
    }

    /// <summary>Mean cross-entropy and accuracy of <paramref name="model"/> in evaluation mode over a data set
    /// (images fed as N x C x H x W, or N x features when <paramref name="flatInput"/>).</summary>
    public static (double Loss, double Accuracy) Evaluate(Module model, Dataset data, bool flatInput = false, int batchSize = 500)
    {
        var (lossSum, correct) = EvaluateSums(model, data, flatInput, 0, data.Count, batchSize);
        return (lossSum / Math.Max(data.Count, 1), (double)correct / Math.Max(data.Count, 1));
    }

    /// <summary>As <see cref="Evaluate"/>, also keeping each sample's label, arg-max class and its softmax probability
    /// (for the confusion matrix and the mistakes of a report).</summary>
    public static (double Loss, double Accuracy, TestPredictions Predictions) EvaluateWithPredictions(Module model, Dataset data, bool flatInput = false, int batchSize = 500)
    {
        var p = TestPredictions.Empty(data.Count, data.Classes);
        var (lossSum, correct) = EvaluateSums(model, data, flatInput, 0, data.Count, batchSize, p);
        return (lossSum / Math.Max(data.Count, 1), (double)correct / Math.Max(data.Count, 1), p);
    }

    /// <summary>Summed cross-entropy and correct count over samples [first, end) in evaluation mode; with
    /// <paramref name="into"/>, also each sample's label, arg-max class and its softmax probability.</summary>
    private static (double LossSum, long Correct) EvaluateSums(Module model, Dataset data, bool flatInput, int first, int end, int batchSize, TestPredictions? into = null)
    {
        bool wasTraining = model.Training;
        model.Eval();
        using var _ = GradMode.NoGrad();
        var x = new float[batchSize * data.SampleSize];
        var y = new int[batchSize];
        var idx = new int[batchSize];
        double lossSum = 0; long correct = 0;
        for (int start = first; start < end; start += batchSize)
        {
            int n = Math.Min(batchSize, end - start);
            for (int i = 0; i < n; i++) idx[i] = start + i;
            data.Gather(idx.AsSpan(0, n), x, y);
            using var scope = StepScope.Begin();
            var logits = model.Forward(new Tensor(x, SampleShape(data, n, flatInput)));
            lossSum += F.CrossEntropy(logits, y.AsSpan(0, n), Reduction.Sum).Item();
            correct += CountCorrect(logits, y.AsSpan(0, n));
            into?.Record(start - first, F.Softmax(logits, 1), y.AsSpan(0, n));
        }
        model.Train(wasTraining);
        return (lossSum, correct);
    }

    /// <summary>Sums of the current logging window of steps.</summary>
    private struct StepWindow { public double LossSum, Seconds; public long Correct, Seen; }

    private void LogStep(ref StepWindow w, long step, int epoch, double lossSum, long correct, int n, double epochSeconds)
    {
        w.LossSum += lossSum; w.Correct += correct; w.Seen += n;
        if (step % _o.StepsEvery != 0) return;
        double dt = epochSeconds - w.Seconds;
        Steps.Add(new StepMetrics(step, epoch + 1, w.LossSum / w.Seen, (double)w.Correct / w.Seen, Optimizer.LearningRate, dt > 0 ? w.Seen / dt : 0));
        w = new StepWindow { Seconds = epochSeconds };
    }

    /// <summary>On resume: the step log and epoch times written by the interrupted run, up to the checkpoint's epoch.</summary>
    private void RestoreStepLog(int epochs)
    {
        Steps.Clear();
        _epochTrainSeconds.Clear();
        string info = Outputs.Info;
        if (File.Exists(info))
        {
            try { _epochTrainSeconds.AddRange(RunInfo.Load(info).EpochTrainSeconds.Take(epochs)); }
            catch (NablaInputException) { } // a damaged run.json only loses the earlier epochs' times
        }
        string path = Outputs.Steps;
        if (!File.Exists(path)) return;
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            try { var s = StepMetrics.Parse(line); if (s.Epoch <= epochs) Steps.Add(s); }
            catch (Exception e) when (e is FormatException or OverflowException) { break; } // a damaged log only loses the curve
        }
    }

    /// <summary>What run.json and the report's run section say about this run.</summary>
    public RunInfo Info() => new()
    {
        Options = _o,
        Threads = Kernels.Workers.Count,
        Ranks = _dp?.Comm.Size ?? 1,
        DataSource = _dataSource,
        TrainSamples = _train.Count,
        TestSamples = _test.Count,
        Classes = _test.Classes,
        EpochTrainSeconds = _epochTrainSeconds.ToList(),
        PeakMemoryBytes = RunInfo.CurrentPeakMemory(),
        StepsEvery = _o.StepsEvery,
        StartedUtc = _started,
    };

    private void PrepareOutDir()
    {
        try
        {
            Directory.CreateDirectory(_o.OutDir);
            string probe = Path.Combine(_o.OutDir, $".nabla-write-test-{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
            if (ClassNames is not null) File.WriteAllLines(Outputs.Classes, ClassNames);
            AtomicFile.WriteAllText(Outputs.DataConfig, DataConfig.ToJson());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidTrainOptionException(nameof(TrainOptions.OutDir), $"{_o.OutDir}: cannot write there ({e.Message})");
        }
    }

    private void WriteOutputs(int epoch, double seconds)
    {
        AtomicFile.WriteAllText(Outputs.Metrics, EpochMetrics.CsvHeader + "\n" + string.Concat(History.Select(h => h.ToCsv() + "\n")));
        AtomicFile.WriteAllText(Outputs.Curves, RunCharts.CurvesSvg(History, $"{_o.Model} — {(_o.RandomLabels ? "random labels, " : "")}{_train.Count} training samples",
            _o.RandomLabels ? 1.0 / _test.Classes : null));
        TensorFiles.Save(Outputs.Model, Model.StateDict());
        Checkpoint.Save(Outputs.Checkpoint, Model, Optimizer, _dropoutRng, epoch, seconds, History, _o);
        WriteReport();
    }

    /// <summary>steps.csv, predictions.csv, run.json and report.html, from what is in memory.</summary>
    private void WriteReport()
    {
        AtomicFile.WriteAllText(Outputs.Steps, StepMetrics.CsvHeader + "\n" + string.Concat(Steps.Select(s => s.ToCsv() + "\n")));
        if (TestPredictions is not null) AtomicFile.WriteAllText(Outputs.Predictions, TestPredictions.ToCsv());
        var info = Info();
        AtomicFile.WriteAllText(Outputs.Info, info.ToJson());
        string? note = _dp is null ? null : "data-parallel run: no per-sample test predictions were kept; nabla eval --report draws the confusion matrix and mistakes";
        // The report shows metrics.csv's values (seconds to 0.01 s), so that nabla report rebuilds it identically.
        var written = History.Select(h => EpochMetrics.Parse(h.ToCsv())).ToList();
        var report = RunFiles.Build(info, written, Steps, TestPredictions, _test, RunFiles.ClassNames(_o.OutDir, info), note);
        AtomicFile.WriteAllText(Outputs.Report, report.ToHtml());
    }
}
