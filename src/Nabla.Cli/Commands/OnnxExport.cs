using Nabla.Analysis;
using Nabla.IO;
using Nabla.IO.Onnx;
using Nabla.IO.Spec;
using Nabla.Tensors;

namespace Nabla.Cli.Commands;

/// <summary>`nabla export --format onnx`: the model (optionally BatchNorm-folded) as an ONNX file (<see cref="OnnxExporter"/>).</summary>
internal static class OnnxExport
{
    /// <summary>Builds the model from <paramref name="spec"/> and <paramref name="weights"/> (or an imported model's own
    /// initializers when null), folds it if asked, and writes <paramref name="outPath"/> atomically.</summary>
    public static int Run(ModelSpec spec, string? weights, bool fold, string outPath, TextWriter output)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(outPath));
        if (dir is not null && !Directory.Exists(dir)) throw new NablaInputException($"nabla export: --out: folder '{dir}' does not exist");
        var model = ModelFactory.Build(spec, new Rng(0), new Rng(0));
        if (weights is not null) TensorFiles.LoadInto(model, TensorFiles.Load(weights), weights);
        model.Eval();
        var folded = fold ? BatchNormFolding.FoldedNames(model) : [];
        var result = fold ? BatchNormFolding.Fold(model) : model;
        if (fold && spec.ParameterNames is not null) result.UseNames(spec.ParameterNames);
        OnnxExporter.Save(result, spec.Input, outPath, Path.GetFileNameWithoutExtension(spec.Source));
        output.WriteLine($"wrote {outPath} (ONNX opset {OnnxExporter.Opset}, input {OnnxExporter.InputName} [batch, {string.Join(", ", spec.Input)}]"
            + (fold ? $", {folded.Count} BatchNorm layer(s) folded)" : ")"));
        return 0;
    }
}
