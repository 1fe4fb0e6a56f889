using Nabla.Training;

namespace Nabla.Reporting;

/// <summary>The training charts of a run, built on <see cref="SvgPlot"/>: shared by report.html and curves.svg.</summary>
public static class RunCharts
{
    /// <summary>Colour of train series.</summary>
    public const string TrainColor = "#1f77b4";
    /// <summary>Colour of test series.</summary>
    public const string TestColor = "#d62728";
    /// <summary>Colour of reference lines and secondary series.</summary>
    public const string OtherColor = "#555555";

    /// <summary>Train and test loss against epoch.</summary>
    public static SvgPlot Loss(IReadOnlyList<EpochMetrics> h) =>
        new SvgPlot { Title = "loss per epoch", XLabel = "epoch", YLabel = "cross-entropy (nats)", YMin = 0 }
            .Line("train", TrainColor, h.Select(m => ((double)m.Epoch, m.TrainLoss)).ToList())
            .Line("test", TestColor, h.Select(m => ((double)m.Epoch, m.TestLoss)).ToList());

    /// <summary>Train and test accuracy against epoch, in percent; with <paramref name="chance"/> the axis spans 0–100 %
    /// and the chance level is drawn (the memorisation picture), else the axis starts at the tenth below the lowest value.</summary>
    public static SvgPlot Accuracy(IReadOnlyList<EpochMetrics> h, double? chance)
    {
        double min = h.Count == 0 ? 0 : h.Min(m => Math.Min(Finite(m.TrainAcc), Finite(m.TestAcc)));
        double floor = chance is null ? Math.Clamp(Math.Floor(min * 10 - 1e-9) / 10, 0, 0.9) : 0;
        var plot = new SvgPlot { Title = "accuracy per epoch", XLabel = "epoch", YLabel = "accuracy (%)", YMin = floor, YMax = 1, YTickScale = 100 }
            .Line("train", TrainColor, h.Select(m => ((double)m.Epoch, m.TrainAcc)).ToList())
            .Line("test", TestColor, h.Select(m => ((double)m.Epoch, m.TestAcc)).ToList());
        return chance is double c ? plot.HorizontalLine(c, $"chance ({c * 100:0.#} %)", OtherColor) : plot;
    }

    /// <summary>Training loss and accuracy (fraction) of each logging window against the optimizer step.</summary>
    public static SvgPlot Steps(IReadOnlyList<StepMetrics> s, int every) =>
        new SvgPlot { Title = $"training loss and accuracy every {every} steps", XLabel = "optimizer step", YLabel = "loss (nats) / accuracy (fraction)", YMin = 0 }
            .Line("loss", TrainColor, s.Select(m => ((double)m.Step, m.Loss)).ToList())
            .Line("accuracy", OtherColor, s.Select(m => ((double)m.Step, m.Accuracy)).ToList(), dashed: true);

    /// <summary>Learning rate against the optimizer step.</summary>
    public static SvgPlot LearningRate(IReadOnlyList<StepMetrics> s) =>
        new SvgPlot { Title = "learning rate", XLabel = "optimizer step", YLabel = "learning rate", YMin = 0 }
            .Line("lr", TrainColor, s.Select(m => ((double)m.Step, m.LearningRate)).ToList());

    /// <summary>Wall time of each epoch (training, evaluation and writing outputs).</summary>
    public static SvgPlot EpochTime(IReadOnlyList<EpochMetrics> h) =>
        new SvgPlot { Title = "time per epoch", XLabel = "epoch", YLabel = "wall time (s)", YMin = 0 }
            .Line("seconds", OtherColor, h.Select((m, i) => ((double)m.Epoch, m.Seconds - (i == 0 ? 0 : h[i - 1].Seconds))).ToList());

    /// <summary>curves.svg: the loss and accuracy charts side by side in one standalone SVG document.</summary>
    public static string CurvesSvg(IReadOnlyList<EpochMetrics> h, string title, double? chance)
    {
        const int w = 560, ph = 320, top = 36;
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + 2 * w + "\" height=\"" + (ph + top) + "\" font-family=\"sans-serif\">"
            + "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>"
            + "<text x=\"" + w + "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">" + Html.Escape(title) + "</text>"
            + "<g transform=\"translate(0 " + top + ")\">" + Loss(h).Render(w, ph) + "</g>"
            + "<g transform=\"translate(" + w + " " + top + ")\">" + Accuracy(h, chance).Render(w, ph) + "</g></svg>\n";
    }

    private static double Finite(double v) => double.IsFinite(v) ? v : 0;
}
