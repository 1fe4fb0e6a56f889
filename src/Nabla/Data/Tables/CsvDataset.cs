using System.Globalization;

namespace Nabla.Data.Tables;

/// <summary>
/// Reads a classification table from a CSV file: a header row, numeric feature columns and one label column
/// (any strings; the classes are the distinct labels sorted, numerically when every label is an integer,
/// otherwise by ordinal comparison), split into training and test rows by a seeded permutation.
/// </summary>
/// <remarks>
/// Fields are separated by commas and may be quoted with <c>"</c> (a doubled <c>""</c> inside quotes is one
/// quote); blank lines are skipped. A ragged row, an empty cell or a feature that is not a finite number is an
/// error naming the file, line and column. Samples are flat (<c>input F</c> specs).
/// <code>
/// var splits = CsvDataset.Load("iris.csv", new CsvOptions { LabelColumn = "species" });
/// </code>
/// </remarks>
public static class CsvDataset
{
    /// <summary>Loads and splits the table at <paramref name="path"/>.</summary>
    /// <exception cref="NablaInputException">The file is missing, empty, ragged, has a missing or non-numeric cell,
    /// an unknown label column, fewer than two classes, or too few rows for the split.</exception>
    public static DataSplits Load(string path, CsvOptions? options = null)
    {
        options ??= new CsvOptions();
        if (!File.Exists(path)) throw new NablaInputException($"{path}: expected a CSV file, found no such file");
        if (!(options.ValSplit > 0 && options.ValSplit < 1)) throw new NablaInputException($"--val-split {options.ValSplit}: expected a fraction in (0, 1) of {path}'s rows to test on");
        var (header, rows) = Parse(path);
        int labelCol = options.LabelColumn is null ? header.Length - 1 : Array.IndexOf(header, options.LabelColumn);
        if (labelCol < 0)
            throw new NablaInputException($"--label-column {options.LabelColumn}: expected one of the columns of {path} ({string.Join(", ", header)}), found none of that name");
        if (header.Length < 2) throw new NablaInputException($"{path}: line 1: expected at least one feature column and a label column, found {header.Length} column");
        int f = header.Length - 1;
        var features = new float[(long)rows.Count * f];
        var labelText = new string[rows.Count];
        for (int r = 0; r < rows.Count; r++)
        {
            var (line, cells) = rows[r];
            int j = 0;
            for (int c = 0; c < cells.Length; c++)
            {
                string cell = cells[c].Trim();
                if (cell.Length == 0) throw new NablaInputException($"{path}: line {line}, column {c + 1} ({header[c]}): expected a {(c == labelCol ? "label" : "number")}, found a missing value");
                if (c == labelCol) { labelText[r] = cell; continue; }
                if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v) || Math.Abs(v) > float.MaxValue)
                    throw new NablaInputException($"{path}: line {line}, column {c + 1} ({header[c]}): expected a finite number, found '{Shorten(cell)}'");
                features[(long)r * f + j++] = (float)v;
            }
        }
        var classes = SortClasses(labelText.Distinct(StringComparer.Ordinal));
        if (classes.Count < 2) throw new NablaInputException($"{path}: column {labelCol + 1} ({header[labelCol]}): expected at least 2 distinct labels, found {classes.Count}");
        var classOf = classes.Select((name, k) => (name, k)).ToDictionary(p => p.name, p => p.k, StringComparer.Ordinal);
        var labels = labelText.Select(t => classOf[t]).ToArray();
        int nTest = (int)Math.Round(rows.Count * options.ValSplit);
        if (nTest < 1 || nTest >= rows.Count)
            throw new NablaInputException($"--val-split {options.ValSplit}: {path} has {rows.Count} rows, which leaves {nTest} for testing and {rows.Count - nTest} for training; both need at least one");
        var all = Dataset.FromFeatures(features, labels, f, classes.Count, path, classes);
        var order = new int[rows.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        DataRng.Create(options.Seed, DataRng.SplitStream, 0).Shuffle(order);
        int[] testIdx = order[..nTest], trainIdx = order[nTest..];
        Array.Sort(testIdx);
        Array.Sort(trainIdx);
        var train = all.Select(trainIdx, $"{path} (train split)");
        var test = all.Select(testIdx, $"{path} (--val-split {options.ValSplit.ToString(CultureInfo.InvariantCulture)})");
        if (options.Standardize) (train, test) = Standardize(train, test);
        return new DataSplits(train, test, $"CSV table {path} ({f} features, {classes.Count} classes)");
    }

    /// <summary>The column names of the features, in sample order (the header without the label column).</summary>
    public static IReadOnlyList<string> FeatureNames(string path, string? labelColumn = null)
    {
        var (header, _) = Parse(path);
        int labelCol = labelColumn is null ? header.Length - 1 : Array.IndexOf(header, labelColumn);
        return header.Where((_, i) => i != labelCol).ToList();
    }

    private static (Dataset, Dataset) Standardize(Dataset train, Dataset test)
    {
        int f = train.SampleSize;
        var mean = new double[f];
        var m2 = new double[f];
        var x = new float[f];
        for (int i = 0; i < train.Count; i++)
        {
            train.CopySample(i, x);
            for (int j = 0; j < f; j++) mean[j] += x[j];
        }
        for (int j = 0; j < f; j++) mean[j] /= train.Count;
        for (int i = 0; i < train.Count; i++)
        {
            train.CopySample(i, x);
            for (int j = 0; j < f; j++) m2[j] += (x[j] - mean[j]) * (x[j] - mean[j]);
        }
        var std = m2.Select(v => Math.Sqrt(v / train.Count)).Select(s => s > 0 ? s : 1.0).ToArray();
        return (Scale(train, mean, std), Scale(test, mean, std));
    }

    private static Dataset Scale(Dataset d, double[] mean, double[] std)
    {
        int f = d.SampleSize;
        var values = new float[(long)d.Count * f];
        for (int i = 0; i < d.Count; i++)
        {
            Span<float> row = values.AsSpan(i * f, f);
            d.CopySample(i, row);
            for (int j = 0; j < f; j++) row[j] = (float)((row[j] - mean[j]) / std[j]);
        }
        return Dataset.FromFeatures(values, d.Labels.ToArray(), f, d.Classes, d.Name, d.ClassNames);
    }

    private static List<string> SortClasses(IEnumerable<string> labels)
    {
        var list = labels.ToList();
        if (list.All(l => long.TryParse(l, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)))
            return list.OrderBy(l => long.Parse(l, CultureInfo.InvariantCulture)).ToList();
        return list.Order(StringComparer.Ordinal).ToList();
    }

    private static (string[] Header, List<(int Line, string[] Cells)> Rows) Parse(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NablaInputException($"{path}: cannot read ({IdxReader.OneLine(e.Message)})", e);
        }
        int first = Array.FindIndex(lines, l => l.Trim().Length > 0);
        if (first < 0) throw new NablaInputException($"{path}: expected a header row and data rows, found an empty file");
        var header = Split(lines[first], path, first + 1).Select(h => h.Trim()).ToArray();
        for (int c = 0; c < header.Length; c++)
            if (header[c].Length == 0) throw new NablaInputException($"{path}: line {first + 1}, column {c + 1}: expected a column name in the header, found an empty one");
        var rows = new List<(int, string[])>();
        for (int i = first + 1; i < lines.Length; i++)
        {
            if (lines[i].Trim().Length == 0) continue;
            var cells = Split(lines[i], path, i + 1);
            if (cells.Length != header.Length)
                throw new NablaInputException($"{path}: line {i + 1}: expected {header.Length} columns like the header, found {cells.Length}");
            rows.Add((i + 1, cells));
        }
        if (rows.Count == 0) throw new NablaInputException($"{path}: expected data rows after the header, found none");
        return (header, rows);
    }

    private static string[] Split(string line, string path, int lineNo)
    {
        var cells = new List<string>();
        var cur = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char ch = line[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < line.Length && line[i + 1] == '"') { cur.Append('"'); i++; }
                else if (ch == '"') quoted = false;
                else cur.Append(ch);
            }
            else if (ch == '"') quoted = true;
            else if (ch == ',') { cells.Add(cur.ToString()); cur.Clear(); }
            else cur.Append(ch);
        }
        if (quoted) throw new NablaInputException($"{path}: line {lineNo}, column {cells.Count + 1}: expected a closing quote, found the end of the line");
        cells.Add(cur.ToString());
        return cells.ToArray();
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "...";
}
