namespace Nabla.Training;

/// <summary>Receives progress from <see cref="Trainer"/> (the CLI draws bars from it; tests may ignore it).</summary>
public interface ITrainingObserver
{
    /// <summary>An epoch begins (1-based) with this many batches.</summary>
    void EpochStarted(int epoch, int epochs, int batches);

    /// <summary>A batch finished: running means over the epoch so far, and throughput.</summary>
    void BatchFinished(int epoch, int batch, int batches, double runningLoss, double runningAcc, double imagesPerSecond);

    /// <summary>An epoch finished and was evaluated (and checkpointed).</summary>
    void EpochFinished(EpochMetrics metrics);

    /// <summary>A free-form status line (data fetched, resumed from, ...).</summary>
    void Message(string text);
}
