namespace Nabla.Tests.Robustness;

/// <summary>
/// Seeded mutants of the image fixtures and a decode under a timeout, shared by the fuzz test and by
/// tools/imagefuzz (which runs many more seeds to find the inputs worth keeping as regression fixtures).
/// </summary>
/// <remarks>
/// A seed gives one mutant, the same on every machine: one to three stacked mutations (bytes flipped or set,
/// mostly in headers; truncation; deletion; insertion; a scatter of writes). The decode runs on its own thread so
/// that a decoder that loops makes the caller report <see cref="Outcome.Hung"/> instead of freezing; the looping
/// thread is a background thread and is abandoned (.NET cannot stop it).
/// </remarks>
internal static class ImageMutator
{
    /// <summary>The fixtures (Fixtures/images) the mutants start from.</summary>
    public static readonly string[] Bases = ["rgb.png", "gray.png", "rgb.jpg", "rgb.bmp", "other-size.png"];

    // Values that stress size and length fields.
    private static readonly int[] Interesting = [0, 1, 0x7F, 0x80, 0xFF, 0xFE, 0x10, 0x40];

    /// <summary>What one decode did.</summary>
    public enum Outcome { Decoded, Rejected, Hung, Failed }

    /// <summary>One mutation: what to do (<paramref name="Kind"/> 0-6), where, with which byte value, how many bytes.</summary>
    public readonly record struct Step(int Kind, int Pos, int Value, int Len);

    /// <summary>The mutant of one seed: which base file, the steps, and the channel count to decode to.</summary>
    public sealed record Mutant(int Seed, int Base, Step[] Steps, int Channels)
    {
        /// <summary>The file name used in messages, e.g. <c>seed-42-rgb.jpg</c>.</summary>
        public string Name => $"seed-{Seed}-{Bases[Base]}";

        public override string ToString() => $"{Name} ({Channels} ch; {string.Join("; ", Steps)})";
    }

    /// <summary>The mutant that <paramref name="seed"/> stands for.</summary>
    public static Mutant Draw(int seed)
    {
        var rng = new Random(seed);
        int b = rng.Next(Bases.Length);
        var steps = new Step[1 + (rng.Next(4) == 0 ? rng.Next(1, 3) : 0)];
        for (int k = 0; k < steps.Length; k++)
            steps[k] = new Step(rng.Next(7), rng.Next(1 << 20), rng.Next(2) == 0 ? Interesting[rng.Next(Interesting.Length)] : rng.Next(256), rng.Next(1, 25));
        return new Mutant(seed, b, steps, rng.Next(2) == 0 ? 1 : 3);
    }

    /// <summary>The bytes of <paramref name="m"/>, given the base files' bytes (in <see cref="Bases"/> order).</summary>
    public static byte[] Apply(byte[][] bases, Mutant m)
    {
        byte[] c = bases[m.Base];
        foreach (var s in m.Steps) c = c.Length == 0 ? c : Mutate(c, s.Kind, s.Pos, s.Value, s.Len);
        return c;
    }

    /// <summary>One mutation of a non-empty <paramref name="src"/> (a copy; the source is unchanged).</summary>
    public static byte[] Mutate(byte[] src, int kind, int pos, int value, int len)
    {
        var c = (byte[])src.Clone();
        int n = c.Length;
        switch (kind)
        {
            case 0: c[pos % n] ^= (byte)(1 << (value & 7)); return c;
            case 1: c[pos % Math.Min(n, 40)] = (byte)value; return c; // header bytes
            case 2: c[pos % n] = (byte)value; return c;
            case 3: return c[..(pos % n)];
            case 4: return [.. c[..(pos % n)], .. c[Math.Min(n, pos % n + len)..]];
            case 5: { int at = pos % n; return [.. c[..at], .. Enumerable.Repeat((byte)value, len), .. c[at..]]; }
            default:
                for (int k = 0; k < len; k++) c[(pos + k * 7919) % n] = (byte)(value + k * 31);
                return c;
        }
    }

    /// <summary>
    /// Runs <paramref name="decode"/> on a background thread and waits at most <paramref name="timeout"/>:
    /// <see cref="Outcome.Decoded"/> when it returns, <see cref="Outcome.Rejected"/> when it throws a
    /// <see cref="NablaInputException"/> (the message is returned), <see cref="Outcome.Failed"/> for any other
    /// exception, <see cref="Outcome.Hung"/> when it has not finished in time.
    /// </summary>
    public static (Outcome Outcome, string Detail) RunWithTimeout(Action decode, TimeSpan timeout)
    {
        Exception? error = null;
        var worker = new Thread(() =>
        {
            try { decode(); }
            catch (Exception e) { error = e; }
        }) { IsBackground = true, Name = "image-fuzz-decode" };
        worker.Start();
        if (!worker.Join(timeout)) return (Outcome.Hung, $"no result after {timeout.TotalSeconds:F0} s");
        return error switch
        {
            null => (Outcome.Decoded, ""),
            NablaInputException e => (Outcome.Rejected, e.Message),
            var e => (Outcome.Failed, $"{e.GetType().Name}: {e.Message}"),
        };
    }
}
