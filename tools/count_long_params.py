#!/usr/bin/env python3
"""Lists the methods (and constructors) under a source folder that take at least N parameters.

usage: tools/count_long_params.py [DIR] [N]      (defaults: src/Nabla 12)
Prints one line per method (file:line name count) and the total; a rough C# scan (declarations with a
modifier, a name and a parenthesised parameter list), enough to track the count the issue sets a target on.
"""
import os, re, sys

root = sys.argv[1] if len(sys.argv) > 1 else "src/Nabla"
limit = int(sys.argv[2]) if len(sys.argv) > 2 else 12
decl = re.compile(r"\b(?:public|internal|private|protected)\b[^;{}=()]*?\b([A-Za-z_]\w*)\s*(?:<[^()]*>)?\s*\(")

def params(text, start):
    depth, count, i, nonempty = 1, 0, start, False
    while i < len(text) and depth:
        ch = text[i]
        if ch in "([<{": depth += 1
        elif ch in ")]>}": depth -= 1
        elif ch == "," and depth == 1: count += 1
        if depth and not ch.isspace(): nonempty = True
        i += 1
    return count + 1 if nonempty else 0

hits = []
for d, _, files in os.walk(root):
    if "/obj" in d or "/bin" in d: continue
    for f in sorted(files):
        if not f.endswith(".cs"): continue
        path = os.path.join(d, f)
        text = open(path, encoding="utf-8").read()
        text = re.sub(r"//[^\n]*", "", text)
        for m in decl.finditer(text):
            n = params(text, m.end())
            if n >= limit:
                hits.append((path, text.count("\n", 0, m.start()) + 1, m.group(1), n))
for path, line, name, n in sorted(hits):
    print(f"{path}:{line} {name} {n}")
print(f"{len(hits)} methods with >= {limit} parameters")
