using System.Runtime.CompilerServices;

namespace Nabla.Tensors;

/// <summary>
/// A buffer scope for one training (or inference) step: while it is open on a thread, the storage of tensors that
/// ops produce, their gradients and the ops' saved state come from a pool, and all of it goes back to the pool
/// when the scope is disposed. A steady-state step then allocates (almost) nothing on the managed heap.
/// </summary>
/// <remarks>
/// <code>
/// using (StepScope.Begin())
/// {
///     optimizer.ZeroGrad();
///     var loss = F.CrossEntropy(model.Forward(x), y);
///     loss.Backward();
///     optimizer.Step();
///     lossValue = loss.Item();
/// }
/// </code>
/// The contract: a tensor produced by an op inside the scope (the loss and logits included), and any gradient of
/// such a tensor, must not be used after the scope ends; copy out what you need (<see cref="Tensor.Item"/>,
/// <see cref="Tensor.Clone"/>) before. Gradients of leaves (parameters) stay valid after the scope; once a leaf's
/// <see cref="Tensor.Grad"/> has been set to null (ZeroGrad), a later backward inside a scope reuses its previous
/// gradient storage, so do not keep an old gradient tensor across <c>ZeroGrad</c>. Tensors created directly
/// (constructors, <see cref="Tensor.Clone"/>, optimizer state) never come from the pool. Scopes nest; each returns
/// what was rented since it began. Without an open scope every op allocates fresh storage, as always.
/// </remarks>
public readonly struct StepScope : IDisposable
{
    [ThreadStatic] private static List<float[]>? t_floats;
    [ThreadStatic] private static List<int[]>? t_ints;
    [ThreadStatic] private static List<double[]>? t_doubles;
    [ThreadStatic] private static int t_depth;

    private static readonly ConditionalWeakTable<Tensor, Tensor> s_leafGrads = new();

    private readonly int _floatMark, _intMark, _doubleMark, _depth;

    private StepScope(int floatMark, int intMark, int doubleMark, int depth)
    {
        _floatMark = floatMark; _intMark = intMark; _doubleMark = doubleMark; _depth = depth;
    }

    /// <summary>True when a scope is open on this thread.</summary>
    public static bool IsActive => t_depth > 0;

    /// <summary>Opens a scope on this thread; dispose it (a <c>using</c>) at the end of the step.</summary>
    public static StepScope Begin()
    {
        t_floats ??= new List<float[]>(256);
        t_ints ??= new List<int[]>(16);
        t_doubles ??= new List<double[]>(16);
        t_depth++;
        return new StepScope(t_floats.Count, t_ints.Count, t_doubles.Count, t_depth);
    }

    /// <summary>Returns every buffer rented since this scope began to the pool and closes the scope.</summary>
    public void Dispose()
    {
        if (_depth == 0 || t_depth != _depth) return; // default instance, or disposed twice / out of order
        Release(t_floats!, _floatMark);
        Release(t_ints!, _intMark);
        Release(t_doubles!, _doubleMark);
        t_depth--;
    }

    private static void Release<T>(List<T[]> list, int mark) where T : unmanaged
    {
        for (int i = list.Count - 1; i >= mark; i--) BufferPool<T>.Return(list[i]);
        list.RemoveRange(mark, list.Count - mark);
    }

    /// <summary>Float storage owned by the open scope (fresh storage when none is open). Cleared when asked.</summary>
    internal static float[] RentFloats(int length, bool clear)
    {
        if (t_depth == 0) return new float[length];
        var a = BufferPool<float>.Rent(length, clear);
        t_floats!.Add(a);
        return a;
    }

    /// <summary>Int storage owned by the open scope (fresh storage when none is open). Cleared when asked.</summary>
    internal static int[] RentInts(int length, bool clear)
    {
        if (t_depth == 0) return new int[length];
        var a = BufferPool<int>.Rent(length, clear);
        t_ints!.Add(a);
        return a;
    }

    /// <summary>Double storage owned by the open scope (fresh storage when none is open). Cleared when asked.</summary>
    internal static double[] RentDoubles(int length, bool clear)
    {
        if (t_depth == 0) return new double[length];
        var a = BufferPool<double>.Rent(length, clear);
        t_doubles!.Add(a);
        return a;
    }

    /// <summary>A tensor of <paramref name="shape"/> whose storage belongs to the open scope (zeroed when
    /// <paramref name="clear"/>; a fresh zeroed tensor when no scope is open).</summary>
    internal static Tensor RentTensor(int[] shape, bool clear) =>
        new(RentFloats(ShapeUtil.Numel(shape, nameof(shape)), clear), shape);

    /// <summary>A gradient buffer for <paramref name="t"/>, zeroed unless <paramref name="clear"/> is false (then its
    /// contents are unspecified: the caller writes every element): a leaf reuses the storage of its previous
    /// gradient inside a scope; anything else rents from the scope.</summary>
    internal static Tensor NewGrad(Tensor t, bool clear = true)
    {
        if (t_depth == 0) return new Tensor(t.Shape);
        if (!t.IsLeaf) return RentTensor(t.Shape, clear);
        if (s_leafGrads.TryGetValue(t, out var g) && g.Numel == t.Numel && ShapeUtil.Equal(g.Shape, t.Shape))
        {
            if (clear) g.Span.Clear();
            return g;
        }
        g = new Tensor(t.Shape);
        s_leafGrads.AddOrUpdate(t, g);
        return g;
    }
}
