using System.Globalization;
using Nabla.Distributed;
using Nabla.Kernels;
using Nabla.Training;
using Spectre.Console;

namespace Nabla.Cli.Commands;

/// <summary>`nabla train`: trains a model on MNIST (or any IDX directory) with progress, metrics, curves and checkpoints.</summary>
public sealed class TrainCommand : ICommand
{
    public string Name => "train";
    public string Summary => "train a model on MNIST with progress, curves and checkpoints";
    public IReadOnlyList<Flag> Flags { get; } =
    [
        Flag.Valued("model", "M", "zoo name, spec file or FILE.onnx (default lenet5; zoo: mlp, lenet5, mnist-cnn, alexnet-mnist);\n"
            + "an .onnx model is fine-tuned from its own weights (its initializers)"),
        Flag.Switch("init", "start from freshly initialised weights (seeded by --seed) even for an .onnx model"),
        Flag.Valued("data", "D", "mnist (fetched on first use), fashion-mnist, an IDX directory, an image folder\n(DIR/train/<class>, DIR/test/<class>) or a FILE.csv (default mnist)"),
        Flag.Valued("epochs", "N", "epochs (default 3)"),
        Flag.Valued("batch-size", "B", "mini-batch size (default 64)"),
        Flag.Valued("optimizer", "O", "sgd|momentum|nesterov|adam|adamw|adadelta (default adam)"),
        Flag.Valued("lr", "X", "learning rate (default 2e-3 for adam/adamw, 1.0 for adadelta, 0.01 for SGD forms)"),
        Flag.Valued("momentum", "B", "momentum β (default 0.9)"),
        Flag.Valued("momentum-form", "F", "velocity|heavy-ball (default velocity)"),
        Flag.Valued("weight-decay", "W", "weight decay (default 0)"),
        Flag.Valued("gamma", "G", "StepLR factor applied after each epoch (default 0.5, or 1 with --random-labels)"),
        Flag.Valued("seed", "S", "seed for weights, shuffling, dropout and random labels (default 1)"),
        Flag.Valued("threads", "T", "worker threads (default: all cores, shared among the ranks of a node under mpirun); results do not depend on it"),
        Flag.Valued("subset", "N", "train on the first N training images"),
        Flag.Switch("random-labels", "replace every training label by a seeded random class (memorisation experiment)"),
        Flag.Switch("eval-train", "report train loss/accuracy in evaluation mode over the whole training set"),
        Flag.Switch("shift", "random ±2 px shifts of training images (the same as --augment crop=2)"),
        DataFlags.AugmentFlag,
        .. DataFlags.Flags,
        Flag.Valued("out", "DIR", "output directory (default runs/<model>)"),
        Flag.Valued("resume", "CKPT", "continue from a checkpoint written by an earlier run with the same options"),
        Flag.Switch("detect-anomaly", "check every op's output and gradients; name the first op that makes a non-finite value"),
        Flag.Valued("bench-allreduce", "MB", "time allreduces up to MB megabytes under mpirun, then exit (developers)").AsHidden(),
    ];

    public string Notes => """
        data-parallel: mpirun -np N nabla train ... splits each global batch of --batch-size samples into N shards
        and averages gradients over MPI (Open MPI); rank 0 prints and writes. See docs/scaling.md.
        """;

