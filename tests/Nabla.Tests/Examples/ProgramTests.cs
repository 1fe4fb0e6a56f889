using Nabla.Examples;
using Xunit;
using ExamplesProgram = Nabla.Examples.Program;

namespace Nabla.Tests.Examples;

public class ProgramTests
{
    private static string RepoFile(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Nabla.slnx"))) return Path.Combine([dir.FullName, .. parts]);
        throw new FileNotFoundException("repository root (Nabla.slnx) not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void Topics_HaveDistinctNames_AndTheReadmeListsEachCommand()
    {
        var names = Topics.All.Select(t => t.Name).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.Equal(12, names.Count);
        string readme = File.ReadAllText(RepoFile("examples", "README.md"));
        foreach (var name in names) Assert.Contains($"-- {name}`", readme);
    }

    [Fact]
    public void Program_UnknownTopic_Exits2_List_Exits0()
    {
        var err = new StringWriter();
        Assert.Equal(2, ExamplesProgram.Run(["no-such-topic"], TextWriter.Null, err));
        Assert.Contains("backprop", err.ToString());
        var list = new StringWriter();
        Assert.Equal(0, ExamplesProgram.Run(["list"], list, TextWriter.Null));
        Assert.All(Topics.All, t => Assert.Contains(t.Name, list.ToString()));
    }
}
