#!/usr/bin/python3
"""Writes the PyTorch parity fixtures under tests/Nabla.Tests/Fixtures/parity/.

Run with Debian's PyTorch:  /usr/bin/python3 tools/make_fixtures.py

Every case is seeded, so the output is the same on every run. Inputs, weights and projections are
drawn in float32 (so both sides start from identical float32 values); the reference computation runs in
float64, so the recorded outputs and gradients are PyTorch's answer without float32 rounding.
Gradients are those of the projection loss L = sum(out * r) for a seeded random r (for a scalar loss
output, r is a scalar), with respect to the input(s) and every trainable parameter.

Files: one JSON file per family (conv, pool, batchnorm, linear, activations, functional, composite,
optim). Tensors are {"shape": [...], "data": [...]} in row-major order.
"""
import json
import math
import os
import sys
import zlib

import torch
import torch.nn as nn
import torch.nn.functional as TF

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "Nabla.Tests", "Fixtures", "parity")
SEED = 20240607


def rnd(x):
    return float("%.9g" % x)


def tj(t):
    """A tensor as JSON: float32-exact inputs print exactly, float64 results to 9 significant digits."""
    t = t.detach()
    if t.dtype in (torch.int64, torch.int32):
        return {"shape": list(t.shape), "data": [int(v) for v in t.reshape(-1).tolist()]}
    return {"shape": list(t.shape), "data": [rnd(v) for v in t.double().reshape(-1).tolist()]}


def randn(g, *shape):
    """float32 normal values (exactly representable in float32), returned as float64."""
    return torch.randn(tuple(shape), generator=g, dtype=torch.float32).double()


def rand(g, *shape):
    return torch.rand(tuple(shape), generator=g, dtype=torch.float32).double()


from torch_twins import Concat, Residual  # noqa: E402  (the same twins for every fixture script)


def pair(v):
    return list(v) if isinstance(v, (tuple, list)) else [v, v]


def build(spec):
    """A PyTorch module from a JSON layer spec (the same spec the C# tests build from)."""
    t = spec["type"]
    if t == "conv2d":
        return nn.Conv2d(spec["in_channels"], spec["out_channels"], tuple(spec["kernel_size"]), tuple(spec["stride"]),
                         tuple(spec["padding"]), tuple(spec["dilation"]), spec["groups"], spec["bias"])
    if t == "linear":
        return nn.Linear(spec["in_features"], spec["out_features"], spec["bias"])
    if t == "maxpool2d":
        return nn.MaxPool2d(tuple(spec["kernel_size"]), tuple(spec["stride"]), tuple(spec["padding"]),
                            dilation=tuple(spec.get("dilation", (1, 1))), ceil_mode=spec["ceil_mode"])
    if t == "avgpool2d":
        return nn.AvgPool2d(tuple(spec["kernel_size"]), tuple(spec["stride"]), tuple(spec["padding"]),
                            ceil_mode=spec["ceil_mode"], count_include_pad=spec["count_include_pad"])
    if t == "adaptiveavgpool2d":
        return nn.AdaptiveAvgPool2d(tuple(spec["output_size"]))
    if t in ("batchnorm1d", "batchnorm2d"):
        cls = nn.BatchNorm1d if t == "batchnorm1d" else nn.BatchNorm2d
        return cls(spec["num_features"], eps=spec["eps"], momentum=spec["momentum"], affine=spec["affine"])
    if t == "relu":
        return nn.ReLU()
    if t == "leakyrelu":
        return nn.LeakyReLU(spec["negative_slope"])
    if t == "elu":
        return nn.ELU(spec["alpha"])
    if t == "gelu":
        return nn.GELU()
    if t == "relu6":
        return nn.ReLU6()
    if t == "sigmoid":
        return nn.Sigmoid()
    if t == "tanh":
        return nn.Tanh()
    if t == "softmax":
        return nn.Softmax(spec["dim"])
    if t == "logsoftmax":
        return nn.LogSoftmax(spec["dim"])
    if t == "flatten":
        return nn.Flatten()
    if t == "dropout":
        return nn.Dropout(spec["p"])
    if t == "identity":
        return nn.Identity()
    if t == "sequential":
        return nn.Sequential(*[build(s) for s in spec["layers"]])
    if t == "concat":
        return Concat([build(s) for s in spec["branches"]])
    if t == "residual":
        return Residual([build(s) for s in spec["body"]], build(spec["shortcut"]) if spec.get("shortcut") else None)
    raise ValueError(t)


