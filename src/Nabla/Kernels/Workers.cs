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
/// <para>
/// Parts are claimed dynamically and the caller runs parts too. After a job, a worker spins for 50 µs
/// waiting for the next one (the products of a training step come back to back), then sleeps. A worker that
/// has not joined by the time the caller runs out of parts is dropped from that job, so a descheduled
/// worker never delays a caller.
/// </para>
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
    private static int s_generation = 1; // bumped by 2 per job, so always odd: never 0, which marks a taken ticket
    private static int s_sleepers;       // workers blocked on their semaphore (the rest are spinning)

    // After a job a worker spins this long for the next one before blocking: the products of a training step
    // come back to back, and a futex wake-up costs tens of microseconds.
    private static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency / 20_000; // 50 µs

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

    /// <summary>The items [Lo, Hi) of part <paramref name="part"/> when <paramref name="items"/> items are split into
    /// <paramref name="parts"/> contiguous runs whose sizes differ by at most one, the longer runs first: parts are
    /// claimed in order, so the long ones start first and the threads finish together (6 chunks in 4 runs as 2, 2, 1,
    /// 1 take 3 chunks per thread on 2 threads; as 1, 2, 1, 2 one thread could take 4).</summary>
    /// <exception cref="ArgumentOutOfRangeException">items is negative, parts is below 1, or part is outside [0, parts).</exception>
    public static (int Lo, int Hi) Share(int items, int parts, int part)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(items);
        ArgumentOutOfRangeException.ThrowIfLessThan(parts, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(part);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(part, parts);
        int size = items / parts, extra = items % parts;
        int lo = part * size + Math.Min(part, extra);
        return (lo, lo + size + (part < extra ? 1 : 0));
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
            int gen = unchecked(s_generation + 2);
            for (int w = 0; w < threads - 1; w++) Volatile.Write(ref s_workers[w].Ticket, gen);
            Interlocked.Exchange(ref s_generation, gen);
            if (Volatile.Read(ref s_sleepers) > 0)
                for (int w = 0; w < threads - 1; w++)
                    if (s_workers[w].Go.CurrentCount == 0) s_workers[w].Go.Release(); // permits never pile up
            Participate();
            // Parts are claimed dynamically, so a worker that has not woken yet has nothing left to do:
            // take back its ticket instead of waiting for it (one of us wins the exchange, exactly once).
            for (int w = 0; w < threads - 1; w++)
                if (Interlocked.CompareExchange(ref s_workers[w].Ticket, 0, gen) == gen)
                    Finish();
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
        Finish();
    }

    private static void Finish()
    {
        if (Interlocked.Decrement(ref s_remaining) == 0) s_done.Set();
    }

    private static void EnsureWorkers(int n)
    {
        while (s_workers.Count < n)
        {
            var w = new Worker(Volatile.Read(ref s_generation));
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
        int seen = w.StartGeneration;
        while (true)
        {
            int gen = AwaitNewGeneration(w, seen);
            seen = gen;
            // Join only if this job counts on us and the caller has not taken the ticket back.
            if (Interlocked.CompareExchange(ref w.Ticket, 0, gen) == gen) Participate();
        }
    }

    /// <summary>Spins briefly, then sleeps on the worker's semaphore, until a job newer than <paramref name="seen"/> is published.</summary>
    private static int AwaitNewGeneration(Worker w, int seen)
    {
        long deadline = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
        while (true)
        {
            int gen = Volatile.Read(ref s_generation);
            if (gen != seen) return gen;
            if (System.Diagnostics.Stopwatch.GetTimestamp() < deadline) { Thread.SpinWait(20); continue; }
            // Announce the sleep, then look once more: the publisher bumps the generation before reading
            // s_sleepers, so either it sees us asleep and releases us, or we see its job here.
            Interlocked.Increment(ref s_sleepers);
            gen = Volatile.Read(ref s_generation);
            if (gen == seen) w.Go.Wait(); // a stale release only makes us look again
            Interlocked.Decrement(ref s_sleepers);
            deadline = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
        }
    }

    private sealed class Worker(int startGeneration)
    {
        public readonly int StartGeneration = startGeneration;
        public readonly SemaphoreSlim Go = new(0);
        /// <summary>The generation of the job this worker is expected in; 0 once taken (by it or by the caller).</summary>
        public int Ticket;
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
