using System.Diagnostics;
using Nabla.NN;
using Nabla.Tensors;

namespace Nabla.Distributed;

/// <summary>
/// Data-parallel training over MPI: every rank holds the whole model, computes forward and backward on its
/// contiguous shard of each global batch, and the gradients are summed over ranks in a few flat buckets.
/// </summary>
/// <remarks>
/// Each rank's loss is the SUM of its samples' losses scaled by 1 / (global batch size), so the summed
/// gradient is exactly the mean over the global batch even when shards differ in size (the last batch).
/// Gradients are packed into buckets of at most <see cref="BucketBytes"/> bytes (parameters in registration
/// order, never split), one <c>MPI_Allreduce</c> per bucket; the last bucket also carries one presence flag per
/// parameter (so a parameter no rank touched keeps a null gradient, as in a single process) and the caller's
/// metric sums. The reduction is not overlapped with backward: on the models of the zoo it costs a few
/// percent of a step (docs/scaling.md has the measurements).
/// </remarks>
public sealed class DataParallel
{
    /// <summary>Default bucket size, PyTorch DDP's 25 MiB.</summary>
    public const int DefaultBucketBytes = 25 << 20;

    private readonly Tensor[] _params;
    private readonly float[][] _buckets;
    private readonly (int First, int End)[] _ranges;
    private readonly float[] _stateBuf;
    private readonly int _metaOffset;
    private readonly Stopwatch _commClock = new();

    /// <summary>Wraps a model's parameters for gradient reduction over <paramref name="comm"/>.</summary>
    /// <param name="comm">The world communicator.</param>
    /// <param name="model">The model; every rank must build the same architecture.</param>
    /// <param name="extraValues">How many metric sums <see cref="AllReduceGradients"/> carries besides the gradients.</param>
    /// <param name="bucketBytes">Largest bucket in bytes (a parameter larger than that gets a bucket of its own).</param>
    /// <exception cref="ArgumentOutOfRangeException">bucketBytes or extraValues is negative or zero/negative.</exception>
    public DataParallel(Communicator comm, Module model, int extraValues = 2, int bucketBytes = DefaultBucketBytes)
    {
        Comm = Require.NotNull(comm);
        Model = Require.NotNull(model);
        BucketBytes = Require.AtLeast(bucketBytes, 1);
        ExtraValues = Require.AtLeast(extraValues, 0);
        _params = model.Parameters().ToArray();
        _ranges = Plan(_params.Select(p => p.Numel).ToArray(), bucketBytes / sizeof(float)).ToArray();
        _buckets = new float[_ranges.Length == 0 ? 1 : _ranges.Length][];
        for (int b = 0; b < _buckets.Length; b++)
        {
            int len = b < _ranges.Length ? Enumerable.Range(_ranges[b].First, _ranges[b].End - _ranges[b].First).Sum(i => _params[i].Numel) : 0;
            if (b == _buckets.Length - 1) { _metaOffset = len; len += _params.Length + extraValues; }
            _buckets[b] = new float[len];
        }
        _stateBuf = new float[model.StateDict().Sum(s => s.Tensor.Numel)];
    }

    /// <summary>The communicator.</summary>
    public Communicator Comm { get; }

    /// <summary>The model whose gradients and state are synchronised.</summary>
    public Module Model { get; }

    /// <summary>Largest bucket in bytes.</summary>
    public int BucketBytes { get; }

    /// <summary>Metric sums carried by each reduction.</summary>
    public int ExtraValues { get; }

    /// <summary>Floats per bucket (the last includes presence flags and metric sums).</summary>
    public IReadOnlyList<int> BucketLengths => _buckets.Select(b => b.Length).ToArray();

    /// <summary>Wall seconds spent in gradient and state reductions so far.</summary>
    public double CommSeconds => _commClock.Elapsed.TotalSeconds;

    /// <summary>The contiguous shard of a global batch of <paramref name="n"/> samples that rank
    /// <paramref name="rank"/> of <paramref name="size"/> trains on: [⌊r·n/N⌋, ⌊(r+1)·n/N⌋), so shard sizes differ by
    /// at most one and a shard is empty only when n &lt; N.</summary>
    /// <exception cref="ArgumentOutOfRangeException">n is negative, size &lt; 1 or rank not in [0, size).</exception>
    public static (int Start, int Count) Shard(int n, int rank, int size)
    {
        Require.AtLeast(n, 0);
        Require.AtLeast(size, 1);
        Require.Index(rank, size);
        int start = (int)((long)rank * n / size), end = (int)((long)(rank + 1) * n / size);
        return (start, end - start);
    }

