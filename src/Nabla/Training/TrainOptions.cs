namespace Nabla.Training;

/// <summary>Everything that defines a training run (the flags of <c>nabla train</c>).</summary>
public sealed record TrainOptions
{
    /// <summary>Zoo name or spec file.</summary>
    public string Model { get; init; } = "lenet5";
    /// <summary>Draw fresh initial weights even when the model brings its own (an imported .onnx file);
    /// false: an imported model is fine-tuned from its weights.</summary>
    public bool Init { get; init; }
    /// <summary>"mnist" or a directory with the four IDX files.</summary>
    public string Data { get; init; } = "mnist";
    /// <summary>Epochs to train (in total, counting those before a resume).</summary>
    public int Epochs { get; init; } = 3;
    /// <summary>Mini-batch size.</summary>
    public int BatchSize { get; init; } = 64;
    /// <summary>sgd, momentum, nesterov, adam, adamw or adadelta.</summary>
    public string Optimizer { get; init; } = "adam";
    /// <summary>Initial learning rate.</summary>
    public double Lr { get; init; } = 2e-3;
    /// <summary>β for momentum and nesterov.</summary>
    public float Momentum { get; init; } = 0.9f;
    /// <summary>velocity or heavy-ball.</summary>
    public string MomentumForm { get; init; } = "velocity";
    /// <summary>Weight decay (L2 for SGD/Adam/Adadelta, decoupled for AdamW).</summary>
    public float WeightDecay { get; init; }
    /// <summary>StepLR factor applied after every epoch (1 = constant).</summary>
    public double Gamma { get; init; } = 0.5;
    /// <summary>Seed of every random choice (initial weights, shuffling, dropout, random labels).</summary>
    public ulong Seed { get; init; } = 1;
    /// <summary>Train on the first N samples only (0 = all).</summary>
    public int Subset { get; init; }
    /// <summary>Replace every training label by a seeded uniform draw (the memorisation experiment).</summary>
    public bool RandomLabels { get; init; }
    /// <summary>Measure train loss/accuracy after each epoch in evaluation mode over the whole training set.</summary>
    public bool EvalTrain { get; init; }
    /// <summary>Random ±2 px shifts of training images.</summary>
    public bool Shift { get; init; }
    /// <summary>Optimizer steps per row of steps.csv (the report's per-step curves).</summary>
    public int StepsEvery { get; init; } = 50;
    /// <summary>How image folders and tables are read (resizing, splits, label column); the model's input is filled in by the trainer.</summary>
    public Data.DataOptions DataOptions { get; init; } = new();
    /// <summary>Per-channel normalisation replacing the data source's default, or null.</summary>
    public Data.Normalization? Normalize { get; init; }
    /// <summary>Augmentations of training samples, after the --shift one, or null.</summary>
    public IReadOnlyList<Data.Transforms.Transform>? Augment { get; init; }
    /// <summary>Output directory.</summary>
    public string OutDir { get; init; } = "runs/latest";
}
