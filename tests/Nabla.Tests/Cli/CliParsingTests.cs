using Nabla.Cli;
using Xunit;

namespace Nabla.Tests.Cli;

/// <summary>The System.CommandLine front end in process: how flags parse, and that every parse problem is one
/// line <c>nabla CMD: ...</c> with exit code 2 and nothing on stdout.</summary>
public class CliParsingTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CliApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    public static TheoryData<string[], string> BadUsage() => new()
    {
        { ["train", "--epoch", "3"], "nabla train: unknown option --epoch (see 'nabla train --help')" },
        { ["train", "--epoch=3"], "nabla train: unknown option --epoch (see 'nabla train --help')" },
        { ["summary", "--bogus=3", "lenet5"], "nabla summary: unknown option --bogus (see 'nabla summary --help')" },
        { ["train", "--epochs"], "nabla train: --epochs needs a value" },
        { ["train", "--epochs", "--lr", "3"], "nabla train: --epochs needs a value" },
        { ["train", "--epochs", "3", "--epochs=4"], "nabla train: --epochs given twice" },
        { ["train", "--epochs", "two"], "nabla train: --epochs expects an integer, got 'two'" },
        { ["train", "surplus"], "nabla train: unexpected argument 'surplus'" },
        { ["summary", "lenet5", "surplus"], "nabla summary: unexpected argument 'surplus'" },
        { ["gradcheck", "lenet5", "--model", "mlp"], "nabla gradcheck: unexpected argument 'lenet5'" },
        { ["report"], "nabla report: expected a run directory (the --out of nabla train), found nothing" },
        { ["frobnicate"], "nabla: unknown command 'frobnicate' (commands: bench, eval, export, grad, gradcheck, report, summary, train)" },
        { ["--frobnicate"], "nabla: unknown option --frobnicate (see 'nabla --help')" },
        { ["summary", "@no-such-file.rsp"], "nabla summary: response file not found 'no-such-file.rsp'" },
        { ["train", "--resize", "1", "2", "3"], "nabla train: unexpected argument '3'" },
    };

    [Theory]
    [MemberData(nameof(BadUsage))]
    public void BadUsage_OneLine_ExitTwo(string[] args, string expected)
    {
        var (code, output, error) = Run(args);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Equal(expected + "\n", error.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void NoArguments_PrintsUsage_ExitTwo()
    {
        var (code, output, error) = Run();
        Assert.Equal(2, code);
        Assert.Equal("", error);
        Assert.Equal(CliApp.Help(null), output);
        Assert.Contains("Commands:", output);
    }

    [Theory]
    [InlineData("train", "--epochs")]
    [InlineData("summary", "--index-base")]
    [InlineData("export", "--fold-bn")]
    public void CommandHelp_IsThatCommandsHelp_ExitZero(string command, string flag)
    {
        foreach (string h in (string[])["--help", "-h", "-?"])
        {
            var (code, output, error) = Run(command, "--epochs", "x", h);
            Assert.Equal(0, code);
            Assert.Equal("", error);
            Assert.Contains($"Usage:\n  nabla {command}", output.ReplaceLineEndings("\n"));
            Assert.Contains(flag, output);
            Assert.DoesNotContain("Commands:", output);
        }
        Assert.Equal(CliApp.Help(command), Run("help", command).Out);
    }

    [Fact]
    public void Values_FlagEqualsValue_SwitchesAndMultiValued()
    {
        var a = new Args("gradcheck", ["--seed=7", "--all-points", "mlp", "--batch", "3"]);
        Assert.Equal(7, a.Int("seed", 1));
        Assert.Equal(3, a.Int("batch", 2));
        Assert.True(a.Flag("all-points"));
        Assert.Equal(["mlp"], a.Positionals);
        Assert.False(new Args("gradcheck", ["--all-points", "false", "mlp"]).Flag("all-points"));
        Assert.False(new Args("gradcheck", ["mlp"]).Flag("all-points"));

        Assert.Equal(["32", "24"], new Args("train", ["--resize", "32", "24", "--epochs", "1"]).Values("resize"));
        Assert.Equal(["32x24"], new Args("train", ["--resize=32x24"]).Values("resize"));
        Assert.Null(new Args("train", ["--epochs", "1"]).Values("resize"));
        Assert.Equal("-0.5", new Args("train", ["--lr", "-0.5"]).String("lr"));
    }

    [Fact]
    public void ResponseFile_SuppliesArguments()
    {
        string rsp = Path.Combine(Directory.CreateTempSubdirectory("nabla-rsp-").FullName, "args.rsp");
        File.WriteAllText(rsp, "# the model and its input\n--input 1,28,28\nmlp\n");
        var a = new Args("summary", ["@" + rsp, "--format", "csv"]);
        Assert.Equal(["mlp"], a.Positionals);
        Assert.Equal([1, 28, 28], a.Shape("input"));
        Assert.Equal("csv", a.String("format"));
        Directory.Delete(Path.GetDirectoryName(rsp)!, true);
    }

    [Fact]
    public void HiddenFlags_ParseButStayOutOfHelp()
    {
        Assert.True(new Args("bench", ["--profile"]).Flag("profile"));
        Assert.Equal(4, new Args("train", ["--bench-allreduce", "4"]).Int("bench-allreduce", 0));
        Assert.DoesNotContain("--profile", CliApp.Help("bench"));
        Assert.DoesNotContain("--bench-allreduce", CliApp.Help("train"));
    }

    [Fact]
    public void ReadingAnUndeclaredFlag_IsAProgrammingError()
    {
        var e = Assert.Throws<InvalidOperationException>(() => new Args("summary", ["mlp"]).String("nonsense"));
        Assert.Contains("--nonsense", e.Message);
    }

    [Fact]
    public void GivenButUnread_IsUnknown()
    {
        var a = new Args("summary", ["mlp", "--format", "csv"]);
        var e = Assert.Throws<UsageException>(() => a.EnsureAllUsed(1));
        Assert.Equal("nabla summary: unknown option --format (see 'nabla summary --help')", e.Message);
    }
}