# ---- spec helpers (all PyTorch constructor arguments spelled out) ----

def conv(cin, cout, k, s=1, p=0, d=1, g=1, bias=True):
    return {"type": "conv2d", "in_channels": cin, "out_channels": cout, "kernel_size": pair(k), "stride": pair(s),
            "padding": pair(p), "dilation": pair(d), "groups": g, "bias": bias}


def linear(i, o, bias=True):
    return {"type": "linear", "in_features": i, "out_features": o, "bias": bias}


def maxpool(k, s=None, p=0, ceil=False, d=1):
    return {"type": "maxpool2d", "kernel_size": pair(k), "stride": pair(s if s is not None else k), "padding": pair(p), "ceil_mode": ceil,
            "dilation": pair(d)}


def avgpool(k, s=None, p=0, ceil=False, cip=True):
    return {"type": "avgpool2d", "kernel_size": pair(k), "stride": pair(s if s is not None else k), "padding": pair(p),
            "ceil_mode": ceil, "count_include_pad": cip}


def bn(kind, c, eps=1e-5, momentum=0.1, affine=True):
    return {"type": kind, "num_features": c, "eps": eps, "momentum": momentum, "affine": affine}


def simple(t, **kw):
    d = {"type": t}
    d.update(kw)
    return d


def seq(*layers):
    return {"type": "sequential", "layers": list(layers)}


def randomize_bn(model, g):
    """Random γ, β and running statistics, so that affine and eval paths are really exercised."""
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            with torch.no_grad():
                if m.affine:
                    m.weight.copy_(1 + 0.5 * randn(g, m.num_features))
                    m.bias.copy_(0.5 * randn(g, m.num_features))
                m.running_mean.copy_(0.5 * randn(g, m.num_features))
                m.running_var.copy_(0.5 + rand(g, m.num_features))
                m.num_batches_tracked.fill_(3)


def state_json(model):
    return {k: tj(v) for k, v in model.state_dict().items()}


def module_case(name, spec, in_shape, training=True, positive=False):
    torch.manual_seed(zlib.crc32(name.encode()))  # default init, seeded per case (values are recorded anyway)
    g = torch.Generator().manual_seed(SEED + zlib.crc32(name.encode()))
    model = build(spec).float()
    randomize_bn(model, g)
    model = model.double()
    model.train(training)
    before = state_json(model)
    x = randn(g, *in_shape)
    if positive:
        x = x.abs() + 0.1
    x.requires_grad_(True)
    out = model(x)
    r = randn(g, *out.shape)
    (out * r).sum().backward()
    grads = {n: tj(p.grad) for n, p in model.named_parameters()}
    case = {"name": name, "module": spec, "training": training, "input": tj(x), "state_dict": before,
            "output": tj(out), "proj": tj(r), "grad_input": tj(x.grad), "grads": grads}
    buffers = {n: tj(b) for n, b in model.named_buffers()}
    if buffers:
        case["buffers_after"] = buffers
    return case


# ---- families ----

