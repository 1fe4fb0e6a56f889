using System.Diagnostics;

namespace Nabla.Cli.Commands;

/// <summary>The timing rule of every throughput figure: `nabla bench` and the libtorch twin in
/// bench/compare_torchsharp (which compiles this file in), so both sides are measured the same way.</summary>
internal static class BenchTiming
{
    /// <summary>Best mean rate of <paramref name="step"/> over windows of steps, after warm-up: each window runs
    /// whole steps for at least <paramref name="window"/> seconds; windows repeat for at least
    /// <paramref name="minSeconds"/> and at least <paramref name="minWindows"/> times. Returns steps per second.</summary>
    internal static double BestRate(Action step, int warmupSteps, double window, double minSeconds, int minWindows)
    {
        for (int i = 0; i < warmupSteps; i++) step();
        double best = 0;
        var total = Stopwatch.StartNew();
        for (int w = 0; w < minWindows || total.Elapsed.TotalSeconds < minSeconds; w++)
        {
            long t0 = Stopwatch.GetTimestamp();
            int steps = 0;
            do { step(); steps++; } while (Stopwatch.GetElapsedTime(t0).TotalSeconds < window);
            best = Math.Max(best, steps / Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        return best;
    }
}
