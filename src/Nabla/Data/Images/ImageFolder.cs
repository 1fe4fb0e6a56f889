using System.Security.Cryptography;
using System.Text;

namespace Nabla.Data.Images;

/// <summary>
/// Reads torchvision's ImageFolder layout: <c>DIR/train/&lt;class&gt;/*</c> and <c>DIR/test/&lt;class&gt;/*</c>, or
/// <c>DIR/&lt;class&gt;/*</c> with a seeded validation split. Classes are the folder names sorted by ordinal
/// comparison (as Python's <c>sorted</c>); files are PNG, JPEG or BMP, found recursively in sorted order.
/// </summary>
/// <remarks>
/// Every file is decoded once, in parallel, into one byte array (N x C x H x W); splits of at least
/// <see cref="ImageFolderOptions.CacheThreshold"/> bytes are also written to <c>&lt;cache&gt;/imagefolder-&lt;hash&gt;.bin</c>
/// (the hash covers every path, size, modification time and the target shape) and read from there next time.
/// Known junk (<c>.DS_Store</c>, <c>Thumbs.db</c>, <c>desktop.ini</c>, AppleDouble <c>._*</c> files) is skipped;
/// any other file that is not an image is an error naming it. Pixels are handed out as <c>pixel / 255</c>
/// (torchvision's <c>ToTensor()</c>); see <see cref="Dataset.WithNormalization"/> for more.
/// <code>
/// var splits = ImageFolder.Load("photos", new ImageFolderOptions { Channels = 3, Height = 32, Width = 32, Resize = true });
/// var loader = new DataLoader(splits.Train, batchSize: 64, seed: 1);
/// </code>
/// </remarks>
public static class ImageFolder
{
    /// <summary>The accepted file extensions (case-insensitive).</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".png", ".jpg", ".jpeg", ".bmp"];

    /// <summary>Whether <paramref name="directory"/> uses the ImageFolder layout (has class folders, or train/test).</summary>
    public static bool Looks(string directory) =>
        Directory.Exists(directory) && Directory.EnumerateDirectories(directory).Any(d => !Path.GetFileName(d).StartsWith('.'));

    /// <summary>Loads the training and test sets of an image folder.</summary>
    /// <param name="root">DIR.</param>
    /// <param name="options">Channels, size, resizing, split and cache.</param>
    /// <param name="log">Receives one-line progress messages while indexing and decoding; may be null.</param>
    /// <exception cref="NablaInputException">The layout is wrong (fewer than two classes, an empty class, train and
    /// test classes differ, no split for the flat layout), a file is not an image, corrupt, truncated, empty,
    /// absurdly large, or of another size without <see cref="ImageFolderOptions.Resize"/>.</exception>
    public static DataSplits Load(string root, ImageFolderOptions options, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Channels is not (1 or 3)) throw new NablaInputException($"{root}: image folders feed models of 1 (grayscale) or 3 (RGB) input channels, found a model of {options.Channels}");
        if (!Directory.Exists(root)) throw new NablaInputException($"{root}: expected an image folder, found no such directory");
        string train = Path.Combine(root, "train"), test = Path.Combine(root, "test");
        bool paired = Directory.Exists(train) && Directory.Exists(test);
        if (paired && options.ValSplit > 0)
            throw new NablaInputException($"--val-split: {root} already has train/ and test/ folders; drop --val-split or use the DIR/<class> layout");
        if (!paired && !(options.ValSplit > 0 && options.ValSplit < 1))
            throw new NablaInputException($"{root}: expected the layout DIR/train/<class>/* and DIR/test/<class>/*, or DIR/<class>/* with --val-split F (0 < F < 1){(Directory.Exists(train) ? ", found train/ without test/" : "")}");
        if (paired)
        {
            var trainIndex = Index(train);
            var testIndex = Index(test);
            if (!trainIndex.Classes.SequenceEqual(testIndex.Classes, StringComparer.Ordinal))
            {
                var a = trainIndex.Classes.Except(testIndex.Classes, StringComparer.Ordinal).ToList();
                var b = testIndex.Classes.Except(trainIndex.Classes, StringComparer.Ordinal).ToList();
                throw new NablaInputException($"{test}: expected the classes of {train} ({trainIndex.Classes.Count}), found a different set ({(a.Count > 0 ? "missing " + string.Join(", ", a) : "")}{(a.Count > 0 && b.Count > 0 ? "; " : "")}{(b.Count > 0 ? "extra " + string.Join(", ", b) : "")})");
            }
            log?.Invoke($"image folder {root}: {trainIndex.Classes.Count} classes, {trainIndex.Files.Count} training and {testIndex.Files.Count} test images");
            var trainSet = Decode(trainIndex, options, train, log);
            var sized = options with { Height = trainSet.Height, Width = trainSet.Width };
            var testSet = Decode(testIndex, sized, test, log);
            return new DataSplits(trainSet, testSet, $"image folder {root}");
        }
        var all = Index(root);
        int nTest = (int)Math.Round(all.Files.Count * options.ValSplit);
        if (nTest < 1 || nTest >= all.Files.Count)
            throw new NablaInputException($"--val-split {options.ValSplit}: {root} has {all.Files.Count} images, which leaves {nTest} for testing and {all.Files.Count - nTest} for training; both need at least one");
        log?.Invoke($"image folder {root}: {all.Classes.Count} classes, {all.Files.Count} images, {nTest} held out for testing (--val-split {options.ValSplit}, seed {options.Seed})");
        var everything = Decode(all, options, root, log);
        var order = new int[everything.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        DataRng.Create(options.Seed, DataRng.SplitStream, 0).Shuffle(order);
        var testIdx = order[..nTest];
        var trainIdx = order[nTest..];
        Array.Sort(testIdx);
        Array.Sort(trainIdx);
        return new DataSplits(everything.Select(trainIdx, $"{root} (train split)"), everything.Select(testIdx, $"{root} (--val-split {options.ValSplit})"), $"image folder {root}");
    }