def conv_cases():
    return [
        module_case("basic_k3", conv(3, 4, 3), (2, 3, 7, 7)),
        module_case("stride2_pad1", conv(3, 5, 3, s=2, p=1), (2, 3, 9, 9)),
        module_case("pad2_k5", conv(2, 3, 5, p=2), (2, 2, 8, 8)),
        module_case("dilation2_pad2", conv(3, 4, 3, p=2, d=2), (2, 3, 9, 9)),
        module_case("groups2", conv(4, 6, 3, p=1, g=2), (2, 4, 7, 7)),
        module_case("depthwise_stride2", conv(4, 4, 3, s=2, p=1, g=4), (2, 4, 9, 9)),
        module_case("depthwise_multiplier2", conv(3, 6, 3, p=1, g=3), (2, 3, 6, 6)),
        module_case("kernel3x5_stride1x2_pad1x2", conv(3, 4, (3, 5), s=(1, 2), p=(1, 2)), (2, 3, 7, 11)),
        module_case("no_bias", conv(3, 4, 3, p=1, bias=False), (2, 3, 6, 6)),
        module_case("odd_mixed", conv(3, 2, (2, 3), s=(3, 2), p=(1, 0), d=(2, 1)), (3, 3, 11, 13)),
        module_case("pointwise_1x1", conv(5, 3, 1), (2, 5, 5, 5)),
        module_case("k4_stride3_batch1", conv(2, 3, 4, s=3, p=1), (1, 2, 5, 6)),
        module_case("batch10_chunked", conv(2, 3, 3, p=1), (10, 2, 6, 6)),
        module_case("groups2_dilation2_stride2", conv(4, 6, 3, s=2, p=1, d=2, g=2), (2, 4, 9, 8)),
        module_case("padding_exceeds_kernel", conv(2, 3, 2, p=3), (2, 2, 4, 5)),
        module_case("kernel_fills_padded_input", conv(2, 2, (5, 6), p=1), (2, 2, 3, 4)),
    ]


def pool_cases():
    return [
        module_case("max_k2", maxpool(2), (2, 3, 6, 6)),
        module_case("max_k3_s2_p1", maxpool(3, 2, 1), (2, 3, 9, 9)),
        module_case("max_k3x2_s2x1_p1x0", maxpool((3, 2), (2, 1), (1, 0)), (2, 2, 7, 6)),
        module_case("max_odd_floor", maxpool(2), (2, 2, 7, 5)),
        module_case("max_ceil_k3_s2", maxpool(3, 2, ceil=True), (2, 2, 8, 8)),
        module_case("max_ceil_k2_s3_p1_drop_last", maxpool(2, 3, 1, ceil=True), (2, 2, 4, 4)),
        module_case("max_k3_d2_p1", maxpool(3, 1, 1, d=2), (2, 2, 9, 8)),
        module_case("max_k2x3_s2_d2x1", maxpool((2, 3), 2, 0, d=(2, 1)), (2, 2, 9, 9)),
        module_case("avg_k2", avgpool(2), (2, 3, 6, 6)),
        module_case("avg_k3_s2_p1_include_pad", avgpool(3, 2, 1, cip=True), (2, 3, 9, 9)),
        module_case("avg_k3_s2_p1_exclude_pad", avgpool(3, 2, 1, cip=False), (2, 3, 9, 9)),
        module_case("avg_ceil_k3_s2_p1_include_pad", avgpool(3, 2, 1, ceil=True, cip=True), (2, 2, 8, 8)),
        module_case("avg_ceil_k3_s2_p1_exclude_pad", avgpool(3, 2, 1, ceil=True, cip=False), (2, 2, 8, 8)),
        module_case("avg_ceil_k2_s3_p1_drop_last", avgpool(2, 3, 1, ceil=True), (2, 2, 4, 4)),
        # A kernel longer than the input axis (2 rows, kernel 3): PyTorch's ceil mode still gives one window.
        module_case("avg_ceil_kernel_past_input", avgpool(3, 3, 0, ceil=True, cip=False), (2, 2, 2, 5)),
        module_case("max_ceil_kernel_past_input", maxpool(3, 3, ceil=True), (2, 2, 2, 5)),
        module_case("avg_k2x3_s1x2_p1x1", avgpool((2, 3), (1, 2), (1, 1), cip=False), (2, 2, 5, 7)),
        module_case("adaptive_global", simple("adaptiveavgpool2d", output_size=[1, 1]), (2, 3, 5, 7)),
        module_case("adaptive_3x3_from_7x7", simple("adaptiveavgpool2d", output_size=[3, 3]), (2, 2, 7, 7)),
        module_case("adaptive_2x4_from_5x9", simple("adaptiveavgpool2d", output_size=[2, 4]), (2, 2, 5, 9)),
        module_case("adaptive_identity_4x4", simple("adaptiveavgpool2d", output_size=[4, 4]), (1, 2, 4, 4)),
        module_case("adaptive_upsample_5x3_from_3x2", simple("adaptiveavgpool2d", output_size=[5, 3]), (1, 2, 3, 2)),
    ]


