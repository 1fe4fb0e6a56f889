namespace Nabla.Cli;

/// <summary>
/// One input a command accepts, declared as data: a switch (<c>--json</c>), an option with one value
/// (<c>--epochs N</c>), an option with several (<c>--resize H W</c>), or a positional argument (<c>M</c>).
/// <see cref="CommandLine"/> turns the declarations into System.CommandLine options, so parsing, help and
/// completion all come from the same list.
/// </summary>
/// <param name="Name">The option's name without the dashes ("epochs"), or a positional's placeholder ("M").</param>
/// <param name="Value">The value placeholder in help ("N", "H W"); null for a switch.</param>
/// <param name="Help">The help line; '\n' starts an indented continuation line.</param>
public sealed record Flag(string Name, string? Value, string Help)
{
    /// <summary>Fewest values after the option (1 for a valued option, 0 for a switch or positional).</summary>
    public int MinValues { get; init; } = 1;

    /// <summary>Most values after the option (1 unless declared multi-valued, like <c>--resize H W</c>).</summary>
    public int MaxValues { get; init; } = 1;

    /// <summary>Accepted but left out of help (developer switches such as <c>bench --profile</c>).</summary>
    public bool Hidden { get; init; }

    /// <summary>A positional argument rather than an option.</summary>
    public bool IsPositional { get; init; }

    /// <summary>A switch: true when given alone (<c>--json</c>), or <c>--json true|false</c>.</summary>
    public bool IsSwitch => Value is null && !IsPositional;

    /// <summary>The option as typed: <c>--epochs</c> (a positional: its placeholder).</summary>
    public string Token => IsPositional ? Name : "--" + Name;

    /// <summary>A switch such as <c>--json</c>.</summary>
    public static Flag Switch(string name, string help) => new(name, null, help) { MinValues = 0 };

    /// <summary>An option with one value such as <c>--epochs N</c>.</summary>
    public static Flag Valued(string name, string value, string help) => new(name, value, help);

    /// <summary>An option taking <paramref name="min"/> to <paramref name="max"/> values, such as <c>--resize H W</c>.</summary>
    public static Flag Multi(string name, string value, int min, int max, string help) =>
        new(name, value, help) { MinValues = min, MaxValues = max };

    /// <summary>An optional positional argument such as the <c>M</c> of <c>nabla summary M</c>.</summary>
    public static Flag Positional(string name, string help) => new(name, null, help) { IsPositional = true, MinValues = 0 };

    /// <summary>This declaration, left out of help.</summary>
    public Flag AsHidden() => this with { Hidden = true };
}
