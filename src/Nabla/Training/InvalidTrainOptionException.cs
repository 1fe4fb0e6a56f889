using System.Globalization;

namespace Nabla.Training;

/// <summary>A <see cref="TrainOptions"/> value the trainer refuses. The library names options by their
/// <see cref="TrainOptions"/> property (<c>TrainOptions.Epochs must be at least 1, got 0</c>); a front end names them
/// its own way through <see cref="MessageFor"/> (the CLI: <c>--epochs must be at least 1, got 0</c>).</summary>
public sealed class InvalidTrainOptionException : NablaInputException
{
    // The message with {0} for Option and {1} for Related; every other brace is escaped.
    private readonly string _template;

    /// <summary>A problem with one option's value.</summary>
    /// <param name="option">The <see cref="TrainOptions"/> property, e.g. <c>nameof(TrainOptions.Epochs)</c>.</param>
    /// <param name="problem">What is wrong, said after the option's name: <c>must be at least 1, got 0</c>.</param>
    public InvalidTrainOptionException(string option, string problem) : this(option, null, "{0} " + Escape(problem)) { }

    private InvalidTrainOptionException(string option, string? related, string template)
        : base(Format(template, option, related, LibraryName))
    {
        Option = option;
        Related = related;
        _template = template;
    }

    /// <summary>The <see cref="TrainOptions"/> property at fault.</summary>
    public string Option { get; }

    /// <summary>Another <see cref="TrainOptions"/> property the message names (the value that <see cref="Option"/>'s
    /// does not work with), or null.</summary>
    public string? Related { get; }

    /// <summary>The message with each option named by <paramref name="optionName"/> (given a property name).</summary>
    public string MessageFor(Func<string, string> optionName) => Format(_template, Option, Related, optionName);

    /// <summary>A message that names <paramref name="option"/> (and <paramref name="related"/>) where
    /// <paramref name="template"/> has {0} (and {1}); other text in it has its braces escaped (<see cref="Escape"/>).</summary>
    internal static InvalidTrainOptionException Templated(string option, string template, string? related = null) =>
        new(option, related, template);

    /// <summary>Doubles the braces of text (a path, a value) placed into a template.</summary>
    internal static string Escape(string text) => text.Replace("{", "{{", StringComparison.Ordinal).Replace("}", "}}", StringComparison.Ordinal);

    /// <summary>How the library names an option: <c>TrainOptions.Epochs</c>.</summary>
    internal static string LibraryName(string option) => $"{nameof(TrainOptions)}.{option}";

    private static string Format(string template, string option, string? related, Func<string, string> name) =>
        string.Format(CultureInfo.InvariantCulture, template, name(option), related is null ? "" : name(related));
}