def batchnorm_cases():
    return [
        module_case("bn1d_train_2d", bn("batchnorm1d", 5), (6, 5), training=True),
        module_case("bn1d_train_3d", bn("batchnorm1d", 3), (4, 3, 5), training=True),
        module_case("bn1d_eval", bn("batchnorm1d", 5), (6, 5), training=False),
        module_case("bn2d_train", bn("batchnorm2d", 4), (3, 4, 5, 5), training=True),
        module_case("bn2d_eval", bn("batchnorm2d", 4), (3, 4, 5, 5), training=False),
        module_case("bn2d_train_not_affine", bn("batchnorm2d", 3, affine=False), (2, 3, 4, 4), training=True),
        module_case("bn2d_train_momentum0.3_eps1e-3", bn("batchnorm2d", 3, eps=1e-3, momentum=0.3), (2, 3, 3, 5), training=True),
        module_case("bn2d_eval_eps1e-3", bn("batchnorm2d", 3, eps=1e-3), (2, 3, 3, 5), training=False),
        module_case("bn2d_eval_not_affine", bn("batchnorm2d", 3, affine=False), (2, 3, 3, 3), training=False),
        # Two values per channel: the input gradient is ∝ 1 − x̂² = ε/(σ² + ε), a cancellation; with ε = 1e-5 even
        # PyTorch's float32 is 6e-5 off, so a larger ε keeps the smallest legal batch well-conditioned.
        module_case("bn1d_train_batch2_eps0.1", bn("batchnorm1d", 4, eps=0.1), (2, 4), training=True),
    ]


def linear_cases():
    return [
        module_case("bias", linear(5, 7), (4, 5)),
        module_case("no_bias", linear(6, 3, bias=False), (5, 6)),
        module_case("batch1_wide", linear(33, 17), (1, 33)),
        module_case("rank3_input", linear(5, 4), (2, 3, 5)),
        module_case("rank1_input", linear(5, 3), (5,)),
    ]


def activation_cases():
    return [
        module_case("relu", simple("relu"), (3, 4, 5)),
        module_case("leakyrelu_default", simple("leakyrelu", negative_slope=0.01), (3, 4, 5)),
        module_case("leakyrelu_0.2", simple("leakyrelu", negative_slope=0.2), (3, 4, 5)),
        module_case("sigmoid", simple("sigmoid"), (3, 4, 5)),
        module_case("tanh", simple("tanh"), (3, 4, 5)),
        module_case("elu_default", simple("elu", alpha=1.0), (3, 4, 5)),
        module_case("elu_0.5", simple("elu", alpha=0.5), (3, 4, 5)),
        module_case("gelu", simple("gelu"), (3, 4, 5)),
        module_case("relu6", simple("relu6"), (3, 4, 5)),
        module_case("softmax_dim1_2d", simple("softmax", dim=1), (4, 6)),
        module_case("softmax_dim1_4d", simple("softmax", dim=1), (2, 3, 4, 4)),
        module_case("logsoftmax_dim1_2d", simple("logsoftmax", dim=1), (4, 6)),
        module_case("logsoftmax_dim1_4d", simple("logsoftmax", dim=1), (2, 3, 4, 4)),
        module_case("flatten", simple("flatten"), (2, 3, 2, 2)),
        module_case("dropout_eval", simple("dropout", p=0.5), (3, 4), training=False),
        module_case("identity", simple("identity"), (3, 4)),
    ]


# ---- functional ops: inputs, args, output, gradient of sum(out * r) per input ----

def func_case(name, op, args, inputs, fn, targets=None, grad_mask=None):
    g = torch.Generator().manual_seed(SEED + 7 * zlib.crc32(name.encode()))
    xs = [x.clone().requires_grad_(grad_mask[i] if grad_mask else True) for i, x in enumerate(inputs)]
    out = fn(*xs)
    r = randn(g, *out.shape)
    (out * r).sum().backward()
    case = {"name": name, "op": op, "args": args, "inputs": [tj(x) for x in xs], "output": tj(out), "proj": tj(r),
            "grad_inputs": [tj(x.grad) if x.grad is not None else None for x in xs]}
    if targets is not None:
        case["targets"] = [int(v) for v in targets.tolist()]
    return case


