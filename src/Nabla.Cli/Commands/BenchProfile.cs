using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Nabla.Autograd;
using Nabla.NN;
using Nabla.Ops;
using Nabla.Quantization;
using Nabla.Tensors;

namespace Nabla.Cli.Commands;

/// <summary>
/// `nabla bench --profile` (hidden, for developers): where a training step of a zoo model spends its time. Runs the
/// step of <see cref="BenchWorkloads.ModelBench"/> piece by piece (each layer's forward, the loss, each recorded
/// op's backward in the order Backward() runs them, the optimizer step, the scope's release) with a stopwatch around
/// each, and prints the mean microseconds per step of every piece. The backward is replayed here through
/// reflection on the tape (same order, same gradient handling as Graph.Backward), so the library carries no hooks.
/// The inference tables add the median thread CPU time of each piece (meaningful with `--threads 1`).
/// </summary>
public static unsafe class BenchProfile
{
    private static readonly PropertyInfo GradFnProp = typeof(Tensor).GetProperty("GradFn", BindingFlags.Instance | BindingFlags.NonPublic)!;

    /// <summary>Profiles <paramref name="model"/>'s training step and inference batch (and, with <paramref name="int8"/>,
    /// the int8 inference batch of the same weights, stage by stage); writes the tables to <paramref name="log"/>.</summary>
    public static void Run(string model, TextWriter log, bool int8 = false)
    {
        var bench = new BenchWorkloads.ModelBench(model);
        bench.Model.Train();
        int steps = 0;
        var times = new Dictionary<string, List<long>>();
        var order = new List<string>();
        void Add(string key, long ticks)
        {
            if (!times.TryGetValue(key, out var list)) { times[key] = list = new List<long>(); order.Add(key); }
            if (list.Count < steps + 1) list.Add(ticks); else list[^1] += ticks;
        }
        for (int i = 0; i < 20; i++) Step(bench, (_, _) => { });
        var total = Stopwatch.StartNew();
        var stepTimes = new List<long>();
        while (total.Elapsed.TotalSeconds < 4.0 || steps < 20)
        {
            long t0 = Stopwatch.GetTimestamp();
            Step(bench, Add);
            stepTimes.Add(Stopwatch.GetTimestamp() - t0);
            steps++;
        }
        // The machine is shared: medians (and minima) of each piece over the steps resist other jobs' bursts.
        double us = 1e6 / Stopwatch.Frequency;
        double stepMedian = Median(stepTimes) * us;
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{model}: training step, batch {BenchWorkloads.TrainBatch}, {Kernels.Workers.Count} threads, {steps} steps: median {stepMedian,8:F1} µs ({BenchWorkloads.TrainBatch / stepMedian * 1e6:F0} img/s), min {stepTimes.Min() * us:F1} µs"));
        log.WriteLine($"  {"piece",-34} {"median µs",10} {"min µs",8} {"% of median step",6}");
        double sum = 0;
        foreach (var key in order)
        {
            double med = Median(times[key]) * us;
            sum += med;
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {key,-34} {med,10:F1} {times[key].Min() * us,8:F1}  {100 * med / stepMedian,5:F1} %"));
        }
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"(sum of medians)",-34} {sum,10:F1}"));

