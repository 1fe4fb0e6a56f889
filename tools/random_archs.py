#!/usr/bin/python3
"""Random-architecture parity: PyTorch against `nabla grad` (CONTRACTS §2, §3).

    /usr/bin/python3 tools/random_archs.py [--n 200] [--seed 1] [--work DIR] [--jobs 2] [--fixtures 13]
                                           [--min-bn-values 16 | --ill-conditioned] [--only I ...]

It draws seeded random architectures (indices 0, 1, 2, ...) until --n of them are well conditioned in float32
(below). For each it writes a spec file, random weights (BatchNorm with random running statistics) and a random
batch as safetensors, runs the PyTorch twin (nested nn.Sequential named per CONTRACTS §2, in float64 from the same
float32 values) in evaluation mode and in training mode, runs `nabla grad` (and `nabla grad --train`) on the same
files, and compares `output`, `loss`, `grad.input` and every `grad.<name>` with PyTorch's float64 result, the truth:
per tensor err = ||a - b||_inf / ||b||_inf <= 1e-4. It runs PyTorch in float32 too and measures that against the
same float64 truth, as a baseline. The exit code is 0 only when Nabla agrees on all --n well-conditioned
architectures (with --only: on every well-conditioned one among those given).

The one exception to the relative metric: a tensor that is zero in theory (e.g. the gradient of a bias
feeding a training-mode BatchNorm, which is shift invariant) has a float64 reference at float64 rounding
level, ||b||_inf <= 1e-10 x S with S the run's largest reference gradient, and any float32 result is rounding
noise around it, so no relative bound can hold. Such a tensor is compared absolutely: ||a - b||_inf / S <= 1e-4.
The summary counts architectures that agree strictly (no exception) and with this floor rule, for Nabla and
for PyTorch float32, and lists every architecture that differs with both errors.

Conditioning screen (float32_sensitivity), computed in float64 only, so that neither Nabla nor PyTorch float32
judges which cases count. The float64 reference is run again REPEATS (3) times with simulated rounding: every
operation's forward output and the gradient it returns for its input are multiplied elementwise by (1 + DELTA r),
r uniform in [-1, 1] from a generator seeded by (seed, index, mode); the operations are every module except
nn.Sequential (the leaves, plus Concat and Residual, whose input gradient is a sum over branches) and the loss.
DELTA = 1e-6: float32's unit roundoff is 2^-24 = 6e-8 per rounding, and an output summed over K terms (a conv, a
linear, a BatchNorm's statistics and backward reductions) accumulates up to K roundings, about sqrt(K) x 6e-8
typically, so 1e-6 stands for the rounding of one float32 operation of the sizes drawn here. A tensor is
ill-conditioned in float32 when the perturbed result moves from the unperturbed one by more than TOL by the
comparison's own metric (relative, or absolute over S for a zero-in-theory tensor), in any of the draws; it then
amplifies relative perturbations by more than TOL / DELTA = 100, and float32 rounding alone can carry it past the
bound whoever computes it. An architecture with any such tensor (eval or --train) is ill conditioned: it does not
count towards --n and is reported separately as the ill-conditioned family, with Nabla's and PyTorch float32's
counts and every flagged or missing tensor. The screen catches what float32 cannot resolve in the problem itself:
gradients that exist only through a BatchNorm's eps (gamma of a BatchNorm feeding another, a one-channel conv into
a BatchNorm: the next BatchNorm normalises their scale away, whatever N), a training-mode BatchNorm over a channel
that is constant in theory (after a softmax over one channel: BatchNorm divides rounding noise by sqrt(eps)), and a
shift the next BatchNorm removes except at a conv's zero padding (cancellation). It does not model one algorithm's
own instability (e.g. PyTorch float32's BatchNorm statistics over 2-4 values): that is left to the comparison.

Batch size. Training-mode BatchNorm normalises each channel over the N*H*W values of the batch (N for a
BatchNorm1d on (N, C)). Over 2 values the normalised output is +-1 whatever the input (PyTorch refuses 1 value per
channel outright). By default the batch size is raised, architecture by architecture, until every BatchNorm
normalises over at least --min-bn-values (16) values per channel: N = max(N0, ceil(16 / (H*W))) over the
BatchNorms, N0 in 2..4 drawn as before, so the architectures themselves (the same random stream) are unchanged.
--ill-conditioned keeps N = N0 (the old behaviour) and reports, besides the screen's two families, the
architectures with a BatchNorm over fewer than 16 values per channel as a third family, Nabla's error against
PyTorch float32's own error tensor by tensor.

Two diagnostics label the tensors (they change no count): a Nabla miss confined to elements whose gradient exists
only through a BatchNorm's eps (the float64 gradient with every eps set to 0 vanishes there), and the number of
channels on which a training-mode BatchNorm sees a constant in theory. The screen check line says how many of the
tensors Nabla or PyTorch float32 miss, and how many of the architectures on which both agree, the screen flags.

--fixtures K copies K small strictly agreeing well-conditioned architectures (up to 32 KB each, covering as many
layer kinds as possible; a BatchNorm1d one needs a batch of 16, hence the size) (spec, weights, batch and
PyTorch's results) to tests/Nabla.Tests/Fixtures/random_archs/, which RandomArchitectureTests replays through
GradCommand.
"""
import argparse
import collections
import copy
import concurrent.futures
import itertools
import os
import random
import shutil
import subprocess
import sys

