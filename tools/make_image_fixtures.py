#!/usr/bin/python3
"""Writes tests/Nabla.Tests/Fixtures/images/: small PNG/JPEG/BMP files and what Pillow and PyTorch make of them.

expected.json holds, per file, Pillow's decoded pixels as C x H x W lists (RGB, or L for gray.png), and
torch.nn.functional.interpolate(mode='bilinear', align_corners=False, antialias=False) of rgb.png to 3x4 and 11x13
(floats, before rounding). Run: /usr/bin/python3 tools/make_image_fixtures.py
"""
import json, os, random
import torch
from PIL import Image

out = os.path.join(os.path.dirname(__file__), "..", "tests", "Nabla.Tests", "Fixtures", "images")
os.makedirs(out, exist_ok=True)
rng = random.Random(19)

def rgb(w, h, smooth=False):
    img = Image.new("RGB", (w, h))
    for y in range(h):
        for x in range(w):
            img.putpixel((x, y), (x * 255 // max(1, w - 1), y * 255 // max(1, h - 1), (x * y * 7) % 256) if smooth else tuple(rng.randrange(256) for _ in range(3)))
    return img

def chw(img):
    c = len(img.getbands()); w, h = img.size
    px = list(img.getdata())
    if c == 1: return [px]
    return [[p[k] for p in px] for k in range(c)]

files = {}
a = rgb(7, 5); a.save(os.path.join(out, "rgb.png")); files["rgb.png"] = a
g = Image.new("L", (7, 5)); g.putdata([rng.randrange(256) for _ in range(35)]); g.save(os.path.join(out, "gray.png")); files["gray.png"] = g
j = rgb(16, 12, smooth=True); j.save(os.path.join(out, "rgb.jpg"), quality=95)
files["rgb.jpg"] = Image.open(os.path.join(out, "rgb.jpg")).convert("RGB")
b = rgb(9, 6); b.save(os.path.join(out, "other-size.png")); files["other-size.png"] = b
m = rgb(7, 5); m.save(os.path.join(out, "rgb.bmp")); files["rgb.bmp"] = m
expected = {name: {"width": im.size[0], "height": im.size[1], "pixels": chw(im)} for name, im in files.items()}
t = torch.tensor(chw(a), dtype=torch.float32).reshape(1, 3, 5, 7)
for h, w in ((3, 4), (11, 13)):
    r = torch.nn.functional.interpolate(t, size=(h, w), mode="bilinear", align_corners=False, antialias=False)
    expected[f"rgb.png->{h}x{w}"] = {"width": w, "height": h, "pixels": r.reshape(3, -1).tolist()}
json.dump(expected, open(os.path.join(out, "expected.json"), "w"))
print(f"wrote {len(files)} images and expected.json to {out}")
