namespace Nabla.Training;

/// <summary>Training produced a non-finite loss or gradient. The message names the epoch, batch and step, and
/// the last good checkpoint (which is left untouched).</summary>
public sealed class TrainingDivergedException(int epoch, int batch, long step, string what, float value, string? lastCheckpoint)
    : Exception($"training diverged at epoch {epoch}, batch {batch} (step {step}): " + (float.IsNaN(value) && what.StartsWith("anomaly:", StringComparison.Ordinal) ? what : $"{what} is {value}") +
        (lastCheckpoint is null ? "; no checkpoint was written yet" : $"; the last good checkpoint is {lastCheckpoint}") +
        " (try a lower --lr)")
{
    /// <summary>The optimizer step (1-based) whose loss or gradient was non-finite.</summary>
    public long Step { get; } = step;
}
