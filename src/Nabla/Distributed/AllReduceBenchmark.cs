using System.Globalization;

namespace Nabla.Distributed;

/// <summary>Times float32 sum-allreduce over a range of message sizes (behind the hidden
/// <c>nabla train --bench-allreduce MB</c>, run under mpirun; see bench/mpi_allreduce.sh).</summary>
public static class AllReduceBenchmark
{
    /// <summary>One measured size.</summary>
    /// <param name="Bytes">Message size.</param>
    /// <param name="Seconds">Mean wall time of one allreduce (the slowest rank's).</param>
    /// <param name="BusBandwidth">2(N−1)/N · bytes / seconds: the per-link rate a ring allreduce achieved, in bytes/s.</param>
    public sealed record Point(long Bytes, double Seconds, double BusBandwidth);

    /// <summary>Measures sizes 4 KiB, 16 KiB, ... up to <paramref name="maxMegabytes"/> MB; every rank must call it.</summary>
    /// <param name="comm">The world.</param>
    /// <param name="maxMegabytes">Largest message in MB (10^6 bytes).</param>
    /// <param name="minSeconds">Minimum timing window per size.</param>
    public static IReadOnlyList<Point> Measure(Communicator comm, int maxMegabytes, double minSeconds = 0.3)
    {
        ArgumentNullException.ThrowIfNull(comm);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxMegabytes);
        var points = new List<Point>();
        long max = maxMegabytes * 1_000_000L;
        var sizes = new List<long>();
        for (long bytes = 4096; bytes < max; bytes *= 4) sizes.Add(bytes);
        sizes.Add(max);
        var buf = new float[max / 4];
        Span<double> agreed = stackalloc double[1];
        foreach (long bytes in sizes)
        {
            var span = buf.AsSpan(0, (int)(bytes / 4));
            span.Fill(1f / comm.Size);
            comm.AllReduceSum(span); comm.AllReduceSum(span); // warm-up (connections, registration)
            // Every rank must run the same number of repetitions: rank 0 decides from a trial round.
            comm.Barrier();
            double t0 = comm.Wtime();
            comm.AllReduceSum(span);
            agreed[0] = Math.Max(1, Math.Ceiling(minSeconds / Math.Max(comm.Wtime() - t0, 1e-6)));
            if (!comm.IsRoot) agreed[0] = 0;
            comm.AllReduceSum(agreed);
            int reps = (int)Math.Min(agreed[0], 10_000);
            comm.Barrier();
            t0 = comm.Wtime();
            for (int r = 0; r < reps; r++) comm.AllReduceSum(span);
            comm.Barrier(); // the time then includes the slowest rank
            double seconds = (comm.Wtime() - t0) / reps;
            double bus = 2.0 * (comm.Size - 1) / comm.Size * bytes / seconds;
            points.Add(new Point(bytes, seconds, bus));
        }
        return points;
    }

    /// <summary>Runs <see cref="Measure"/> and prints a table on rank 0.</summary>
    /// <returns>0.</returns>
    public static int Run(Communicator comm, int maxMegabytes, TextWriter output)
    {
        var points = Measure(comm, maxMegabytes);
        if (comm.IsRoot)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"allreduce (float32 sum, MPI_IN_PLACE), {comm.Size} ranks"));
            output.WriteLine("bytes,seconds,algbw_GBps,busbw_GBps");
            foreach (var p in points)
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{p.Bytes},{p.Seconds:E3},{p.Bytes / p.Seconds / 1e9:F3},{p.BusBandwidth / 1e9:F3}"));
        }
        return 0;
    }
}
