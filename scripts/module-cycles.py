#!/usr/bin/env python3
"""Reads the module graph `cargo modules dependencies --layout dot` prints (functions, types
and traits folded into their modules) and fails, printing each, if any modules import each
other, directly or through others. Only "uses" edges count: a module owning its children
is structure, not a dependency."""
import re
import sys

label = sys.argv[1] if len(sys.argv) > 1 else "crate"
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
