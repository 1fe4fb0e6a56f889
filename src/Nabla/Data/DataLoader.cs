using Nabla.Data.Transforms;

namespace Nabla.Data;

/// <summary>
/// Cuts a <see cref="Dataset"/> into batches: seeded shuffling, optional random shifts of up to
/// ±<see cref="MaxShift"/> pixels, a last partial batch unless <see cref="DropLast"/>. Batches are written
/// into caller-provided spans; the loader allocates nothing per batch.
/// </summary>
/// <remarks>
/// Determinism: the order of epoch <c>e</c> is a Fisher–Yates shuffle driven by xoshiro256** seeded from
/// (seed, e), and the shift of a sample is drawn from (seed, e, sample index). Nothing depends on which
/// batches were read before, so a run resumed at epoch e, batch b (<see cref="Seek"/>) sees exactly the
/// batches an uninterrupted run would, with no saved loader state. The generator is implemented in the
/// library, so the sequences do not change with the .NET version.
/// <code>
/// var loader = new DataLoader(train, batchSize: 64, seed: 1);
/// var x = new float[64 * train.SampleSize]; var y = new int[64];
/// for (int epoch = 0; epoch &lt; epochs; epoch++)
/// {
///     loader.Seek(epoch);                      // or Seek(epoch, firstBatch) when resuming
///     int n;
///     while ((n = loader.NextBatch(x, y)) &gt; 0) { /* train on x[..n*SampleSize], y[..n] */ }
/// }
/// </code>
/// </remarks>
public sealed class DataLoader
{
    /// <summary>The largest shift, in pixels, of <see cref="RandomShifts"/> along each axis.</summary>
    public const int MaxShift = 2;

    private readonly int[] _order;
    private readonly Transform[] _transforms;
    private readonly float[] _background;
    private int _orderEpoch = -1;
    private int _epoch;
    private int _nextBatch;

    /// <summary>Creates a loader; call <see cref="Seek"/> to choose the epoch (it starts at epoch 0, batch 0).</summary>
    /// <param name="dataset">The samples.</param>
    /// <param name="batchSize">Samples per batch, at least 1.</param>
    /// <param name="shuffle">Whether each epoch visits the samples in a fresh seeded random order (training)
    /// or in order (evaluation). Default true.</param>
    /// <param name="seed">The seed of the shuffles and shifts.</param>
    /// <param name="randomShifts">Whether each sample is translated by a uniform random (dy, dx) in
    /// [-2, 2]², borders filled with the background (pixel 0). Default false.</param>
    /// <param name="dropLast">Whether to skip a last batch smaller than <paramref name="batchSize"/>. Default false, as PyTorch.</param>
    /// <param name="transforms">Augmentations applied in order to every gathered sample (after the shift of
    /// <paramref name="randomShifts"/>, which is <c>new RandomCrop(2)</c>); the draws of sample i in epoch e come
    /// from one generator seeded from (seed, e, i). Null for none.</param>
    /// <exception cref="ArgumentOutOfRangeException">batchSize is less than 1.</exception>
    public DataLoader(Dataset dataset, int batchSize, bool shuffle = true, ulong seed = 0, bool randomShifts = false, bool dropLast = false,
                      IReadOnlyList<Transform>? transforms = null)
    {
        Dataset = Require.NotNull(dataset);
        BatchSize = Require.AtLeast(batchSize, 1);
        Shuffle = shuffle;
        Seed = seed;
        RandomShifts = randomShifts;
        DropLast = dropLast;
        _order = new int[dataset.Count];
        _transforms = [.. (randomShifts ? [new RandomCrop(MaxShift)] : Array.Empty<Transform>()), .. transforms ?? []];
        _background = dataset.Backgrounds();
    }

    /// <summary>The augmentations applied to every sample, in order (the shift first when <see cref="RandomShifts"/>).</summary>
    public IReadOnlyList<Transform> Transforms => _transforms;

    /// <summary>The samples.</summary>
    public Dataset Dataset { get; }

    /// <summary>Samples per (full) batch.</summary>
    public int BatchSize { get; }

    /// <summary>Whether epochs are shuffled.</summary>
    public bool Shuffle { get; }

    /// <summary>The seed of shuffles and shifts.</summary>
    public ulong Seed { get; }

    /// <summary>Whether samples are randomly shifted by up to ±2 pixels.</summary>
    public bool RandomShifts { get; }

    /// <summary>Whether a last partial batch is skipped.</summary>
    public bool DropLast { get; }

    /// <summary>Batches per epoch: ceil(N / B), or floor(N / B) with <see cref="DropLast"/>.</summary>
    public int BatchesPerEpoch => DropLast ? Dataset.Count / BatchSize : (Dataset.Count + BatchSize - 1) / BatchSize;

    /// <summary>The epoch <see cref="NextBatch"/> reads from.</summary>
    public int Epoch => _epoch;

    /// <summary>The index within <see cref="Epoch"/> of the batch <see cref="NextBatch"/> returns next.</summary>
    public int BatchIndex => _nextBatch;

    /// <summary>The number of samples in batch <paramref name="batch"/> (the last one may be smaller).</summary>
    /// <exception cref="ArgumentOutOfRangeException">batch is not in [0, BatchesPerEpoch).</exception>
    public int BatchLength(int batch)
    {
        Require.Index(batch, BatchesPerEpoch);
        return Math.Min(BatchSize, Dataset.Count - batch * BatchSize);
    }