def functional_cases():
    g = torch.Generator().manual_seed(SEED + 1)
    R = lambda *s: randn(g, *s)
    P = lambda *s: rand(g, *s) + 0.2
    cases = []
    for red in ("mean", "sum"):
        logits = 2 * R(6, 5)
        t = torch.randint(0, 5, (6,), generator=g)
        cases.append(func_case(f"cross_entropy_{red}", "cross_entropy", {"reduction": red}, [logits],
                               lambda x, t=t, red=red: TF.cross_entropy(x, t, reduction=red), targets=t))
        lp = torch.log_softmax(R(6, 5), 1)
        lp = lp.float().double()
        cases.append(func_case(f"nll_{red}", "nll_loss", {"reduction": red}, [lp],
                               lambda x, t=t, red=red: TF.nll_loss(x, t, reduction=red), targets=t))
        cases.append(func_case(f"mse_{red}", "mse_loss", {"reduction": red}, [R(4, 3, 2), R(4, 3, 2)],
                               lambda a, b, red=red: TF.mse_loss(a, b, reduction=red)))
        cases.append(func_case(f"bce_with_logits_{red}", "bce_with_logits", {"reduction": red}, [3 * R(5, 4), rand(g, 5, 4)],
                               lambda a, b, red=red: TF.binary_cross_entropy_with_logits(a, b, reduction=red)))
    t = torch.tensor([1, 0, 4, 2])
    cases.append(func_case("cross_entropy_offset1e4", "cross_entropy", {"reduction": "mean"}, [(1e4 + 2 * R(4, 5)).float().double()],
                           lambda x, t=t: TF.cross_entropy(x, t), targets=t))
    cases.append(func_case("cross_entropy_large_logits", "cross_entropy", {"reduction": "mean"}, [40 * R(4, 7)],
                           lambda x, t=torch.tensor([0, 3, 6, 2]): TF.cross_entropy(x, t), targets=torch.tensor([0, 3, 6, 2])))
    cases += [
        func_case("softmax_dim0", "softmax", {"dim": 0}, [R(4, 5)], lambda x: torch.softmax(x, 0)),
        # Large but not saturating: a big common offset checks the max-subtraction. (Saturated softmax has
        # gradients near 1e-8 that float32 cannot resolve: PyTorch's own float32 result is off by 80% there.)
        func_case("softmax_last_offset1000", "softmax", {"dim": -1}, [(1000 + 2 * R(3, 6)).float().double()], lambda x: torch.softmax(x, -1)),
        # Softmax-family ops are shift-invariant; PyTorch's float32 keeps ~1e-7 relative error at any offset.
        func_case("softmax_offset1e4", "softmax", {"dim": 1}, [(1e4 + 2 * R(3, 6)).float().double()], lambda x: torch.softmax(x, 1)),
        func_case("log_softmax_offset1e4", "log_softmax", {"dim": 1}, [(1e4 + 2 * R(3, 6)).float().double()], lambda x: torch.log_softmax(x, 1)),
        func_case("logsumexp_offset1e4", "logsumexp", {"dim": 1, "keepdim": False}, [(1e4 + 2 * R(3, 6)).float().double()], lambda x: torch.logsumexp(x, 1)),
        func_case("log_softmax_dim1_3d", "log_softmax", {"dim": 1}, [R(2, 5, 3)], lambda x: torch.log_softmax(x, 1)),
        func_case("logsumexp_last", "logsumexp", {"dim": -1, "keepdim": False}, [R(4, 6)], lambda x: torch.logsumexp(x, -1)),
        func_case("logsumexp_dim1_keepdim_3d", "logsumexp", {"dim": 1, "keepdim": True}, [3 * R(2, 5, 3)], lambda x: torch.logsumexp(x, 1, True)),
        func_case("logsumexp_large", "logsumexp", {"dim": 0, "keepdim": False}, [50 * R(6, 3)], lambda x: torch.logsumexp(x, 0)),
        func_case("matmul_2d", "matmul", {}, [R(4, 5), R(5, 3)], torch.matmul),
        func_case("matmul_batched", "matmul", {}, [R(2, 3, 4), R(2, 4, 5)], torch.matmul),
        func_case("add_broadcast", "add", {}, [R(3, 1, 4), R(2, 1)], torch.add),
        func_case("sub_broadcast", "sub", {}, [R(3, 2, 4), R(4)], torch.sub),
        func_case("mul_broadcast", "mul", {}, [R(2, 3, 1), R(1, 1, 5)], torch.mul),
        func_case("div_broadcast", "div", {}, [R(3, 4), P(3, 1)], torch.div),
        func_case("maximum", "maximum", {}, [R(3, 4), R(3, 4)], torch.maximum),
        func_case("minimum_broadcast", "minimum", {}, [R(3, 4), R(4)], torch.minimum),
        func_case("neg", "neg", {}, [R(3, 4)], torch.neg),
        func_case("exp", "exp", {}, [R(3, 4)], torch.exp),
        func_case("log", "log", {}, [P(3, 4)], torch.log),
        func_case("sqrt", "sqrt", {}, [P(3, 4)], torch.sqrt),
        func_case("abs", "abs", {}, [R(3, 4)], torch.abs),
        func_case("pow3", "pow", {"p": 3.0}, [R(3, 4)], lambda x: x.pow(3)),
        func_case("pow_half", "pow", {"p": 0.5}, [P(3, 4)], lambda x: x.pow(0.5)),
        func_case("clamp", "clamp", {"min": -0.5, "max": 0.5}, [R(4, 5)], lambda x: x.clamp(-0.5, 0.5)),
        func_case("add_scalar", "add_scalar", {"s": 1.5}, [R(3, 4)], lambda x: x + 1.5),
        func_case("mul_scalar", "mul_scalar", {"s": -2.5}, [R(3, 4)], lambda x: x * -2.5),
        func_case("sum_all", "sum", {}, [R(3, 4)], lambda x: x.sum()),
        func_case("sum_dim1", "sum", {"dim": 1, "keepdim": False}, [R(2, 3, 4)], lambda x: x.sum(1)),
        func_case("sum_dim0_keepdim", "sum", {"dim": 0, "keepdim": True}, [R(2, 3, 4)], lambda x: x.sum(0, True)),
        func_case("mean_all", "mean", {}, [R(3, 4)], lambda x: x.mean()),
        func_case("mean_last_keepdim", "mean", {"dim": -1, "keepdim": True}, [R(2, 3, 4)], lambda x: x.mean(-1, True)),
        func_case("max_dim1", "max", {"dim": 1, "keepdim": False}, [R(2, 5, 3)], lambda x: x.max(1)[0]),
        func_case("max_dim0_keepdim", "max", {"dim": 0, "keepdim": True}, [R(4, 3)], lambda x: x.max(0, True)[0]),
        func_case("reshape", "reshape", {"shape": [3, -1]}, [R(2, 3, 2)], lambda x: x.reshape(3, -1)),
        func_case("permute", "permute", {"perm": [2, 0, 1]}, [R(2, 3, 4)], lambda x: x.permute(2, 0, 1)),
        func_case("transpose", "transpose", {"dim0": 0, "dim1": 2}, [R(2, 3, 4)], lambda x: x.transpose(0, 2)),
        func_case("cat_dim1", "cat", {"dim": 1}, [R(2, 1, 3), R(2, 3, 3), R(2, 2, 3)], lambda a, b, c: torch.cat([a, b, c], 1)),
        func_case("stack_dim1", "stack", {"dim": 1}, [R(2, 3), R(2, 3)], lambda a, b: torch.stack([a, b], 1)),
        func_case("slice_dim1", "slice", {"dim": 1, "start": 1, "end": 3}, [R(2, 5, 2)], lambda x: x[:, 1:3]),
    ]
    return cases


