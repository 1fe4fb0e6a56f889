using System.Runtime.InteropServices;

namespace Nabla.Distributed;

/// <summary>
/// MPI_COMM_WORLD of a process launched by <c>mpirun</c>: rank, size and the collectives data-parallel
/// training uses (sum-allreduce of float32/float64, broadcast, barrier). Disposing finalizes MPI.
/// </summary>
/// <remarks>Only one thread may call into it at a time (MPI is initialised with <c>MPI_Init</c>, i.e.
/// MPI_THREAD_SINGLE semantics for the calling thread); the compute workers never do.
/// <code>
/// using var comm = Communicator.FromEnvironment();   // null without mpirun: nothing is loaded
/// if (comm is not null) comm.AllReduceSum(gradients);
/// </code></remarks>
public sealed unsafe class Communicator : IDisposable
{
    private static Communicator? _world;
    private bool _disposed;

    private Communicator(int rank, int size) { Rank = rank; Size = size; }

    /// <summary>This process's rank, 0 ≤ Rank &lt; Size.</summary>
    public int Rank { get; }

    /// <summary>The number of processes.</summary>
    public int Size { get; }

    /// <summary>Whether this is rank 0, the one that prints and writes files.</summary>
    public bool IsRoot => Rank == 0;

    /// <summary>Initialises MPI when this process was launched by mpirun (see <see cref="MpiLaunch"/>) and returns
    /// the world communicator; returns null otherwise, without loading the MPI library.</summary>
    /// <exception cref="NablaInputException">Launched by mpirun but libmpi cannot be loaded (one line).</exception>
    public static Communicator? FromEnvironment() => MpiLaunch.FromEnvironment() is null ? null : World();

    /// <summary>Initialises MPI (once per process) and returns MPI_COMM_WORLD.</summary>
    /// <exception cref="NablaInputException">libmpi cannot be loaded.</exception>
    public static Communicator World()
    {
        if (_world is not null && !_world._disposed) return _world;
        MpiNative.Load();
        int flag;
        MpiNative.Check(MpiNative.Initialized(&flag), "MPI_Initialized");
        if (flag == 0) MpiNative.Check(MpiNative.Init(null, null), "MPI_Init");
        int rank, size;
        MpiNative.Check(MpiNative.CommRank(MpiNative.CommWorld, &rank), "MPI_Comm_rank");
        MpiNative.Check(MpiNative.CommSize(MpiNative.CommWorld, &size), "MPI_Comm_size");
        return _world = new Communicator(rank, size);
    }

    /// <summary>Replaces every element by its sum over all ranks (in place, <c>MPI_Allreduce</c> with MPI_SUM).</summary>
    /// <param name="buffer">float32 values, identical length on every rank.</param>
    public void AllReduceSum(Span<float> buffer) => AllReduce(MemoryMarshal.AsBytes(buffer), buffer.Length, MpiNative.Float);

    /// <summary>Replaces every element by its sum over all ranks (in place).</summary>
    /// <param name="buffer">float64 values, identical length on every rank.</param>
    public void AllReduceSum(Span<double> buffer) => AllReduce(MemoryMarshal.AsBytes(buffer), buffer.Length, MpiNative.Double);

    /// <summary>Copies <paramref name="buffer"/> of rank <paramref name="root"/> into every rank's buffer (<c>MPI_Bcast</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">root is not a rank.</exception>
    public void Broadcast(Span<float> buffer, int root = 0)
    {
        if ((uint)root >= (uint)Size) throw new ArgumentOutOfRangeException(nameof(root), root, $"expected a rank in [0, {Size})");
        ThrowIfDisposed();
        fixed (float* p = buffer)
            MpiNative.Check(MpiNative.Bcast((nint)p, buffer.Length, MpiNative.Float, root, MpiNative.CommWorld), "MPI_Bcast");
    }

    /// <summary>Waits until every rank has called it (<c>MPI_Barrier</c>).</summary>
    public void Barrier()
    {
        ThrowIfDisposed();
        MpiNative.Check(MpiNative.Barrier(MpiNative.CommWorld), "MPI_Barrier");
    }

    /// <summary>Terminates every rank of the job (<c>MPI_Abort</c>): for an error on one rank that the others,
    /// waiting in a collective, would never learn of.</summary>
    public void Abort(int errorCode)
    {
        if (!_disposed) MpiNative.Abort(MpiNative.CommWorld, errorCode);
    }

    /// <summary>Seconds since an arbitrary origin (<c>MPI_Wtime</c>).</summary>
    public double Wtime() => MpiNative.Wtime();

    /// <summary>Finalizes MPI (<c>MPI_Finalize</c>); after it no MPI call is possible in this process.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        int flag;
        if (MpiNative.Finalized(&flag) == 0 && flag == 0) MpiNative.Finalize();
    }

    private void AllReduce(Span<byte> bytes, int length, nint type)
    {
        ThrowIfDisposed();
        fixed (byte* p = bytes)
            MpiNative.Check(MpiNative.Allreduce(MpiNative.InPlace, (nint)p, length, type, MpiNative.OpSum, MpiNative.CommWorld), "MPI_Allreduce");
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
