using Nabla.Data;
using Nabla.Reporting;

namespace Nabla.Cli;

/// <summary>The class names eval shows: the data's own, checked against the classes.txt the training run wrote
/// beside the weights, or that file's when the data has none.</summary>
internal static class ClassNames
{
    public static IReadOnlyList<string>? Resolve(Dataset test, string weightsPath)
    {
        var run = RunDirectory.Holding(weightsPath);
        string[]? saved = run.ReadClassNames();
        if (saved is not null && test.ClassNames is { } own && !saved.SequenceEqual(own, StringComparer.Ordinal))
            throw new NablaInputException($"{run.Classes}: the model was trained on the classes {Preview(saved)}, but the test data {test.Name} has {Preview(own)}");
        if (test.ClassNames is not null) return test.ClassNames;
        return saved is not null && saved.Length == test.Classes ? saved : null;
    }

    private static string Preview(IReadOnlyList<string> names) => string.Join(", ", names.Take(8)) + (names.Count > 8 ? $", ... ({names.Count})" : "");
}
