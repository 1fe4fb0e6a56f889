using System.Globalization;
using System.Text;

namespace Nabla.Training;

/// <summary>Renders training curves as a standalone SVG: loss and accuracy against epoch, train and test,
/// with axes, ticks, grid and a legend.</summary>
public static class CurvesSvg
{
    private const int PanelW = 420, PanelH = 300, Left = 60, Top = 50, Gap = 90;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The SVG text for <paramref name="history"/>.</summary>
    public static string Render(IReadOnlyList<EpochMetrics> history, string title)
    {
        int width = Left + 2 * PanelW + Gap + 30, height = Top + PanelH + 80;
        var sb = new StringBuilder();
        sb.Append(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.Append(Inv, $"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n");
        sb.Append(Inv, $"<text x=\"{width / 2}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{Escape(title)}</text>\n");
        double maxLoss = history.Count == 0 ? 1 : history.Max(h => Math.Max(Finite(h.TrainLoss), Finite(h.TestLoss)));
        Panel(sb, Left, "loss", history, h => h.TrainLoss, h => h.TestLoss, 0, NiceCeiling(maxLoss));
        // The accuracy axis starts at the tenth below the lowest value, so curves near 99% stay readable.
        double minAcc = history.Count == 0 ? 0 : history.Min(h => Math.Min(Finite(h.TrainAcc), Finite(h.TestAcc)));
        double accFloor = Math.Clamp(Math.Floor(minAcc * 10 - 1e-9) / 10, 0, 0.9);
        Panel(sb, Left + PanelW + Gap, "accuracy", history, h => h.TrainAcc, h => h.TestAcc, accFloor, 1);
        int ly = Top + PanelH + 55;
        Legend(sb, width / 2 - 110, ly, "#1f77b4", "train");
        Legend(sb, width / 2 + 30, ly, "#d62728", "test");
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    private static double Finite(double v) => double.IsFinite(v) ? v : 0;

    private static double NiceCeiling(double v)
    {
        if (!(v > 0)) return 1;
        double p = Math.Pow(10, Math.Floor(Math.Log10(v)));
        foreach (double m in new[] { 1, 2, 2.5, 5, 10 }) if (m * p >= v) return m * p;
        return 10 * p;
    }

    private static void Panel(StringBuilder sb, int x0, string label, IReadOnlyList<EpochMetrics> h,
        Func<EpochMetrics, double> train, Func<EpochMetrics, double> test, double yMin, double yMax)
    {
        int epochs = Math.Max(1, h.Count == 0 ? 1 : h[^1].Epoch);
        double X(double e) => x0 + (epochs == 1 ? PanelW / 2.0 : (e - 1) / (epochs - 1) * PanelW);
        double Y(double v) => Top + PanelH - (Math.Clamp(v, yMin, yMax) - yMin) / (yMax - yMin) * PanelH;
        sb.Append(Inv, $"<g><rect x=\"{x0}\" y=\"{Top}\" width=\"{PanelW}\" height=\"{PanelH}\" fill=\"none\" stroke=\"#333\"/>\n");
        for (int i = 0; i <= 5; i++)
        {
            double v = yMin + (yMax - yMin) * i / 5;
            double y = Y(v);
            sb.Append(Inv, $"<line x1=\"{x0}\" y1=\"{y:F1}\" x2=\"{x0 + PanelW}\" y2=\"{y:F1}\" stroke=\"#ddd\"/>");
            sb.Append(Inv, $"<line x1=\"{x0 - 5}\" y1=\"{y:F1}\" x2=\"{x0}\" y2=\"{y:F1}\" stroke=\"#333\"/>");
            sb.Append(Inv, $"<text x=\"{x0 - 8}\" y=\"{y + 4:F1}\" text-anchor=\"end\">{v.ToString("0.###", Inv)}</text>\n");
        }
        int step = Math.Max(1, (int)Math.Ceiling(epochs / 10.0));
        for (int e = 1; e <= epochs; e += step)
        {
            double x = X(e);
            sb.Append(Inv, $"<line x1=\"{x:F1}\" y1=\"{Top + PanelH}\" x2=\"{x:F1}\" y2=\"{Top + PanelH + 5}\" stroke=\"#333\"/>");
            sb.Append(Inv, $"<text x=\"{x:F1}\" y=\"{Top + PanelH + 18}\" text-anchor=\"middle\">{e}</text>\n");
        }
        sb.Append(Inv, $"<text x=\"{x0 + PanelW / 2}\" y=\"{Top + PanelH + 36}\" text-anchor=\"middle\">epoch</text>\n");
        sb.Append(Inv, $"<text x=\"{x0 + PanelW / 2}\" y=\"{Top - 8}\" text-anchor=\"middle\" font-weight=\"bold\">{label}</text>\n");
        Series(sb, h, train, X, Y, "#1f77b4");
        Series(sb, h, test, X, Y, "#d62728");
        sb.Append("</g>\n");
    }

    private static void Series(StringBuilder sb, IReadOnlyList<EpochMetrics> h, Func<EpochMetrics, double> f,
        Func<double, double> x, Func<double, double> y, string color)
    {
        var pts = h.Where(m => double.IsFinite(f(m))).Select(m => string.Create(Inv, $"{x(m.Epoch):F1},{y(f(m)):F1}")).ToList();
        if (pts.Count > 1) sb.Append(Inv, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{string.Join(" ", pts)}\"/>\n");
        foreach (var p in pts)
        {
            var xy = p.Split(',');
            sb.Append(Inv, $"<circle cx=\"{xy[0]}\" cy=\"{xy[1]}\" r=\"3\" fill=\"{color}\"/>");
        }
        sb.Append('\n');
    }

    private static void Legend(StringBuilder sb, int x, int y, string color, string text)
    {
        sb.Append(Inv, $"<line x1=\"{x}\" y1=\"{y}\" x2=\"{x + 30}\" y2=\"{y}\" stroke=\"{color}\" stroke-width=\"3\"/>");
        sb.Append(Inv, $"<text x=\"{x + 36}\" y=\"{y + 4}\">{text}</text>\n");
    }

    private static string Escape(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
