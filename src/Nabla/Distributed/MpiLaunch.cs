using System.Collections;
using System.Globalization;

namespace Nabla.Distributed;

/// <summary>What mpirun told this process through its environment: world size, rank, and how many ranks
/// share this node. Read without touching the MPI library, so a process not launched by mpirun never loads it.</summary>
/// <param name="Rank">This process's rank in MPI_COMM_WORLD.</param>
/// <param name="Size">The number of ranks.</param>
/// <param name="LocalSize">Ranks on this node (1 when unknown).</param>
public sealed record MpiLaunch(int Rank, int Size, int LocalSize)
{
    /// <summary>The launch described by this process's environment, or null when not launched by mpirun.</summary>
    public static MpiLaunch? FromEnvironment() => Detect(Environment.GetEnvironmentVariables());

    /// <summary>The launch described by <paramref name="env"/>: Open MPI's <c>OMPI_COMM_WORLD_SIZE</c> /
    /// <c>OMPI_COMM_WORLD_RANK</c> / <c>OMPI_COMM_WORLD_LOCAL_SIZE</c>, or PMIx's <c>PMIX_RANK</c> (size then
    /// comes from MPI itself and is reported as 0 here); null when none is set.</summary>
    /// <param name="env">Variable name → value.</param>
    public static MpiLaunch? Detect(IDictionary env)
    {
        ArgumentNullException.ThrowIfNull(env);
        int? Get(string name) => env[name] is string s && int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= 0 ? v : null;
        int? size = Get("OMPI_COMM_WORLD_SIZE"), rank = Get("OMPI_COMM_WORLD_RANK") ?? Get("PMIX_RANK");
        if (size is null && rank is null) return null;
        return new MpiLaunch(rank ?? 0, size ?? 0, Math.Max(1, Get("OMPI_COMM_WORLD_LOCAL_SIZE") ?? 1));
    }
}