        bench.Model.Eval();
        var infer = new Dictionary<string, List<long>>();
        var inferCpu = new Dictionary<string, List<long>>();
        var inferOrder = new List<string>();
        for (int i = 0; i < 5; i++) bench.InferStep();
        int batches = 0;
        var inferTimes = new List<long>();
        total.Restart();
        while (total.Elapsed.TotalSeconds < 2.0 || batches < 5)
        {
            long t0 = Stopwatch.GetTimestamp();
            using (StepScope.Begin())
            using (GradMode.NoGrad())
            {
                var x = bench.XInfer;
                var layers = bench.Model.Layers;
                for (int l = 0; l < layers.Count; l++)
                {
                    long a = Stopwatch.GetTimestamp(), ca = ThreadCpuNs();
                    string key = $"fwd {l,2} {layers[l].GetType().Name}";
                    x = ForwardFused(layers, ref l, x, ref key);
                    if (!infer.ContainsKey(key)) { infer[key] = new List<long>(); inferCpu[key] = new List<long>(); inferOrder.Add(key); }
                    infer[key].Add(Stopwatch.GetTimestamp() - a);
                    inferCpu[key].Add(ThreadCpuNs() - ca);
                }
            }
            inferTimes.Add(Stopwatch.GetTimestamp() - t0);
            batches++;
        }
        double inferMedian = Median(inferTimes) * us;
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{model}: inference batch {BenchWorkloads.InferBatch}, {batches} batches: median {inferMedian,8:F1} µs ({BenchWorkloads.InferBatch / inferMedian * 1e6:F0} img/s)"));
        log.WriteLine($"  {"piece",-34} {"median µs",10} {"min µs",8} {"% of median",6} {"cpu µs",8}");
        foreach (var key in inferOrder)
        {
            double med = Median(infer[key]) * us;
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {key,-34} {med,10:F1} {infer[key].Min() * us,8:F1}  {100 * med / inferMedian,5:F1} % {Median(inferCpu[key]) / 1e3,8:F1}"));
        }
        if (int8) Int8(bench, model, log);
    }

    /// <summary>The int8 inference batch (<see cref="QuantizedModel"/> calibrated as `bench --precision int8` does),
    /// timed stage by stage through its lap callback.</summary>
    private static void Int8(BenchWorkloads.ModelBench bench, string model, TextWriter log)
    {
        var q = QuantizedModel.Quantize(bench.Model, [bench.XInfer]);
        var times = new Dictionary<string, List<long>>();
        var cpu = new Dictionary<string, List<long>>();
        var order = new List<string>();
        for (int i = 0; i < 5; i++) q.Forward(bench.XInfer);
        var batchTimes = new List<long>();
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < 2.0 || batchTimes.Count < 5)
        {
            long t0 = Stopwatch.GetTimestamp(), t = t0, c = ThreadCpuNs();
            q.Forward(bench.XInfer, key =>
            {
                long now = Stopwatch.GetTimestamp(), cnow = ThreadCpuNs();
                if (!times.TryGetValue(key, out var list)) { times[key] = list = new List<long>(); cpu[key] = new List<long>(); order.Add(key); }
                list.Add(now - t);
                cpu[key].Add(cnow - c);
                t = now; c = cnow;
            });
            batchTimes.Add(Stopwatch.GetTimestamp() - t0);
        }
        double us = 1e6 / Stopwatch.Frequency;
        double median = Median(batchTimes) * us;
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{model}: int8 inference batch {BenchWorkloads.InferBatch}, {batchTimes.Count} batches: median {median,8:F1} µs ({BenchWorkloads.InferBatch / median * 1e6:F0} img/s)"));
        log.WriteLine($"  {"piece",-34} {"median µs",10} {"min µs",8} {"% of median",6} {"cpu µs",8}");
        foreach (var key in order)
        {
            double med = Median(times[key]) * us;
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {"int8 " + key,-34} {med,10:F1} {times[key].Min() * us,8:F1}  {100 * med / median,5:F1} % {Median(cpu[key]) / 1e3,8:F1}"));
        }
    }

    /// <summary>CPU nanoseconds the calling thread has run (Linux CLOCK_THREAD_CPUTIME_ID; 0 elsewhere). With
    /// `--threads 1` every piece runs on this thread, so its CPU time leaves out the time other jobs of a shared
    /// machine took the core away.</summary>
    private static long ThreadCpuNs()
    {
        if (!OperatingSystem.IsLinux()) return 0;
        Timespec ts;
        return ClockGetTime(3, &ts) == 0 ? ts.Sec * 1_000_000_000 + ts.Nsec : 0;
    }

    private struct Timespec { public long Sec; public long Nsec; }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, Timespec* ts);

    private static double Median(List<long> xs)
    {
        var s = xs.ToArray();
        Array.Sort(s);
        return s.Length == 0 ? 0 : s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2.0;
    }

    /// <summary>Layer <paramref name="l"/>'s forward as <see cref="Sequential.Forward"/> runs it: fused with a ReLU that
    /// follows a Linear or Conv2d (then <paramref name="l"/> skips the ReLU and the key names both).</summary>
    private static Tensor ForwardFused(IReadOnlyList<Nabla.NN.Module> layers, ref int l, Tensor x, ref string key)
    {
        if (l + 1 < layers.Count && layers[l + 1] is ReLU)
        {
            if (layers[l] is Linear lin) { key += "+ReLU"; l++; return F.LinearRelu(x, lin.Weight, lin.Bias); }
            if (layers[l] is Conv2d conv) { key += "+ReLU"; l++; return F.Conv2dRelu(x, conv.Weight, conv.Bias, conv.Options); }
        }
        return layers[l].Forward(x);
    }

    /// <summary>One training step as <see cref="BenchWorkloads.ModelBench.TrainStep"/>, timed piece by piece.</summary>
    private static void Step(BenchWorkloads.ModelBench bench, Action<string, long> add)
    {
        long t = Stopwatch.GetTimestamp();
        void Lap(string key) { long now = Stopwatch.GetTimestamp(); add(key, now - t); t = now; }
        var scope = StepScope.Begin();
        bench.Optimizer.ZeroGrad();
        Lap("zero_grad");
        var x = bench.XTrain;
        var layers = bench.Model.Layers;
        for (int l = 0; l < layers.Count; l++)
        {
            string key = $"fwd {l,2} {layers[l].GetType().Name}";
            x = ForwardFused(layers, ref l, x, ref key);
            Lap(key);
        }
        var loss = F.CrossEntropy(x, bench.YTrain);
        Lap("fwd cross_entropy");
        Backward(loss, Lap);
        bench.Optimizer.Step();
        Lap("sgd step");
        loss.Item();
        scope.Dispose();
        Lap("scope dispose");
    }

    /// <summary>Graph.Backward, replayed with a lap after the setup and after each node.</summary>
    private static void Backward(Tensor root, Action<string> lap)
    {
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        Visit(root, order, visited);
        root.Grad = new Tensor([1f], root.Shape);
        var counts = new Dictionary<string, int>();
        lap("bwd setup (topological order)");
        for (int i = order.Count - 1; i >= 0; i--)
        {
            var t = order[i];
            object node = GradFnProp.GetValue(t)!;
            if (t.Grad is null) continue;
            var type = node.GetType();
            string name = (string)type.GetProperty("Name")!.GetValue(node)!;
            var backward = (Action<Tensor>)type.GetProperty("Backward")!.GetValue(node)!;
            counts[name] = counts.TryGetValue(name, out int c) ? c + 1 : 1;
            lap("bwd (replay overhead)");
            backward(t.Grad);
            if (!ReferenceEquals(t, root)) t.Grad = null;
            lap($"bwd {name} #{counts[name]}");
        }
    }

    private static void Visit(Tensor t, List<Tensor> order, HashSet<Tensor> visited)
    {
        object? node = GradFnProp.GetValue(t);
        if (node is null || !visited.Add(t)) return;
        var inputs = (Tensor[])node.GetType().GetProperty("Inputs")!.GetValue(node)!;
        foreach (var child in inputs)
            if (child.RequiresGrad) Visit(child, order, visited);
        order.Add(t);
    }
}
