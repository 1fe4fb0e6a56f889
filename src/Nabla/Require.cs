using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Nabla;

/// <summary>Argument checks of the data and distributed layers, in one message format: the exception names the
/// parameter, carries the value found and says what was expected (<c>expected at least 1</c>, <c>expected [0, 10)</c>).
/// Each check returns the value, so a constructor checks and stores in one line.</summary>
internal static class Require
{
    /// <summary>Returns <paramref name="value"/>, or throws when it is null.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    public static T NotNull<T>([NotNull] T? value, [CallerArgumentExpression(nameof(value))] string name = "") where T : class =>
        value ?? throw new ArgumentNullException(name);

    /// <summary>Returns <paramref name="value"/>, or throws when it is below <paramref name="min"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> &lt; <paramref name="min"/>.</exception>
    public static int AtLeast(int value, int min, [CallerArgumentExpression(nameof(value))] string name = "") =>
        value >= min ? value : throw new ArgumentOutOfRangeException(name, value, $"expected at least {min}");

    /// <summary>Returns <paramref name="value"/>, or throws when it is not an index in [0, <paramref name="count"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is negative or at least <paramref name="count"/>.</exception>
    public static int Index(int value, int count, [CallerArgumentExpression(nameof(value))] string name = "") =>
        (uint)value < (uint)count ? value : throw new ArgumentOutOfRangeException(name, value, $"expected [0, {count})");
}
