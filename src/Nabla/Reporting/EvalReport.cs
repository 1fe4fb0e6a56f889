using System.Globalization;
using Nabla.Analysis;
using Nabla.Data;
using Nabla.IO;
using Nabla.IO.Spec;

namespace Nabla.Reporting;

/// <summary>The report of <c>nabla eval --report FILE.html</c>: the confusion matrix and the most confident mistakes
/// of any weights file on a test set, with the model's layer table.</summary>
public static class EvalReport
{
    /// <summary>Writes the report to <paramref name="path"/> (atomically) and returns the path.</summary>
    /// <param name="path">The HTML file to write.</param>
    /// <param name="spec">The model.</param>
    /// <param name="weights">The weights file evaluated (shown, and a classes.txt beside it names the classes).</param>
    /// <param name="data">The --data value (shown).</param>
    /// <param name="predictions">The per-sample test predictions.</param>
    /// <param name="test">The test set (for the mistakes' pixels).</param>
    /// <exception cref="NablaInputException">The file cannot be written; the message names it.</exception>
    public static string Write(string path, ModelSpec spec, string weights, string data, TestPredictions predictions, Dataset test)
    {
        var names = RunDirectory.Holding(weights).ReadClassNames()?.ToList()
            ?? Enumerable.Range(0, predictions.Classes).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();
        var report = new RunReport
        {
            Title = $"nabla eval: {Path.GetFileNameWithoutExtension(spec.Source)}",
            Info =
            [
                new("model", spec.Source),
                new("weights", weights),
                new("data", $"{data} ({test.Count:N0} test samples, {predictions.Classes} classes)"),
                new("test accuracy", predictions.Accuracy.ToString("P2", CultureInfo.InvariantCulture)),
            ],
            ClassNames = names,
            Predictions = predictions,
            TestImages = test,
            Layers = ModelAnalyzer.Analyze(spec),
        };
        AtomicFile.WriteAllText(path, report.ToHtml());
        return path;
    }
}
