using System.Globalization;

namespace Nabla.Cli;

/// <summary>
/// The arguments of one command: positionals and `--name value` / `--name=value` / `--flag` options.
/// Getters validate and throw <see cref="UsageException"/> naming the flag. Call <see cref="EnsureAllUsed"/>
/// after reading every option so that a misspelt flag is an error, not silently ignored.
/// </summary>
public sealed class Args
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);
    private readonly List<string> _positionals = new();
    private readonly string _command;

    public Args(string command, IEnumerable<string> raw)
    {
        _command = command;
        var list = raw.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            string a = list[i];
            if (a.StartsWith("--", StringComparison.Ordinal) && a.Length > 2)
            {
                string name = a[2..];
                string? value = null;
                int eq = name.IndexOf('=');
                if (eq >= 0) { value = name[(eq + 1)..]; name = name[..eq]; }
                else if (i + 1 < list.Count && !(list[i + 1].StartsWith("--", StringComparison.Ordinal) && list[i + 1].Length > 2))
                {
                    value = list[++i];
                }
                if (_options.ContainsKey(name)) throw new UsageException($"nabla {command}: --{name} given twice");
                _options[name] = value;
            }
            else _positionals.Add(a);
        }
    }

    /// <summary>Positional arguments in order.</summary>
    public IReadOnlyList<string> Positionals => _positionals;

    /// <summary>True when `--name` was given (with or without a value).</summary>
    public bool Has(string name) { _used.Add(name); return _options.ContainsKey(name); }

    /// <summary>A boolean switch: `--name` alone, or `--name true|false`.</summary>
    public bool Flag(string name)
    {
        _used.Add(name);
        if (!_options.TryGetValue(name, out var v)) return false;
        if (v is null) return true;
        // A switch followed by a positional: give the value back as a positional.
        if (v is "true" or "1" or "yes") return true;
        if (v is "false" or "0" or "no") return false;
        _positionals.Add(v);
        _options[name] = null;
        return true;
    }

    public string? String(string name, string? fallback = null)
    {
        _used.Add(name);
        if (!_options.TryGetValue(name, out var v)) return fallback;
        if (v is null) throw new UsageException($"nabla {_command}: --{name} needs a value");
        return v;
    }

    public string Required(string name) =>
        String(name) ?? throw new UsageException($"nabla {_command}: --{name} is required");

    public int Int(string name, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        string? s = String(name);
        if (s is null) return fallback;
        if (!int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v))
            throw new UsageException($"nabla {_command}: --{name} expects an integer, got '{s}'");
        if (v < min || v > max)
            throw new UsageException($"nabla {_command}: --{name} must be in [{min}, {max}], got {v}");
        return v;
    }

    public double Double(string name, double fallback, double min = double.NegativeInfinity, double max = double.PositiveInfinity)
    {
        string? s = String(name);
        if (s is null) return fallback;
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
            throw new UsageException($"nabla {_command}: --{name} expects a number, got '{s}'");
        if (v < min || v > max)
            throw new UsageException($"nabla {_command}: --{name} must be in [{min}, {max}], got {s}");
        return v;
    }

    public string Choice(string name, string fallback, params string[] choices)
    {
        string v = String(name) ?? fallback;
        if (!choices.Contains(v))
            throw new UsageException($"nabla {_command}: --{name} must be one of {string.Join("|", choices)}, got '{v}'");
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
                throw new UsageException($"nabla {_command}: --{name} expects positive integers like 1,28,28, got '{s}'");
        if (dims.Length is not (1 or 3))
            throw new UsageException($"nabla {_command}: --{name} expects C,H,W or F, got '{s}'");
        return dims;
    }

    /// <summary>Throws for any option that no getter asked for, and for surplus positionals.</summary>
    public void EnsureAllUsed(int maxPositionals = 0)
    {
        foreach (var k in _options.Keys)
            if (!_used.Contains(k))
                throw new UsageException($"nabla {_command}: unknown option --{k} (see 'nabla {_command} --help')");
        if (_positionals.Count > maxPositionals)
            throw new UsageException($"nabla {_command}: unexpected argument '{_positionals[maxPositionals]}'");
    }
}