def composite_cases():
    # In training mode a bias right before BatchNorm has a gradient that is exactly zero in theory, so its
    # float32 value is pure rounding noise and no relative bound applies: the training variants (like real
    # networks) leave that bias out; the evaluation variants keep it, where its gradient is meaningful.
    def stem(before_bn_bias):
        return [conv(2, 4, 3, p=1, bias=before_bn_bias), bn("batchnorm2d", 4), simple("relu"), maxpool(2)]

    def res_identity(before_bn_bias):
        return {"type": "residual", "body": [conv(4, 4, 3, p=1, bias=before_bn_bias), bn("batchnorm2d", 4), simple("relu"),
                                             conv(4, 4, 3, p=1, bias=False)], "shortcut": None}
    res_proj = {"type": "residual", "body": [conv(4, 6, 3, s=2, p=1), simple("relu")],
                "shortcut": seq(conv(4, 6, 1, s=2, bias=False), bn("batchnorm2d", 6))}
    inception = {"type": "concat", "branches": [
        seq(conv(6, 3, 1), simple("relu")),
        seq(maxpool(3, 1, 1), conv(6, 2, 1)),
        seq(avgpool(3, 1, 1, cip=False)),
    ]}
    head = [simple("adaptiveavgpool2d", output_size=[1, 1]), simple("flatten"), simple("dropout", p=0.25), linear(11, 5)]
    net = seq(*stem(True), res_identity(True), res_proj, inception, *head)
    no_dropout = seq(*stem(False), res_identity(False), res_proj, inception, *[h for h in head if h["type"] != "dropout"])

    def mlp(before_bn_bias):
        return seq(linear(7, 9, bias=before_bn_bias), bn("batchnorm1d", 9), simple("leakyrelu", negative_slope=0.1), linear(9, 6),
                   simple("tanh"), linear(6, 4, bias=False), simple("logsoftmax", dim=1))
    return [
        module_case("cnn_eval", net, (3, 2, 8, 8), training=False),
        module_case("cnn_train_no_dropout", no_dropout, (3, 2, 8, 8), training=True),
        module_case("mlp_bn_train", mlp(False), (5, 7), training=True),
        module_case("mlp_bn_eval", mlp(True), (5, 7), training=False),
    ]


