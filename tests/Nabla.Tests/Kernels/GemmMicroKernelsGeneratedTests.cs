using System.Diagnostics;
using Xunit;

namespace Nabla.Tests.Kernels;

/// <summary>The checked-in micro-kernels are exactly what tools/gen_gemm_kernels.py writes (issue 17): a hand edit
/// to Gemm.MicroKernels.cs, or a change to the generator without rerunning it, fails here.</summary>
public class GemmMicroKernelsGeneratedTests
{
    [Fact]
    public void MicroKernels_File_IsGeneratorOutput()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Nabla.slnx")))
            root = Path.GetDirectoryName(root.TrimEnd(Path.DirectorySeparatorChar))
                ?? throw new FileNotFoundException("repository root (Nabla.slnx) not found above " + AppContext.BaseDirectory);
        var psi = new ProcessStartInfo("/usr/bin/python3", ["tools/gen_gemm_kernels.py", "--stdout"])
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string generated = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, "tools/gen_gemm_kernels.py failed: " + stderr.Result);
        string checkedIn = File.ReadAllText(Path.Combine(root, "src", "Nabla", "Kernels", "Gemm.MicroKernels.cs"));
        Assert.Contains("private static unsafe void Kernel512x14(", generated);
        Assert.Equal(generated, checkedIn);
    }
}
