using System.Xml.Linq;
using Nabla.Reporting;
using Xunit;

namespace Nabla.Tests.Reporting;

public class SvgPlotTests
{
    [Theory]
    [InlineData(0, 1, 6, false, new[] { 0, 0.2, 0.4, 0.6, 0.8, 1 })]
    [InlineData(1, 4, 8, true, new[] { 1.0, 2, 3, 4 })]
    [InlineData(1, 60, 8, true, new[] { 0.0, 10, 20, 30, 40, 50, 60 })]
    [InlineData(0.03, 2.31, 6, false, new[] { 0, 0.5, 1, 1.5, 2, 2.5 })]
    public void Ticks_AreRoundAndCoverTheRange(double lo, double hi, int target, bool integer, double[] expected) =>
        Assert.Equal(expected, SvgPlot.Ticks(lo, hi, target, integer).ToArray(), (a, b) => Math.Abs(a - b) < 1e-12);

    [Fact]
    public void Render_IsWellFormedSvg_WithTitleAxisLabelsLegendAndBrokenLineAtNaN()
    {
        var svg = new SvgPlot { Title = "loss <per> epoch", XLabel = "epoch", YLabel = "nats" }
            .Line("train", "#000", [(1, 2.0), (2, double.NaN), (3, 1.0), (4, 0.5)])
            .HorizontalLine(0.1, "chance", "#555")
            .Render(500, 300);
        var doc = XDocument.Parse(svg);
        XNamespace ns = "http://www.w3.org/2000/svg";
        var texts = doc.Descendants(ns + "text").Select(t => t.Value).ToList();
        Assert.Contains("loss <per> epoch", texts);
        Assert.Contains("epoch", texts);
        Assert.Contains("nats", texts);
        Assert.Contains("train", texts);
        Assert.Contains("chance", texts);
        Assert.Equal(2, doc.Descendants(ns + "polyline").Count()); // the NaN splits the series in two
        Assert.Equal(3, doc.Descendants(ns + "circle").Count());
    }
}
