using Nabla.Examples;
using Xunit;

namespace Nabla.Tests.Examples;

public class ReceptiveFieldsTests
{
    [Fact]
    public void ReceptiveFields_LastLayerSeesTheIssueRange_AndAutogradAgrees()
    {
        var r = ReceptiveFields.Run(TextWriter.Null);
        // The range stated in issue 5 for this stack (1-based, inclusive).
        Assert.Equal("X[:, 4i-9 : 4i+6, 4j-9 : 4j+6]", r.Rows[^1].Range1);
        Assert.Equal(10, r.Rows.Count);
        Assert.All(r.Probes, p => Assert.True(p.Exact, $"output ({p.I}, {p.J}): predicted {p.Predicted}, observed {p.Observed}"));
        Assert.Contains(r.Probes, p => p.Predicted.R0 > 0 && p.Predicted.R1 < 31); // one window lies fully inside the image
        Assert.True(r.Holds);
    }
}
