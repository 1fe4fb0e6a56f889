using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Nabla.Analysis;

/// <summary>The machine-readable forms of a <see cref="ModelSummary"/>: JSON (CONTRACTS §4) and CSV.</summary>
public static class SummaryFormats
{
    /// <summary>
    /// The JSON of CONTRACTS §4: <c>{"input": [...], "layers": [{"name", "type", "output_shape", "params", "mults",
    /// "adds", "activations", "rf_size", "rf_stride", "rf_start"}, ...], "total": {...}}</c>, one layer per line;
    /// the rf fields are [h, w] arrays, or null once the data is flat.
    /// </summary>
    public static string ToJson(ModelSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var sb = new StringBuilder();
        sb.Append("{\"input\": ").Append(Compact(w => Ints(w, summary.Input))).Append(",\n \"layers\": [");
        for (int i = 0; i < summary.Layers.Count; i++)
        {
            var row = summary.Layers[i];
            sb.Append(i == 0 ? "\n  " : ",\n  ").Append(Compact(w =>
            {
                w.WriteStartObject();
                w.WriteString("name", row.Name);
                w.WriteString("type", row.Type);
                w.WritePropertyName("output_shape");
                Ints(w, row.OutputShape);
                WriteCounts(w, row.Counts);
                var rf = row.ReceptiveField;
                Pair(w, "rf_size", rf?.H.Size, rf?.W.Size);
                Pair(w, "rf_stride", rf?.H.Stride, rf?.W.Stride);
                Pair(w, "rf_start", rf?.H.Start, rf?.W.Start);
                w.WriteEndObject();
            }));
        }
        sb.Append("],\n \"total\": ").Append(Compact(w =>
        {
            w.WriteStartObject();
            WriteCounts(w, summary.Total);
            w.WriteEndObject();
        })).Append("}\n");
        return sb.ToString();
    }

    /// <summary>
    /// CSV with a header row and one row per layer (no total row):
    /// <c>name,type,depth,output_shape,params,mults,adds,activations,rf_size_h,rf_size_w,rf_stride_h,rf_stride_w,rf_start_h,rf_start_w</c>;
    /// output_shape is written <c>CxHxW</c>; the rf cells are empty once the data is flat.
    /// </summary>
    public static string ToCsv(ModelSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var sb = new StringBuilder("name,type,depth,output_shape,params,mults,adds,activations,rf_size_h,rf_size_w,rf_stride_h,rf_stride_w,rf_start_h,rf_start_w\n");
        foreach (var row in summary.Layers)
        {
            var c = row.Counts;
            var rf = row.ReceptiveField;
            object?[] cells =
            [
                row.Name, row.Type, row.Depth, string.Join("x", row.OutputShape), c.Params, c.Mults, c.Adds, c.Activations,
                rf?.H.Size, rf?.W.Size, rf?.H.Stride, rf?.W.Stride, rf?.H.Start, rf?.W.Start,
            ];
            sb.AppendJoin(',', cells.Select(x => Convert.ToString(x, CultureInfo.InvariantCulture))).Append('\n');
        }
        return sb.ToString();
    }

    private static string Compact(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream)) write(w);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void Ints(Utf8JsonWriter w, IEnumerable<int> values)
    {
        w.WriteStartArray();
        foreach (var v in values) w.WriteNumberValue(v);
        w.WriteEndArray();
    }

    private static void Pair(Utf8JsonWriter w, string name, long? h, long? v)
    {
        w.WritePropertyName(name);
        if (h is null || v is null) { w.WriteNullValue(); return; }
        w.WriteStartArray();
        w.WriteNumberValue(h.Value);
        w.WriteNumberValue(v.Value);
        w.WriteEndArray();
    }

    private static void WriteCounts(Utf8JsonWriter w, Counts c)
    {
        w.WriteNumber("params", c.Params);
        w.WriteNumber("mults", c.Mults);
        w.WriteNumber("adds", c.Adds);
        w.WriteNumber("activations", c.Activations);
    }
}
