#!/usr/bin/python3
"""Writes a synthetic RGB ImageFolder of 32x32 colored shapes (half PNG, half JPEG) for docs/data.md's checks.

usage: tools/make_shapes_folder.py OUT [--train N] [--test N] [--seed S]
Layout: OUT/train/<class>/*.png|jpg and OUT/test/<class>/*; classes: circle, cross, diamond, ring, square, triangle.
Random colours (shape and background), position, size, rotation and pixel noise make it a non-trivial task.
Uses Pillow only (no torchvision), so the files are independent of the loaders under test.
"""
import argparse, math, os, random
from PIL import Image, ImageDraw

CLASSES = ["circle", "cross", "diamond", "ring", "square", "triangle"]

def draw(kind, rng):
    bg = tuple(rng.randrange(256) for _ in range(3))
    while True:
        fg = tuple(rng.randrange(256) for _ in range(3))
        if sum(abs(a - b) for a, b in zip(fg, bg)) > 250: break
    img = Image.new("RGB", (32, 32), bg)
    d = ImageDraw.Draw(img)
    r = rng.uniform(8, 13); cx = rng.uniform(r, 32 - r); cy = rng.uniform(r, 32 - r); a = rng.uniform(0, 2 * math.pi)
    def poly(n, rad, phase):
        return [(cx + rad * math.cos(phase + 2 * math.pi * k / n), cy + rad * math.sin(phase + 2 * math.pi * k / n)) for k in range(n)]
    if kind == "circle": d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fg)
    elif kind == "ring": d.ellipse([cx - r, cy - r, cx + r, cy + r], outline=fg, width=max(2, int(r / 3)))
    elif kind == "square": d.polygon(poly(4, r * 1.2, a), fill=fg)
    elif kind == "diamond":
        rad = [r * 1.3, r * 0.65, r * 1.3, r * 0.65]
        d.polygon([(cx + rad[k] * math.cos(a + k * math.pi / 2), cy + rad[k] * math.sin(a + k * math.pi / 2)) for k in range(4)], fill=fg)
    elif kind == "triangle": d.polygon(poly(3, r * 1.2, a), fill=fg)
    elif kind == "cross":
        w = max(2, int(r / 2.5))
        for ang in (a, a + math.pi / 2):
            dx, dy = r * math.cos(ang), r * math.sin(ang)
            d.line([(cx - dx, cy - dy), (cx + dx, cy + dy)], fill=fg, width=w)
    px = img.load()
    for y in range(32):
        for x in range(32):
            p = px[x, y]
            px[x, y] = tuple(min(255, max(0, c + int(rng.gauss(0, 10)))) for c in p)
    return img

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out"); ap.add_argument("--train", type=int, default=3000); ap.add_argument("--test", type=int, default=1200)
    ap.add_argument("--seed", type=int, default=1)
    o = ap.parse_args()
    rng = random.Random(o.seed)
    for split, n in (("train", o.train), ("test", o.test)):
        for i in range(n):
            kind = CLASSES[i % len(CLASSES)]
            d = os.path.join(o.out, split, kind); os.makedirs(d, exist_ok=True)
            img = draw(kind, rng)
            if i // len(CLASSES) % 2 == 0: img.save(os.path.join(d, f"{i:05d}.png"))
            else: img.save(os.path.join(d, f"{i:05d}.jpg"), quality=90)
    print(f"{o.out}: {o.train} training and {o.test} test images in {len(CLASSES)} classes")

main()
