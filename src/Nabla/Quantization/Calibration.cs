using Nabla.Data;
using Nabla.Tensors;

namespace Nabla.Quantization;

/// <summary>Calibration input for <see cref="QuantizedModel.Quantize"/>: batches drawn from a training set.</summary>
public static class Calibration
{
    /// <summary>Default number of calibration batches.</summary>
    public const int DefaultBatches = 10;

    /// <summary>Default calibration batch size.</summary>
    public const int BatchSize = 64;

    /// <summary><paramref name="batches"/> batches of <see cref="BatchSize"/> samples spread evenly over
    /// <paramref name="data"/> (deterministic), shaped [N, C, H, W] or [N, C·H·W] when <paramref name="flat"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batches"/> is below 1.</exception>
    public static IEnumerable<Tensor> Batches(Dataset data, int batches, bool flat)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batches, 1);
        int total = Math.Min(data.Count, batches * BatchSize);
        var labels = new int[BatchSize];
        for (int start = 0; start < total; start += BatchSize)
        {
            int n = Math.Min(BatchSize, total - start);
            var idx = Enumerable.Range(start, n).Select(i => (int)((long)i * data.Count / total)).ToArray();
            var x = new float[n * data.SampleSize];
            data.Gather(idx, x, labels.AsSpan(0, n));
            yield return new Tensor(x, flat ? [n, data.SampleSize] : [n, data.Channels, data.Height, data.Width]);
        }
    }
}
