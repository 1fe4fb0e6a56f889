namespace Nabla.Kernels.Conv;

/// <summary>One candidate algorithm for a convolution, as <see cref="ConvRegistry.Explain"/> reports it.</summary>
/// <param name="Name">The algorithm's name.</param>
/// <param name="Supported">Whether it computes the geometry at all.</param>
/// <param name="Cost">Estimated multiply-adds (infinite where supported but measured not to pay; NaN when unsupported).</param>
/// <param name="Why">The reason for the cost, in a few words.</param>
public readonly record struct ConvCandidate(string Name, bool Supported, double Cost, string Why);

/// <summary>Every convolution algorithm, and the choice among them as data: a call runs on the cheapest algorithm
/// that supports its geometry (ties go to the earlier one in <see cref="Names"/>). To add an algorithm, write a
/// <see cref="ConvAlgorithm"/> in its own file under Kernels/Conv/ and list it here.</summary>
public static class ConvRegistry
{
    private static readonly Im2ColConv Im2Col = new();

    /// <summary>In order of precedence on equal cost; im2col, which computes everything, last.</summary>
    private static readonly ConvAlgorithm[] Algorithms = [new WinogradConv(3, Winograd.TileOut), new WinogradConv(5, Winograd.TileOut), new WinogradConv(5, Winograd.TileOut5), new DirectConv1Conv(Im2Col), Im2Col];

    /// <summary>The algorithms' names, in order of precedence.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Algorithms.Select(a => a.Name)];

    /// <summary>The algorithm called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No algorithm has that name.</exception>
    internal static ConvAlgorithm Get(string name) =>
        Array.Find(Algorithms, a => a.Name == name)
        ?? throw new ArgumentException($"Conv2d: unknown convolution algorithm '{name}' (known: {string.Join(", ", Names)})", nameof(name));

    /// <summary>The algorithm a call with this geometry runs on: <paramref name="requested"/> when given and it
    /// supports the geometry, otherwise the cheapest supported one.</summary>
    /// <exception cref="ArgumentException"><paramref name="requested"/> names no algorithm.</exception>
    internal static ConvAlgorithm Pick(in ConvGeometry g, string? requested = null)
    {
        if (requested is not null)
        {
            var forced = Get(requested);
            if (forced.Supports(g)) return forced;
        }
        ConvAlgorithm best = Im2Col;
        double bestCost = double.PositiveInfinity;
        foreach (var a in Algorithms)
        {
            if (!a.Supports(g)) continue;
            double cost = a.Cost(g);
            if (cost < bestCost) { best = a; bestCost = cost; }
        }
        return best;
    }

    /// <summary>The name of the algorithm a call with geometry <paramref name="g"/> runs on (as <see cref="Pick"/>).</summary>
    /// <exception cref="ArgumentException"><paramref name="requested"/> names no algorithm.</exception>
    public static string Choose(in ConvGeometry g, string? requested = null) => Pick(g, requested).Name;

    /// <summary>Every algorithm with whether it supports <paramref name="g"/>, its cost there and why.</summary>
    public static IReadOnlyList<ConvCandidate> Explain(in ConvGeometry g)
    {
        var list = new List<ConvCandidate>(Algorithms.Length);
        foreach (var a in Algorithms)
        {
            bool ok = a.Supports(g);
            list.Add(new ConvCandidate(a.Name, ok, ok ? a.Cost(g) : double.NaN, ok ? a.Why(g) : "geometry not supported"));
        }
        return list;
    }
}