    public int Run(Args args)
    {
        string optimizer = args.Choice("optimizer", "adam", "sgd", "momentum", "nesterov", "adam", "adamw", "adadelta");
        double defaultLr = optimizer switch { "adadelta" => 1.0, "adam" or "adamw" => 2e-3, _ => 0.01 };
        string model = args.String("model", "lenet5")!;
        bool randomLabels = args.Flag("random-labels");
        var data = DataFlags.Read(args, "train");
        var o = new TrainOptions
        {
            Model = model,
            Init = args.Flag("init"),
            Data = args.String("data", "mnist")!,
            Epochs = args.Int("epochs", 3, 1, 100_000),
            BatchSize = args.Int("batch-size", 64, 1, 1_000_000),
            Optimizer = optimizer,
            Lr = args.Double("lr", defaultLr, 0, 1e6),
            Momentum = (float)args.Double("momentum", 0.9, 0, 0.999999),
            MomentumForm = args.Choice("momentum-form", "velocity", "velocity", "heavy-ball"),
            WeightDecay = (float)args.Double("weight-decay", 0, 0, 1e6),
            // Memorising random labels needs a learning rate that does not decay away (as Zhang et al.).
            Gamma = args.Double("gamma", randomLabels ? 1.0 : 0.5, 1e-9, 1),
            Seed = (ulong)args.Int("seed", 1, 0),
            Subset = args.Int("subset", 0, 1),
            RandomLabels = randomLabels,
            EvalTrain = args.Flag("eval-train"),
            Shift = args.Flag("shift"),
            Augment = DataFlags.Augment(args),
            DataOptions = data.Options,
            Normalize = data.Normalize,
            OutDir = args.String("out", Path.Combine("runs", Path.GetFileNameWithoutExtension(model)))!,
        };
        var launch = MpiLaunch.FromEnvironment();
        int threads = args.Int("threads", Math.Max(1, Environment.ProcessorCount / (launch?.LocalSize ?? 1)), 1, 1024);
        int benchAllReduce = args.Int("bench-allreduce", 0, 0); // hidden: MB of the largest allreduce to time, then exit
        string? resume = args.String("resume");
        Nabla.Autograd.GradMode.DetectAnomaly = args.Flag("detect-anomaly");
        args.EnsureAllUsed();
        if (o.Lr <= 0) throw new UsageException($"nabla train: --lr must be positive, got {o.Lr}");
        Workers.Count = threads;
        // Only under mpirun is libmpi loaded; a single process never touches it.
        var comm = launch is null ? null : Communicator.World();
        if (comm is null) return Train(o, resume, null);
        int code;
        try
        {
            code = benchAllReduce > 0 ? AllReduceBenchmark.Run(comm, benchAllReduce, Console.Out) : Train(o, resume, comm);
        }
        catch (NablaInputException) when (!comm.IsRoot)
        {
            return 2; // every rank sees the same options and data: rank 0 reports it, and mpirun ends the job
        }
        catch (Exception e) when (e is not NablaInputException)
        {
            // An error on one rank leaves the others waiting in a collective: end the whole job.
            Console.Error.WriteLine($"nabla train (rank {comm.Rank}): {e.Message}");
            comm.Abort(1);
            throw;
        }
        comm.Dispose();
        return code;
    }

    /// <summary>The flag of each <see cref="TrainOptions"/> property the trainer's messages name.</summary>
    internal static readonly IReadOnlyDictionary<string, string> OptionFlags = new Dictionary<string, string>
    {
        [nameof(TrainOptions.Epochs)] = "--epochs",
        [nameof(TrainOptions.BatchSize)] = "--batch-size",
        [nameof(TrainOptions.Optimizer)] = "--optimizer",
        [nameof(TrainOptions.Lr)] = "--lr",
        [nameof(TrainOptions.Momentum)] = "--momentum",
        [nameof(TrainOptions.MomentumForm)] = "--momentum-form",
        [nameof(TrainOptions.WeightDecay)] = "--weight-decay",
        [nameof(TrainOptions.Gamma)] = "--gamma",
        [nameof(TrainOptions.Subset)] = "--subset",
        [nameof(TrainOptions.OutDir)] = "--out",
    };

    /// <summary>An option's flag; an option without one (set by no flag) as the library names it.</summary>
    internal static string FlagOf(string option) => OptionFlags.TryGetValue(option, out var flag) ? flag : $"{nameof(TrainOptions)}.{option}";

