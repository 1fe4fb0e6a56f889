using System.Globalization;
using System.Text;

namespace Nabla.IO.Spec;

/// <summary>
/// Writes a <see cref="ModelSpec"/> as spec text that <see cref="SpecParser"/> reads back to an equal spec.
/// Only keys that differ from PyTorch's defaults are written; blocks are indented two spaces per level.
/// </summary>
public static class SpecWriter
{
    /// <summary>The spec text of <paramref name="spec"/>, ending with a newline.</summary>
    public static string Write(ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var sb = new StringBuilder();
        sb.Append("input ").AppendJoin(' ', spec.Input).Append('\n');
        WriteLayers(sb, spec.Layers, 0);
        return sb.ToString();
    }

    /// <summary>Writes <paramref name="spec"/> to a file.</summary>
    public static void WriteFile(ModelSpec spec, string path) => File.WriteAllText(path, Write(spec));

    /// <summary>The one-line spelling of a leaf layer, e.g. <c>conv2d out_channels=64 kernel_size=3 padding=1</c>.</summary>
    /// <exception cref="ArgumentException">The layer is a concat or residual block.</exception>
    public static string LayerLine(LayerSpec layer)
    {
        var parts = new List<string> { layer.Kind.Keyword() };
        switch (layer)
        {
            case Conv2dSpec c:
                parts.Add($"out_channels={I(c.OutChannels)}");
                parts.Add($"kernel_size={c.KernelSize}");
                if (c.Stride != 1) parts.Add($"stride={c.Stride}");
                if (c.Padding != 0) parts.Add($"padding={c.Padding}");
                if (c.Dilation != 1) parts.Add($"dilation={c.Dilation}");
                if (c.Groups != 1) parts.Add($"groups={I(c.Groups)}");
                if (!c.Bias) parts.Add("bias=false");
                break;
            case LinearSpec l:
                parts.Add($"out_features={I(l.OutFeatures)}");
                if (!l.Bias) parts.Add("bias=false");
                break;
            case BatchNormSpec b:
                if (b.Eps != 1e-5) parts.Add($"eps={D(b.Eps)}");
                if (b.Momentum != 0.1) parts.Add($"momentum={D(b.Momentum)}");
                if (!b.Affine) parts.Add("affine=false");
                break;
            case LeakyReLUSpec r:
                if (r.NegativeSlope != 0.01) parts.Add($"negative_slope={D(r.NegativeSlope)}");
                break;
            case Pad2dSpec p:
                parts.Add(p.Left == p.Right && p.Right == p.Top && p.Top == p.Bottom ? $"padding={I(p.Left)}" : $"padding={I(p.Left)},{I(p.Right)},{I(p.Top)},{I(p.Bottom)}");
                if (p.Value != 0) parts.Add($"value={(double.IsNegativeInfinity(p.Value) ? "-inf" : double.IsPositiveInfinity(p.Value) ? "inf" : D(p.Value))}");
                break;
            case AffineSpec f:
                if (f.Scale is not [1.0]) parts.Add($"scale={string.Join(",", f.Scale.Select(D))}");
                if (f.Shift is not [0.0]) parts.Add($"shift={string.Join(",", f.Shift.Select(D))}");
                break;
            case EluSpec e:
                if (e.Alpha != 1.0) parts.Add($"alpha={D(e.Alpha)}");
                break;
            case SoftmaxSpec s:
                if (s.Dim != 1) parts.Add($"dim={I(s.Dim)}");
                break;
            case Pool2dSpec p:
                parts.Add($"kernel_size={p.KernelSize}");
                if (p.Stride != p.KernelSize) parts.Add($"stride={p.Stride}");
                if (p.Padding != 0) parts.Add($"padding={p.Padding}");
                if (p is MaxPool2dSpec m && m.Dilation != 1) parts.Add($"dilation={m.Dilation}");
                if (p.CeilMode) parts.Add("ceil_mode=true");
                if (p is AvgPool2dSpec a && !a.CountIncludePad) parts.Add("count_include_pad=false");
                break;
            case AdaptiveAvgPool2dSpec ap:
                parts.Add($"output_size={ap.OutputSize}");
                break;
            case DropoutSpec d:
                if (d.P != 0.5) parts.Add($"p={D(d.P)}");
                break;
            case ConcatSpec or ResidualSpec:
                throw new ArgumentException($"{layer.Kind} is a block; use Write", nameof(layer));
        }
        return string.Join(' ', parts);
    }

    private static void WriteLayers(StringBuilder sb, IEnumerable<LayerSpec> layers, int depth)
    {
        foreach (var layer in layers)
        {
            switch (layer)
            {
                case ConcatSpec c:
                    Line(sb, depth, "concat");
                    foreach (var branch in c.Branches)
                    {
                        Line(sb, depth + 1, "branch");
                        WriteLayers(sb, branch, depth + 2);
                    }
                    Line(sb, depth, "end");
                    break;
                case ResidualSpec r:
                    Line(sb, depth, "residual");
                    WriteLayers(sb, r.Body, depth + 1);
                    if (r.Shortcut is not null)
                    {
                        Line(sb, depth, "shortcut");
                        WriteLayers(sb, r.Shortcut, depth + 1);
                    }
                    Line(sb, depth, "end");
                    break;
                default:
                    Line(sb, depth, LayerLine(layer));
                    break;
            }
        }
    }

    private static void Line(StringBuilder sb, int depth, string text) => sb.Append(' ', 2 * depth).Append(text).Append('\n');

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);

    private static string D(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
