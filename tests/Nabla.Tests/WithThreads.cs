using Nabla.Kernels;

namespace Nabla.Tests;

/// <summary>Runs a computation with <see cref="Workers.Count"/> set to a given thread count and restores it after,
/// for the tests that check results are bit-identical for any number of threads.</summary>
internal static class WithThreads
{
    public static T Run<T>(int threads, Func<T> body)
    {
        int saved = Workers.Count;
        Workers.Count = threads;
        try { return body(); }
        finally { Workers.Count = saved; }
    }
}
