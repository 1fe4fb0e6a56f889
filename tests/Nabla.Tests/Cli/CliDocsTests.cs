using Nabla.Cli;
using Xunit;

namespace Nabla.Tests.Cli;

public class CliDocsTests
{
    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Nabla.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }

    public static TheoryData<string> Commands() => new(typeof(ICommand).Assembly.GetTypes()
        .Where(t => typeof(ICommand).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
        .Select(t => ((ICommand)Activator.CreateInstance(t)!).Name));

    [Theory]
    [MemberData(nameof(Commands))]
    public void DocsCli_ShowsEveryCommandsCurrentUsage(string name)
    {
        var command = typeof(ICommand).Assembly.GetTypes()
            .Where(t => typeof(ICommand).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .Select(t => (ICommand)Activator.CreateInstance(t)!).Single(c => c.Name == name);
        string doc = File.ReadAllText(Path.Combine(RepoRoot(), "docs", "cli.md")).ReplaceLineEndings("\n");
        Assert.True(doc.Contains($"## nabla {name}\n"), $"docs/cli.md has no section for '{name}': run tools/gen_cli_doc.sh");
        Assert.True(doc.Contains(command.Usage.ReplaceLineEndings("\n").TrimEnd()), $"docs/cli.md is out of date for '{name}': run tools/gen_cli_doc.sh");
    }
}