    /// <summary>Groups consecutive parameters into buckets of at most <paramref name="maxFloats"/> floats
    /// (a larger parameter alone); returns [first, end) parameter index ranges.</summary>
    internal static IEnumerable<(int First, int End)> Plan(IReadOnlyList<int> sizes, int maxFloats)
    {
        int first = 0; long filled = 0;
        for (int i = 0; i < sizes.Count; i++)
        {
            if (i > first && filled + sizes[i] > maxFloats) { yield return (first, i); first = i; filled = 0; }
            filled += sizes[i];
        }
        if (sizes.Count > first) yield return (first, sizes.Count);
    }

    /// <summary>Sums every parameter's gradient over all ranks, in place, together with <paramref name="extras"/>.</summary>
    /// <param name="extras">Metric sums (e.g. loss sum, correct count), <see cref="ExtraValues"/> long; replaced by their global sums.</param>
    /// <remarks>A parameter whose gradient is null on this rank contributes zeros; it ends with a gradient iff
    /// some rank had one.</remarks>
    /// <exception cref="ArgumentException">extras has the wrong length.</exception>
    public void AllReduceGradients(Span<float> extras)
    {
        if (extras.Length != ExtraValues) throw new ArgumentException($"expected {ExtraValues} extra values, got {extras.Length}", nameof(extras));
        var last = _buckets[^1];
        for (int i = 0; i < _params.Length; i++) last[_metaOffset + i] = _params[i].Grad is null ? 0f : 1f;
        extras.CopyTo(last.AsSpan(_metaOffset + _params.Length));
        for (int b = 0; b < _buckets.Length; b++)
        {
            var buf = _buckets[b];
            if (b < _ranges.Length)
            {
                int o = 0;
                for (int i = _ranges[b].First; i < _ranges[b].End; i++)
                {
                    var dst = buf.AsSpan(o, _params[i].Numel);
                    if (_params[i].Grad is { } g) g.Span.CopyTo(dst); else dst.Clear();
                    o += dst.Length;
                }
            }
            _commClock.Start();
            Comm.AllReduceSum(buf);
            _commClock.Stop();
        }
        for (int b = 0; b < _ranges.Length; b++)
        {
            int o = 0;
            for (int i = _ranges[b].First; i < _ranges[b].End; i++)
            {
                var p = _params[i];
                if (last[_metaOffset + i] != 0f) _buckets[b].AsSpan(o, p.Numel).CopyTo((p.Grad ??= new Tensor(p.Shape)).Span);
                else p.Grad = null;
                o += p.Numel;
            }
        }
        last.AsSpan(_metaOffset + _params.Length, extras.Length).CopyTo(extras);
    }

    /// <summary>Copies rank 0's parameters and buffers to every rank (one broadcast of the flattened state dict).</summary>
    public void BroadcastState()
    {
        var state = Model.StateDict();
        int o = 0;
        foreach (var (_, t) in state) { t.Span.CopyTo(_stateBuf.AsSpan(o)); o += t.Numel; }
        _commClock.Start();
        Comm.Broadcast(_stateBuf);
        _commClock.Stop();
        o = 0;
        foreach (var (_, t) in state) { _stateBuf.AsSpan(o, t.Numel).CopyTo(t.Span); o += t.Numel; }
    }

    /// <summary>Replaces every float32 buffer (BatchNorm's running mean and variance) by its mean over ranks; integer
    /// buffers (num_batches_tracked), identical on every rank, are left alone.</summary>
    public void AverageBuffers()
    {
        var buffers = Model.NamedBuffers().Select(b => b.Tensor).Where(t => t.DType == DType.Float32).ToArray();
        int total = buffers.Sum(t => t.Numel);
        if (total == 0) return;
        var buf = _stateBuf.AsSpan(0, total);
        int o = 0;
        foreach (var t in buffers) { t.Span.CopyTo(buf[o..]); o += t.Numel; }
        _commClock.Start();
        Comm.AllReduceSum(buf);
        _commClock.Stop();
        float inv = 1f / Comm.Size;
        o = 0;
        foreach (var t in buffers)
        {
            var dst = t.Span;
            for (int i = 0; i < dst.Length; i++) dst[i] = buf[o + i] * inv;
            o += t.Numel;
        }
    }
}
