using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Nabla.Cli;

/// <summary>
/// The arguments of one command, read from System.CommandLine's <see cref="ParseResult"/>: positionals and the
/// options of <see cref="ICommand.Flags"/>. Getters validate and throw <see cref="UsageException"/> naming the
/// flag. Call <see cref="EnsureAllUsed"/> after reading every option so that a given flag the command ignored
/// is an error, not silently dropped.
/// </summary>
public sealed class Args
{
    private readonly Dictionary<string, IReadOnlyList<string>> _options = new(StringComparer.Ordinal);
    private readonly Dictionary<string, bool> _switches = new(StringComparer.Ordinal);
    private readonly HashSet<string> _declared = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);
    private readonly List<string> _positionals = new();
    private readonly string _command;

    /// <summary>Parses <paramref name="raw"/> (the arguments after the command's name) as `nabla COMMAND RAW` does.</summary>
    /// <exception cref="UsageException">An unknown flag, a missing value, a flag given twice, a surplus argument.</exception>
    public Args(string command, IEnumerable<string> raw) : this(CliApp.Parse(command, raw)) { }

    private Args(Args parsed)
    {
        _command = parsed._command;
        _options = parsed._options;
        _switches = parsed._switches;
        _declared = parsed._declared;
        _positionals = parsed._positionals;
    }

    /// <summary>Reads <paramref name="parse"/> for <paramref name="bound"/>; throws the first problem as one line.</summary>
    internal Args(CliApp.BoundCommand bound, ParseResult parse)
    {
        _command = bound.Command.Name;
        foreach (var (flag, option) in bound.Options)
        {
            _declared.Add(flag.Name);
            if (parse.GetResult(option) is not { Implicit: false } result) continue;
            if (result.IdentifierTokenCount > 1) throw Usage($"--{flag.Name} given twice");
            if (option is Option<bool> b) _switches[flag.Name] = parse.GetValue(b);
            else _options[flag.Name] = result.Tokens.Select(t => t.Value).ToArray();
        }
        // A value never starts with "--": that is an option the command does not have, or a value left out.
        foreach (var t in parse.Tokens)
        {
            if (t.Type != TokenType.Argument || !t.Value.StartsWith("--", StringComparison.Ordinal) || t.Value.Length == 2) continue;
            var owner = bound.Options.FirstOrDefault(o => parse.GetResult(o.Option)?.Tokens.Contains(t) == true);
            if (owner.Flag is not null) throw Usage($"--{owner.Flag.Name} needs a value");
            throw Usage($"unknown option {t.Value.Split('=')[0]} (see 'nabla {_command} --help')");
        }
        foreach (var (flag, argument) in bound.Positionals)
            if (parse.GetValue(argument) is string value) _positionals.Add(value);
        if (parse.UnmatchedTokens.Count > 0) throw Usage($"unexpected argument '{parse.UnmatchedTokens[0]}'");
        if (parse.Errors.Count > 0)
        {
            var e = parse.Errors[0];
            if (e.SymbolResult is OptionResult { Tokens.Count: 0 } o) throw Usage($"{o.Option.Name} needs a value");
            throw Usage(Sentence(e.Message));
        }
    }

    /// <summary>A System.CommandLine message as the tail of one of our lines: lower-case start, no full stop.</summary>
    internal static string Sentence(string message) =>
        message.Length == 0 ? message : char.ToLowerInvariant(message[0]) + message[1..].TrimEnd('.');

    private UsageException Usage(string message) => new($"nabla {_command}: {message}");

    private void Use(string name)
    {
        if (!_declared.Contains(name))
            throw new InvalidOperationException($"nabla {_command} reads --{name}, which its Flags do not declare");
        _used.Add(name);
    }

    /// <summary>Positional arguments in order.</summary>
    public IReadOnlyList<string> Positionals => _positionals;

    /// <summary>True when `--name` was given (with or without a value).</summary>
    public bool Has(string name) { Use(name); return _options.ContainsKey(name) || _switches.ContainsKey(name); }

    /// <summary>A boolean switch: `--name` alone, or `--name true|false`.</summary>
    public bool Flag(string name) { Use(name); return _switches.TryGetValue(name, out bool v) && v; }

    /// <summary>The values of a multi-valued option such as `--resize H W`; null when not given.</summary>
    public IReadOnlyList<string>? Values(string name) { Use(name); return _options.GetValueOrDefault(name); }

    public string? String(string name, string? fallback = null)
    {
        Use(name);
        if (!_options.TryGetValue(name, out var v)) return fallback;
        if (v.Count == 0) throw Usage($"--{name} needs a value");
        return v[0];
    }

    public string Required(string name) =>
        String(name) ?? throw Usage($"--{name} is required");

    public int Int(string name, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        string? s = String(name);
        if (s is null) return fallback;
        if (!int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v))
            throw Usage($"--{name} expects an integer, got '{s}'");
        if (v < min || v > max)
            throw Usage($"--{name} must be in [{min}, {max}], got {v}");
        return v;
    }

    public double Double(string name, double fallback, double min = double.NegativeInfinity, double max = double.PositiveInfinity)
    {
        string? s = String(name);
        if (s is null) return fallback;
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
            throw Usage($"--{name} expects a number, got '{s}'");
        if (v < min || v > max)
            throw Usage($"--{name} must be in [{min}, {max}], got {s}");
        return v;
    }

    public string Choice(string name, string fallback, params string[] choices)
    {
        string v = String(name) ?? fallback;
        if (!choices.Contains(v))
            throw Usage($"--{name} must be one of {string.Join("|", choices)}, got '{v}'");
        return v;
    }

    /// <summary>Parses `C,H,W` (or `F`) as given to --input.</summary>
    public int[]? Shape(string name)
    {
        string? s = String(name);
        if (s is null) return null;
        var parts = s.Split(',', 'x');
        var dims = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out dims[i]) || dims[i] <= 0)
                throw Usage($"--{name} expects positive integers like 1,28,28, got '{s}'");
        if (dims.Length is not (1 or 3))
            throw Usage($"--{name} expects C,H,W or F, got '{s}'");
        return dims;
    }

    /// <summary>Throws for any given option that no getter asked for, and for surplus positionals.</summary>
    public void EnsureAllUsed(int maxPositionals = 0)
    {
        foreach (var k in _options.Keys.Concat(_switches.Keys))
            if (!_used.Contains(k))
                throw Usage($"unknown option --{k} (see 'nabla {_command} --help')");
        if (_positionals.Count > maxPositionals)
            throw Usage($"unexpected argument '{_positionals[maxPositionals]}'");
    }
}
