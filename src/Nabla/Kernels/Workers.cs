using System.Runtime.ExceptionServices;

namespace Nabla.Kernels;

/// <summary>
/// The one place Nabla uses threads: a fixed set of long-lived worker threads that run the parts of a
/// job and block the caller until every part is done.
/// </summary>
/// <remarks>
/// A job is split by its caller into <c>parts</c> independent pieces; which thread runs which part is not
/// fixed, so a part must compute the same numbers whichever thread runs it (use thread-static scratch, never
/// shared accumulators). Results are then bit-identical for any <see cref="Count"/>. Nested calls (a part
/// that itself calls <c>Run</c>) and calls made while another thread's job is running execute inline, so
/// they cannot deadlock. The state overloads allocate nothing per call when given a static lambda.
/// </remarks>
public static class Workers
{
    private static int s_count = Math.Max(1, Environment.ProcessorCount);
    private static readonly object s_jobLock = new();
    private static readonly List<Worker> s_workers = new();
    private static readonly ManualResetEventSlim s_done = new(false, spinCount: 2000);

    // The job in flight (guarded by s_jobLock; published to workers before their semaphores are released).
    private static JobBase? s_job;
    private static int s_parts;
    private static int s_next;
    private static int s_remaining;
    private static ExceptionDispatchInfo? s_error;

    [ThreadStatic] private static bool t_inside;

    /// <summary>How many threads (the caller included) run a job's parts. Default: all cores;
    /// the CLI sets it from <c>--threads</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public static int Count
    {
        get => s_count;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            s_count = value;
        }
    }

    /// <summary>Runs <c>body(0)</c> .. <c>body(parts - 1)</c> across the workers and returns when all are done.</summary>
    /// <param name="parts">Number of independent parts; 0 does nothing, 1 runs inline.</param>
    /// <param name="body">The work of one part. Allocates a closure per call if it captures; prefer the state overload on hot paths.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="parts"/> is negative.</exception>
    public static void Run(int parts, Action<int> body) =>
        Run(parts, body, static (b, i) => b(i));

    /// <summary>Runs <c>body(state, 0)</c> .. <c>body(state, parts - 1)</c> across the workers and returns when all are done.</summary>
    /// <param name="parts">Number of independent parts; 0 does nothing, 1 runs inline.</param>
    /// <param name="state">Passed to every part (a struct carrying pointers and sizes is fine: the call blocks).</param>
    /// <param name="body">The work of one part; a <c>static</c> lambda makes the call allocation-free.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="parts"/> is negative.</exception>
    /// <remarks>The first exception thrown by a part is rethrown here after every part has finished.</remarks>
    public static void Run<TState>(int parts, TState state, Action<TState, int> body)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(parts);
        int threads = Math.Min(parts, s_count);
        if (threads <= 1 || t_inside || !Monitor.TryEnter(s_jobLock))
        {
            for (int i = 0; i < parts; i++) body(state, i);
            return;
        }
        try
        {
            t_inside = true;
            var job = Job<TState>.Instance;
            job.State = state;
            job.Body = body;
            EnsureWorkers(threads - 1);
            s_job = job;
            s_parts = parts;
            s_next = 0;
            s_error = null;
            s_remaining = threads;
            s_done.Reset();
            for (int w = 0; w < threads - 1; w++) s_workers[w].Go.Release();
            Participate();
            s_done.Wait();
            job.State = default!;
            job.Body = null;
            s_job = null;
            s_error?.Throw();
        }
        finally
        {
            t_inside = false;
            Monitor.Exit(s_jobLock);
        }
    }

    private static void Participate()
    {
        var job = s_job!;
        int parts = s_parts;
        try
        {
            int i;
            while ((i = Interlocked.Increment(ref s_next) - 1) < parts) job.Invoke(i);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref s_error, ExceptionDispatchInfo.Capture(e), null);
            Volatile.Write(ref s_next, parts); // let the others stop early
        }
        if (Interlocked.Decrement(ref s_remaining) == 0) s_done.Set();
    }

    private static void EnsureWorkers(int n)
    {
        while (s_workers.Count < n)
        {
            var w = new Worker();
            var t = new Thread(WorkerLoop, maxStackSize: 1 << 20)
            {
                IsBackground = true,
                Name = $"nabla-worker-{s_workers.Count + 1}",
            };
            s_workers.Add(w);
            t.Start(w);
        }
    }

    private static void WorkerLoop(object? o)
    {
        var w = (Worker)o!;
        t_inside = true;
        while (true)
        {
            w.Go.Wait();
            Participate();
        }
    }

    private sealed class Worker
    {
        public readonly SemaphoreSlim Go = new(0);
    }

    private abstract class JobBase
    {
        public abstract void Invoke(int part);
    }

    private sealed class Job<TState> : JobBase
    {
        public static readonly Job<TState> Instance = new();
        public TState State = default!;
        public Action<TState, int>? Body;
        public override void Invoke(int part) => Body!(State, part);
    }
}
