namespace Nabla.IO.Spec;

/// <summary>Spec keywords of the layer kinds.</summary>
public static class LayerKinds
{
    private static readonly Dictionary<string, LayerKind> ByKeyword =
        Enum.GetValues<LayerKind>().ToDictionary(k => k.ToString().ToLowerInvariant(), StringComparer.Ordinal);

    /// <summary>The spec keyword of a kind, e.g. <c>conv2d</c>, <c>leakyrelu</c>.</summary>
    public static string Keyword(this LayerKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>Every keyword, in declaration order.</summary>
    public static IReadOnlyCollection<string> Keywords => ByKeyword.Keys;

    /// <summary>Looks a keyword up (case-insensitive).</summary>
    /// <returns>True when <paramref name="keyword"/> names a layer kind.</returns>
    public static bool TryParse(string keyword, out LayerKind kind) =>
        ByKeyword.TryGetValue(keyword.ToLowerInvariant(), out kind);
}