    private static int Train(TrainOptions o, string? resume, Communicator? comm)
    {
        try
        {
            return TrainOrThrow(o, resume, comm);
        }
        catch (InvalidTrainOptionException e)
        {
            throw new NablaInputException(e.MessageFor(FlagOf)); // "nabla train: --subset 100000 exceeds ..."
        }
    }

    private static int TrainOrThrow(TrainOptions o, string? resume, Communicator? comm)
    {
        bool root = comm is null || comm.IsRoot;
        bool fancy = root && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        var observer = root ? new ConsoleObserver(fancy) : null;
        var trainer = new Trainer(o, observer, comm: comm);
        string ranks = comm is null ? "" : $" x {comm.Size} MPI ranks";
        if (root) Console.WriteLine($"nabla train: {o.Model}, {trainer.Model.Parameters().Sum(p => (long)p.Numel):N0} parameters, {o.Optimizer} lr {o.Lr.ToString(CultureInfo.InvariantCulture)}, batch {o.BatchSize}, {o.Epochs} epochs, {Workers.Count} threads{ranks}");
        try
        {
            if (fancy)
                AnsiConsole.Progress().AutoClear(false).HideCompleted(false)
                    .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                    .Start(ctx => { observer!.Context = ctx; trainer.Run(resume); });
            else trainer.Run(resume);
        }
        catch (TrainingDivergedException e)
        {
            // Data-parallel, the loss and gradients checked are the reduced ones: every rank stops at the same step.
            if (root) Console.Error.WriteLine($"nabla train: {e.MessageFor(FlagOf)}");
            else if (e.Anomaly is not null) Console.Error.WriteLine($"nabla train (rank {comm!.Rank}): {e.MessageFor(FlagOf)}");
            return 1;
        }
        if (!root) return 0;
        var last = trainer.History[^1];
        Console.WriteLine($"done: test accuracy {last.TestAcc:P2}, test loss {last.TestLoss:F4} after {last.Epoch} epochs ({last.Seconds:F0} s)");
        Console.WriteLine($"outputs: {trainer.Outputs.Metrics}, {trainer.Outputs.Curves}, {trainer.Outputs.Model}, {trainer.Outputs.Checkpoint}{(trainer.ClassNames is null ? "" : ", " + trainer.Outputs.Classes)}");
        Console.WriteLine($"report: {trainer.Outputs.Report}");
        return 0;
    }

    /// <summary>Draws one progress bar per epoch, or prints one line per epoch when output is not a terminal.</summary>
    private sealed class ConsoleObserver(bool fancy) : ITrainingObserver
    {
        private ProgressTask? _task;
        private DateTime _lastDraw;
        public ProgressContext? Context { get; set; }

        public void EpochStarted(int epoch, int epochs, int batches)
        {
            if (Context is not null) _task = Context.AddTask($"epoch {epoch}/{epochs}", maxValue: batches);
        }

        public void BatchFinished(int epoch, int batch, int batches, double loss, double acc, double imgPerSec)
        {
            if (_task is null) return;
            var now = DateTime.UtcNow;
            _task.Value = batch;
            if ((now - _lastDraw).TotalMilliseconds < 100 && batch < batches) return;
            _lastDraw = now;
            _task.Description = string.Create(CultureInfo.InvariantCulture, $"epoch {epoch}: loss {loss:F4} acc {acc:P1} {imgPerSec:F0} img/s");
        }

        public void EpochFinished(EpochMetrics m)
        {
            string line = string.Create(CultureInfo.InvariantCulture,
                $"epoch {m.Epoch}: train loss {m.TrainLoss:F4} acc {m.TrainAcc:P2} | test loss {m.TestLoss:F4} acc {m.TestAcc:P2} | {m.Seconds:F0} s");
            if (fancy && _task is not null) _task.Description = Markup.Escape(line);
            else Console.WriteLine(line);
        }

        public void Message(string text)
        {
            if (fancy) AnsiConsole.MarkupLine($"[grey]{Markup.Escape(text)}[/]");
            else Console.WriteLine(text);
        }
    }
}