# ---- optimizers: parameters after each of several steps on fixed data ----

def optim_case(name, opt_spec, steps=6, schedule=None, clip=None, model_spec=None, in_shape=(10, 6), classes=4):
    if model_spec is None:
        model_spec = seq(linear(6, 8), simple("tanh"), linear(8, classes))
    torch.manual_seed(SEED)
    g = torch.Generator().manual_seed(SEED + 99)
    model = build(model_spec).double()
    model.train(True)
    initial = state_json(model)
    x = randn(g, *in_shape)
    t = torch.randint(0, classes, (in_shape[0],), generator=g)
    kind = opt_spec["type"]
    ps = model.parameters()
    if kind == "sgd":
        opt = torch.optim.SGD(ps, lr=opt_spec["lr"], momentum=opt_spec["momentum"], dampening=opt_spec["dampening"],
                              weight_decay=opt_spec["weight_decay"], nesterov=opt_spec["nesterov"])
    elif kind == "adam":
        opt = torch.optim.Adam(ps, lr=opt_spec["lr"], betas=(opt_spec["beta1"], opt_spec["beta2"]), eps=opt_spec["eps"],
                               weight_decay=opt_spec["weight_decay"])
    elif kind == "adamw":
        opt = torch.optim.AdamW(ps, lr=opt_spec["lr"], betas=(opt_spec["beta1"], opt_spec["beta2"]), eps=opt_spec["eps"],
                                weight_decay=opt_spec["weight_decay"])
    elif kind == "adadelta":
        opt = torch.optim.Adadelta(ps, lr=opt_spec["lr"], rho=opt_spec["rho"], eps=opt_spec["eps"], weight_decay=opt_spec["weight_decay"])
    else:
        raise ValueError(kind)
    sched = None
    if schedule and schedule["type"] == "step":
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=schedule["step_size"], gamma=schedule["gamma"])
    elif schedule and schedule["type"] == "cosine":
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=schedule["t_max"], eta_min=schedule["eta_min"])
    traj = []
    for _ in range(steps):
        lr = opt.param_groups[0]["lr"]
        opt.zero_grad()
        loss = TF.cross_entropy(model(x), t)
        loss.backward()
        norm = None
        if clip is not None:
            norm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), clip))
        opt.step()
        if sched:
            sched.step()
        entry = {"lr": lr, "loss": rnd(loss.item()), "state": state_json(model)}
        if norm is not None:
            entry["grad_norm"] = rnd(norm)
        traj.append(entry)
    case = {"name": name, "model": model_spec, "optimizer": opt_spec, "schedule": schedule, "clip_max_norm": clip,
            "input": tj(x), "targets": [int(v) for v in t.tolist()], "state_dict": initial, "trajectory": traj}
    return case


