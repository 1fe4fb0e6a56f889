using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Nabla.Training;

namespace Nabla.Reporting;

/// <summary>run.json: what a run was (options, data, machine) and what it cost (time per epoch, throughput, memory),
/// the part of report.html that metrics.csv does not hold.</summary>
public sealed record RunInfo
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>The training options.</summary>
    public TrainOptions Options { get; init; } = new();
    /// <summary>Worker threads per process.</summary>
    public int Threads { get; init; }
    /// <summary>MPI ranks (1 without mpirun).</summary>
    public int Ranks { get; init; } = 1;
    /// <summary>The data set's description.</summary>
    public string DataSource { get; init; } = "";
    /// <summary>Training samples (after --subset).</summary>
    public int TrainSamples { get; init; }
    /// <summary>Test samples.</summary>
    public int TestSamples { get; init; }
    /// <summary>Number of classes.</summary>
    public int Classes { get; init; }
    /// <summary>Class names, index = label (empty: the numbers).</summary>
    public List<string> ClassNames { get; init; } = [];
    /// <summary>Seconds spent in the training steps of each epoch (no evaluation, no writing).</summary>
    public List<double> EpochTrainSeconds { get; init; } = [];
    /// <summary>Peak resident memory of the (root) process so far, bytes.</summary>
    public long PeakMemoryBytes { get; init; }
    /// <summary>Window length of steps.csv in optimizer steps.</summary>
    public int StepsEvery { get; init; }
    /// <summary>CPU model name.</summary>
    public string Machine { get; init; } = CpuName();
    /// <summary>Logical processors.</summary>
    public int Cores { get; init; } = Environment.ProcessorCount;
    /// <summary>Operating system and .NET runtime.</summary>
    public string Platform { get; init; } = $"{RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}";
    /// <summary>When the run (or its latest resume) started, UTC.</summary>
    public DateTime StartedUtc { get; init; } = DateTime.UtcNow;

    /// <summary>The current process's peak resident set, bytes.</summary>
    public static long CurrentPeakMemory() { using var p = Process.GetCurrentProcess(); return p.PeakWorkingSet64; }

    /// <summary>The JSON text.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json) + "\n";

    /// <summary>Reads run.json.</summary>
    /// <exception cref="NablaInputException">The file is not valid run.json; the message names it.</exception>
    public static RunInfo Load(string path)
    {
        try { return JsonSerializer.Deserialize<RunInfo>(File.ReadAllText(path), Json) ?? throw new JsonException("null"); }
        catch (JsonException e) { throw new NablaInputException($"{path}: not a valid run.json ({e.Message})"); }
    }

    /// <summary>The rows of the report's run section.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Rows(int epochsDone)
    {
        var inv = CultureInfo.InvariantCulture;
        var o = Options;
        var rows = new List<KeyValuePair<string, string>>();
        void Add(string k, string v) => rows.Add(new(k, v));
        Add("model", o.Model);
        Add("data", $"{DataSource} ({TrainSamples:N0} training, {TestSamples:N0} test samples, {Classes} classes)");
        Add("epochs", $"{epochsDone} of {o.Epochs}");
        Add("optimizer", string.Create(inv, $"{o.Optimizer}, lr {o.Lr:G4}{(o.Optimizer is "momentum" or "nesterov" ? $", momentum {o.Momentum:G3} ({o.MomentumForm})" : "")}, weight decay {o.WeightDecay:G3}, StepLR gamma {o.Gamma:G3} per epoch"));
        Add("batch size", o.BatchSize.ToString(inv));
        Add("seed", o.Seed.ToString(inv));
        var flags = new[] { (o.RandomLabels, "--random-labels"), (o.EvalTrain, "--eval-train"), (o.Shift, "--shift"), (o.Subset > 0, $"--subset {o.Subset}") }
            .Where(f => f.Item1).Select(f => f.Item2).ToList();
        Add("flags", flags.Count == 0 ? "none" : string.Join(" ", flags));
        if (EpochTrainSeconds.Count > 0)
        {
            double mean = EpochTrainSeconds.Average();
            Add("time per epoch (training steps)", string.Create(inv, $"{mean:F1} s mean, {EpochTrainSeconds.Min():F1}–{EpochTrainSeconds.Max():F1} s"));
            Add("throughput", string.Create(inv, $"{TrainSamples / mean:N0} images/s (training)"));
        }
        Add("peak memory", string.Create(inv, $"{PeakMemoryBytes / 1048576.0:N0} MiB (resident, {(Ranks > 1 ? "rank 0" : "process")})"));
        Add("threads", Ranks > 1 ? string.Create(inv, $"{Threads} per rank × {Ranks} MPI ranks") : Threads.ToString(inv));
        Add("machine", $"{Machine}, {Cores} logical processors");
        Add("platform", Platform);
        Add("started", StartedUtc.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", inv));
        return rows;
    }

    private static string CpuName()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("model name", StringComparison.Ordinal)) return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }
}
