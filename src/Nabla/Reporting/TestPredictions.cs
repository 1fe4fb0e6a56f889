using System.Globalization;
using System.Text;
using Nabla.Tensors;

namespace Nabla.Reporting;

/// <summary>Per-sample predictions of a model on a data set in evaluation mode: the true label, the predicted
/// class (arg-max) and its softmax probability. The confusion matrix and the mistakes grid are read from it.</summary>
/// <param name="Labels">True label of sample i.</param>
/// <param name="Predicted">Arg-max class of sample i.</param>
/// <param name="Confidence">Softmax probability of <paramref name="Predicted"/>[i].</param>
/// <param name="Classes">The number of classes.</param>
public sealed record TestPredictions(int[] Labels, int[] Predicted, float[] Confidence, int Classes)
{
    /// <summary>The CSV header of predictions.csv.</summary>
    public const string CsvHeader = "index,label,predicted,confidence";

    /// <summary>The number of samples.</summary>
    public int Count => Labels.Length;

    /// <summary>Empty predictions for <paramref name="count"/> samples, filled by <see cref="Record"/>.</summary>
    public static TestPredictions Empty(int count, int classes) => new(new int[count], new int[count], new float[count], classes);

    /// <summary>Fills samples start.. from a batch of softmax probabilities (N x K) and their labels: the first
    /// maximum (as arg-max) and its probability.</summary>
    internal void Record(int start, Tensor probs, ReadOnlySpan<int> labels)
    {
        var p = probs.Span;
        int k = probs.Shape[1];
        for (int i = 0; i < labels.Length; i++)
        {
            var row = p.Slice(i * k, k);
            int best = 0;
            for (int j = 1; j < k; j++) if (row[j] > row[best]) best = j;
            Labels[start + i] = labels[i]; Predicted[start + i] = best; Confidence[start + i] = row[best];
        }
    }

    /// <summary>counts[t, p] = samples of true class t predicted as p (a prediction outside the data set's classes,
    /// from a model with more outputs, is not counted).</summary>
    public int[,] Confusion()
    {
        var m = new int[Classes, Classes];
        for (int i = 0; i < Count; i++) if (Predicted[i] < Classes && Labels[i] < Classes) m[Labels[i], Predicted[i]]++;
        return m;
    }

    /// <summary>Fraction of samples predicted right.</summary>
    public double Accuracy => Count == 0 ? 0 : (double)Enumerable.Range(0, Count).Count(i => Labels[i] == Predicted[i]) / Count;

    /// <summary>Indices of the <paramref name="k"/> misclassified samples with the highest confidence, most confident first
    /// (ties by index).</summary>
    public int[] MostConfidentMistakes(int k) => Enumerable.Range(0, Count).Where(i => Labels[i] != Predicted[i])
        .OrderByDescending(i => Confidence[i]).ThenBy(i => i).Take(k).ToArray();

    /// <summary>predictions.csv text.</summary>
    public string ToCsv()
    {
        var sb = new StringBuilder(CsvHeader).Append('\n');
        for (int i = 0; i < Count; i++) sb.Append(CultureInfo.InvariantCulture, $"{i},{Labels[i]},{Predicted[i]},{Confidence[i]:G6}\n");
        return sb.ToString();
    }

    /// <summary>Reads predictions.csv.</summary>
    /// <param name="path">The file, named in errors.</param>
    /// <param name="classes">The number of classes (at least 1 + the largest label or prediction found is used).</param>
    /// <exception cref="NablaInputException">A row is malformed; the message names the file and line.</exception>
    public static TestPredictions Load(string path, int classes)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0] != CsvHeader) throw new NablaInputException($"{path}:1: expected the header '{CsvHeader}'");
        int n = lines.Length - 1;
        var labels = new int[n]; var pred = new int[n]; var conf = new float[n];
        for (int i = 0; i < n; i++)
        {
            var f = lines[i + 1].Split(',');
            if (f.Length != 4 || !int.TryParse(f[1], CultureInfo.InvariantCulture, out labels[i]) || !int.TryParse(f[2], CultureInfo.InvariantCulture, out pred[i])
                || !float.TryParse(f[3], CultureInfo.InvariantCulture, out conf[i]) || labels[i] < 0 || pred[i] < 0 || labels[i] > 100_000 || pred[i] > 100_000)
                throw new NablaInputException($"{path}:{i + 2}: expected index,label,predicted,confidence, found '{lines[i + 1]}'");
            classes = Math.Max(classes, Math.Max(labels[i], pred[i]) + 1);
        }
        return new TestPredictions(labels, pred, conf, classes);
    }
}
