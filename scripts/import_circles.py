#!/usr/bin/env python3
"""Fails on an import circle among the files of src/: file A `use`s something of file B that
(directly or through others) `use`s something of A. Reads each file's `use` lines (`crate::`,
`super::`, `self::`, one level of braces), maps each path to the file that defines its longest
module prefix, and reports every strongly connected group of two or more files.
Run by test.sh; `python3 scripts/import_circles.py` prints the groups and exits 1 if any."""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
USE = re.compile(r"\buse\s+((?:crate|super|self)(?:::[A-Za-z_][A-Za-z0-9_]*)*)(?:::\{([^;]*)\})?")


def module_of(path):
    parts = os.path.relpath(path, ROOT)[:-3].split(os.sep)
    return parts[:-1] if parts[-1] in ("mod", "lib") else parts


def main():
    files = {}
    for folder, _, names in os.walk(ROOT):
        for name in names:
            if name.endswith(".rs"):
                full = os.path.join(folder, name)
                files[full] = open(full, encoding="utf-8").read()
    by_module = {tuple(module_of(p)): p for p in files}

    def owner(path):
        for k in range(len(path), 0, -1):
            if tuple(path[:k]) in by_module:
                return by_module[tuple(path[:k])]
        return None

    edges = {p: set() for p in files}
    for p, text in files.items():
        me = module_of(p)
        for m in USE.finditer(text):
            base = m.group(1).split("::")
            if base[0] == "crate":
                path = base[1:]
            elif base[0] == "super":
                i, cur = 0, me[:]
                while i < len(base) and base[i] == "super":
                    cur, i = cur[:-1], i + 1
                path = cur + base[i:]
            else:
                path = me + base[1:]
            names = [n.strip().split("::")[0].split(" ")[0] for n in (m.group(2) or "").split(",")]
            targets = [path + [n] if n != "self" else path for n in names if n] or [path]
            for t in targets:
                f = owner(t)
                if f and f != p:
                    edges[p].add(f)

    # Tarjan's strongly connected components, iteratively.
    index, low, on, stack, groups, counter = {}, {}, set(), [], [], [0]
    for start in files:
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    group = []
                    while True:
                        x = stack.pop()
                        on.discard(x)
                        group.append(x)
                        if x == v:
                            break
                    if len(group) > 1:
                        groups.append(sorted(os.path.relpath(g, os.path.dirname(ROOT)) for g in group))
            elif w not in index:
                index[w] = low[w] = counter[0]
                counter[0] += 1
                stack.append(w)
                on.add(w)
                work.append((w, iter(sorted(edges[w]))))
            elif w in on:
                low[v] = min(low[v], index[w])
    for g in groups:
        print("import circle:", " ↔ ".join(g))
    print(f"import_circles: {len(files)} files, {len(groups)} circles")
    sys.exit(1 if groups else 0)


if __name__ == "__main__":
    main()