import torch
import torch.nn as nn
import torch.nn.functional as TF

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import load, save  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
DLL = os.path.join(ROOT, "src", "Nabla.Cli", "bin", "Release", "net10.0", "Nabla.Cli.dll")
FIXTURES = os.path.join(ROOT, "tests", "Nabla.Tests", "Fixtures", "random_archs")
TOL = 1e-4
# Zero in theory: the float64 reference is below ZERO x the run's largest reference gradient. float64 rounding
# sits near 1e-16 relative, so a quantity that is not zero in exact arithmetic does not come out this small.
ZERO = 1e-10
# Simulated float32 rounding for the conditioning screen (float32_sensitivity): each operation's result scaled by
# (1 + DELTA * r), r uniform in [-1, 1]. float32's unit roundoff is 6e-8; a result summed over K terms carries up to
# about K x that in the worst case and sqrt(K) x typically, so 1e-6 (16 unit roundoffs) stands for the rounding of one
# operation of the sizes drawn here, while leaving a factor 100 below TOL for the problem's own amplification.
DELTA = 1e-6
REPEATS = 3
# The generator stops after MAX_DRAWS x --n architectures even when fewer than --n are well conditioned.
MAX_DRAWS = 3


from torch_twins import Concat, Residual  # noqa: E402  (the same twins for every fixture script)


def size(h, w):
    return str(h) if h == w else f"{h}x{w}"


def out_shape(module, shape):
    with torch.no_grad():
        module.eval()
        return tuple(module(torch.zeros((2,) + shape)).shape[1:])


