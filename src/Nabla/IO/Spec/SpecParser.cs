using System.Globalization;

namespace Nabla.IO.Spec;

/// <summary>
/// Reads the spec-file format of CONTRACTS §2 (docs/spec-format.md). Every error is a
/// <see cref="NablaInputException"/> with one line <c>file:line:column: message</c> saying what was expected
/// and what was found, with a "did you mean" for misspelt layer names and keys.
/// </summary>
public static class SpecParser
{
    private static readonly string[] BlockWords = ["concat", "branch", "residual", "shortcut", "end", "input"];

    /// <summary>Parses a spec file.</summary>
    /// <param name="path">The file to read.</param>
    /// <exception cref="NablaInputException">The file cannot be read or is not a valid spec.</exception>
    public static ModelSpec ParseFile(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new NablaInputException($"{path}: cannot read the spec file ({e.Message})", e);
        }
        return Parse(text, path);
    }

    /// <summary>Parses spec text.</summary>
    /// <param name="text">The spec text.</param>
    /// <param name="source">The name used in error messages and kept as <see cref="ModelSpec.Source"/>.</param>
    /// <exception cref="NablaInputException">The text is not a valid spec.</exception>
    public static ModelSpec Parse(string text, string source = "<spec>")
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.Split('\n');
        int[]? input = null;
        var root = new Frame("root", 0, 0);
        var stack = new Stack<Frame>();
        stack.Push(root);
        int lastLine = 0;
        for (int n = 0; n < lines.Length; n++)
        {
            int line = n + 1;
            var tokens = SpecToken.Split(lines[n].TrimEnd('\r'));
            if (tokens.Count == 0) continue;
            lastLine = line;
            var head = tokens[0];
            string word = head.Text.ToLowerInvariant();
            NablaInputException Fail(int col, string msg) => new($"{source}:{line}:{col}: {msg}");

            if (input is null)
            {
                if (word != "input")
                    throw Fail(head.Column, $"expected 'input C H W' or 'input F' as the first line, found '{head.Text}'");
                input = ReadInput(tokens, Fail);
                continue;
            }
            var top = stack.Peek();
            switch (word)
            {
                case "input":
                    throw Fail(head.Column, $"expected a layer, found a second 'input' line (the first is line {FirstLine(lines)})");
                case "concat" or "residual":
                    NoArgs(tokens, Fail);
                    if (top.Kind == "concat" && top.Lists.Count == 0)
                        throw Fail(head.Column, $"expected 'branch' after 'concat' (line {top.Line}), found '{head.Text}'");
                    stack.Push(new Frame(word, line, head.Column));
                    break;
                case "branch":
                    NoArgs(tokens, Fail);
                    if (top.Kind != "concat")
                        throw Fail(head.Column, top.Kind == "residual"
                            ? $"expected a layer, 'shortcut' or 'end' in the residual block of line {top.Line}, found 'branch' (branch belongs in a concat block)"
                            : "expected a layer, found 'branch' outside a concat block");
                    top.Lists.Add(new List<LayerSpec>());
                    break;
                case "shortcut":
                    NoArgs(tokens, Fail);
                    if (top.Kind != "residual")
                        throw Fail(head.Column, "expected a layer, found 'shortcut' outside a residual block");
                    if (top.Lists.Count > 1)
                        throw Fail(head.Column, $"expected a layer or 'end', found a second 'shortcut' in the residual block of line {top.Line}");
                    if (top.Lists[0].Count == 0)
                        throw Fail(head.Column, $"expected at least one body layer before 'shortcut' in the residual block of line {top.Line}");
                    top.Lists.Add(new List<LayerSpec>());
                    break;
                case "end":
                    NoArgs(tokens, Fail);
                    if (top == root) throw Fail(head.Column, "expected a layer, found 'end' without an open concat or residual block");
                    stack.Pop();
                    stack.Peek().Current.Add(Close(top, Fail, head.Column));
                    break;
                default:
                    if (!LayerKinds.TryParse(word, out var kind))
                        throw Fail(head.Column, $"unknown layer '{head.Text}'" +
                            Suggest.DidYouMean(head.Text, LayerKinds.Keywords.Concat(BlockWords)));
                    if (top.Kind == "concat" && top.Lists.Count == 0)
                        throw Fail(head.Column, $"expected 'branch' after 'concat' (line {top.Line}), found '{head.Text}'");
                    var args = new LayerArgs(source, line, head, tokens.Skip(1));
                    top.Current.Add(LayerReader.Read(kind, args, line));
                    break;
            }
        }
        if (input is null)
            throw new NablaInputException($"{source}:{Math.Max(lastLine, 1)}:1: expected 'input C H W' or 'input F', found an empty spec");
        if (stack.Count > 1)
        {
            var open = stack.Peek();
            throw new NablaInputException($"{source}:{lastLine + 1}:1: expected 'end' closing the {open.Kind} block opened at line {open.Line}, found end of file");
        }
        if (root.Current.Count == 0)
            throw new NablaInputException($"{source}:{lastLine + 1}:1: expected at least one layer after the input line, found end of file");
        return new ModelSpec(input, root.Current, source);
    }

    private static int FirstLine(string[] lines)
    {
        for (int i = 0; i < lines.Length; i++) if (SpecToken.Split(lines[i]).Count > 0) return i + 1;
        return 1;
    }

    private static int[] ReadInput(List<SpecToken> tokens, Func<int, string, NablaInputException> fail)
    {
        var dims = tokens.Skip(1).ToList();
        if (dims.Count is not (1 or 3))
            throw fail(tokens[0].Column, $"expected 'input C H W' or 'input F' (1 or 3 sizes), found {dims.Count} size{(dims.Count == 1 ? "" : "s")}");
        var shape = new int[dims.Count];
        for (int i = 0; i < dims.Count; i++)
            if (!int.TryParse(dims[i].Text, NumberStyles.None, CultureInfo.InvariantCulture, out shape[i]) || shape[i] <= 0)
                throw fail(dims[i].Column, $"expected a positive integer size in the input line, found '{dims[i].Text}'");
        return shape;
    }

    private static void NoArgs(List<SpecToken> tokens, Func<int, string, NablaInputException> fail)
    {
        if (tokens.Count > 1)
            throw fail(tokens[1].Column, $"expected nothing after '{tokens[0].Text}', found '{tokens[1].Text}'");
    }

    private static LayerSpec Close(Frame f, Func<int, string, NablaInputException> fail, int column)
    {
        if (f.Kind == "concat")
        {
            if (f.Lists.Count == 0)
                throw fail(column, $"expected at least one 'branch' in the concat block of line {f.Line}, found 'end'");
            return new ConcatSpec(f.Lists.ToArray()) { Line = f.Line };
        }
        if (f.Lists[0].Count == 0)
            throw fail(column, $"expected at least one layer in the residual block of line {f.Line}, found 'end'");
        if (f.Lists.Count > 1 && f.Lists[1].Count == 0)
            throw fail(column, $"expected at least one layer after 'shortcut' (omit the section for an identity shortcut), found 'end'");
        return new ResidualSpec(f.Lists[0], f.Lists.Count > 1 ? f.Lists[1] : null) { Line = f.Line };
    }

    /// <summary>An open block: root (one list), concat (one list per branch) or residual (body, then shortcut).</summary>
    private sealed class Frame
    {
        public Frame(string kind, int line, int column)
        {
            Kind = kind;
            Line = line;
            Column = column;
            if (kind != "concat") Lists.Add(new List<LayerSpec>());
        }

        public string Kind { get; }
        public int Line { get; }
        public int Column { get; }
        public List<List<LayerSpec>> Lists { get; } = new();
        public List<LayerSpec> Current => Lists[^1];
    }
}
