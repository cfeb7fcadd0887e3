#!/usr/bin/env python3
"""Reads the module graph `cargo modules dependencies --layout dot` prints (functions, types
and traits folded into their modules) and fails, printing each, if any modules import each
other, directly or through others. Only "uses" edges count: a module owning its children
is structure, not a dependency.

cargo-modules sees `use` items, signatures and fields, not a path written inside a function's
body (`crate::tray::refresh(app)`): given `--src DIR --root NAME`, the crate's source files are
read too, and each `crate::…` or `super::…` path outside test modules is an edge from the file's
module to the longest module it names.

Usage: module-cycles.py LABEL [--src DIR --root NAME] < graph.dot"""
import os
import re
import sys

args = sys.argv[1:]
label = args[0] if args else "crate"
src = args[args.index("--src") + 1] if "--src" in args else None
root = args[args.index("--root") + 1] if "--root" in args else None
edges = {}
read = False
for line in sys.stdin:
    read = read or line.startswith("digraph")
    node = re.match(r'\s*"([^"]+)" \[label=', line)
    if node:
        edges.setdefault(node.group(1), set())
    m = re.match(r'\s*"([^"]+)" -> "([^"]+)" \[label="uses"', line)
    if m and m.group(1) != m.group(2):
        edges.setdefault(m.group(1), set()).add(m.group(2))
        edges.setdefault(m.group(2), set())


def module_of(path):
    """`a/b.rs`, `a/b/mod.rs` → `root::a::b`; `lib.rs`, `main.rs` → `root`."""
    rel = os.path.relpath(path, src)[:-3].split(os.sep)
    if rel[-1] == "mod":
        rel = rel[:-1]
    if rel in (["lib"], ["main"]):
        rel = []
    return "::".join([root] + rel)


if src and root:
    files = {}
    for dirpath, _, names in os.walk(src):
        for name in names:
            if name.endswith(".rs"):
                path = os.path.join(dirpath, name)
                files[module_of(path)] = path
    for module, path in files.items():
        with open(path, encoding="utf-8") as f:
            text = f.read()
        # Test modules are cargo-modules' to read (`--cfg-test`): their own module nodes.
        cut = re.search(r"#\[cfg\(test\)\]\s*(pub(\(crate\))? )?mod \w+ \{", text)
        if cut:
            text = text[: cut.start()]
        text = "\n".join(l for l in text.splitlines() if not l.strip().startswith("//"))
        parent = module.rsplit("::", 1)[0] if "::" in module else module
        named = [root + "::" + p for p in re.findall(r"\bcrate::((?:\w+::)*\w+)", text)]
        named += [parent + "::" + p for p in re.findall(r"\bsuper::((?:\w+::)*\w+)", text)]
        for path in named:
            parts = path.split("::")
            for k in range(len(parts), 1, -1):
                target = "::".join(parts[:k])
                if target in files and target != module:
                    edges.setdefault(module, set()).add(target)
                    edges.setdefault(target, set())
                    break

# Tarjan's strongly connected components, iteratively (no recursion limit to hit).
index, low, on_stack, stack, rings = {}, {}, set(), [], []
counter = 0
for root in sorted(edges):
    if root in index:
        continue
    work = [(root, iter(sorted(edges[root])))]
    index[root] = low[root] = counter
    counter += 1
    stack.append(root)
    on_stack.add(root)
    while work:
        node, children = work[-1]
        child = next(children, None)
        if child is not None:
            if child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(edges[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
            continue
        work.pop()
        if work:
            low[work[-1][0]] = min(low[work[-1][0]], low[node])
        if low[node] == index[node]:
            ring = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                ring.append(top)
                if top == node:
                    break
            if len(ring) > 1:
                rings.append(sorted(ring))

if not read:
    print(f"{label}: no module graph read", file=sys.stderr)
    sys.exit(2)
for ring in rings:
    members = set(ring)
    print(f"{label}: these modules import each other:", file=sys.stderr)
    for m in ring:
        inside = sorted(edges[m] & members)
        print(f"  {m} -> {', '.join(inside)}", file=sys.stderr)
if rings:
    sys.exit(1)
print(f"{label}: {len(edges)} modules and items, no import cycles")
