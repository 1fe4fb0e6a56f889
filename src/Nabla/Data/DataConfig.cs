using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Nabla.Data;

/// <summary>
/// The data a training run used, as written to <c>data.json</c> beside its weights: where the data came from
/// (<c>--data</c>, <c>--val-split</c>, <c>--label-column</c>), how the model wants its input (<c>--resize</c>,
/// <c>--normalize</c> with the values it applied, <c>auto</c> ones computed) and the class names.
/// <c>nabla eval</c> takes from it the data flags it is not given.
/// </summary>
public sealed record DataConfig
{
    /// <summary>The file's name in a run directory.</summary>
    public const string FileName = "data.json";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary><c>--data</c>: <c>mnist</c>, <c>fashion-mnist</c>, or the full path of a directory or .csv file.</summary>
    public string Data { get; init; } = DataSource.Mnist;

    /// <summary><c>--resize H W</c> as [H, W], or null.</summary>
    public int[]? Resize { get; init; }

    /// <summary><c>--val-split F</c>, or 0 when not given.</summary>
    public double ValSplit { get; init; }

    /// <summary><c>--label-column NAME</c>, or null.</summary>
    public string? LabelColumn { get; init; }

    /// <summary><c>--normalize</c> as given (<c>auto</c> or numbers), or null when the source's default was used.</summary>
    public string? Normalize { get; init; }

    /// <summary>The per-channel means <c>--normalize</c> applied (for <c>auto</c>, computed on the training set), or null.</summary>
    public float[]? Mean { get; init; }

    /// <summary>The per-channel standard deviations <c>--normalize</c> applied, or null.</summary>
    public float[]? Std { get; init; }

    /// <summary>The class names in label order, or null when classes are only numbers.</summary>
    public string[]? Classes { get; init; }

    /// <summary>What a run with <paramref name="data"/>, <paramref name="options"/> and <paramref name="normalize"/>
    /// used, given its training set after normalisation.</summary>
    /// <param name="data">The <c>--data</c> value; paths are stored in full.</param>
    /// <param name="options">The run's data options.</param>
    /// <param name="normalize">The run's <c>--normalize</c>, or null.</param>
    /// <param name="train">The training set as trained on (its <see cref="Dataset.Means"/> are the applied values).</param>
    public static DataConfig Of(string data, DataOptions options, Normalization? normalize, Dataset train)
    {
        bool named = string.IsNullOrEmpty(data) || string.Equals(data, DataSource.Mnist, StringComparison.OrdinalIgnoreCase)
            || string.Equals(data, FashionMnist.Name, StringComparison.OrdinalIgnoreCase);
        bool norm = normalize is not null && !train.IsTable;
        return new DataConfig
        {
            Data = named ? (string.IsNullOrEmpty(data) ? DataSource.Mnist : data.ToLowerInvariant()) : Path.GetFullPath(data),
            Resize = options.Resize is { } r ? [r.Height, r.Width] : null,
            ValSplit = options.ValSplit,
            LabelColumn = options.LabelColumn,
            Normalize = norm ? normalize!.Describe() : null,
            Mean = norm ? train.Means.ToArray() : null,
            Std = norm ? train.Stds.ToArray() : null,
            Classes = train.ClassNames?.ToArray(),
        };
    }

    /// <summary>The normalisation to apply at evaluation: the values the run applied, fixed, or null.</summary>
    [JsonIgnore]
    public Normalization? Normalization => Mean is not null && Std is not null ? new Normalization(Mean, Std) : null;

    /// <summary>The data options of the run (its model input is filled in by whoever loads the data).</summary>
    [JsonIgnore]
    public DataOptions Options => new()
    {
        Resize = Resize is [int h, int w] ? (h, w) : null,
        ValSplit = ValSplit,
        LabelColumn = LabelColumn,
    };

    /// <summary>Whether <paramref name="data"/> (a <c>--data</c> value) names the same data as <see cref="Data"/>.</summary>
    public bool SameData(string data)
    {
        bool path = !string.Equals(data, DataSource.Mnist, StringComparison.OrdinalIgnoreCase) && !string.Equals(data, FashionMnist.Name, StringComparison.OrdinalIgnoreCase);
        return path ? string.Equals(Path.GetFullPath(data), Data, StringComparison.Ordinal) : string.Equals(data, Data, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The flags this configuration stands for, as <c>nabla eval</c> would be given them.</summary>
    public string Describe()
    {
        var inv = CultureInfo.InvariantCulture;
        var parts = new List<string> { "--data " + Data };
        if (Resize is [int h, int w]) parts.Add(string.Create(inv, $"--resize {h} {w}"));
        if (ValSplit > 0) parts.Add("--val-split " + ValSplit.ToString("R", inv));
        if (LabelColumn is not null) parts.Add("--label-column " + LabelColumn);
        if (Normalization is { } n) parts.Add("--normalize " + n.Describe());
        return string.Join(" ", parts);
    }

    /// <summary>The JSON text of <c>data.json</c>.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json) + "\n";

    /// <summary>Reads a <c>data.json</c>.</summary>
    /// <exception cref="NablaInputException">The file cannot be read or is not a valid data.json; the message names it.</exception>
    public static DataConfig Load(string path)
    {
        DataConfig? c;
        try { c = JsonSerializer.Deserialize<DataConfig>(File.ReadAllText(path), Json); }
        catch (JsonException e) { throw new NablaInputException($"{path}: not a valid {FileName} ({e.Message})"); }
        catch (IOException e) { throw new NablaInputException($"{path}: cannot read it ({e.Message})"); }
        catch (UnauthorizedAccessException e) { throw new NablaInputException($"{path}: cannot read it ({e.Message})"); }
        if (c is null || string.IsNullOrEmpty(c.Data))
            throw new NablaInputException($"{path}: not a valid {FileName} (no \"data\")");
        if (c.Resize is not null and not [> 0, > 0])
            throw new NablaInputException($"{path}: \"resize\" must be [height, width], found {c.Resize.Length} numbers");
        if ((c.Mean is null) != (c.Std is null) || (c.Mean is not null && (c.Mean.Length != c.Std!.Length || c.Mean.Length == 0 || c.Std.Any(s => !(s > 0)))))
            throw new NablaInputException($"{path}: \"mean\" and \"std\" must be lists of the same length, standard deviations positive");
        if (!(c.ValSplit >= 0 && c.ValSplit < 1))
            throw new NablaInputException($"{path}: \"val_split\" must lie in [0, 1), found {c.ValSplit.ToString(CultureInfo.InvariantCulture)}");
        return c;
    }

    /// <summary>The <c>data.json</c> in the directory of <paramref name="weightsPath"/>, or null when there is none.</summary>
    /// <exception cref="NablaInputException">It exists but is not valid.</exception>
    public static DataConfig? Beside(string weightsPath)
    {
        string file = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(weightsPath))!, FileName);
        return File.Exists(file) ? Load(file) : null;
    }
}
