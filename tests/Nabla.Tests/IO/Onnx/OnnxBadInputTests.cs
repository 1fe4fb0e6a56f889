using Google.Protobuf;
using Nabla.IO.Onnx;
using Nabla.IO.Onnx.Proto;
using Xunit;

namespace Nabla.Tests.IO.Onnx;

/// <summary>
/// Bad .onnx files, each made here from the good lenet_named.onnx: a truncated file, bytes that are not an ONNX
/// protobuf, a graph with a cycle, an initializer whose raw_data is shorter than its dims, dims of 2^40 elements,
/// external data outside the model's folder, a missing external file. Each is exit 2 from the CLI with one line
/// naming the file and the problem, and the importer refuses it before allocating what the file claims.
/// </summary>
public sealed class OnnxBadInputTests : IDisposable
{
    private static readonly string Good = Path.Combine(AppContext.BaseDirectory, "Fixtures", "onnx", "cli", "lenet_named.onnx");
    private readonly string _dir = Directory.CreateTempSubdirectory("nabla-onnxbad-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static ModelProto Model() => ModelProto.Parser.ParseFrom(File.ReadAllBytes(Good));

    private static TensorProto Initializer(ModelProto m, string name) => m.Graph.Initializer.Single(t => t.Name == name);

    /// <summary>Bytes of each bad file, and a fragment of the problem its message must name.</summary>
    public static TheoryData<string, string> Cases() => new()
    {
        { "truncated", "truncated" },
        { "not-protobuf", "not an ONNX model" },
        { "safetensors", "not an ONNX model" },
        { "cycle", "the graph has a cycle" },
        { "short-raw-data", "tensor 'conv2.weight' has 100 bytes of data, its dims [8, 4, 3, 3] need 1152" },
        { "dims-2^40", "tensor 'fc1.weight' has dims [1048576, 1048576], more than 2147483647 elements" },
        { "external-outside", "tensor 'fc1.weight' has external data '../fc1.bin' outside the model's folder" },
        { "external-absolute", "tensor 'fc1.weight' has external data '/etc/hostname' outside the model's folder" },
        { "external-missing", "tensor 'fc1.weight': external data file 'fc1.bin' does not exist" },
        { "external-short", "tensor 'fc1.weight': external data 'fc1.bin' (offset 0, length 2048) does not hold the 2048 bytes its dims need (file has 100)" },
    };

    private static byte[] Bad(string kind, string dir)
    {
        byte[] good = File.ReadAllBytes(Good);
        var m = Model();
        switch (kind)
        {
            case "truncated":
                return good[..(good.Length * 2 / 3)];
            case "not-protobuf":
                return "input 1 8 8\nflatten\nlinear out_features=10\n"u8.ToArray();
            case "safetensors":
                return Nabla.IO.SafeTensorsFile.ToBytes([Nabla.IO.SafeTensor.FromFloat("w", [2], [1f, 2f])]);
            case "cycle":
            {
                // The first Relu reads the output of the last Gemm: Conv → ... → Gemm → Relu → MaxPool ...
                var relu = m.Graph.Node.First(n => n.OpType == "Relu");
                relu.Input[0] = m.Graph.Node.Last(n => n.OpType == "Gemm").Output[0];
                return m.ToByteArray();
            }
            case "short-raw-data":
            {
                var t = Initializer(m, "conv2.weight");
                t.RawData = ByteString.CopyFrom(t.RawData.Span[..100]);
                return m.ToByteArray();
            }
            case "dims-2^40":
            {
                var t = Initializer(m, "fc1.weight");
                t.Dims.Clear();
                t.Dims.AddRange([1L << 20, 1L << 20]);
                return m.ToByteArray();
            }
            default:
            {
                var t = Initializer(m, "fc1.weight");
                t.RawData = ByteString.Empty;
                t.DataLocation = 1;
                string location = kind switch { "external-outside" => "../fc1.bin", "external-absolute" => "/etc/hostname", _ => "fc1.bin" };
                t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
                if (kind == "external-outside") File.WriteAllBytes(Path.Combine(Path.GetDirectoryName(dir)!, "fc1.bin"), new byte[2048]);
                if (kind == "external-short") File.WriteAllBytes(Path.Combine(dir, "fc1.bin"), new byte[100]);
                return m.ToByteArray();
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BadFile_Importer_OneLineNamingFileAndProblem_BoundedMemory(string kind, string fragment)
    {
        string dir = Path.Combine(_dir, "model");
        Directory.CreateDirectory(dir);
        byte[] bytes = Bad(kind, dir);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<NablaInputException>(() => OnnxImporter.Import(bytes, "m.onnx", dir));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.StartsWith("m.onnx: ", e.Message);
        Assert.Contains(fragment, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        // Far below what the claims would take (2^40 floats, a 2 GiB tensor): a few times the file.
        Assert.InRange(allocated, 0, (1 << 20) + 64L * bytes.Length);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BadFile_Cli_ExitTwo_OneLine(string kind, string fragment)
    {
        string dir = Path.Combine(_dir, "model");
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, "m.onnx"), Bad(kind, dir));
        var (code, stdout, err) = Nabla.Tests.Cli.CliErrorTests.RunIn(dir, "summary", "m.onnx");
        Assert.Equal(2, code);
        string line = err.TrimEnd('\n');
        Assert.DoesNotContain('\n', line);
        Assert.StartsWith("nabla summary: m.onnx: ", line);
        Assert.Contains(fragment, line);
        Assert.Equal("", stdout);
    }

    [Fact]
    public void GoodFile_Imports()
    {
        // The cases above are one edit away from this file, which imports.
        var model = OnnxImporter.Import(File.ReadAllBytes(Good), "m.onnx", Path.GetDirectoryName(Good));
        Assert.Equal(12 + 1, model.Spec.InitialWeights!.Count);
    }
}
