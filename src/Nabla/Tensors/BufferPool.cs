namespace Nabla.Tensors;

/// <summary>
/// Arrays of exact lengths kept for reuse by <see cref="StepScope"/>: a training step asks for the same sizes every
/// time, so after the first step every request is met from the pool and nothing reaches the garbage collector.
/// </summary>
/// <remarks>Thread-safe. Arrays come back with stale contents unless cleared on rent. At most
/// <see cref="MaxPooledBytes"/> are kept per element type; returns beyond that are dropped for the collector.</remarks>
internal static class BufferPool<T> where T : unmanaged
{
    /// <summary>Upper bound on the bytes kept (per element type).</summary>
    public const long MaxPooledBytes = 4L << 30;

    private static readonly Dictionary<int, Stack<T[]>> s_free = new();
    private static long s_bytes;

    /// <summary>An array of exactly <paramref name="length"/> elements, from the pool when one is free.</summary>
    public static T[] Rent(int length, bool clear)
    {
        if (length == 0) return [];
        lock (s_free)
        {
            if (s_free.TryGetValue(length, out var stack) && stack.Count > 0)
            {
                var a = stack.Pop();
                s_bytes -= (long)length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
                if (clear) Array.Clear(a);
                return a;
            }
        }
        return GC.AllocateUninitializedArray<T>(length, pinned: false) is var fresh && clear ? Cleared(fresh) : fresh;
    }

    private static T[] Cleared(T[] a) { Array.Clear(a); return a; }

    /// <summary>Gives <paramref name="array"/> back; the caller must hold no reference to it any more.</summary>
    public static void Return(T[] array)
    {
        if (array.Length == 0) return;
        long bytes = (long)array.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        lock (s_free)
        {
            if (s_bytes + bytes > MaxPooledBytes) return;
            if (!s_free.TryGetValue(array.Length, out var stack)) s_free[array.Length] = stack = new Stack<T[]>();
            stack.Push(array);
            s_bytes += bytes;
        }
    }
}
