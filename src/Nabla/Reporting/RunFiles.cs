using Nabla.Analysis;
using Nabla.Data;
using Nabla.IO;
using Nabla.IO.Spec;
using Nabla.Training;

namespace Nabla.Reporting;

/// <summary>The report of a run directory (<see cref="RunDirectory"/>), and the rebuild behind <c>nabla report RUN_DIR</c>
/// from its files: metrics.csv (required), steps.csv, predictions.csv, run.json and classes.txt.</summary>
public static class RunFiles
{
    /// <summary>Builds the report of a run from what is in memory during training.</summary>
    public static RunReport Build(RunInfo info, IReadOnlyList<EpochMetrics> history, IReadOnlyList<StepMetrics> steps,
        TestPredictions? predictions, Dataset? test, IReadOnlyList<string> classNames, string? note = null)
    {
        ModelSummary? layers = null;
        try { layers = ModelAnalyzer.Analyze(Zoo.Resolve(info.Options.Model)); }
        catch (NablaInputException) { } // a spec file moved or deleted since training: the report goes without the table
        int k = info.Classes > 0 ? info.Classes : predictions?.Classes ?? 0;
        return new RunReport
        {
            Title = $"nabla run: {Path.GetFileNameWithoutExtension(info.Options.Model)}{(info.Options.RandomLabels ? " on random labels" : "")}",
            Info = info.Rows(history.Count),
            History = history,
            Steps = steps,
            StepsEvery = info.StepsEvery,
            Chance = info.Options.RandomLabels && k > 0 ? 1.0 / k : null,
            ClassNames = classNames,
            Predictions = predictions,
            TestImages = test,
            Layers = layers,
            Note = note ?? (history.Count < info.Options.Epochs ? $"run in progress or interrupted: {history.Count} of {info.Options.Epochs} epochs" : null),
        };
    }

    /// <summary>Rebuilds report.html of <paramref name="runDir"/> from its files (also while the run is going on or after
    /// it was interrupted) and returns the report's path.</summary>
    /// <param name="runDir">The run directory (the --out of nabla train).</param>
    /// <param name="test">The test set for the mistakes' pixels; null loads the run's --data (without images if that fails).</param>
    /// <exception cref="NablaInputException">No metrics.csv or run.json there, or one of the files is malformed.</exception>
    public static string Rebuild(string runDir, Dataset? test = null)
    {
        var run = new RunDirectory(runDir);
        if (!File.Exists(run.Metrics)) throw new NablaInputException($"{runDir}: no metrics.csv (not a run directory, or no epoch has finished yet)");
        if (!File.Exists(run.Info)) throw new NablaInputException($"{runDir}: no run.json (written by nabla train since reports exist)");
        var info = RunInfo.Load(run.Info);
        var history = ReadRows(run.Metrics, EpochMetrics.CsvHeader, EpochMetrics.Parse);
        var steps = File.Exists(run.Steps) ? ReadRows(run.Steps, StepMetrics.CsvHeader, StepMetrics.Parse) : [];
        var pred = File.Exists(run.Predictions) ? TestPredictions.Load(run.Predictions, info.Classes) : null;
        string? note = null;
        if (pred is not null && test is null)
        {
            try { test = DataSource.Load(info.Options.Data).Test; }
            catch (NablaInputException e) { note = $"mistakes shown without images: {e.Message}"; }
        }
        if (test is not null && pred is not null && test.Count != pred.Count)
        {
            note = $"mistakes shown without images: the test set has {test.Count} samples, predictions.csv {pred.Count}";
            test = null;
        }
        var report = Build(info, history, steps, pred, test, ClassNames(runDir, info), note);
        AtomicFile.WriteAllText(run.Report, report.ToHtml());
        return run.Report;
    }

    /// <summary>Class names: classes.txt of the run directory if present, else run.json's, else the numbers.</summary>
    public static IReadOnlyList<string> ClassNames(string runDir, RunInfo info)
    {
        if (new RunDirectory(runDir).ReadClassNames() is { } saved) return saved;
        return info.ClassNames.Count > 0 ? info.ClassNames : Enumerable.Range(0, info.Classes).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
    }

    private static List<T> ReadRows<T>(string path, string header, Func<string, T> parse)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0] != header) throw new NablaInputException($"{path}:1: expected the header '{header}'");
        var rows = new List<T>();
        for (int i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0) continue;
            try { rows.Add(parse(lines[i])); }
            catch (Exception e) when (e is FormatException or OverflowException) { throw new NablaInputException($"{path}:{i + 1}: {e.Message}"); }
        }
        return rows;
    }
}
