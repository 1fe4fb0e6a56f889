namespace Nabla.IO.Spec;

/// <summary>The layer kinds a spec file can name. The spec keyword is the lower-cased name (see <see cref="LayerKinds"/>).</summary>
public enum LayerKind
{
    /// <summary><c>conv2d</c>: <see cref="Conv2dSpec"/>.</summary>
    Conv2d,
    /// <summary><c>linear</c>: <see cref="LinearSpec"/>.</summary>
    Linear,
    /// <summary><c>batchnorm1d</c>: <see cref="BatchNorm1dSpec"/>.</summary>
    BatchNorm1d,
    /// <summary><c>batchnorm2d</c>: <see cref="BatchNorm2dSpec"/>.</summary>
    BatchNorm2d,
    /// <summary><c>relu</c>: <see cref="ActivationSpec"/>.</summary>
    ReLU,
    /// <summary><c>sigmoid</c>: <see cref="ActivationSpec"/>.</summary>
    Sigmoid,
    /// <summary><c>tanh</c>: <see cref="ActivationSpec"/>.</summary>
    Tanh,
    /// <summary><c>leakyrelu</c>: <see cref="LeakyReLUSpec"/>.</summary>
    LeakyReLU,
    /// <summary><c>softmax</c>: <see cref="SoftmaxSpec"/>.</summary>
    Softmax,
    /// <summary><c>logsoftmax</c>: <see cref="SoftmaxSpec"/>.</summary>
    LogSoftmax,
    /// <summary><c>maxpool2d</c>: <see cref="MaxPool2dSpec"/>.</summary>
    MaxPool2d,
    /// <summary><c>avgpool2d</c>: <see cref="AvgPool2dSpec"/>.</summary>
    AvgPool2d,
    /// <summary><c>adaptiveavgpool2d</c>: <see cref="AdaptiveAvgPool2dSpec"/>.</summary>
    AdaptiveAvgPool2d,
    /// <summary><c>dropout</c>: <see cref="DropoutSpec"/>.</summary>
    Dropout,
    /// <summary><c>flatten</c>: <see cref="FlattenSpec"/>.</summary>
    Flatten,
    /// <summary><c>concat</c> ... <c>branch</c> ... <c>end</c>: <see cref="ConcatSpec"/>.</summary>
    Concat,
    /// <summary><c>residual</c> ... [<c>shortcut</c> ...] <c>end</c>: <see cref="ResidualSpec"/>.</summary>
    Residual,
    /// <summary><c>relu6</c>: <see cref="ActivationSpec"/> (min(max(x, 0), 6), as <c>nn.ReLU6</c>).</summary>
    ReLU6,
    /// <summary><c>elu</c>: <see cref="EluSpec"/> (as <c>nn.ELU</c>).</summary>
    Elu,
    /// <summary><c>gelu</c>: <see cref="ActivationSpec"/> (x·Φ(x), as <c>nn.GELU()</c>).</summary>
    Gelu,
    /// <summary><c>affine</c>: <see cref="AffineSpec"/> (x·scale + shift with constants).</summary>
    Affine,
    /// <summary><c>pad</c>: <see cref="Pad2dSpec"/> (as <c>nn.ConstantPad2d</c>).</summary>
    Pad,
}
