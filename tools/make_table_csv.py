#!/usr/bin/python3
"""Writes a classification table (CSV, header row, 8 numeric features, string labels) for docs/data.md's checks.

usage: tools/make_table_csv.py OUT.csv [--rows N] [--seed S]
Three classes ("alpha", "beta", "gamma") on interleaved noisy spirals in the first two features; the other six
are nonlinear mixes plus noise and two pure-noise columns, so a linear model cannot solve it. No numpy/sklearn.
"""
import argparse, math, random

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out"); ap.add_argument("--rows", type=int, default=6000); ap.add_argument("--seed", type=int, default=1)
    o = ap.parse_args()
    rng = random.Random(o.seed)
    names = ["alpha", "beta", "gamma"]
    with open(o.out, "w") as f:
        f.write("x1,x2,r,theta,x1x2,sinx1,noise1,noise2,species\n")
        for i in range(o.rows):
            k = i % 3
            t = rng.uniform(0.1, 1.0)
            ang = 2 * math.pi * k / 3 + 4.0 * t + rng.gauss(0, 0.25)
            x1, x2 = t * math.cos(ang) + rng.gauss(0, 0.03), t * math.sin(ang) + rng.gauss(0, 0.03)
            r = math.hypot(x1, x2); th = math.atan2(x2, x1)
            row = [x1, x2, r, th, x1 * x2, math.sin(3 * x1), rng.gauss(0, 1), rng.uniform(-1, 1)]
            f.write(",".join(f"{v:.6f}" for v in row) + f",{names[k]}\n")
    print(f"{o.out}: {o.rows} rows, 8 features, 3 classes")

main()
