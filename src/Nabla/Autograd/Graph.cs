using Nabla.Tensors;

namespace Nabla.Autograd;

/// <summary>Records ops and runs the reverse pass.</summary>
public static class Graph
{
    /// <summary>True when an op on these inputs should be recorded.</summary>
    public static bool ShouldRecord(Tensor a) => GradMode.IsEnabled && a.RequiresGrad;

    /// <summary>True when an op on these inputs should be recorded.</summary>
    public static bool ShouldRecord(Tensor a, Tensor b) => GradMode.IsEnabled && (a.RequiresGrad || b.RequiresGrad);

    /// <summary>True when an op on these inputs should be recorded.</summary>
    public static bool ShouldRecord(IReadOnlyList<Tensor?> inputs)
    {
        if (!GradMode.IsEnabled) return false;
        foreach (var t in inputs) if (t is { RequiresGrad: true }) return true;
        return false;
    }

    /// <summary>Attaches a backward to <paramref name="output"/>, which then requires grad.</summary>
    internal static Tensor Record(Tensor output, string name, Tensor[] inputs, Action<Tensor> backward)
    {
        output.RequiresGrad = true;
        output.GradFn = new Node(name, inputs, backward);
        if (GradMode.DetectAnomaly)
            foreach (float v in output.Span)
                if (!float.IsFinite(v)) throw new AnomalyException(name, backward: false, v);
        return output;
    }

    /// <summary>The gradient buffer of <paramref name="t"/>, created (zero) on first use (from the open <see cref="StepScope"/>, if any).</summary>
    internal static Tensor GradOf(Tensor t) => t.Grad ??= StepScope.NewGrad(t);

    /// <summary>The gradient buffer of <paramref name="t"/> for an op that adds to every one of its elements. When
    /// <paramref name="t"/> has no gradient yet, the buffer is made (or, for a leaf in a scope, its previous storage
    /// taken) without clearing it and <paramref name="accumulate"/> is false: the op must write every element instead
    /// of adding (saving a clear and a read of the buffer). Otherwise it is the existing gradient and
    /// <paramref name="accumulate"/> is true.</summary>
    internal static Tensor GradToWrite(Tensor t, out bool accumulate)
    {
        accumulate = t.Grad is not null;
        return t.Grad ??= StepScope.NewGrad(t, clear: false);
    }

    /// <summary>Reverse pass from <paramref name="root"/>.</summary>
    internal static void Backward(Tensor root, Tensor? gradient)
    {
        if (!root.RequiresGrad)
            throw new InvalidOperationException("Backward() on a tensor that does not require grad (no parameter or input in its graph requires grad)");
        if (gradient is null)
        {
            if (root.Numel != 1)
                throw new InvalidOperationException($"Backward() without a gradient needs a scalar output, got shape {ShapeUtil.Format(root.Shape)}");
            gradient = new Tensor([1f], root.Shape);
        }
        else if (!ShapeUtil.Equal(gradient.Shape, root.Shape))
            throw new ArgumentException($"gradient shape {ShapeUtil.Format(gradient.Shape)} does not match output shape {ShapeUtil.Format(root.Shape)}", nameof(gradient));

        var order = TopologicalOrder(root);
        var rootGrad = GradOf(root);
        Kernels.Elementwise.AddInPlace(rootGrad.Span, gradient.Span);
        for (int i = order.Count - 1; i >= 0; i--)
        {
            var t = order[i];
            var node = t.GradFn!;
            if (t.Grad is null) continue;
            node.Backward(t.Grad);
            if (GradMode.DetectAnomaly) CheckFinite(node);
            // Intermediate gradients are not kept (as PyTorch without retain_grad): frees memory early.
            if (!ReferenceEquals(t, root)) t.Grad = null;
        }
    }

    private static void CheckFinite(Node node)
    {
        foreach (var input in node.Inputs)
        {
            if (input.Grad is null) continue;
            foreach (float v in input.Grad.Span)
                if (!float.IsFinite(v))
                    throw new AnomalyException(node.Name, backward: true, v);
        }
    }

    /// <summary>Non-leaf tensors reachable from root, each after all of its inputs.</summary>
    private static List<Tensor> TopologicalOrder(Tensor root)
    {
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor t, int next)>();
        if (root.GradFn is null) return order;
        stack.Push((root, 0));
        visited.Add(root);
        while (stack.Count > 0)
        {
            var (t, next) = stack.Pop();
            var inputs = t.GradFn!.Inputs;
            if (next < inputs.Length)
            {
                stack.Push((t, next + 1));
                var child = inputs[next];
                if (child.GradFn is not null && child.RequiresGrad && visited.Add(child)) stack.Push((child, 0));
            }
            else order.Add(t);
        }
        return order;
    }
}
