using System.Globalization;
using System.Text;
using Nabla.Analysis;
using Nabla.Data;
using Nabla.Training;

namespace Nabla.Reporting;

/// <summary>
/// Builds the self-contained HTML report of a run (report.html): no external scripts, fonts or images, so that it
/// opens offline and can be mailed. Each section is an element with a fixed id: <c>#run</c> (options and machine),
/// <c>#curves</c>, <c>#confusion</c>, <c>#mistakes</c>, <c>#layers</c>; a section without data is left out.
/// </summary>
public sealed class RunReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The page heading.</summary>
    public string Title { get; init; } = "nabla run";
    /// <summary>Key/value rows of the run section (options, seed, machine, ...), shown in order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Info { get; init; } = [];
    /// <summary>Per-epoch metrics (empty: no #curves section).</summary>
    public IReadOnlyList<EpochMetrics> History { get; init; } = [];
    /// <summary>Per-window training metrics.</summary>
    public IReadOnlyList<StepMetrics> Steps { get; init; } = [];
    /// <summary>The window length of <see cref="Steps"/> in optimizer steps.</summary>
    public int StepsEvery { get; init; } = 50;
    /// <summary>The chance accuracy to draw (random-label runs), or null.</summary>
    public double? Chance { get; init; }
    /// <summary>Class names, index = label; missing names show as the number.</summary>
    public IReadOnlyList<string> ClassNames { get; init; } = [];
    /// <summary>Test predictions (null: no #confusion and #mistakes sections).</summary>
    public TestPredictions? Predictions { get; init; }
    /// <summary>The test set whose pixels <see cref="Predictions"/> refer to (null or a table: mistakes listed without images).</summary>
    public Dataset? TestImages { get; init; }
    /// <summary>How many misclassified images to show.</summary>
    public int MistakeCount { get; init; } = 32;
    /// <summary>The model's layer table (null: no #layers section).</summary>
    public ModelSummary? Layers { get; init; }
    /// <summary>A note shown under the heading (e.g. "run in progress").</summary>
    public string? Note { get; init; }

    /// <summary>The class name of label <paramref name="k"/>.</summary>
    public string ClassName(int k) => k >= 0 && k < ClassNames.Count ? ClassNames[k] : k.ToString(Inv);

    /// <summary>The report as one HTML document.</summary>
    public string ToHtml()
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        sb.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        sb.Append(Inv, $"<title>{Html.Escape(Title)}</title><style>{Css}</style></head><body>\n");
        sb.Append(Inv, $"<header><h1>{Html.Escape(Title)}</h1>");
        if (Note is not null) sb.Append(Inv, $"<p class=\"note\">{Html.Escape(Note)}</p>");
        sb.Append("<nav>");
        foreach (var (id, label) in Sections()) sb.Append(Inv, $"<a href=\"#{id}\">{label}</a>");
        sb.Append("</nav></header>\n");
        if (Info.Count > 0) RunSection(sb);
        if (History.Count > 0) CurvesSection(sb);
        if (Predictions is not null) { ConfusionSection(sb, Predictions); MistakesSection(sb, Predictions); }
        if (Layers is not null) LayersSection(sb, Layers);
        sb.Append("<footer>written by nabla; self-contained: no scripts, fonts or images are loaded from elsewhere</footer>\n</body></html>\n");
        return sb.ToString();
    }

    private IEnumerable<(string Id, string Label)> Sections()
    {
        if (Info.Count > 0) yield return ("run", "run");
        if (History.Count > 0) yield return ("curves", "curves");
        if (Predictions is not null) { yield return ("confusion", "confusion matrix"); yield return ("mistakes", "mistakes"); }
        if (Layers is not null) yield return ("layers", "layers");
    }

    private void RunSection(StringBuilder sb)
    {
        sb.Append("<section id=\"run\"><h2>Run</h2><dl class=\"kv\">");
        foreach (var (k, v) in Info) sb.Append(Inv, $"<dt>{Html.Escape(k)}</dt><dd>{Html.Escape(v)}</dd>");
        sb.Append("</dl></section>\n");
    }

    private void CurvesSection(StringBuilder sb)
    {
        const int w = 570, h = 320;
        sb.Append("<section id=\"curves\"><h2>Curves</h2>");
        if (Chance is double c)
            sb.Append(Inv, $"<p>Training labels are random: the network can only memorise them. Train accuracy (evaluated on the labels trained on) rises while test accuracy stays at chance, {c * 100:0.#} % (dashed line).</p>");
        sb.Append("<div class=\"plots\">");
        sb.Append(RunCharts.Loss(History).Render(w, h)).Append(RunCharts.Accuracy(History, Chance).Render(w, h));
        var steps = Thin(Steps, 1500);
        if (steps.Count > 0) sb.Append(RunCharts.Steps(steps, StepsEvery).Render(w, h)).Append(RunCharts.LearningRate(steps).Render(w, h));
        sb.Append(RunCharts.EpochTime(History).Render(w, h));
        sb.Append("</div>");
        // A long run's table would push the confusion matrix far down: shown open only for short runs.
        sb.Append(Inv, $"<details{(History.Count <= 10 ? " open" : "")}><summary>metrics per epoch ({History.Count} rows, as metrics.csv)</summary>");
        sb.Append("<table class=\"metrics\"><thead><tr><th>epoch</th><th>train loss</th><th>train acc</th><th>test loss</th><th>test acc</th><th>time (s, cumulative)</th></tr></thead><tbody>");
        foreach (var m in History)
            sb.Append(Inv, $"<tr><td>{m.Epoch}</td><td>{m.TrainLoss:F4}</td><td>{m.TrainAcc:P2}</td><td>{m.TestLoss:F4}</td><td>{m.TestAcc:P2}</td><td>{m.Seconds:F1}</td></tr>");
        sb.Append("</tbody></table></details></section>\n");
    }

    /// <summary>At most <paramref name="max"/> rows, evenly spaced, the last one kept, so a long run's report stays small.</summary>
    private static List<StepMetrics> Thin(IReadOnlyList<StepMetrics> s, int max)
    {
        if (s.Count <= max) return s.ToList();
        int k = (s.Count + max - 1) / max;
        var r = s.Where((_, i) => i % k == 0).ToList();
        if (r[^1] != s[^1]) r.Add(s[^1]);
        return r;
    }

    private void ConfusionSection(StringBuilder sb, TestPredictions p)
    {
        var m = p.Confusion();
        int k = p.Classes;
        long correct = Enumerable.Range(0, k).Sum(i => (long)m[i, i]);
        sb.Append(Inv, $"<section id=\"confusion\"><h2>Confusion matrix</h2><p>{p.Count:N0} test samples, {correct:N0} right ({(double)correct / Math.Max(1, p.Count):P2}). Rows: true class; columns: predicted class; hover a cell for its share of the row.</p>");
        sb.Append("<table class=\"confusion\"><thead><tr><th class=\"corner\">true \\ predicted</th>");
        for (int j = 0; j < k; j++) sb.Append(Inv, $"<th scope=\"col\">{Html.Escape(ClassName(j))}</th>");
        sb.Append("<th scope=\"col\">recall</th></tr></thead><tbody>");
        for (int i = 0; i < k; i++)
        {
            long row = Enumerable.Range(0, k).Sum(j => (long)m[i, j]);
            sb.Append(Inv, $"<tr><th scope=\"row\">{Html.Escape(ClassName(i))}</th>");
            for (int j = 0; j < k; j++)
            {
                double share = row == 0 ? 0 : (double)m[i, j] / row;
                // Off-diagonal counts are small next to the diagonal: a square-root scale keeps them visible.
                double a = m[i, j] == 0 ? 0 : 0.08 + 0.92 * Math.Sqrt(share);
                string rgb = i == j ? "31,119,180" : "214,39,40";
                string fg = a > 0.55 ? "#fff" : "#111";
                sb.Append(Inv, $"<td data-count=\"{m[i, j]}\" title=\"true {Html.Escape(ClassName(i))}, predicted {Html.Escape(ClassName(j))}: {m[i, j]} ({share:P1} of the row)\" style=\"background:rgba({rgb},{a:F2});color:{fg}\">{m[i, j]}</td>");
            }
            sb.Append(Inv, $"<td class=\"recall\">{(row == 0 ? "–" : ((double)m[i, i] / row).ToString("P1", Inv))}</td></tr>");
        }
        sb.Append("</tbody></table></section>\n");
    }

    private void MistakesSection(StringBuilder sb, TestPredictions p)
    {
        var idx = p.MostConfidentMistakes(MistakeCount);
        int wrong = Enumerable.Range(0, p.Count).Count(i => p.Labels[i] != p.Predicted[i]);
        sb.Append(Inv, $"<section id=\"mistakes\"><h2>Most confident mistakes</h2><p>The {idx.Length} misclassified test images (of {wrong:N0}) the model was surest of, most confident first: true label, predicted label and the predicted class's softmax probability.</p><div class=\"grid\">");
        foreach (int i in idx)
        {
            string t = Html.Escape(ClassName(p.Labels[i])), pr = Html.Escape(ClassName(p.Predicted[i]));
            sb.Append(Inv, $"<figure class=\"mistake\" data-index=\"{i}\" data-true=\"{p.Labels[i]}\" data-pred=\"{p.Predicted[i]}\">");
            if (TestImages is { IsTable: false } d && i < d.Count) sb.Append(Inv, $"<img src=\"{Image(d, i)}\" alt=\"test image {i}\" width=\"84\" height=\"{84 * d.Height / d.Width}\">");
            sb.Append(Inv, $"<figcaption>#{i}<br>true <b>{t}</b><br>pred <b class=\"bad\">{pr}</b> {p.Confidence[i] * 100:0.0} %</figcaption></figure>");
        }
        sb.Append("</div></section>\n");
    }

    /// <summary>Test image i as a PNG data URI, upscaled to about 84 px wide (planes beyond RGB are dropped).</summary>
    private static string Image(Dataset d, int i)
    {
        int c = d.Channels >= 3 ? 3 : 1, plane = d.Height * d.Width;
        var px = d.Pixels.Slice(i * d.SampleSize, c * plane);
        return Png.DataUri(Png.Encode(px, c, d.Height, d.Width, Math.Max(1, 84 / d.Width)));
    }

    private static void LayersSection(StringBuilder sb, ModelSummary s)
    {
        sb.Append(Inv, $"<section id=\"layers\"><h2>Layers</h2><p>{Html.Escape(s.Source)}: input {string.Join("×", s.Input)}; counts per sample (as <code>nabla summary</code>); receptive-field ranges are 0-based slices before clipping to the image.</p>");
        sb.Append("<table class=\"layers\"><thead><tr><th>name</th><th>type</th><th>output</th><th>params</th><th>mults</th><th>adds</th><th>activations</th><th>rf size</th><th>rf stride</th><th>output (i, j) sees</th></tr></thead><tbody>");
        foreach (var r in s.Layers)
        {
            var rf = r.ReceptiveField;
            sb.Append(Inv, $"<tr><td style=\"padding-left:{0.5 + r.Depth}em\">{Html.Escape(r.Name)}</td><td>{Html.Escape(r.Type)}</td><td>{string.Join("×", r.OutputShape)}</td>");
            sb.Append(Inv, $"<td>{r.Counts.Params:N0}</td><td>{r.Counts.Mults:N0}</td><td>{r.Counts.Adds:N0}</td><td>{r.Counts.Activations:N0}</td>");
            sb.Append(rf is null ? "<td>–</td><td>–</td><td>–</td>" : string.Create(Inv, $"<td>{Pair(rf.H.Size, rf.W.Size)}</td><td>{Pair(rf.H.Stride, rf.W.Stride)}</td><td><code>{Html.Escape(rf.Range(0))}</code></td>"));
            sb.Append("</tr>");
        }
        var t = s.Total;
        sb.Append(Inv, $"</tbody><tfoot><tr><th colspan=\"3\">total</th><th>{t.Params:N0}</th><th>{t.Mults:N0}</th><th>{t.Adds:N0}</th><th>{t.Activations:N0}</th><th colspan=\"3\"></th></tr></tfoot></table></section>\n");
    }

    private static string Pair(long h, long w) => h == w ? h.ToString(Inv) : string.Create(Inv, $"{h}×{w}");

    private const string Css = """
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0 auto;max-width:1240px;padding:0 20px 40px;color:#111;background:#fafafa}
        header{border-bottom:1px solid #ccc;margin-bottom:8px}h1{font-size:24px;margin:18px 0 6px}h2{font-size:19px;margin:26px 0 8px}
        nav a{margin-right:16px;color:#1f5fa0}.note{color:#8a5a00}
        section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:6px 16px 14px;margin:14px 0}
        dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:3px 18px;margin:0}dt{color:#555}dd{margin:0;font-variant-numeric:tabular-nums}
        .plots{display:flex;flex-wrap:wrap;gap:8px}svg.plot{border:1px solid #eee}
        table{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:13px}th,td{padding:3px 8px;border:1px solid #e2e2e2;text-align:right}
        details{margin-top:10px}summary{cursor:pointer;color:#1f5fa0}table.metrics{margin-top:6px}table.layers td:nth-child(-n+2){text-align:left}
        table.confusion td{min-width:44px;text-align:center;font-size:13px}table.confusion th.corner{font-weight:normal;color:#555}
        .grid{display:flex;flex-wrap:wrap;gap:10px}figure.mistake{margin:0;width:96px;text-align:center;font-size:12px}
        figure.mistake img{image-rendering:pixelated;border:1px solid #999;background:#000}.bad{color:#c00}
        footer{color:#777;font-size:12px;margin-top:20px}
        """;
}