    /// <summary>The classes (sorted folder names) and image files (sorted paths with their class) of one split folder.</summary>
    /// <param name="directory">A folder holding one folder per class.</param>
    /// <exception cref="NablaInputException">Fewer than two classes, an empty class, or a file that is neither an image nor known junk.</exception>
    public static ImageFolderIndex Index(string directory)
    {
        var classes = Directory.EnumerateDirectories(directory).Select(Path.GetFileName).Where(n => !n!.StartsWith('.')).Select(n => n!)
            .OrderBy(n => n, StringComparer.Ordinal).ToList();
        if (classes.Count < 2)
            throw new NablaInputException($"{directory}: expected at least 2 class folders, found {classes.Count}{(classes.Count == 1 ? $" ({classes[0]})" : "")}");
        var files = new List<(string Path, int Label)>();
        for (int k = 0; k < classes.Count; k++)
        {
            string dir = Path.Combine(directory, classes[k]);
            var found = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
            int before = files.Count;
            foreach (string f in found)
            {
                string name = Path.GetFileName(f);
                if (IsJunk(name)) continue;
                if (!Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                    throw new NablaInputException($"{f}: expected an image ({string.Join(", ", Extensions)}), found another kind of file; remove it or move it out of {directory}");
                files.Add((f, k));
            }
            if (files.Count == before)
                throw new NablaInputException($"{dir}: expected images of class '{classes[k]}', found none");
        }
        return new ImageFolderIndex(directory, classes, files);
    }

    /// <summary>Whether a file name is known junk that image folders skip (.DS_Store, Thumbs.db, desktop.ini, ._*).</summary>
    public static bool IsJunk(string fileName) =>
        fileName.StartsWith("._", StringComparison.Ordinal)
        || fileName.Equals(".DS_Store", StringComparison.OrdinalIgnoreCase)
        || fileName.Equals("Thumbs.db", StringComparison.OrdinalIgnoreCase)
        || fileName.Equals("desktop.ini", StringComparison.OrdinalIgnoreCase);

    /// <summary>Decodes every file of <paramref name="index"/> (or reads the cache) into one dataset.</summary>
    /// <exception cref="NablaInputException">A file cannot be decoded or has the wrong size.</exception>
    public static Dataset Decode(ImageFolderIndex index, ImageFolderOptions options, string name, Action<string>? log = null)
    {
        int c = options.Channels;
        int h = options.Height, w = options.Width;
        if (h <= 0 || w <= 0)
        {
            byte[] firstBytes = ReadFile(index.Files[0].Path);
            (w, h) = ImageDecoder.ReadSize(firstBytes, index.Files[0].Path);
        }
        int n = index.Files.Count;
        long sample = (long)c * h * w;
        if (sample * n > Array.MaxLength)
            throw new NablaInputException($"{index.Directory}: {n} images of {c}x{h}x{w} need {sample * n:N0} bytes, more than one array holds; use --resize to make them smaller");
        var labels = index.Files.Select(f => f.Label).ToArray();
        string? cache = sample * n >= options.CacheThreshold ? CachePath(index, options, c, h, w) : null;
        var pixels = cache is not null ? TryReadCache(cache, sample * n) : null;
        if (pixels is not null)
        {
            log?.Invoke($"{name}: {n} decoded images read from the cache {cache}");
        }
        else
        {
            pixels = new byte[sample * n];
            DecodeAll(index, options, c, h, w, pixels, name, log);
            if (cache is not null) TryWriteCache(cache, pixels, log);
        }
        return new Dataset(pixels, labels, c, h, w, index.Classes.Count, new float[c], Enumerable.Repeat(1f, c).ToArray(), name, index.Classes);
    }

    private static void DecodeAll(ImageFolderIndex index, ImageFolderOptions o, int c, int h, int w, byte[] pixels, string name, Action<string>? log)
    {
        int n = index.Files.Count;
        int sample = c * h * w;
        var errors = new NablaInputException?[n];
        int done = 0, nextReport = 1;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, o.Threads) }, i =>
        {
            string path = index.Files[i].Path;
            try
            {
                byte[] encoded = ReadFile(path);
                var (img, iw, ih) = ImageDecoder.Decode(encoded, c, path);
                Span<byte> dst = pixels.AsSpan(i * sample, sample);
                if (iw == w && ih == h) img.AsSpan(0, sample).CopyTo(dst);
                else if (o.Resize) BilinearResize.Resize(img, c, ih, iw, h, w, dst);
                else throw new NablaInputException($"{path}: expected a {w}x{h} image (width x height, like {(o.Height > 0 ? "the model's input" : index.Files[0].Path)}), found {iw}x{ih}; pass --resize {h} {w} to resize every image");
            }
            catch (NablaInputException e)
            {
                errors[i] = e;
            }
            int k = Interlocked.Increment(ref done);
            if (log is not null && n >= 2000 && k * 10L >= (long)nextReport * n)
                lock (errors)
                    if (k * 10L >= (long)nextReport * n) { log($"{name}: decoded {k}/{n} images ({clock.Elapsed.TotalSeconds:F1} s)"); nextReport = (int)(k * 10L / n) + 1; }
        });
        // Report the first failing file in sorted order, whatever order the threads finished in.
        foreach (var e in errors) if (e is not null) throw e;
    }

    private static byte[] ReadFile(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NablaInputException($"{path}: cannot read ({IdxReader.OneLine(e.Message)})", e);
        }
    }

    private static string CachePath(ImageFolderIndex index, ImageFolderOptions o, int c, int h, int w)
    {
        var sb = new StringBuilder($"nabla-imagefolder-v1|{c}|{h}|{w}|{o.Resize}\n");
        foreach (var (path, label) in index.Files)
        {
            var fi = new FileInfo(path);
            sb.Append(Path.GetFullPath(path)).Append('|').Append(label).Append('|').Append(fi.Length).Append('|').Append(fi.LastWriteTimeUtc.Ticks).Append('\n');
        }
        string hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())))[..32].ToLowerInvariant();
        return Path.Combine(o.CacheDirectory ?? MnistFetcher.CacheDirectory(), $"imagefolder-{hash}.bin");
    }

    private static byte[]? TryReadCache(string path, long bytes)
    {
        try
        {
            var fi = new FileInfo(path);
            if (!fi.Exists || fi.Length != bytes) return null;
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static void TryWriteCache(string path, byte[] pixels, Action<string>? log)
    {
        string temp = $"{path}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using (var f = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                f.Write(pixels);
                f.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log?.Invoke($"could not write the decoded-image cache {path} ({IdxReader.OneLine(e.Message)}); continuing without it");
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
