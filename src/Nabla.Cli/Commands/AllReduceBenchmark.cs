using System.Globalization;

using Nabla.Distributed;

namespace Nabla.Cli.Commands;

/// <summary>Times float32 sum-allreduce over a range of message sizes (behind the hidden
/// <c>nabla train --bench-allreduce MB</c>, run under mpirun; see bench/mpi_scaling.sh).</summary>
/// <remarks>Each repetition starts after a barrier and is timed alone on rank 0, so both the best case (the
/// network's cost) and the median (what a loaded machine gives) are reported.</remarks>
public static class AllReduceBenchmark
{
    /// <summary>One measured size.</summary>
    /// <param name="Bytes">Message size.</param>
    /// <param name="MinSeconds">Fastest single allreduce.</param>
    /// <param name="MedianSeconds">Median single allreduce.</param>
    /// <param name="Repetitions">Allreduces timed.</param>
    public sealed record Point(long Bytes, double MinSeconds, double MedianSeconds, int Repetitions)
    {
        /// <summary>2(N−1)/N · bytes / seconds: the per-rank link rate a ring allreduce of N ranks achieved, bytes/s.</summary>
        public double BusBandwidth(int ranks, double seconds) => 2.0 * (ranks - 1) / ranks * Bytes / seconds;
    }

    /// <summary>Measures sizes 4 KiB, 16 KiB, ... up to <paramref name="maxMegabytes"/> MB; every rank must call it.</summary>
    /// <param name="comm">The world.</param>
    /// <param name="maxMegabytes">Largest message in MB (10^6 bytes).</param>
    /// <param name="minSeconds">Timing window per size (at least 5 and at most 2000 repetitions).</param>
    /// <exception cref="ArgumentOutOfRangeException">maxMegabytes is not positive.</exception>
    public static IReadOnlyList<Point> Measure(Communicator comm, int maxMegabytes, double minSeconds = 0.5)
    {
        ArgumentNullException.ThrowIfNull(comm);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxMegabytes);
        long max = maxMegabytes * 1_000_000L;
        var sizes = new List<long>();
        for (long bytes = 4096; bytes < max; bytes *= 4) sizes.Add(bytes);
        sizes.Add(max);
        var buf = new float[max / 4];
        var points = new List<Point>();
        Span<double> decide = stackalloc double[1];
        foreach (long bytes in sizes)
        {
            var span = buf.AsSpan(0, (int)(bytes / 4));
            span.Fill(0f);
            comm.AllReduceSum(span); comm.AllReduceSum(span); // warm-up (connections, page faults)
            var times = new List<double>();
            for (int r = 0; ; r++)
            {
                comm.Barrier();
                double t0 = comm.Wtime();
                comm.AllReduceSum(span);
                times.Add(comm.Wtime() - t0);
                // Rank 0 decides when to stop, so that every rank runs the same number of collectives.
                decide[0] = comm.IsRoot && r >= 4 && (times.Sum() >= minSeconds || r >= 1999) ? 1 : 0;
                comm.AllReduceSum(decide);
                if (decide[0] > 0) break;
            }
            times.Sort();
            points.Add(new Point(bytes, times[0], times[times.Count / 2], times.Count));
        }
        return points;
    }

    /// <summary>Runs <see cref="Measure"/> and prints a CSV table on rank 0.</summary>
    /// <returns>0.</returns>
    public static int Run(Communicator comm, int maxMegabytes, TextWriter output)
    {
        var points = Measure(comm, maxMegabytes);
        if (comm.IsRoot)
        {
            output.WriteLine($"# allreduce (float32 sum, in place), {comm.Size} ranks; busbw = 2(N-1)/N * bytes / time");
            output.WriteLine("bytes,reps,min_s,median_s,busbw_best_GBps,busbw_median_GBps");
            foreach (var p in points)
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{p.Bytes},{p.Repetitions},{p.MinSeconds:E3},{p.MedianSeconds:E3},{p.BusBandwidth(comm.Size, p.MinSeconds) / 1e9:F3},{p.BusBandwidth(comm.Size, p.MedianSeconds) / 1e9:F3}"));
        }
        return 0;
    }
}