def sgd(lr, momentum=0.0, dampening=0.0, wd=0.0, nesterov=False):
    return {"type": "sgd", "lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": wd, "nesterov": nesterov}


def adam(kind="adam", lr=0.01, wd=0.0, beta1=0.9, beta2=0.999, eps=1e-8):
    return {"type": kind, "lr": lr, "beta1": beta1, "beta2": beta2, "eps": eps, "weight_decay": wd}


def optim_cases():
    cnn = seq(conv(2, 3, 3, p=1, bias=False), bn("batchnorm2d", 3), simple("relu"), maxpool(2), simple("flatten"), linear(12, 3))
    return [
        optim_case("sgd_plain", sgd(0.5)),
        optim_case("sgd_momentum", sgd(0.2, momentum=0.9)),
        optim_case("sgd_nesterov", sgd(0.2, momentum=0.9, nesterov=True)),
        optim_case("sgd_weight_decay", sgd(0.3, wd=0.05)),
        optim_case("sgd_momentum_dampening_wd", sgd(0.2, momentum=0.8, dampening=0.3, wd=0.01)),
        optim_case("sgd_nesterov_wd", sgd(0.1, momentum=0.9, wd=0.02, nesterov=True)),
        optim_case("adam", adam()),
        optim_case("adam_weight_decay", adam(wd=0.1)),
        optim_case("adam_betas", adam(lr=0.02, beta1=0.8, beta2=0.95, eps=1e-6)),
        optim_case("adamw", adam("adamw", lr=0.01, wd=0.1)),
        optim_case("adadelta", {"type": "adadelta", "lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0.0}),
        optim_case("adadelta_wd_lr0.5", {"type": "adadelta", "lr": 0.5, "rho": 0.8, "eps": 1e-5, "weight_decay": 0.05}),
        optim_case("sgd_momentum_steplr", sgd(0.4, momentum=0.9), steps=7, schedule={"type": "step", "step_size": 2, "gamma": 0.5}),
        optim_case("adam_cosine", adam(lr=0.02), steps=6, schedule={"type": "cosine", "t_max": 5, "eta_min": 0.001}),
        optim_case("sgd_momentum_clip", sgd(0.3, momentum=0.9), clip=0.05),
        optim_case("sgd_clip_inactive", sgd(0.3), clip=100.0),
        optim_case("cnn_bn_sgd_nesterov", sgd(0.1, momentum=0.9, nesterov=True, wd=1e-3), model_spec=cnn, in_shape=(6, 2, 4, 4), classes=3),
        optim_case("cnn_bn_adamw", adam("adamw", lr=0.01, wd=0.05), model_spec=cnn, in_shape=(6, 2, 4, 4), classes=3),
    ]


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    families = {
        "conv": conv_cases, "pool": pool_cases, "batchnorm": batchnorm_cases, "linear": linear_cases,
        "activations": activation_cases, "functional": functional_cases, "composite": composite_cases, "optim": optim_cases,
    }
    total = 0
    for fam, fn in families.items():
        cases = fn()
        names = [c["name"] for c in cases]
        assert len(names) == len(set(names)), fam
        doc = {"generator": "tools/make_fixtures.py", "torch": torch.__version__, "family": fam, "cases": cases}
        path = os.path.join(OUT, fam + ".json")
        with open(path, "w") as f:
            json.dump(doc, f, separators=(",", ":"))
            f.write("\n")
        size = os.path.getsize(path)
        total += size
        print(f"{fam:12s} {len(cases):3d} cases {size / 1024:8.1f} KiB", file=sys.stderr)
    print(f"total {total / 1024:.1f} KiB", file=sys.stderr)


if __name__ == "__main__":
    main()
