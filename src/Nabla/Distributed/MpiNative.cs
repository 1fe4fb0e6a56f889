using System.Runtime.InteropServices;

namespace Nabla.Distributed;

/// <summary>
/// The few entry points of Open MPI's C library that data-parallel training needs, bound at run time: the
/// library is opened only when a process was launched by mpirun, so single-process training never needs MPI.
/// </summary>
/// <remarks>Open MPI's handles (<c>MPI_COMM_WORLD</c>, <c>MPI_FLOAT</c>, <c>MPI_SUM</c>, ...) are the addresses
/// of global objects in libmpi (<c>ompi_mpi_comm_world</c>, ...), so they are read with
/// <see cref="NativeLibrary.GetExport"/>. Other MPI implementations (MPICH's integer handles) are not supported.</remarks>
internal static unsafe class MpiNative
{
    /// <summary>Library names tried in order: Debian's Open MPI 4/5 soname, then the development symlink.</summary>
    internal static readonly string[] LibraryNames = ["libmpi.so.40", "libmpi.so"];

    /// <summary><c>MPI_IN_PLACE</c> in Open MPI.</summary>
    internal static readonly nint InPlace = 1;

    private static nint _lib;
    internal static delegate* unmanaged<int*, byte***, int> Init;
    internal static delegate* unmanaged<int> Finalize;
    internal static delegate* unmanaged<int*, int> Initialized;
    internal static delegate* unmanaged<int*, int> Finalized;
    internal static delegate* unmanaged<nint, int*, int> CommRank;
    internal static delegate* unmanaged<nint, int*, int> CommSize;
    internal static delegate* unmanaged<nint, nint, int, nint, nint, nint, int> Allreduce;
    internal static delegate* unmanaged<nint, int, nint, int, nint, int> Bcast;
    internal static delegate* unmanaged<nint, int> Barrier;
    internal static delegate* unmanaged<nint, int, int> Abort;
    internal static delegate* unmanaged<double> Wtime;
    internal static nint CommWorld, Float, Double, OpSum;

    /// <summary>Whether the library has been loaded in this process.</summary>
    internal static bool IsLoaded => _lib != 0;

    /// <summary>Opens libmpi and resolves every symbol; idempotent.</summary>
    /// <param name="names">Library names to try (tests pass a bogus one).</param>
    /// <exception cref="NablaInputException">No candidate could be loaded, or a symbol is missing (one line).</exception>
    internal static void Load(IReadOnlyList<string>? names = null)
    {
        if (_lib != 0) return;
        names ??= LibraryNames;
        nint lib = 0;
        foreach (var name in names)
        {
            // Open MPI's plugins are shared objects that resolve symbols of libmpi itself: like mpi4py, make
            // libmpi's symbols global first (RTLD_NOW | RTLD_GLOBAL), then take the handle the runtime keeps.
            if (OperatingSystem.IsLinux()) DlOpenGlobal(name);
            if (NativeLibrary.TryLoad(name, out lib)) break;
        }
        if (lib == 0)
            throw new NablaInputException($"MPI: launched by mpirun but the MPI library ({string.Join(" or ", names)}) cannot be loaded; install openmpi-bin and libopenmpi-dev, or run without mpirun");
        nint Sym(string s) => NativeLibrary.TryGetExport(lib, s, out var p) ? p
            : throw new NablaInputException($"MPI: {names[0]} lacks the symbol {s}; only Open MPI is supported");
        Init = (delegate* unmanaged<int*, byte***, int>)Sym("MPI_Init");
        Finalize = (delegate* unmanaged<int>)Sym("MPI_Finalize");
        Initialized = (delegate* unmanaged<int*, int>)Sym("MPI_Initialized");
        Finalized = (delegate* unmanaged<int*, int>)Sym("MPI_Finalized");
        CommRank = (delegate* unmanaged<nint, int*, int>)Sym("MPI_Comm_rank");
        CommSize = (delegate* unmanaged<nint, int*, int>)Sym("MPI_Comm_size");
        Allreduce = (delegate* unmanaged<nint, nint, int, nint, nint, nint, int>)Sym("MPI_Allreduce");
        Bcast = (delegate* unmanaged<nint, int, nint, int, nint, int>)Sym("MPI_Bcast");
        Barrier = (delegate* unmanaged<nint, int>)Sym("MPI_Barrier");
        Abort = (delegate* unmanaged<nint, int, int>)Sym("MPI_Abort");
        Wtime = (delegate* unmanaged<double>)Sym("MPI_Wtime");
        CommWorld = Sym("ompi_mpi_comm_world");
        Float = Sym("ompi_mpi_float");
        Double = Sym("ompi_mpi_double");
        OpSum = Sym("ompi_mpi_op_sum");
        _lib = lib;
    }

    /// <summary>Throws when an MPI call returned an error code (the default error handler aborts first,
    /// so this is a last line of defence).</summary>
    internal static void Check(int rc, string call)
    {
        if (rc != 0) throw new InvalidOperationException($"MPI: {call} failed with error code {rc}");
    }

    private const int RtldNow = 2, RtldGlobal = 0x100;

    [DllImport("libc", EntryPoint = "dlopen")]
    private static extern nint DlOpen([MarshalAs(UnmanagedType.LPUTF8Str)] string file, int mode);

    private static void DlOpenGlobal(string name)
    {
        try { DlOpen(name, RtldNow | RtldGlobal); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
    }
}
