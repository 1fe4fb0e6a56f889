#!/usr/bin/python3
"""PyTorch's side of docs/data.md's accuracy checks: the same nets, optimizer and schedule as `nabla train`
(Adam lr 2e-3, batch 64, StepLR gamma 0.5 per epoch or --gamma, PyTorch's default init) on the same files.

usage: bench/data_pytorch.py fashion [--epochs 1] [--seeds 1,2,3]
       bench/data_pytorch.py folder DIR [--epochs E] [--normalize auto]
                                     (torchvision ImageFolder, bench/data/shapes-cnn.spec's net; --normalize auto:
                                      per-channel mean and population std of the training images, as nabla's)
       bench/data_pytorch.py csv FILE.csv [--epochs E]       (80/20 seeded split, standardised, bench/data/table-mlp.spec's net)
Prints the test accuracy after the last epoch for each seed, then the mean.
"""
import argparse, csv, gzip, struct
import torch, torch.nn as nn
torch.set_num_threads(2)

def lenet5():
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))

def shapes_cnn(classes):
    return nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(32 * 8 * 8, 64), nn.ReLU(), nn.Linear(64, classes))

def table_mlp(features, classes):
    return nn.Sequential(nn.Linear(features, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, classes))

def idx(path):
    b = gzip.open(path).read()
    nd = b[3]; dims = struct.unpack(">" + "I" * nd, b[4:4 + 4 * nd])
    return torch.frombuffer(bytearray(b[4 + 4 * nd:]), dtype=torch.uint8).reshape(dims)

def train(net, xtr, ytr, xte, yte, epochs, seed, gamma=0.5):
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.StepLR(opt, 1, gamma=gamma)
    g = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        net.train()
        perm = torch.randperm(len(xtr), generator=g)
        for i in range(0, len(xtr), 64):
            b = perm[i:i + 64]
            opt.zero_grad()
            nn.functional.cross_entropy(net(xtr[b]), ytr[b]).backward()
            opt.step()
        sched.step()
    net.eval()
    with torch.no_grad():
        return (net(xte).argmax(1) == yte).float().mean().item()

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["fashion", "folder", "csv"]); ap.add_argument("path", nargs="?")
    ap.add_argument("--epochs", type=int, default=1); ap.add_argument("--seeds", default="1,2,3"); ap.add_argument("--gamma", type=float, default=0.5)
    ap.add_argument("--normalize", choices=["auto"])
    o = ap.parse_args()
    if o.mode == "fashion":
        d = "/usr/share/datasets/fashion-mnist/"
        f = lambda n: ((idx(d + n).float() / 255 - 0.2860) / 0.3530).unsqueeze(1)
        xtr, ytr = f("train-images-idx3-ubyte.gz"), idx(d + "train-labels-idx1-ubyte.gz").long()
        xte, yte = f("t10k-images-idx3-ubyte.gz"), idx(d + "t10k-labels-idx1-ubyte.gz").long()
        make = lenet5
    elif o.mode == "folder":
        from torchvision import datasets, transforms
        def load(split):
            ds = datasets.ImageFolder(f"{o.path}/{split}", transform=transforms.ToTensor())
            return torch.stack([x for x, _ in ds]), torch.tensor([y for _, y in ds]), len(ds.classes)
        xtr, ytr, k = load("train"); xte, yte, _ = load("test")
        if o.normalize == "auto":
            d64 = xtr.double().transpose(0, 1).reshape(xtr.shape[1], -1)
            mean, std = d64.mean(1), d64.std(1, unbiased=False)
            print("normalize auto: mean " + ",".join(f"{v:.4f}" for v in mean) + " std " + ",".join(f"{v:.4f}" for v in std))
            norm = lambda x: ((x.double() - mean.view(1, -1, 1, 1)) / std.view(1, -1, 1, 1)).float()
            xtr, xte = norm(xtr), norm(xte)
        make = lambda: shapes_cnn(k)
    else:
        rows = list(csv.reader(open(o.path)))[1:]
        labels = sorted({r[-1] for r in rows}); cls = {n: i for i, n in enumerate(labels)}
        x = torch.tensor([[float(v) for v in r[:-1]] for r in rows]); y = torch.tensor([cls[r[-1]] for r in rows])
        perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(0)); nt = round(len(x) * 0.2)
        te, tr = perm[:nt], perm[nt:]
        mean, std = x[tr].mean(0), x[tr].std(0, unbiased=False)
        x = (x - mean) / std
        xtr, ytr, xte, yte = x[tr], y[tr], x[te], y[te]
        make = lambda: table_mlp(x.shape[1], len(labels))
    accs = []
    for s in [int(v) for v in o.seeds.split(",")]:
        torch.manual_seed(s)
        accs.append(train(make(), xtr, ytr, xte, yte, o.epochs, s, o.gamma))
        print(f"seed {s}: test accuracy {accs[-1]:.4f}")
    print(f"mean over {len(accs)} seeds: {sum(accs) / len(accs):.4f}")

main()
