using System.Globalization;
using Nabla.IO;
using Nabla.NN;
using Nabla.Optim;
using Nabla.Tensors;

namespace Nabla.Training;

/// <summary>
/// A training checkpoint as one safetensors file: the model's state dict under <c>model.</c>, the optimizer's
/// state under <c>optim.</c>, the dropout generator's state as <c>rng.dropout</c> (I64 x 4), and in
/// <c>__metadata__</c> the completed epoch count, elapsed seconds, the metrics so far and the options that
/// must match on resume. Written atomically, so a kill at any moment leaves the previous checkpoint intact.
/// </summary>
public static class Checkpoint
{
    private const string ModelPrefix = "model.", OptimPrefix = "optim.", RngKey = "rng.dropout";

    /// <summary>The options that must be equal for a resume to reproduce an uninterrupted run.</summary>
    public static string Fingerprint(TrainOptions o) => string.Create(CultureInfo.InvariantCulture,
        $"model={o.Model};data={o.Data};batch={o.BatchSize};optimizer={o.Optimizer};lr={o.Lr:R};momentum={o.Momentum:R};form={o.MomentumForm};wd={o.WeightDecay:R};gamma={o.Gamma:R};seed={o.Seed};subset={o.Subset};random_labels={o.RandomLabels};eval_train={o.EvalTrain};shift={o.Shift}") + DataFingerprint(o);

    /// <summary>Writes a checkpoint after <paramref name="epoch"/> completed epochs.</summary>
    public static void Save(string path, Module model, Optimizer optimizer, Rng dropout, int epoch, double seconds,
        IReadOnlyList<EpochMetrics> history, TrainOptions options)
    {
        var tensors = model.StateDict().Select(s => (ModelPrefix + s.Name, s.Tensor))
            .Concat(optimizer.StateDict().Select(s => (OptimPrefix + s.Name, s.Tensor)))
            .Select(t => TensorFiles.ToSafe(t.Item1, t.Item2))
            .Append(SafeTensor.FromInt64(RngKey, [4], dropout.GetState().Select(u => unchecked((long)u)).ToArray()));
        var meta = new Dictionary<string, string>
        {
            ["format"] = "nabla-checkpoint-1",
            ["epoch"] = epoch.ToString(CultureInfo.InvariantCulture),
            ["seconds"] = seconds.ToString("R", CultureInfo.InvariantCulture),
            ["options"] = Fingerprint(options),
            ["metrics"] = string.Join("\n", history.Select(h => h.ToCsv())),
        };
        SafeTensorsFile.Write(path, tensors, meta);
    }

    /// <summary>A metadata value quoted in a message, capped in length (NablaInputException escapes control characters).</summary>
    private static string Quote(string s) => s.Length > 200 ? s[..200] + "..." : s;

    /// <summary>What a checkpoint restores.</summary>
    public sealed record State(int Epoch, double Seconds, List<EpochMetrics> History);

    /// <summary>Restores a checkpoint into the model, optimizer and generator.</summary>
    /// <exception cref="NablaInputException">The file is not a Nabla checkpoint, was written with other options,
    /// or does not fit the model.</exception>
    public static State Load(string path, Module model, Optimizer optimizer, Rng dropout, TrainOptions options) =>
        Load(SafeTensorsFile.Read(path), model, optimizer, dropout, options);

    /// <summary>Restores an already-read checkpoint; messages name <see cref="SafeTensorsFile.SourceName"/>.</summary>
    public static State Load(SafeTensorsFile file, Module model, Optimizer optimizer, Rng dropout, TrainOptions options)
    {
        string path = file.SourceName;
        string Meta(string key) => file.Metadata.TryGetValue(key, out var v) ? v
            : throw new NablaInputException($"{path}: not a Nabla checkpoint (metadata '{key}' missing)");
        if (Meta("format") != "nabla-checkpoint-1") throw new NablaInputException($"{path}: unknown checkpoint format '{Quote(Meta("format"))}'");
        string expected = Fingerprint(options), found = Meta("options");
        if (expected != found)
        {
            var diff = expected.Split(';').Zip(found.Split(';')).Where(p => p.First != p.Second).Select(p => $"{p.Second} (now {p.First})").FirstOrDefault() ?? found;
            throw new NablaInputException($"{path}: checkpoint was written with different options: {Quote(diff)}; resume with the same flags");
        }
        if (!int.TryParse(Meta("epoch"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int epoch) || epoch < 0)
            throw new NablaInputException($"{path}: invalid epoch '{Quote(Meta("epoch"))}' in metadata");
        if (!double.TryParse(Meta("seconds"), NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds))
            throw new NablaInputException($"{path}: invalid seconds '{Quote(Meta("seconds"))}' in metadata");
        List<EpochMetrics> history;
        try { history = Meta("metrics").Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(EpochMetrics.Parse).ToList(); }
        catch (FormatException e) { throw new NablaInputException($"{path}: invalid metrics in metadata: {Quote(e.Message)}"); }
        catch (OverflowException e) { throw new NablaInputException($"{path}: invalid metrics in metadata: {Quote(e.Message)}"); }

        var modelState = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var optimState = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var t in file.Tensors)
        {
            if (t.Name.StartsWith(ModelPrefix, StringComparison.Ordinal)) modelState[t.Name[ModelPrefix.Length..]] = TensorFiles.FromSafe(t);
            else if (t.Name.StartsWith(OptimPrefix, StringComparison.Ordinal)) optimState[t.Name[OptimPrefix.Length..]] = TensorFiles.FromSafe(t);
        }
        TensorFiles.LoadInto(model, modelState, path);
        try { optimizer.LoadStateDict(optimState); }
        catch (ArgumentException e) { throw new NablaInputException($"{path}: {e.Message}"); }
        if (!file.TryGet(RngKey, out var rng) || rng.Int64 is not { Length: 4 } words)
            throw new NablaInputException($"{path}: '{RngKey}' missing or not I64 x 4");
        dropout.SetState(words.Select(w => unchecked((ulong)w)).ToArray());
        return new State(epoch, seconds, history);
    }

    // Appended only when used, so checkpoints of runs without these options keep their fingerprint.
    private static string DataFingerprint(TrainOptions o) =>
        (o.Augment is { Count: > 0 } a ? ";augment=" + string.Join(",", a) : "")
        + (o.Normalize is { } n ? ";normalize=" + n.Describe() : "")
        + (o.DataOptions.Resize is { } r ? $";resize={r.Height}x{r.Width}" : "")
        + (o.DataOptions.ValSplit > 0 ? ";val_split=" + o.DataOptions.ValSplit.ToString("R", CultureInfo.InvariantCulture) : "")
        + (o.DataOptions.LabelColumn is { } l ? ";label_column=" + l : "");
}
