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

    public static TheoryData<string> Commands() => new(CliApp.Commands.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(Commands))]
    public void DocsCli_ShowsEveryCommandsCurrentHelp(string name)
    {
        string doc = File.ReadAllText(Path.Combine(RepoRoot(), "docs", "cli.md")).ReplaceLineEndings("\n");
        string section = $"## nabla {name}\n\n```\n";
        Assert.True(doc.Contains(section), $"docs/cli.md has no section for '{name}': run tools/gen_cli_doc.sh");
        Assert.True(doc.Contains(section + CliApp.Help(name).ReplaceLineEndings("\n")), $"docs/cli.md is out of date for '{name}': run tools/gen_cli_doc.sh");
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void Help_DocumentsEveryDeclaredFlag_AndHidesDeveloperOnes(string name)
    {
        var command = CliApp.Commands.Single(c => c.Name == name);
        string help = CliApp.Help(name);
        Assert.StartsWith($"Description:\n  {command.Summary}\n", help.ReplaceLineEndings("\n"));
        Assert.Contains($"nabla {name}", help);
        foreach (var f in command.Flags)
        {
            string entry = f.IsPositional ? $"<{f.Name}>" : f.Value is null ? f.Token : $"{f.Token} <{f.Value}>";
            string firstLine = f.Help.Split('\n')[0];
            if (f.Hidden) Assert.DoesNotContain(f.Token + " ", help);
            else Assert.Matches($@"(?m)^  {System.Text.RegularExpressions.Regex.Escape(entry)} +{System.Text.RegularExpressions.Regex.Escape(firstLine)}$", help);
        }
        Assert.Contains(command.Notes.ReplaceLineEndings("\n").TrimEnd('\n'), help.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void RootHelp_ListsEveryCommandWithItsSummary()
    {
        string help = CliApp.Help(null);
        foreach (var c in CliApp.Commands)
            Assert.Matches($@"(?m)^  {c.Name}( <[A-Z_]+>)? +{System.Text.RegularExpressions.Regex.Escape(c.Summary)}$", help);
    }
}
