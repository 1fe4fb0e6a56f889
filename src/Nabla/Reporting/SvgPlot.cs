using System.Globalization;
using System.Text;

namespace Nabla.Reporting;

/// <summary>
/// The project's one plot module: a line chart rendered as a self-contained SVG element, with a title, axis
/// labels, nice ticks, a grid, a legend and optional horizontal reference lines (e.g. chance accuracy).
/// </summary>
/// <remarks>Hand-written on purpose: ScottPlot 5 renders through SkiaSharp and HarfBuzzSharp, whose native
/// libraries the project does not ship (docs/report.md). Non-finite values are skipped, breaking the line.</remarks>
public sealed class SvgPlot
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private const int MarginLeft = 64, MarginRight = 16, MarginTop = 34, MarginBottom = 46;
    private const int MaxMarkers = 60;

    private readonly List<(string Name, string Color, IReadOnlyList<(double X, double Y)> Points, bool Dashed)> _series = new();
    private readonly List<(double Y, string Label, string Color)> _refLines = new();

    /// <summary>The bold heading above the plot area.</summary>
    public string Title { get; init; } = "";
    /// <summary>The x-axis label, units included (e.g. "epoch").</summary>
    public string XLabel { get; init; } = "";
    /// <summary>The y-axis label, units included (e.g. "accuracy (%)").</summary>
    public string YLabel { get; init; } = "";
    /// <summary>Fixed lower y limit, or null to fit the data.</summary>
    public double? YMin { get; init; }
    /// <summary>Fixed upper y limit, or null to fit the data.</summary>
    public double? YMax { get; init; }
    /// <summary>Multiplies every y value on tick labels (100 shows fractions as percent).</summary>
    public double YTickScale { get; init; } = 1;
    /// <summary>Only whole-number x ticks (epochs, steps).</summary>
    public bool IntegerX { get; init; } = true;

    /// <summary>Adds a line series.</summary>
    public SvgPlot Line(string name, string color, IReadOnlyList<(double X, double Y)> points, bool dashed = false)
    {
        _series.Add((name, color, points, dashed));
        return this;
    }

    /// <summary>Adds a dashed horizontal reference line labelled in the legend.</summary>
    public SvgPlot HorizontalLine(double y, string label, string color)
    {
        _refLines.Add((y, label, color));
        return this;
    }

    /// <summary>The plot as an <c>&lt;svg&gt;</c> element of the given size in CSS pixels.</summary>
    public string Render(int width, int height)
    {
        var all = _series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
        double x0 = all.Count == 0 ? 0 : all.Min(p => p.X), x1 = all.Count == 0 ? 1 : all.Max(p => p.X);
        if (x1 <= x0) { x0 -= 0.5; x1 += 0.5; }
        var ys = all.Select(p => p.Y).Concat(_refLines.Select(r => r.Y)).ToList();
        double y0 = YMin ?? (ys.Count == 0 ? 0 : ys.Min()), y1 = YMax ?? (ys.Count == 0 ? 1 : ys.Max());
        if (y1 <= y0) { y0 -= 0.5; y1 += 0.5; }
        var yTicks = Ticks(y0, y1, 6, false);
        if (YMin is null) y0 = Math.Min(y0, yTicks[0]);
        if (YMax is null) y1 = Math.Max(y1, yTicks[^1]);
        yTicks = yTicks.Where(t => t >= y0 - 1e-12 && t <= y1 + 1e-12).ToList();
        var xTicks = Ticks(x0, x1, 8, IntegerX).Where(t => t >= x0 - 1e-12 && t <= x1 + 1e-12).ToList();

        int pw = width - MarginLeft - MarginRight, ph = height - MarginTop - MarginBottom;
        double X(double x) => MarginLeft + (x - x0) / (x1 - x0) * pw;
        double Y(double y) => MarginTop + ph - (Math.Clamp(y, y0, y1) - y0) / (y1 - y0) * ph;

        var sb = new StringBuilder();
        sb.Append(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">");
        sb.Append(Inv, $"<title>{Html.Escape(Title)}</title><rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>");
        sb.Append(Inv, $"<text x=\"{MarginLeft}\" y=\"18\" font-size=\"14\" font-weight=\"bold\">{Html.Escape(Title)}</text>");
        foreach (double t in yTicks)
        {
            double y = Y(t);
            sb.Append(Inv, $"<line x1=\"{MarginLeft}\" y1=\"{y:F1}\" x2=\"{MarginLeft + pw}\" y2=\"{y:F1}\" stroke=\"#e3e3e3\"/>");
            sb.Append(Inv, $"<text x=\"{MarginLeft - 6}\" y=\"{y + 4:F1}\" text-anchor=\"end\">{Label(t * YTickScale)}</text>");
        }
        foreach (double t in xTicks)
        {
            double x = X(t);
            sb.Append(Inv, $"<line x1=\"{x:F1}\" y1=\"{MarginTop + ph}\" x2=\"{x:F1}\" y2=\"{MarginTop + ph + 5}\" stroke=\"#333\"/>");
            sb.Append(Inv, $"<text x=\"{x:F1}\" y=\"{MarginTop + ph + 18}\" text-anchor=\"middle\">{Label(t)}</text>");
        }
        sb.Append(Inv, $"<rect x=\"{MarginLeft}\" y=\"{MarginTop}\" width=\"{pw}\" height=\"{ph}\" fill=\"none\" stroke=\"#333\"/>");
        sb.Append(Inv, $"<text x=\"{MarginLeft + pw / 2}\" y=\"{height - 8}\" text-anchor=\"middle\">{Html.Escape(XLabel)}</text>");
        sb.Append(Inv, $"<text transform=\"translate(16 {MarginTop + ph / 2}) rotate(-90)\" text-anchor=\"middle\">{Html.Escape(YLabel)}</text>");
        foreach (var r in _refLines)
            sb.Append(Inv, $"<line x1=\"{MarginLeft}\" y1=\"{Y(r.Y):F1}\" x2=\"{MarginLeft + pw}\" y2=\"{Y(r.Y):F1}\" stroke=\"{r.Color}\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>");
        foreach (var s in _series) Series(sb, s.Points, s.Color, s.Dashed, X, Y);
        Legend(sb, width);
        sb.Append("</svg>");
        return sb.ToString();
    }

    private static void Series(StringBuilder sb, IReadOnlyList<(double X, double Y)> pts, string color, bool dashed,
        Func<double, double> x, Func<double, double> y)
    {
        var run = new StringBuilder();
        void Flush()
        {
            if (run.Length == 0) return;
            sb.Append(Inv, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{(dashed ? " stroke-dasharray=\"4 3\"" : "")} points=\"{run.ToString().TrimEnd()}\"/>");
            run.Clear();
        }
        foreach (var p in pts)
        {
            if (!double.IsFinite(p.X) || !double.IsFinite(p.Y)) { Flush(); continue; }
            run.Append(Inv, $"{x(p.X):F1},{y(p.Y):F1} ");
        }
        Flush();
        if (pts.Count > MaxMarkers) return;
        foreach (var p in pts)
            if (double.IsFinite(p.X) && double.IsFinite(p.Y))
                sb.Append(Inv, $"<circle cx=\"{x(p.X):F1}\" cy=\"{y(p.Y):F1}\" r=\"3\" fill=\"{color}\"/>");
    }

    /// <summary>One row of legend entries, right-aligned on the title line.</summary>
    private void Legend(StringBuilder sb, int width)
    {
        var items = _series.Select(s => (s.Name, s.Color, s.Dashed)).Concat(_refLines.Select(r => (Name: r.Label, r.Color, Dashed: true))).ToList();
        double x = width - MarginRight;
        foreach (var (name, color, dashed) in Enumerable.Reverse(items))
        {
            double textW = 7.0 * name.Length;
            x -= textW;
            sb.Append(Inv, $"<text x=\"{x:F1}\" y=\"18\">{Html.Escape(name)}</text>");
            x -= 28;
            sb.Append(Inv, $"<line x1=\"{x:F1}\" y1=\"14\" x2=\"{x + 22:F1}\" y2=\"14\" stroke=\"{color}\" stroke-width=\"3\"{(dashed ? " stroke-dasharray=\"6 4\"" : "")}/>");
            x -= 14;
        }
    }

    /// <summary>About <paramref name="target"/> evenly spaced round values (1, 2, 2.5 or 5 times a power of ten)
    /// covering [lo, hi], the first at or below lo and the last at or above hi.</summary>
    internal static List<double> Ticks(double lo, double hi, int target, bool integer)
    {
        double raw = (hi - lo) / Math.Max(1, target - 1);
        double p = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = new[] { 1, 2, 2.5, 5, 10 }.Select(m => m * p).First(s => s >= raw);
        if (integer) step = Math.Max(1, Math.Round(step));
        var ticks = new List<double>();
        for (long i = (long)Math.Floor(lo / step + 1e-9); ; i++)
        {
            ticks.Add(i * step);
            if (ticks[^1] >= hi - step * 1e-9 || ticks.Count > 4 * target) break;
        }
        return ticks;
    }

    private static string Label(double v) => Math.Abs(v) >= 1e5 || (v != 0 && Math.Abs(v) < 1e-4)
        ? v.ToString("0.##e0", Inv) : v.ToString("0.####", Inv);
}