    /// <summary>Positions the loader at batch <paramref name="firstBatch"/> of epoch <paramref name="epoch"/>
    /// (0-based), e.g. to resume mid-epoch.</summary>
    /// <exception cref="ArgumentOutOfRangeException">epoch is negative or firstBatch not in [0, BatchesPerEpoch].</exception>
    public void Seek(int epoch, int firstBatch = 0)
    {
        Require.AtLeast(epoch, 0);
        if (firstBatch < 0 || firstBatch > BatchesPerEpoch) throw new ArgumentOutOfRangeException(nameof(firstBatch), firstBatch, $"expected [0, {BatchesPerEpoch}]");
        _epoch = epoch;
        _nextBatch = firstBatch;
    }

    /// <summary>Writes the next batch of the current epoch and advances; returns 0 at the end of the epoch
    /// (call <see cref="Seek"/> for the next one).</summary>
    /// <param name="images">Destination, at least BatchSize x C x H x W floats; the first n x C x H x W are written.</param>
    /// <param name="labels">Destination, at least BatchSize ints; the first n are written.</param>
    /// <returns>n, the number of samples written (0 when the epoch is over).</returns>
    /// <exception cref="ArgumentOutOfRangeException">A destination is too short.</exception>
    public int NextBatch(Span<float> images, Span<int> labels)
    {
        if (_nextBatch >= BatchesPerEpoch) return 0;
        int n = GetBatch(_epoch, _nextBatch, images, labels);
        _nextBatch++;
        return n;
    }

    /// <summary>Writes batch <paramref name="batch"/> of epoch <paramref name="epoch"/>: a pure function of
    /// (dataset, seed, epoch, batch), independent of the loader's position.</summary>
    /// <param name="epoch">The epoch, 0-based.</param>
    /// <param name="batch">The batch index in [0, BatchesPerEpoch).</param>
    /// <param name="images">Destination, at least n x C x H x W floats.</param>
    /// <param name="labels">Destination, at least n ints.</param>
    /// <returns>n, the number of samples written.</returns>
    /// <exception cref="ArgumentOutOfRangeException">epoch or batch out of range, or a destination too short.</exception>
    public int GetBatch(int epoch, int batch, Span<float> images, Span<int> labels)
    {
        int n = BatchLength(batch);
        ReadOnlySpan<int> indices = Order(epoch).Slice(batch * BatchSize, n);
        Dataset.Gather(indices, images, labels);
        if (_transforms.Length > 0)
        {
            int size = Dataset.SampleSize;
            for (int i = 0; i < n; i++)
            {
                // The shift stream keeps --shift's draws what they were before transforms were composable.
                var random = new TransformRandom(DataRng.Create(Seed, DataRng.ShiftStream, (ulong)epoch, (ulong)indices[i]));
                foreach (var t in _transforms) t.Apply(images.Slice(i * size, size), Dataset.Channels, Dataset.Height, Dataset.Width, _background, ref random);
            }
        }
        return n;
    }

    /// <summary>The sample indices of batch <paramref name="batch"/> of epoch <paramref name="epoch"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">epoch or batch out of range, or the destination too short.</exception>
    public int GetBatchIndices(int epoch, int batch, Span<int> indices)
    {
        int n = BatchLength(batch);
        if (indices.Length < n) throw new ArgumentOutOfRangeException(nameof(indices), indices.Length, $"expected at least {n} ints");
        Order(epoch).Slice(batch * BatchSize, n).CopyTo(indices);
        return n;
    }

    /// <summary>The shift (dy, dx), each in [-2, 2], applied to sample <paramref name="sampleIndex"/> in
    /// epoch <paramref name="epoch"/> when <see cref="RandomShifts"/> is on: output pixel (y, x) takes
    /// input pixel (y - dy, x - dx), or the background outside the image.</summary>
    public (int Dy, int Dx) GetShift(int epoch, int sampleIndex)
    {
        var rng = DataRng.Create(Seed, DataRng.ShiftStream, (ulong)epoch, (ulong)sampleIndex);
        int dy = rng.NextInt(2 * MaxShift + 1) - MaxShift;
        int dx = rng.NextInt(2 * MaxShift + 1) - MaxShift;
        return (dy, dx);
    }

    /// <summary>Translates a C x H x W image in place by (dy, dx): out[c, y, x] = in[c, y - dy, x - dx],
    /// <paramref name="fill"/> where that lies outside.</summary>
    public static void ShiftInPlace(Span<float> image, int channels, int height, int width, int dy, int dx, float fill)
    {
        if (dy == 0 && dx == 0) return;
        for (int c = 0; c < channels; c++)
        {
            Span<float> plane = image.Slice(c * height * width, height * width);
            // Walk rows and columns in the direction that never reads an already-written pixel.
            for (int yi = 0; yi < height; yi++)
            {
                int y = dy > 0 ? height - 1 - yi : yi;
                int sy = y - dy;
                Span<float> row = plane.Slice(y * width, width);
                if ((uint)sy >= (uint)height) { row.Fill(fill); continue; }
                Span<float> srcRow = plane.Slice(sy * width, width);
                for (int xi = 0; xi < width; xi++)
                {
                    int x = dx > 0 ? width - 1 - xi : xi;
                    int sx = x - dx;
                    row[x] = (uint)sx < (uint)width ? srcRow[sx] : fill;
                }
            }
        }
    }

    private ReadOnlySpan<int> Order(int epoch)
    {
        Require.AtLeast(epoch, 0);
        if (_orderEpoch != epoch)
        {
            for (int i = 0; i < _order.Length; i++) _order[i] = i;
            if (Shuffle) DataRng.Create(Seed, DataRng.ShuffleStream, (ulong)epoch).Shuffle(_order);
            _orderEpoch = epoch;
        }
        return _order;
    }
}
