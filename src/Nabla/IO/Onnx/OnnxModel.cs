using Nabla.IO.Spec;
using Nabla.Tensors;

namespace Nabla.IO.Onnx;

/// <summary>An imported ONNX model: the spec its graph maps to, its initializers as weights, and the names.</summary>
/// <param name="Spec">The layers (names as for any spec, e.g. <c>3.1.0</c>), with <see cref="ModelSpec.ParameterNames"/>
/// and <see cref="ModelSpec.InitialWeights"/> set.</param>
/// <param name="Opset">The default-domain opset the file imports.</param>
public sealed record OnnxModel(ModelSpec Spec, int Opset);
