namespace Nabla.IO;

/// <summary>
/// A safetensors file in memory: named tensors (F32, F64, I64) and the string metadata of the header's
/// <c>__metadata__</c> entry. Reads validate everything against the file before allocating; writes are
/// atomic. See docs/safetensors.md for the format and the rules.
/// </summary>
/// <remarks>
/// Layout: an 8-byte little-endian unsigned header length N, N bytes of UTF-8 JSON
/// <c>{"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ..., "__metadata__": {"k": "v"}}</c>
/// (padded with spaces), then the data buffer that the offsets index, every tensor row-major and
/// little-endian, the tensors covering the buffer exactly.
/// </remarks>
public sealed class SafeTensorsFile
{
    private readonly Dictionary<string, SafeTensor> _byName;

    internal SafeTensorsFile(string sourceName, IReadOnlyList<SafeTensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        SourceName = sourceName;
        Tensors = tensors;
        Metadata = metadata;
        _byName = new Dictionary<string, SafeTensor>(StringComparer.Ordinal);
        foreach (var t in tensors) _byName.Add(t.Name, t);
    }

    /// <summary>The path (or the name given for a stream or byte array) the file was read from; used in messages.</summary>
    public string SourceName { get; }

    /// <summary>The header's <c>__metadata__</c> entries; empty when the file has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensors in the order the header lists them.</summary>
    public IReadOnlyList<SafeTensor> Tensors { get; }

    /// <summary>Returns the tensor with the given name.</summary>
    /// <exception cref="NablaInputException">The file holds no tensor of that name (the message names the file).</exception>
    public SafeTensor this[string name] => TryGet(name, out var t)
        ? t
        : throw new NablaInputException($"{SourceName}: no tensor named {SafeTensorsReader.Quote(name)} (the file holds {Tensors.Count} tensors{Sample()})");

    /// <summary>Looks a tensor up by name.</summary>
    /// <returns><c>true</c> and the tensor when present; otherwise <c>false</c> and <c>null</c>.</returns>
    public bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SafeTensor? tensor)
        => _byName.TryGetValue(name, out tensor);

    /// <summary>Whether the file holds a tensor of that name.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>Reads and validates a safetensors file.</summary>
    /// <param name="path">The file; its path appears at the start of every error message.</param>
    /// <exception cref="NablaInputException">The file is missing, a directory, unreadable, truncated or malformed; one line names the path, the byte offset or tensor, and expected vs found.</exception>
    public static SafeTensorsFile Read(string path) => SafeTensorsReader.ReadFile(path);

    /// <summary>Reads and validates safetensors data from a stream (read from its current position to its end).</summary>
    /// <param name="stream">The data; a non-seekable stream is first copied into memory.</param>
    /// <param name="sourceName">Name used in error messages, e.g. the original file name.</param>
    /// <exception cref="NablaInputException">The data is truncated or malformed (message starts with <paramref name="sourceName"/>).</exception>
    public static SafeTensorsFile Read(Stream stream, string sourceName) => SafeTensorsReader.Read(stream, sourceName);

    /// <summary>Reads and validates safetensors data held in memory.</summary>
    /// <param name="bytes">The whole file's bytes.</param>
    /// <param name="sourceName">Name used in error messages.</param>
    /// <exception cref="NablaInputException">The data is truncated or malformed (message starts with <paramref name="sourceName"/>).</exception>
    public static SafeTensorsFile Read(byte[] bytes, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        using var ms = new MemoryStream(bytes, writable: false);
        return SafeTensorsReader.Read(ms, sourceName);
    }

    /// <summary>
    /// Writes tensors atomically: to <c>&lt;path&gt;.tmp-&lt;random&gt;</c> in the same directory, flushed to
    /// disk, then renamed over <paramref name="path"/>. A failure leaves <paramref name="path"/> as it was
    /// and removes the temporary file.
    /// </summary>
    /// <param name="path">Target file; replaced if it exists.</param>
    /// <param name="tensors">Tensors to store, with distinct names. Written I64, F64, F32 then by name, as the reference implementation orders them.</param>
    /// <param name="metadata">Optional string pairs stored under <c>__metadata__</c> (keys sorted).</param>
    /// <exception cref="ArgumentException">Two tensors share a name, or a tensor or metadata entry is null.</exception>
    /// <exception cref="NablaInputException">The file cannot be written (missing or unwritable directory, disk full, path is a directory); the message names the path.</exception>
    public static void Write(string path, IEnumerable<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
        => SafeTensorsWriter.WriteFile(path, tensors, metadata);

    /// <summary>Writes tensors in safetensors format to a stream (not atomic; see <see cref="Write(string, IEnumerable{SafeTensor}, IReadOnlyDictionary{string, string}?)"/> for files).</summary>
    /// <exception cref="ArgumentException">Two tensors share a name, or a tensor or metadata entry is null.</exception>
    public static void Write(Stream stream, IEnumerable<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
        => SafeTensorsWriter.Write(stream, tensors, metadata);

    /// <summary>Returns the bytes of a safetensors file holding the tensors.</summary>
    /// <exception cref="ArgumentException">Two tensors share a name, or a tensor or metadata entry is null.</exception>
    public static byte[] ToBytes(IEnumerable<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var ms = new MemoryStream();
        SafeTensorsWriter.Write(ms, tensors, metadata);
        return ms.ToArray();
    }

    private string Sample()
    {
        if (Tensors.Count == 0) return "";
        var names = Tensors.Take(5).Select(t => SafeTensorsReader.Quote(t.Name));
        return ": " + string.Join(", ", names) + (Tensors.Count > 5 ? ", ..." : "");
    }
}
