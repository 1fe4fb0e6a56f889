using Nabla.NN;
using Nabla.Tensors;

namespace Nabla.IO;

/// <summary>Converts between engine tensors and safetensors entries, and loads weights into modules with
/// errors that name the file.</summary>
public static class TensorFiles
{
    /// <summary>An entry for a tensor (I64 when tagged <see cref="DType.Int64"/>, else F32).</summary>
    public static SafeTensor ToSafe(string name, Tensor t)
    {
        if (t.DType == DType.Int64)
        {
            var l = new long[t.Numel];
            for (int i = 0; i < l.Length; i++) l[i] = (long)t.Data[i];
            return SafeTensor.FromInt64(name, (int[])t.Shape.Clone(), l);
        }
        return SafeTensor.FromFloat(name, (int[])t.Shape.Clone(), t.ToArray());
    }

    /// <summary>A tensor from an entry (F64 rounded to float32; I64 held as float32 and tagged).</summary>
    public static Tensor FromSafe(SafeTensor s)
    {
        if (s.Int64 is { } l)
        {
            var d = new float[l.Length];
            for (int i = 0; i < l.Length; i++) d[i] = l[i];
            return new Tensor(d, s.Shape) { DType = DType.Int64 };
        }
        return new Tensor(s.Float!, s.Shape);
    }

    /// <summary>Writes named tensors atomically.</summary>
    public static void Save(string path, IEnumerable<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        SafeTensorsFile.Write(path, tensors.Select(t => ToSafe(t.Name, t.Tensor)), metadata);

    /// <summary>Reads every tensor of a file by name.</summary>
    /// <exception cref="NablaInputException">The file is missing or malformed.</exception>
    public static Dictionary<string, Tensor> Load(string path) =>
        SafeTensorsFile.Read(path).Tensors.ToDictionary(t => t.Name, FromSafe, StringComparer.Ordinal);

    /// <summary>Loads a state dict (strict) into <paramref name="module"/> from the tensors of <paramref name="source"/>.</summary>
    /// <exception cref="NablaInputException">Names or shapes do not match the model; the message names the file.</exception>
    public static void LoadInto(Module module, IReadOnlyDictionary<string, Tensor> state, string source)
    {
        try { module.LoadStateDict(state); }
        catch (ArgumentException e) { throw new NablaInputException($"{source}: {e.Message}"); }
    }
}
