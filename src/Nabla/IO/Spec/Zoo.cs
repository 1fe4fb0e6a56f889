namespace Nabla.IO.Spec;

/// <summary>
/// The model zoo: the spec files of models/ embedded in the library (resource names <c>models/NAME.spec</c>).
/// </summary>
public static class Zoo
{
    private const string Prefix = "models/";
    private const string Suffix = ".spec";

    /// <summary>The zoo's model names, sorted (e.g. <c>alexnet</c>, <c>lenet5</c>, <c>mlp</c>).</summary>
    public static IReadOnlyList<string> Names { get; } = typeof(Zoo).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && n.EndsWith(Suffix, StringComparison.Ordinal))
        .Select(n => n[Prefix.Length..^Suffix.Length])
        .Order(StringComparer.Ordinal)
        .ToArray();

    /// <summary>True when <paramref name="name"/> is a zoo model.</summary>
    public static bool Contains(string name) => Names.Contains(name, StringComparer.Ordinal);

    /// <summary>The spec text of a zoo model.</summary>
    /// <exception cref="NablaInputException">No zoo model has that name.</exception>
    public static string Text(string name)
    {
        if (!Contains(name)) throw Unknown(name);
        using var stream = typeof(Zoo).Assembly.GetManifestResourceStream(Prefix + name + Suffix)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The parsed zoo model (source <c>models/NAME.spec</c>).</summary>
    /// <exception cref="NablaInputException">No zoo model has that name.</exception>
    public static ModelSpec Load(string name) => SpecParser.Parse(Text(name), Prefix + name + Suffix);

    /// <summary>
    /// The spec named by a zoo name (looked up first) or by a file path, as the CLI's <c>M</c> argument.
    /// </summary>
    /// <param name="nameOrPath">A zoo name such as <c>lenet5</c>, or a path to a spec file.</param>
    /// <exception cref="NablaInputException">Neither a zoo name nor an existing file, or an invalid spec; one line,
    /// listing the zoo names and a "did you mean" when close.</exception>
    public static ModelSpec Resolve(string nameOrPath)
    {
        ArgumentNullException.ThrowIfNull(nameOrPath);
        if (Contains(nameOrPath)) return Load(nameOrPath);
        if (nameOrPath.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)) return Onnx.OnnxImporter.Load(nameOrPath).Spec;
        if (File.Exists(nameOrPath)) return SpecParser.ParseFile(nameOrPath);
        throw Unknown(nameOrPath);
    }

    private static NablaInputException Unknown(string name)
    {
        bool looksLikePath = name.Contains('/') || name.Contains('\\') || name.EndsWith(Suffix, StringComparison.Ordinal);
        string what = looksLikePath ? $"{name}: no such spec file, and not a zoo model" : $"unknown model '{name}'";
        return new NablaInputException($"{what}{Suggest.DidYouMean(Path.GetFileNameWithoutExtension(name), Names)} (zoo: {string.Join(", ", Names)}; or give a path to a spec file)");
    }
}
