using System.Diagnostics;

namespace Nabla.Cli.Commands;

/// <summary>The timing rule of every throughput figure: `nabla bench` and the libtorch twin in
/// bench/compare_torchsharp (which compiles this file in), so both sides are measured the same way.</summary>
internal static class BenchTiming
{
    /// <summary>Seconds of one timing window.</summary>
    internal const double Window = 0.3;
    /// <summary>Least seconds of windows per figure.</summary>
    internal const double MinSeconds = 2.0;
    /// <summary>Least windows per figure.</summary>
    internal const int MinWindows = 3;

    /// <summary>Best mean rate of <paramref name="step"/> over windows of steps, after <paramref name="warmupSteps"/>
    /// untimed steps: each window runs whole steps for at least <see cref="Window"/> seconds; windows repeat for at
    /// least <see cref="MinSeconds"/> and at least <see cref="MinWindows"/> times. Returns steps per second.</summary>
    internal static double BestRate(Action step, int warmupSteps)
    {
        for (int i = 0; i < warmupSteps; i++) step();
        double best = 0;
        var total = Stopwatch.StartNew();
        for (int w = 0; w < MinWindows || total.Elapsed.TotalSeconds < MinSeconds; w++)
        {
            long t0 = Stopwatch.GetTimestamp();
            int steps = 0;
            do { step(); steps++; } while (Stopwatch.GetElapsedTime(t0).TotalSeconds < Window);
            best = Math.Max(best, steps / Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        return best;
    }
}