class Generator:
    def __init__(self, rng):
        self.r = rng

    # ---- leaf layers: each returns (spec line, module) or None when it does not fit the shape ----

    def conv(self, shape, same=False):
        r = self.r
        c, h, w = shape
        for _ in range(20):
            g = r.choice([d for d in range(1, c + 1) if c % d == 0]) if r.random() < 0.35 else 1
            out = g * r.randint(1, max(1, 6 // g))
            if same:
                kh, kw = r.choice([1, 3, 5]), r.choice([1, 3])
                dh, dw = r.choice([1, 2]), 1
                sh = sw = 1
                ph, pw = dh * (kh - 1) // 2, dw * (kw - 1) // 2
            else:
                kh, kw = r.randint(1, 4), r.randint(1, 4)
                sh, sw = r.choice([1, 1, 2, 3]), r.choice([1, 1, 2])
                ph, pw = r.randint(0, 3), r.randint(0, 2)
                dh, dw = r.choice([1, 1, 2]), r.choice([1, 1, 2])
            oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
            ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
            if oh < 1 or ow < 1:
                continue
            bias = r.random() < 0.7
            line = f"conv2d out_channels={out} kernel_size={size(kh, kw)} stride={size(sh, sw)} padding={size(ph, pw)} dilation={size(dh, dw)} groups={g}" + ("" if bias else " bias=false")
            return line, nn.Conv2d(c, out, (kh, kw), (sh, sw), (ph, pw), (dh, dw), g, bias)
        return None

    def batchnorm(self, shape):
        r = self.r
        eps = r.choice([1e-5, 1e-5, 1e-3])
        affine = r.random() < 0.85
        kind = "batchnorm2d" if len(shape) == 3 else "batchnorm1d"
        line = kind + ("" if eps == 1e-5 else f" eps={eps}") + ("" if affine else " affine=false")
        cls = nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d
        return line, cls(shape[0], eps=eps, affine=affine)

    def activation(self, shape):
        r = self.r
        kind = r.choice(["relu", "relu", "sigmoid", "tanh", "leakyrelu", "softmax", "logsoftmax"])
        if kind == "leakyrelu":
            slope = round(r.uniform(0.01, 0.3), 3)
            return f"leakyrelu negative_slope={slope}", nn.LeakyReLU(slope)
        return kind, {"relu": nn.ReLU(), "sigmoid": nn.Sigmoid(), "tanh": nn.Tanh(),
                      "softmax": nn.Softmax(dim=1), "logsoftmax": nn.LogSoftmax(dim=1)}[kind]

    def pool(self, shape, same=False):
        r = self.r
        c, h, w = shape
        for _ in range(20):
            mx = r.random() < 0.5
            if same:
                k, s, p, ceil = 3, 1, 1, False
                kh = kw = k
                sh = sw = s
                ph = pw = p
            else:
                kh, kw = r.randint(1, 3), r.randint(1, 3)
                sh, sw = (kh, kw) if r.random() < 0.4 else (r.randint(1, 3), r.randint(1, 3))
                ph, pw = r.randint(0, kh // 2), r.randint(0, kw // 2)
                ceil = r.random() < 0.4
            cip = r.random() < 0.5
            mod = nn.MaxPool2d((kh, kw), (sh, sw), (ph, pw), ceil_mode=ceil) if mx else \
                nn.AvgPool2d((kh, kw), (sh, sw), (ph, pw), ceil_mode=ceil, count_include_pad=cip)
            try:
                o = out_shape(mod, shape)
            except RuntimeError:
                continue
            if o[1] < 1 or o[2] < 1 or (same and o != shape):
                continue
            line = ("maxpool2d" if mx else "avgpool2d") + f" kernel_size={size(kh, kw)} stride={size(sh, sw)} padding={size(ph, pw)}"
            if ceil:
                line += " ceil_mode=true"
            if not mx and not cip:
                line += " count_include_pad=false"
            return line, mod
        return None

    def adaptive(self, shape):
        oh, ow = self.r.randint(1, shape[1]), self.r.randint(1, shape[2])
        return f"adaptiveavgpool2d output_size={size(oh, ow)}", nn.AdaptiveAvgPool2d((oh, ow))

    def dropout(self, shape):
        p = round(self.r.uniform(0.1, 0.6), 2)
        return f"dropout p={p}", nn.Dropout(p)

    # ---- chains and blocks: each returns (list of spec lines with indentation, module, new shape) ----

    def leaf(self, shape, same=False):
        r = self.r
        kinds = ["conv", "conv", "conv", "bn", "act", "act", "pool", "dropout"] + ([] if same else ["adaptive"])
        for _ in range(20):
            kind = r.choice(kinds)
            made = {"conv": lambda: self.conv(shape, same), "bn": lambda: self.batchnorm(shape),
                    "act": lambda: self.activation(shape), "pool": lambda: self.pool(shape, same),
                    "dropout": lambda: self.dropout(shape),
                    "adaptive": lambda: self.adaptive(shape) if r.random() < 0.3 else None}[kind]()
            if made is None:
                continue
            line, mod = made
            new = out_shape(mod, shape)
            if kind == "conv" and r.random() < 0.5:  # conv + BatchNorm: the pattern folding targets
                bl, bm = self.batchnorm(new)
                return [line, bl], [mod, bm], new
            return [line], [mod], new
        line, mod = self.activation(shape)
        return [line], [mod], shape

    def chain(self, shape, count, same=False):
        lines, mods = [], []
        for _ in range(count):
            l, m, shape = self.leaf(shape, same)
            lines += l
            mods += m
        return lines, mods, shape

    def concat(self, shape):
        branches, lines, mods, channels = [], ["concat"], [], 0
        for _ in range(self.r.randint(2, 3)):
            bl, bm, bs = self.chain(shape, self.r.randint(1, 2), same=True)
            if bs[1:] != shape[1:]:
                return None
            lines.append("  branch")
            lines += ["    " + x for x in bl]
            mods.append(nn.Sequential(*bm))
            channels += bs[0]
        lines.append("end")
        return lines, Concat(mods), (channels,) + shape[1:]

    def residual(self, shape):
        r = self.r
        body_lines, body, bs = self.chain(shape, r.randint(1, 3), same=True)
        lines = ["residual"] + ["  " + x for x in body_lines]
        shortcut = None
        if bs != shape or r.random() < 0.3:
            sc = nn.Conv2d(shape[0], bs[0], 1, bias=r.random() < 0.5)
            sl = [f"conv2d out_channels={bs[0]} kernel_size=1" + ("" if sc.bias is not None else " bias=false")]
            smods = [sc]
            if r.random() < 0.5:
                l, m = self.batchnorm(bs)
                sl.append(l)
                smods.append(m)
            lines.append("shortcut")
            lines += ["  " + x for x in sl]
            shortcut = nn.Sequential(*smods)
        lines.append("end")
        return lines, Residual(body, shortcut), bs

    def model(self):
        r = self.r
        shape = (r.randint(1, 4), r.randint(4, 11), r.randint(4, 11))
        lines, mods = [f"input {shape[0]} {shape[1]} {shape[2]}"], []
        for _ in range(r.randint(1, 5)):
            pick = r.random()
            made = self.concat(shape) if pick < 0.15 else self.residual(shape) if pick < 0.3 else None
            if made is None:
                l, m, shape = self.leaf(shape)
                lines += l
                mods += m
            else:
                l, m, shape = made
                lines += l
                mods.append(m)
        lines.append("flatten")
        mods.append(nn.Flatten())
        features = shape[0] * shape[1] * shape[2]
        for _ in range(r.randint(0, 2)):
            out = r.randint(2, 12)
            bias = r.random() < 0.8
            lines.append(f"linear out_features={out}" + ("" if bias else " bias=false"))
            mods.append(nn.Linear(features, out, bias=bias))
            features = out
            for kind in r.sample(["bn", "act", "dropout"], r.randint(0, 2)):
                l, m = {"bn": lambda: self.batchnorm((features,)), "act": lambda: self.activation((features,)),
                        "dropout": lambda: self.dropout((features,))}[kind]()
                lines.append(l)
                mods.append(m)
        classes = r.randint(2, 6)
        lines.append(f"linear out_features={classes}")
        mods.append(nn.Linear(features, classes))
        if r.random() < 0.2:
            l, m = self.batchnorm((classes,))
            lines.append(l)
            mods.append(m)
        return "\n".join(lines) + "\n", nn.Sequential(*mods), shape_of(lines[0]), classes


def shape_of(input_line):
    return tuple(int(v) for v in input_line.split()[1:])


def batchnorm_spatial(model, shape):
    """H*W (1 for BatchNorm1d on (N, C)) seen by each BatchNorm: a training-mode BatchNorm over a batch of N
    normalises each channel over N * this many values."""
    seen, hooks = [], []
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            hooks.append(m.register_forward_hook(lambda mod, inp, out: seen.append(inp[0][0, 0].numel())))
    out_shape(model, shape)
    for h in hooks:
        h.remove()
    return seen


def randomize_batchnorm(model, gen):
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=gen))
            m.running_var.copy_(torch.rand(n, generator=gen) * 1.5 + 0.5)
            m.num_batches_tracked.fill_(int(torch.randint(0, 1000, (1,), generator=gen)))
            if m.affine:
                m.weight.data.copy_(torch.randn(n, generator=gen))
                m.bias.data.copy_(torch.randn(n, generator=gen))


def reference(model, x, target, train, dtype=torch.float64):
    """PyTorch's output, loss and gradients from the float32 weights and batch, computed in float64 (the
    reference) or float32 (to show how far PyTorch's own float32 result is from it)."""
    m = model.to(dtype)
    m.train(train)
    xi = x.detach().clone().to(dtype).requires_grad_(True)
    m.zero_grad(set_to_none=True)
    out = m(xi)
    loss = TF.cross_entropy(out, target)
    loss.backward()
    result = {"output": out.detach(), "loss": loss.detach(), "grad.input": xi.grad.detach()}
    for name, p in m.named_parameters():
        result["grad." + name] = p.grad.detach() if p.grad is not None else torch.zeros_like(p)
    return result


def perturbed_reference(model, x, target, train, gen):
    """The float64 reference with simulated float32 rounding: every operation's forward output and the gradient it
    returns for its input are multiplied elementwise by (1 + DELTA * r), r uniform in [-1, 1] from gen. The
    operations are every module but nn.Sequential (the leaves, and Concat and Residual for their concatenation and
    sum, whose input gradient is a sum of branch gradients), plus the loss (its gradient to the logits). An input
    gradient is perturbed through a clone of the input taken by a forward pre-hook: the gradient reaching the clone
    is the one the module returned."""
    m = copy.deepcopy(model).double()
    m.train(train)

    def noisy(t):
        return t * (1 + DELTA * (torch.rand(t.shape, generator=gen, dtype=t.dtype) * 2 - 1))

    def tap(t):
        if not (torch.is_tensor(t) and t.requires_grad):
            return t
        t = t.clone()
        t.register_hook(noisy)
        return t

    for mod in m.modules():
        if not isinstance(mod, nn.Sequential):
            mod.register_forward_pre_hook(lambda mod, inp: tuple(tap(t) for t in inp))
            mod.register_forward_hook(lambda mod, inp, out: noisy(out))
    xi = x.detach().clone().double().requires_grad_(True)
    out = m(xi)
    loss = TF.cross_entropy(tap(out), target)
    loss.backward()
    result = {"output": out.detach(), "loss": noisy(loss.detach()), "grad.input": xi.grad.detach()}
    for name, p in m.named_parameters():
        result["grad." + name] = p.grad.detach() if p.grad is not None else torch.zeros_like(p)
    return result


def float32_sensitivity(model, x, target, train, ref, scale, seed):
    """Per tensor, how far the float64 result moves under simulated float32 rounding (perturbed_reference, REPEATS
    draws, the largest move): the comparison's own metric against the unperturbed float64 reference, relative, or
    absolute over the run's largest gradient for a zero-in-theory tensor. Above TOL, the tensor is ill-conditioned
    in float32: rounding at the level float32 commits moves it past the bound, whoever computes it."""
    gen = torch.Generator().manual_seed(seed)
    moved = {}
    for _ in range(REPEATS):
        p = perturbed_reference(model, x, target, train, gen)
        for name, b in ref.items():
            zero = name.startswith("grad.") and float(b.abs().max()) <= ZERO * scale
            e = abs_err(p[name], b, scale) if zero else rel_err(p[name], b)
            moved[name] = max(moved.get(name, 0.0), e)
    return moved


def eps_free_gradients(model, x, target):
    """Training-mode float64 gradients with every BatchNorm's eps set to 0: a tensor whose gradient vanishes then
    (<= ZERO x the run's largest gradient) has a gradient that exists only through eps (the next training-mode
    BatchNorm normalises its scale away: gamma of a BatchNorm feeding another, a 1x1 conv from one channel into
    one). A diagnostic for the report, not part of the metric."""
    m = copy.deepcopy(model)
    for mod in m.modules():
        if isinstance(mod, (nn.BatchNorm1d, nn.BatchNorm2d)):
            mod.eps = 0.0
    return reference(m, x, target, True)


def eps_confined(a, b, e0, scale):
    """True when the error beyond TOL lies only on elements whose gradient exists only through eps (the eps-free
    float64 gradient is <= ZERO x the run's largest gradient there): on every other element a matches b to TOL
    relative to ||b||inf. A whole tensor of such elements (e.g. gamma of a BatchNorm feeding another) qualifies,
    and so does a channel of gamma whose ReLU is always on, so that the next BatchNorm removes its scale."""
    if tuple(a.shape) != tuple(b.shape) or torch.isnan(a).any():
        return False
    rest = e0.abs() > ZERO * scale
    ref = float(b.abs().max())
    return bool(rest.any()) is False or ref > 0 and float((a - b).abs()[rest].max()) <= TOL * ref


def constant_batchnorm_channels(model, x):
    """Channels on which a training-mode BatchNorm sees a constant in theory (e.g. after a softmax over one channel):
    float64 max - min <= 1e-12 x max |value|. BatchNorm then divides rounding noise by sqrt(eps)."""
    m = copy.deepcopy(model).double().train()
    found, hooks = [], []

    def hook(mod, inp, out):
        v = inp[0].detach().transpose(0, 1).reshape(inp[0].shape[1], -1)
        spread = v.max(dim=1).values - v.min(dim=1).values
        found.append(int((spread <= 1e-12 * v.abs().max(dim=1).values.clamp_min(1e-300)).sum()))

    for mod in m.modules():
        if isinstance(mod, (nn.BatchNorm1d, nn.BatchNorm2d)):
            hooks.append(mod.register_forward_hook(hook))
    with torch.no_grad():
        m(x.double())
    return sum(found)


def rel_err(a, b):
    """||a - b||_inf / ||b||_inf (0 when both are zero, inf when only b is, or on a shape mismatch or NaN)."""
    a, b = torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    if tuple(a.shape) != tuple(b.shape) or torch.isnan(a).any():
        return float("inf")
    if not a.numel():
        return 0.0
    diff, ref = float((a - b).abs().max()), float(b.abs().max())
    return diff / ref if ref > 0 else (0.0 if diff == 0 else float("inf"))


def abs_err(a, b, scale):
    a, b = torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    if tuple(a.shape) != tuple(b.shape) or torch.isnan(a).any():
        return float("inf")
    return float((a - b).abs().max()) / scale if a.numel() else 0.0


def run_arch(index, seed, work, min_bn_values=16):
    """Returns (index, rows, size_bytes, folder, errors, bn_values, constant_channels, moved); bn_values is the fewest
    values per channel any training-mode BatchNorm normalises over (None without BatchNorm); rows: (mode, name, zero,
    nabla_err, f32_err, eps_only, moved), where for a zero-in-theory tensor the errors are absolute (relative to the
    run's largest gradient), else relative; moved: {(mode, name): float32_sensitivity}, kept apart from the rows so
    that a failed `nabla grad` run does not hide the screen's verdict."""
    rng = random.Random(seed * 100003 + index)
    torch.manual_seed(seed * 100003 + index)
    spec, model, shape, classes = Generator(rng).model()
    gen = torch.Generator().manual_seed(seed * 7919 + index)
    with torch.no_grad():
        randomize_batchnorm(model, gen)
    folder = os.path.join(work, f"arch_{index:03d}")
    os.makedirs(folder, exist_ok=True)
    train_spec = "\n".join(line[:len(line) - len(line.lstrip())] + "dropout p=0" if line.lstrip().startswith("dropout") else line
                           for line in spec.split("\n"))
    with open(os.path.join(folder, "model.spec"), "w") as f:
        f.write(spec)
    with open(os.path.join(folder, "model_train.spec"), "w") as f:
        f.write(train_spec)
    save(os.path.join(folder, "weights.safetensors"), {k: v for k, v in model.state_dict().items()})
    n = rng.randint(2, 4)
    spatial = batchnorm_spatial(model, shape)
    if spatial and min_bn_values > 0:  # well conditioned: every BatchNorm over >= min_bn_values values per channel
        n = max([n] + [-(-min_bn_values // s) for s in spatial])
    bn_values = n * min(spatial) if spatial else None
    x = torch.randn((n,) + shape, generator=gen, dtype=torch.float32)
    target = torch.randint(0, classes, (n,), generator=gen, dtype=torch.int64)
    save(os.path.join(folder, "batch.safetensors"), {"input": x, "target": target})

    rows, errors, screen = [], [], {}
    for mode in ("eval", "train"):
        if mode == "train":
            for m in model.modules():
                if isinstance(m, nn.Dropout):
                    m.p = 0.0
        f32 = reference(copy.deepcopy(model).float(), x, target, mode == "train", torch.float32)
        ref = reference(model, x, target, mode == "train")
        eps0 = eps_free_gradients(model, x, target) if mode == "train" else {}
        scale = max(float(v.abs().max()) for k, v in ref.items() if k.startswith("grad."))
        moved = float32_sensitivity(model, x, target, mode == "train", ref, scale,
                                    seed * 1000003 + index * 2 + (mode == "train"))
        screen.update(((mode, name), e) for name, e in moved.items())
        save(os.path.join(folder, f"expected_{mode}.safetensors"), {k: v.float() for k, v in ref.items()})
        out = os.path.join(folder, f"nabla_{mode}.safetensors")
        cmd = ["dotnet", DLL, "grad", "--model", os.path.join(folder, "model.spec" if mode == "eval" else "model_train.spec"),
               "--weights", os.path.join(folder, "weights.safetensors"), "--batch", os.path.join(folder, "batch.safetensors"),
               "--out", out] + (["--train"] if mode == "train" else [])
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            errors.append(f"{mode}: exit {proc.returncode}: {proc.stderr.strip()[:300]}")
            continue
        got, _ = load(out)
        for name, b in ref.items():
            a = torch.from_numpy(got[name]) if name in got else None
            zero = name.startswith("grad.") and float(b.abs().max()) <= ZERO * scale
            e0 = eps0.get(name)
            eps_only = not zero and name.startswith("grad.") and a is not None and e0 is not None and bool(torch.isfinite(e0).all()) and \
                eps_confined(torch.as_tensor(a, dtype=torch.float64), b, e0, scale)
            if a is None:
                rows.append((mode, name, zero, float("inf"), 0.0, eps_only, moved[name]))
            elif zero:
                rows.append((mode, name, True, abs_err(a, b, scale), abs_err(f32[name], b, scale), eps_only, moved[name]))
            else:
                rows.append((mode, name, False, rel_err(a, b), rel_err(f32[name], b), eps_only, moved[name]))
        extra = set(got) - set(ref)
        if extra:
            errors.append(f"{mode}: unexpected tensors {sorted(extra)}")
    size_bytes = sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder) if not f.startswith("nabla_"))
    return index, rows, size_bytes, folder, errors, bn_values, constant_batchnorm_channels(model, x), screen


def agrees(res, col, floor_rule):
    """Every tensor within TOL: relative, or absolute for zero-in-theory tensors under the floor rule (strict: such
    a tensor cannot pass, its relative error being rounding noise over ~1e-17)."""
    rows, errors = res[1], res[4]
    if errors:
        return False
    return all(r[col] <= TOL if (floor_rule or not r[2]) else False for r in rows)


FEATURES = ["concat", "residual", "shortcut", "batchnorm2d", "batchnorm1d", "maxpool2d", "avgpool2d", "count_include_pad=false",
            "ceil_mode=true", "adaptiveavgpool2d", "dropout", "groups=2", "groups=3", "bias=false", "dilation=2", "affine=false",
            "sigmoid", "tanh", "leakyrelu", "softmax", "logsoftmax", "relu"]


def pick_fixtures(results, count, max_bytes=32768):
    """Small architectures that together cover as many layer kinds and options as possible."""
    small = sorted((r for r in results if r[2] <= max_bytes), key=lambda r: r[2])
    texts = {r[3]: open(os.path.join(r[3], "model.spec")).read() for r in small}
    chosen, covered = [], set()
    while len(chosen) < count and small:
        best = max(small, key=lambda r: (len({f for f in FEATURES if f in texts[r[3]]} - covered), -r[2]))
        chosen.append(best[3])
        covered |= {f for f in FEATURES if f in texts[best[3]]}
        small.remove(best)
    return sorted(chosen)


def well_conditioned(res):
    """No tensor of the architecture (eval or --train) moves past TOL under simulated float32 rounding."""
    return all(e <= TOL for e in res[7].values())


def ratio(row):
    return row[3] / row[4] if row[4] > 0 else (1.0 if row[3] == 0 else float("inf"))


def ratio_summary(rows):
    rows = sorted(rows, key=ratio)
    if not rows:
        return "none"
    below = sum(1 for row in rows if row[3] <= row[4])
    return (f"{len(rows)} tensors, Nabla at or below PyTorch float32 on {below}; Nabla/PyTorch-float32 error ratio "
            f"median {ratio(rows[len(rows) // 2]):.2f}, max {ratio(rows[-1]):.2f}")


def describe(row):
    """One tensor: its errors, the screen's move and the diagnostics' labels."""
    tags = (" (zero in theory, absolute)" if row[2] else "") + (" [exists only through eps]" if row[5] and row[3] > TOL else "")
    return (f"{row[0]} {row[1]}{tags}: Nabla {row[3]:.2e}, PyTorch float32 {row[4]:.2e}, "
            f"moves {row[6]:.1e} under simulated rounding")


def report_family(family, title):
    """Counts for Nabla and PyTorch float32, error ratios, and per architecture every tensor the screen flags or that
    either misses the bound on."""
    n_ok, f_ok = sum(agrees(r, 3, True) for r in family), sum(agrees(r, 4, True) for r in family)
    n_strict, f_strict = sum(agrees(r, 3, False) for r in family), sum(agrees(r, 4, False) for r in family)
    print(f"{title}: {len(family)} architectures; with the floor rule Nabla agrees on {n_ok}, PyTorch float32 on {f_ok} "
          f"(strict: Nabla {n_strict}, PyTorch float32 {f_strict})")
    rows = [row for r in family for row in r[1]]
    over = [row for row in rows if row[3] > TOL or row[4] > TOL]
    print(f"  tensors over the bound for Nabla or PyTorch float32: {ratio_summary(over)}; Nabla over on "
          f"{sum(row[3] > TOL for row in over)}, PyTorch float32 on {sum(row[4] > TOL for row in over)}, both on "
          f"{sum(row[3] > TOL and row[4] > TOL for row in over)}")
    print(f"  all tensors of these architectures (eval and --train): {ratio_summary(rows)}")
    for r in family:
        shown = [row for row in r[1] if row[6] > TOL or row[3] > TOL or row[4] > TOL]
        unrun = sorted(f"{m} {n}: moves {e:.1e}" for (m, n), e in r[7].items() if e > TOL and not any(row[:2] == (m, n) for row in r[1]))
        notes = [f"BatchNorm over >= {r[5]} values per channel" if r[5] else "no BatchNorm"] + \
                ([f"{r[6]} channels constant in theory"] if r[6] else []) + \
                ["agrees" if agrees(r, 3, True) else "Nabla differs"] + ["PyTorch float32 " + ("agrees" if agrees(r, 4, True) else "differs")]
        print(f"    arch {r[0]:03d} ({', '.join(notes)}): " + "; ".join(r[4] + [describe(row) for row in shown] + unrun))


def screen_check(results):
    """How the screen sorts the known misses (every architecture drawn, both families) and how many ordinary
    architectures it flags."""
    flagged = [r for r in results if not well_conditioned(r)]

    def tally(pick):
        rows = [(r, row) for r in results for row in r[1] if pick(row)]
        archs = {r[0] for r, _ in rows}
        return (f"{len(rows)} tensors in {len(archs)} architectures, the screen flags {sum(row[6] > TOL for _, row in rows)} of "
                f"the tensors and {sum(1 for r in flagged if r[0] in archs)} of the architectures")

    ordinary = [r for r in results if agrees(r, 3, True) and agrees(r, 4, True)]
    constant = [r for r in results if r[6]]
    print(f"screen check on all {len(results)} architectures drawn: {len(flagged)} flagged ill-conditioned in float32")
    print(f"  Nabla over the bound: {tally(lambda row: row[3] > TOL)}")
    print(f"  PyTorch float32 over the bound: {tally(lambda row: row[4] > TOL)}")
    print(f"  Nabla's misses that exist only through a BatchNorm's eps: {tally(lambda row: row[5] and row[3] > TOL)}")
    print(f"  architectures with a training-mode BatchNorm over a channel constant in theory: {len(constant)}, flagged "
          f"{sum(not well_conditioned(r) for r in constant)}")
    print(f"  architectures on which Nabla and PyTorch float32 both agree: {len(ordinary)}, flagged "
          f"{sum(not well_conditioned(r) for r in ordinary)}")


def draw(args, min_bn):
    """Runs architectures in index order (args.only, or 0, 1, 2, ... until args.n are well conditioned, at most
    MAX_DRAWS x args.n) on args.jobs processes, printing each one that differs as it arrives."""
    indices = iter(args.only) if args.only else iter(range(MAX_DRAWS * args.n))
    results, pending = [], collections.deque()
    with concurrent.futures.ProcessPoolExecutor(args.jobs) as pool:
        def fill():
            for index in itertools.islice(indices, max(0, 2 * args.jobs - len(pending))):
                pending.append(pool.submit(run_arch, index, args.seed, args.work, min_bn))

        fill()
        while pending:
            res = pending.popleft().result()
            results.append(res)
            index, rows, _, folder, errors, bn_values = res[:6]
            if not agrees(res, 3, True):
                bad = [r for r in rows if r[3] > TOL]
                label = "DIFFERS" if well_conditioned(res) else "differs, ill-conditioned in float32,"
                print(f"arch {index:03d} {label} {folder} (BatchNorm over >= {bn_values} values per channel"
                      f"{f', {res[6]} channels constant in theory' if res[6] else ''}): " + "; ".join(errors + [describe(r) for r in bad[:6]]), flush=True)
            if not args.only and sum(map(well_conditioned, results)) == args.n:
                for f in pending:
                    f.cancel()
                break
            fill()
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=200, help="draw architectures until this many are well conditioned in float32")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--work", default="/tmp/nabla-random-archs")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only", type=int, nargs="*", help="run only these architecture indices (from a previous report)")
    ap.add_argument("--fixtures", type=int, default=0, help="copy the K smallest agreeing architectures to the test fixtures")
    ap.add_argument("--min-bn-values", type=int, default=16,
                    help="raise the batch size until every BatchNorm normalises over at least this many values per channel")
    ap.add_argument("--ill-conditioned", action="store_true",
                    help="keep the drawn batch size of 2-4 (BatchNorm over as few as 2 values per channel) and compare "
                         "Nabla's error with PyTorch float32's own error on those architectures")
    args = ap.parse_args()
    min_bn = 0 if args.ill_conditioned else args.min_bn_values
    if not os.path.exists(DLL):
        subprocess.run([os.path.join(ROOT, "nabla"), "--help"], check=True, capture_output=True)
    torch.set_num_threads(1)
    os.makedirs(args.work, exist_ok=True)
    results = draw(args, min_bn)
    well = [r for r in results if well_conditioned(r)]
    ill = [r for r in results if not well_conditioned(r)]
    n = len(well)
    print(f"screen: {len(results)} architectures drawn (indices {', '.join(f'{r[0]:03d}' for r in results) if args.only else f'000-{results[-1][0]:03d}'}); "
          f"{n} well conditioned in float32, {len(ill)} ill conditioned (some tensor moves by more than {TOL:g} when every "
          f"operation's output and input gradient in the float64 reference is scaled by 1 + {DELTA:g} r, r uniform in [-1, 1], "
          f"worst of {REPEATS} draws)" + ("" if args.only or n == args.n else f"; stopped after {len(results)} draws short of {args.n}"))
    nabla_strict = [r for r in well if agrees(r, 3, False)]
    nabla_floor = [r for r in well if agrees(r, 3, True)]
    f32_strict = sum(agrees(r, 4, False) for r in well)
    f32_floor = sum(agrees(r, 4, True) for r in well)
    rows = [row for r in well for row in r[1]]
    zero_rows = [row for row in rows if row[2]]
    rel_rows = [row for row in rows if not row[2]]

    def worst(rs, col):
        return max((row[col] for row in rs), default=0.0)

    with_bn = [r[5] for r in results if r[5] is not None]
    few = [r for r in results if r[5] is not None and r[5] < 16]
    print(f"conditioning: {'--ill-conditioned, batch size 2-4 as drawn' if not min_bn else f'batch size raised until every BatchNorm normalises over >= {min_bn} values per channel'}; "
          f"{len(with_bn)} of {len(results)} architectures drawn have BatchNorm, fewest values per channel in training mode: {min(with_bn, default=0)}; "
          f"{len(few)} architectures have a BatchNorm over fewer than 16")
    print(f"metric: per tensor ||a-b||inf/||b||inf against PyTorch float64 (output, loss, grad.input, every grad.<param>; eval and --train); "
          f"bound {TOL:g}; counts over the {n} well-conditioned architectures")
    print(f"strict (relative on every tensor): Nabla {len(nabla_strict)} of {n} architectures agree; PyTorch float32 {f32_strict} of {n}")
    print(f"with the floor rule ({len(zero_rows)} tensors zero in theory, reference <= {ZERO:g} x the run's largest gradient, compared "
          f"as ||a-b||inf / that gradient): Nabla {len(nabla_floor)} of {n}; PyTorch float32 {f32_floor} of {n}")
    print(f"worst relative error over {len(rel_rows)} tensors: Nabla {worst(rel_rows, 3):.3e}, PyTorch float32 {worst(rel_rows, 4):.3e}; "
          f"worst absolute error on zero-in-theory tensors: Nabla {worst(zero_rows, 3):.3e}, PyTorch float32 {worst(zero_rows, 4):.3e}; "
          f"largest move under simulated rounding: {worst(rows, 6):.1e}")
    over = [row for row in rows if row[3] > TOL]
    if over:
        print(f"{len(over)} tensors of well-conditioned architectures exceed the bound for Nabla; PyTorch float32 exceeds it on "
              f"{sum(row[4] > TOL for row in over)} of them: " + "; ".join(f"arch {r[0]:03d} {describe(row)}" for r in well for row in r[1] if row[3] > TOL))
    f32_over = [(r, row) for r in well for row in r[1] if row[4] > TOL]
    if f32_over:
        print(f"{len(f32_over)} tensors of {len({r[0] for r, _ in f32_over})} well-conditioned architectures exceed the bound for "
              f"PyTorch float32 (Nabla over on {sum(row[3] > TOL for _, row in f32_over)}): "
              + "; ".join(f"arch {r[0]:03d} (BatchNorm over >= {r[5]} values per channel) {describe(row)}" for r, row in f32_over))
    screen_check(results)
    if ill:
        report_family(ill, "ill-conditioned family (flagged by the screen; not in the counts above)")
    if few:
        report_family(few, f"few-values family (a training-mode BatchNorm over 2-15 values per channel; the screen flags "
                           f"{sum(not well_conditioned(r) for r in few)} of them)")
    if args.fixtures:
        if os.path.isdir(FIXTURES):
            shutil.rmtree(FIXTURES)
        os.makedirs(FIXTURES)
        for folder in pick_fixtures(nabla_strict, args.fixtures):
            dst = os.path.join(FIXTURES, os.path.basename(folder))
            os.makedirs(dst)
            for f in ("model.spec", "model_train.spec", "weights.safetensors", "batch.safetensors",
                      "expected_eval.safetensors", "expected_train.safetensors"):
                shutil.copy(os.path.join(folder, f), dst)
        print(f"wrote {args.fixtures} fixtures to {os.path.relpath(FIXTURES, ROOT)}")
    return 0 if len(nabla_floor) == n and (args.only or n == args.n) else 1


if __name__ == "__main__":
    sys.exit(main())
