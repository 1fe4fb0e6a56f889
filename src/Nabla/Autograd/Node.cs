using Nabla.Tensors;

namespace Nabla.Autograd;

/// <summary>
/// One recorded op: its inputs and a backward that, given the gradient of the op's output, accumulates
/// (<c>+=</c>) into the gradients of the inputs that require them.
/// </summary>
internal sealed class Node(string name, Tensor[] inputs, Action<Tensor> backward)
{
    public string Name { get; } = name;
    public Tensor[] Inputs { get; } = inputs;
    public Action<Tensor> Backward { get; } = backward;
}
