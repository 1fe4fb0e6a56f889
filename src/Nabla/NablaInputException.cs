using System.Text;

namespace Nabla;

/// <summary>
/// A problem with something a user handed to Nabla: a file (spec, safetensors, IDX, checkpoint), a flag
/// or an argument. The message is one line that names the source (file and line or byte offset, or the
/// flag) and says what was expected and what was found. The CLI prints it and exits with code 2.
/// </summary>
/// <remarks>The message is kept to one line whatever it quotes: control characters (a newline in a tensor name
/// read from a hostile file, say) are written as <c>\uXXXX</c>.</remarks>
public class NablaInputException : Exception
{
    /// <summary>Creates the exception with a one-line message naming the source of the problem.</summary>
    public NablaInputException(string message) : base(OneLine(message)) { }

    /// <summary>Creates the exception with a one-line message and the underlying cause.</summary>
    public NablaInputException(string message, Exception inner) : base(OneLine(message), inner) { }

    private static string OneLine(string message)
    {
        bool clean = true;
        foreach (char c in message) if (char.IsControl(c)) { clean = false; break; }
        if (clean) return message;
        var sb = new StringBuilder(message.Length + 16);
        foreach (char c in message)
            if (char.IsControl(c)) sb.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            else sb.Append(c);
        return sb.ToString();
    }
}
