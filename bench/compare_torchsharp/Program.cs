// The `nabla bench` workloads (CONTRACTS §5, §6) in TorchSharp (libtorch 2.10), for bench/compare_torchsharp/run.sh.
//
// usage: dotnet run -c Release -- [--threads T] [--workloads mlp,lenet5,mnist-cnn,alexnet-mnist,gemm] [--json]
// Train: batch 64, forward + cross-entropy + backward + SGD(momentum 0.9) step on random input. Infer: eval mode,
// no grad, batch 256. Both report the best mean rate over windows of whole steps (each >= 0.3 s, for >= 2 s and
// >= 3 windows) after warm-up (BenchTiming.cs, compiled in, as `nabla bench`); gemm is the best single call of C = A·B after warm-up,
// GFLOP/s = 2n³/t, as BenchCommand.RunGemm does. Prints the same JSON as `nabla bench --json`.
using System.Diagnostics;
using System.Globalization;
using Nabla.Cli.Commands;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

const int TrainBatch = 64, InferBatch = 256;
string[] models = ["mlp", "lenet5", "mnist-cnn", "alexnet-mnist"];
int threads = 2;
var chosen = new List<string>([.. models, "gemm"]);
bool json = false;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--threads": threads = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--workloads": chosen = [.. args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries)]; break;
        case "--json": json = true; break;
        default: Console.Error.WriteLine($"compare_torchsharp: unknown argument '{args[i]}'"); return 2;
    }
}
foreach (var w in chosen)
    if (!models.Contains(w) && w != "gemm") { Console.Error.WriteLine($"compare_torchsharp: --workloads: unknown workload '{w}'"); return 2; }

torch.set_num_threads(threads);
torch.set_num_interop_threads(1);
var rows = new List<string>();
var gemmRows = new List<string>();
foreach (var name in chosen.Where(models.Contains))
{
    var (train, infer) = Workload(name);
    rows.Add(string.Create(CultureInfo.InvariantCulture,
        $"{{\"name\": \"{name}\", \"batch\": {TrainBatch}, \"train_img_per_s\": {train:F1}, \"infer_img_per_s\": {infer:F1}}}"));
    if (!json) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-14} train {train,9:F1} img/s   infer {infer,9:F1} img/s   ({threads} threads)"));
}
if (chosen.Contains("gemm"))
    foreach (int n in new[] { 1024, 2048 })
    {
        double g = Gemm(n);
        gemmRows.Add(string.Create(CultureInfo.InvariantCulture, $"{{\"n\": {n}, \"gflops\": {g:F1}}}"));
        if (!json) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"gemm  n={n,-5} {g,8:F1} GFLOP/s  ({threads} threads)"));
    }
if (json)
    Console.WriteLine($"{{\"threads\": {threads}, \"libtorch\": \"{torch.__version__}\", \"workloads\": [{string.Join(", ", rows)}], \"gemm\": [{string.Join(", ", gemmRows)}]}}");
return 0;

// The zoo architectures (models/*.spec) as nn.Sequential, PyTorch's default initialisation.
static Module<Tensor, Tensor> Build(string name) => name switch
{
    "mlp" => Sequential(Flatten(), Linear(784, 512), ReLU(), Linear(512, 256), ReLU(), Linear(256, 10)),
    "lenet5" => Sequential(Conv2d(1, 6, 5, padding: 2), ReLU(), MaxPool2d(2), Conv2d(6, 16, 5), ReLU(), MaxPool2d(2),
        Flatten(), Linear(400, 120), ReLU(), Linear(120, 84), ReLU(), Linear(84, 10)),
    "mnist-cnn" => Sequential(Conv2d(1, 32, 3), ReLU(), Conv2d(32, 64, 3), ReLU(), MaxPool2d(2), Dropout(0.25),
        Flatten(), Linear(9216, 128), ReLU(), Dropout(0.5), Linear(128, 10)),
    "alexnet-mnist" => Sequential(Conv2d(1, 96, 4), ReLU(), Conv2d(96, 96, 3), ReLU(), Conv2d(96, 256, 5, padding: 2), ReLU(),
        MaxPool2d(3, 2), Conv2d(256, 384, 3, padding: 1), ReLU(), Conv2d(384, 384, 3, padding: 1), ReLU(),
        Conv2d(384, 256, 3, padding: 1), ReLU(), MaxPool2d(3, 2), Flatten(), Dropout(0.5), Linear(256 * 5 * 5, 800), ReLU(),
        Linear(800, 10)),
    _ => throw new ArgumentException(name),
};

static (double Train, double Infer) Workload(string name)
{
    torch.manual_seed(1);
    var model = Build(name);
    var opt = torch.optim.SGD(model.parameters(), 0.01, momentum: 0.9);
    var x = torch.randn(TrainBatch, 1, 28, 28);
    var y = torch.randint(0, 10, [TrainBatch], dtype: ScalarType.Int64);
    var xi = torch.randn(InferBatch, 1, 28, 28);
    var lossFn = CrossEntropyLoss();
    void TrainStep()
    {
        using var scope = torch.NewDisposeScope();
        opt.zero_grad();
        var loss = lossFn.call(model.call(x), y);
        loss.backward();
        opt.step();
    }
    void InferStep()
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        model.call(xi);
    }
    model.train();
    double train = BenchTiming.BestRate(TrainStep, 3) * TrainBatch;
    model.eval();
    double infer = BenchTiming.BestRate(InferStep, 2) * InferBatch;
    return (train, infer);
}

// C = A·B written in place (addmm_ with beta 0, i.e. matmul with out=), so no 4-16 MB output is allocated per call.
static double Gemm(int n)
{
    torch.manual_seed(n);
    var a = torch.rand(n, n) - 0.5;
    var b = torch.rand(n, n) - 0.5;
    var c = torch.zeros(n, n);
    void Call() => c.addmm_(a, b, beta: 0, alpha: 1);
    for (int i = 0; i < 3; i++) Call();
    double best = double.MaxValue;
    var total = Stopwatch.StartNew();
    double minSeconds = n >= 2048 ? 3.0 : 1.5;
    for (int r = 0; r < 5 || total.Elapsed.TotalSeconds < minSeconds; r++)
    {
        long t0 = Stopwatch.GetTimestamp();
        Call();
        best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalSeconds);
    }
    return 2.0 * n * n * n / best / 1e9;
}
