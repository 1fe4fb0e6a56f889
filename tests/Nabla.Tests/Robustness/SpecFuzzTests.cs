using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Nabla.IO.Spec;
using Xunit;

namespace Nabla.Tests.Robustness;

/// <summary>
/// Property-based fuzzing of spec files: valid zoo and block-structured specs are mutated (characters replaced,
/// inserted or deleted, lines dropped or duplicated, numbers replaced by hostile ones, keys and keywords swapped)
/// and every case must either parse, or throw a <see cref="NablaInputException"/> whose single line names the
/// file with line and column. Nothing else may escape.
/// </summary>
public class SpecFuzzTests
{
    private const int Cases = 12_000;
    private const string Source = "fuzz.spec";

    private static readonly string[] Seeds =
    [
        .. new[] { "mlp", "lenet5", "mnist-cnn", "alexnet-mnist", "inception-bottleneck", "resnet18" }.Select(Zoo.Text),
        """
        input 3 16 16
        conv2d out_channels=8 kernel_size=3x5 stride=2 padding=1x2 dilation=2 groups=1 bias=false
        concat
          branch
            conv2d out_channels=4 kernel_size=1
            leakyrelu negative_slope=0.2
          branch
            maxpool2d kernel_size=3 stride=1 padding=1
        end
        residual
          batchnorm2d eps=0.001 momentum=0.2
          avgpool2d kernel_size=3 stride=1 padding=1 count_include_pad=false
        shortcut
          conv2d out_channels=12 kernel_size=1
        end
        flatten
        dropout p=0.3
        linear out_features=10
        logsoftmax
        """,
    ];

    private static readonly string[] Hostile =
    [
        "0", "-1", "1", "2147483647", "2147483648", "99999999999999999999", "1e308", "NaN", "-0", "0.5", "x", "3x", "x3",
        "3x0", "0x3", "=", "==", "true", "false", "", " ", "#", "\t", "\u00e9", "\0", "end", "branch", "shortcut", "concat",
        "residual", "input", "conv2d", "linear", "kernel_size", "out_channels=", "=3", "1,2", "3x3x3",
    ];

    public enum Kind { Replace, Insert, Delete, DropLine, DuplicateLine, SwapLines, HostileToken, Truncate }

    public sealed record Mutation(Kind Kind, int A, int B);

    private static Gen<(int Seed, Mutation[] Mutations)> CaseGen() =>
        from seed in Gen.Choose(0, Seeds.Length - 1)
        from n in Gen.Choose(1, 4)
        from ms in Gen.ArrayOf(
            from k in Gen.Elements(Enum.GetValues<Kind>())
            from a in Gen.Choose(0, int.MaxValue - 1)
            from b in Gen.Choose(0, int.MaxValue - 1)
            select new Mutation(k, a, b), n)
        select (seed, ms);

    private static string Apply(string text, Mutation m)
    {
        var lines = text.Split('\n').ToList();
        switch (m.Kind)
        {
            case Kind.Replace when text.Length > 0:
                return text.Remove(m.A % text.Length, 1).Insert(m.A % text.Length, ((char)(32 + m.B % 95)).ToString());
            case Kind.Insert:
                return text.Insert(m.A % (text.Length + 1), Hostile[m.B % Hostile.Length]);
            case Kind.Delete when text.Length > 0:
                int at = m.A % text.Length;
                return text.Remove(at, Math.Min(1 + m.B % 8, text.Length - at));
            case Kind.DropLine when lines.Count > 0:
                lines.RemoveAt(m.A % lines.Count); return string.Join('\n', lines);
            case Kind.DuplicateLine when lines.Count > 0:
                lines.Insert(m.B % lines.Count, lines[m.A % lines.Count]); return string.Join('\n', lines);
            case Kind.SwapLines when lines.Count > 1:
                int i = m.A % lines.Count, j = m.B % lines.Count;
                (lines[i], lines[j]) = (lines[j], lines[i]); return string.Join('\n', lines);
            case Kind.HostileToken:
                // Replace one whitespace- or '='-delimited token by a hostile one.
                var tokens = text.Split([' ', '='], StringSplitOptions.None);
                if (tokens.Length == 0) return text;
                int t = m.A % tokens.Length;
                var sb = new StringBuilder();
                int pos = 0;
                for (int k = 0; k < tokens.Length; k++)
                {
                    sb.Append(k == t ? Hostile[m.B % Hostile.Length] : tokens[k]);
                    pos += tokens[k].Length;
                    if (pos < text.Length) { sb.Append(text[pos]); pos++; }
                }
                return sb.ToString();
            case Kind.Truncate:
                return text[..(m.A % (text.Length + 1))];
        }
        return text;
    }

    private static bool Check((int Seed, Mutation[] Mutations) c)
    {
        string text = c.Mutations.Aggregate(Seeds[c.Seed], Apply);
        try
        {
            var spec = SpecParser.Parse(text, Source);
            // A spec that parses must also analyze cleanly or fail cleanly (shape errors are user errors too).
            try { Nabla.Analysis.ModelAnalyzer.Analyze(spec); }
            catch (NablaInputException e) { return OneLine(e); }
            return true;
        }
        catch (NablaInputException e) { return OneLine(e) && e.Message.StartsWith(Source + ":", StringComparison.Ordinal); }
    }

    private static bool OneLine(NablaInputException e) => !e.Message.Contains('\n') && e.Message.Length > 0;

    [Fact]
    public void MutatedSpecs_ParseOrFailWithOneLineNamingTheFile()
    {
        Prop.ForAll(Arb.From(CaseGen()), (Func<(int, Mutation[]), bool>)Check)
            .Check(Config.QuickThrowOnFailure.WithMaxTest(Cases).WithQuietOnSuccess(true));
    }
}

public class SpecParserRegressionTests
{
    [Fact]
    public void BlockOpenedInsideConcatBeforeBranch_IsAnError_NotACrash()
    {
        var e = Assert.Throws<NablaInputException>(() => SpecParser.Parse("input 1 8 8\nconcat\n  concat\n    branch\n      relu\n  end\nend\n", "x.spec"));
        Assert.Equal("x.spec:3:3: expected 'branch' after 'concat' (line 2), found 'concat'", e.Message);
    }
}

public class NablaInputExceptionTests
{
    [Fact]
    public void Message_IsAlwaysOneLine_ControlCharactersEscaped()
    {
        var e = new NablaInputException("w.safetensors: unexpected key(s): a\nb\tc");
        Assert.Equal("w.safetensors: unexpected key(s): a\\u000ab\\u0009c", e.Message);
    }
}

public class AnalyzerOverflowTests
{
    [Fact]
    public void ConcatOfHugeBranches_IsASpecError_NotAnOverflow()
    {
        var spec = SpecParser.Parse("input 1 1 1\nconcat\n  branch\n    conv2d out_channels=2147483647 kernel_size=1\n  branch\n    conv2d out_channels=2 kernel_size=1\nend\n", "big.spec");
        var e = Assert.Throws<NablaInputException>(() => Nabla.Analysis.ModelAnalyzer.Analyze(spec));
        Assert.Contains("big.spec:2", e.Message);
        Assert.Contains("2147483649", e.Message);
    }
}
