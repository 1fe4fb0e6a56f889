using System.Globalization;

namespace Nabla.IO.Spec;

/// <summary>The <c>key=value</c> arguments of one spec line, read with typed getters that report file:line:column.</summary>
internal sealed class LayerArgs
{
    private readonly Dictionary<string, (string Value, int Column)> _values = new(StringComparer.Ordinal);
    private readonly string _source;
    private readonly int _line;
    private readonly SpecToken _head;

    public LayerArgs(string source, int line, SpecToken head, IEnumerable<SpecToken> tokens)
    {
        _source = source;
        _line = line;
        _head = head;
        foreach (var t in tokens)
        {
            int eq = t.Text.IndexOf('=');
            if (eq <= 0)
                throw Error(t.Column, $"expected key=value after '{head.Text}', found '{t.Text}'");
            string key = t.Text[..eq];
            string value = t.Text[(eq + 1)..];
            if (value.Length == 0)
                throw Error(t.Column + eq + 1, $"expected a value after '{key}=', found nothing");
            if (_values.ContainsKey(key))
                throw Error(t.Column, $"duplicate key '{key}' for {head.Text} (given at column {_values[key].Column} too)");
            _values[key] = (value, t.Column + eq + 1);
        }
    }

    public NablaInputException Error(int column, string message) =>
        new($"{_source}:{_line}:{column}: {message}");

    /// <summary>Fails on the first key not in <paramref name="allowed"/>, with a suggestion.</summary>
    public void Allow(params string[] allowed)
    {
        foreach (var (key, (_, col)) in _values)
        {
            if (allowed.Contains(key)) continue;
            int keyColumn = col - key.Length - 1;
            if (key is "in_channels" or "in_features" or "num_features")
                throw Error(keyColumn, $"unknown key '{key}' for {_head.Text}: {key} is inferred from the input shape");
            string hint = Suggest.Closest(key, allowed) is { } s
                ? $" (did you mean '{s}'?)"
                : allowed.Length == 0 ? $" ({_head.Text} takes no keys)" : $" ({_head.Text} takes {string.Join(", ", allowed)})";
            throw Error(keyColumn, $"unknown key '{key}' for {_head.Text}{hint}");
        }
    }

    public int Int(string key, int fallback, int min = int.MinValue)
    {
        if (!_values.TryGetValue(key, out var v)) return fallback;
        if (!int.TryParse(v.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int x))
            throw Error(v.Column, $"expected an integer for {key}, found '{v.Value}'");
        if (x < min) throw Error(v.Column, $"expected {key} >= {min}, found {x}");
        return x;
    }

    public int RequiredInt(string key, int min)
    {
        if (!_values.ContainsKey(key)) throw Missing(key, "32");
        return Int(key, 0, min);
    }

    public Size2 Size(string key, Size2 fallback, int min)
    {
        if (!_values.TryGetValue(key, out var v)) return fallback;
        var parts = v.Value.Split('x');
        var dims = new int[parts.Length];
        bool ok = parts.Length is 1 or 2;
        for (int i = 0; ok && i < parts.Length; i++)
            ok = int.TryParse(parts[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out dims[i]);
        if (!ok) throw Error(v.Column, $"expected an integer or HxW for {key}, found '{v.Value}'");
        var size = parts.Length == 1 ? new Size2(dims[0], dims[0]) : new Size2(dims[0], dims[1]);
        if (size.H < min || size.W < min)
            throw Error(v.Column, $"expected {key} >= {min}{(min > 0 ? " (a positive size)" : "")}, found {v.Value}");
        return size;
    }

    public Size2 RequiredSize(string key, int min)
    {
        if (!_values.ContainsKey(key)) throw Missing(key, "3");
        return Size(key, 0, min);
    }

    public double Double(string key, double fallback, double min, double max, bool minExclusive = false)
    {
        if (!_values.TryGetValue(key, out var v)) return fallback;
        if (!double.TryParse(v.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) || !double.IsFinite(x))
            throw Error(v.Column, $"expected a number for {key}, found '{v.Value}'");
        if (x < min || x > max || (minExclusive && x == min))
        {
            string lo = minExclusive ? $"({min}" : $"[{min}";
            string range = double.IsPositiveInfinity(max) ? (minExclusive ? $"> {min}" : $">= {min}") : $"in {lo}, {max}]";
            throw Error(v.Column, $"expected {key} {range}, found {v.Value}");
        }
        return x;
    }

    /// <summary>A list of 1 or 4 non-negative integers, e.g. <c>1</c> or <c>0,1,2,0</c>; one stands for all four.</summary>
    public int[] Ints4(string key, int[] fallback)
    {
        var xs = List(key, fallback, (string t, out int x) => int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out x) && x <= 1 << 20,
            n => n is 1 or 4, "a non-negative integer or LEFT,RIGHT,TOP,BOTTOM");
        return xs.Length == 1 ? [xs[0], xs[0], xs[0], xs[0]] : xs;
    }

    /// <summary>A number that may also be <c>-inf</c> or <c>inf</c>.</summary>
    public double DoubleOrInfinity(string key, double fallback)
    {
        if (!_values.TryGetValue(key, out var v)) return fallback;
        if (v.Value == "-inf") return double.NegativeInfinity;
        if (v.Value == "inf") return double.PositiveInfinity;
        if (!double.TryParse(v.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) || double.IsNaN(x))
            throw Error(v.Column, $"expected a number, -inf or inf for {key}, found '{v.Value}'");
        return x;
    }

    /// <summary>A comma-separated list of finite numbers, e.g. <c>0.5</c> or <c>1,2.5,-3</c>.</summary>
    public double[] Doubles(string key, double[] fallback) =>
        List(key, fallback, (string t, out double x) => double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out x) && double.IsFinite(x),
            _ => true, "a number or a comma-separated list of numbers");

    private delegate bool TryParseItem<T>(string text, out T value);

    /// <summary>A comma-separated list whose items parse and whose length <paramref name="lengthOk"/> accepts.</summary>
    private T[] List<T>(string key, T[] fallback, TryParseItem<T> parse, Func<int, bool> lengthOk, string expected)
    {
        if (!_values.TryGetValue(key, out var v)) return fallback;
        var parts = v.Value.Split(',');
        var xs = new T[parts.Length];
        bool ok = lengthOk(parts.Length);
        for (int i = 0; ok && i < parts.Length; i++) ok = parse(parts[i], out xs[i]);
        if (!ok) throw Error(v.Column, $"expected {expected} for {key}, found '{v.Value}'");
        return xs;
    }

    public bool Bool(string key, bool fallback)
    {
        if (!_values.TryGetValue(key, out var v)) return fallback;
        if (v.Value.Equals("true", StringComparison.OrdinalIgnoreCase)) return true;
        if (v.Value.Equals("false", StringComparison.OrdinalIgnoreCase)) return false;
        throw Error(v.Column, $"expected true or false for {key}, found '{v.Value}'");
    }

    public int ColumnOf(string key) => _values.TryGetValue(key, out var v) ? v.Column : _head.Column;

    private NablaInputException Missing(string key, string example) =>
        Error(_head.Column, $"expected {key}=... for {_head.Text} (e.g. {key}={example}), found none");
}
